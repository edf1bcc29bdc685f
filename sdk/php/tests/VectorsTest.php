<?php

namespace Licensed\Tests;

use Licensed\Exception\LicenseUnusableException;
use Licensed\Exception\VerifierException;
use Licensed\KeySet;
use Licensed\Verifier;
use PHPUnit\Framework\TestCase;

/**
 * Every case of the shared vector files (verifier/testdata/vectors.json and
 * forged.json, written by the Go verifier's case table) gets the same
 * answer here: accepted with the same claims and grace, or refused with an
 * exception of the same error class.
 */
final class VectorsTest extends TestCase
{
    /** @return array<string, array{0: array<string, mixed>}> */
    public function cases(): array
    {
        $out = [];
        foreach (['vectors.json', 'forged.json'] as $file) {
            $doc = json_decode((string) file_get_contents(LICENSED_TESTDATA . '/' . $file), true, 512, JSON_THROW_ON_ERROR);
            foreach ($doc['cases'] as $case) {
                $out[$file . ': ' . $case['name']] = [$case];
            }
        }
        return $out;
    }

    public function testFilesAreThere(): void
    {
        $this->assertGreaterThan(150, count($this->cases()));
    }

    /**
     * @dataProvider cases
     * @param array<string, mixed> $case
     */
    public function testVector(array $case): void
    {
        foreach ([0, Verifier::DEFAULT_CACHE_SIZE] as $cacheSize) {
            for ($call = 1; $call <= ($cacheSize > 0 ? 2 : 1); $call++) {
                [$result, $claims, $grace] = $this->verifyCase($case, $cacheSize);
                $this->assertSame($case['result'], $result, "{$case['description']} (cache $cacheSize, call $call)");
                if (isset($case['claims'])) {
                    $this->assertNotNull($claims, 'claims expected');
                    $this->assertSame($case['claims'], $claims->toArray(), 'claims');
                } else {
                    $this->assertNull($claims, 'no claims expected with ' . $result);
                }
                $this->assertSame($case['grace'] ?? false, $grace, 'grace');
            }
        }
    }

    /**
     * @param array<string, mixed> $case
     * @return array{0: string, 1: ?\Licensed\Claims, 2: bool}
     */
    private function verifyCase(array $case, int $cacheSize): array
    {
        static $verifiers = [];
        $o = $case['options'];
        try {
            $keys = KeySet::fromJwks($case['jwks']);
            $options = [
                'issuer' => $o['issuer'], 'product' => $o['product'], 'leeway' => $o['leeway_seconds'],
                'clock' => static function () use ($o) {
                    return $o['now'];
                },
                'cache_size' => $cacheSize,
            ];
            if (isset($o['instance'])) {
                $options['instance'] = $o['instance'];
            }
            if (!empty($o['license_tokens'])) {
                $options['license_tokens'] = true;
            }
            // One verifier per case and cache size, so that the second
            // call is a memo hit.
            $id = $case['name'] . '/' . $cacheSize;
            $verifiers[$id] = $verifiers[$id] ?? new Verifier($keys, $options);
            $v = $verifiers[$id];
            $claims = $v->verify($case['token']);
            return ['ok', $claims, $claims->inGrace($v->now())];
        } catch (LicenseUnusableException $e) {
            return [$e->errorClass(), $e->getClaims(), false];
        } catch (VerifierException $e) {
            return [$e->errorClass(), null, false];
        }
    }
}
