<?php

namespace Licensed\Tests;

use Licensed\Exception\InvalidInstanceException;
use Licensed\Instance;
use PHPUnit\Framework\TestCase;

/**
 * Every entry of the shared instance table (verifier/testdata/instances.json)
 * normalizes here as in Go, and every output normalizes to itself.
 */
final class InstancesTest extends TestCase
{
    /** @return array<string, array{0: array<string, mixed>}> */
    public function cases(): array
    {
        $doc = json_decode((string) file_get_contents(LICENSED_TESTDATA . '/instances.json'), true, 512, JSON_THROW_ON_ERROR);
        $out = [];
        foreach ($doc['cases'] as $i => $case) {
            $out[$i . ': ' . $case['note']] = [$case];
        }
        return $out;
    }

    public function testTableIsThere(): void
    {
        $this->assertGreaterThan(100, count($this->cases()));
    }

    /**
     * @dataProvider cases
     * @param array<string, mixed> $case
     */
    public function testCase(array $case): void
    {
        if (!empty($case['invalid'])) {
            try {
                $got = Instance::normalize($case['input']);
                $this->fail(sprintf('%s: got %s, want invalid', json_encode($case['input']), json_encode($got)));
            } catch (InvalidInstanceException $e) {
                $this->assertSame('invalid_instance', $e->errorClass());
            }
            return;
        }
        $got = Instance::normalize($case['input']);
        $this->assertSame($case['output'], $got, json_encode($case['input']) . ': ' . $case['note']);
        $this->assertSame($got, Instance::normalize($got), 'idempotent');
        $this->assertSame($got, Instance::normalize(" \t" . $case['input'] . "\n "), 'white space around');
    }

    /** What JSON cannot hold: invalid UTF-8. */
    public function testInvalidUtf8(): void
    {
        foreach (["\xff", "machine-\xc3", "https://example.org/\xff", "example.org/\xed\xa0\x80"] as $s) {
            try {
                Instance::normalize($s);
                $this->fail(bin2hex($s) . ' accepted');
            } catch (InvalidInstanceException $e) {
                $this->addToAssertionCount(1);
            }
        }
    }
}
