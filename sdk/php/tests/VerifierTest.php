<?php

namespace Licensed\Tests;

use Licensed\Exception\InvalidKeySetException;
use Licensed\Exception\LicenseExpiredException;
use Licensed\Exception\LicenseSuspendedException;
use Licensed\Exception\LicenseUnusableException;
use Licensed\Exception\MalformedTokenException;
use Licensed\Exception\MissingClaimException;
use Licensed\Exception\NotConfiguredException;
use Licensed\Exception\SignatureException;
use Licensed\Exception\TokenExpiredException;
use Licensed\Exception\VerifierException;
use Licensed\KeySet;
use Licensed\Verifier;
use PHPUnit\Framework\TestCase;

/** What the shared vectors do not cover: PHP specifics, memo, options. */
final class VerifierTest extends TestCase
{
    const ISSUER = 'https://licensed.example.com';
    const PRODUCT = 'rankmath/rankmath-pro';

    /** @return array<string, mixed> the named case of vectors.json or forged.json */
    private static function vector(string $name): array
    {
        foreach (['vectors.json', 'forged.json'] as $file) {
            $doc = json_decode((string) file_get_contents(LICENSED_TESTDATA . '/' . $file), true);
            foreach ($doc['cases'] as $case) {
                if ($case['name'] === $name) {
                    return $case;
                }
            }
        }
        throw new \RuntimeException("no vector $name");
    }

    /** @param array<string, mixed> $options */
    private static function verifier(array $options = [], ?int &$now = null): Verifier
    {
        $case = self::vector('ok-activation-token');
        $now = $case['options']['now'];
        return new Verifier(KeySet::fromJwks($case['jwks']), $options + [
            'issuer' => self::ISSUER, 'product' => self::PRODUCT, 'instance' => 'https://www.example.org/',
            'clock' => static function () use (&$now) {
                return $now;
            },
        ]);
    }

    /**
     * The exception classes mirror the Go sentinels, including the two
     * that also match a broader one.
     */
    public function testExceptionHierarchy(): void
    {
        $this->assertTrue(is_subclass_of(MissingClaimException::class, MalformedTokenException::class));
        foreach ([LicenseSuspendedException::class, LicenseExpiredException::class] as $c) {
            $this->assertTrue(is_subclass_of($c, LicenseUnusableException::class));
        }
        $this->assertTrue(is_subclass_of(LicenseUnusableException::class, VerifierException::class));
        $this->assertTrue(is_subclass_of(VerifierException::class, \RuntimeException::class));
    }

    /** A token over 8 KiB is malformed before anything else is read. */
    public function testTooLarge(): void
    {
        $this->expectException(MalformedTokenException::class);
        self::verifier()->verify(str_repeat('A', 1 << 20));
    }

    /**
     * The memo remembers authentic tokens, but times are checked on every
     * call: a remembered token still expires.
     */
    public function testMemoRedoesTimeChecks(): void
    {
        $v = self::verifier([], $now);
        $token = self::vector('ok-activation-token')['token'];
        $this->assertSame('example.org', $v->verify($token)->instance);
        $claims = $v->verify($token);
        $now = $claims->expiry + 60;
        try {
            $v->verify($token);
            $this->fail('an expired token passed from the memo');
        } catch (TokenExpiredException $e) {
            $this->assertSame('expired', $e->errorClass());
        }
        // A caller changing the returned claims does not change the memo.
        $now = $claims->issuedAt;
        $claims->entitlements[] = 'agency';
        $this->assertFalse($v->verify($token)->has('agency'));
    }

    /** Forged tokens are never remembered, and a new key set empties the memo. */
    public function testSetKeys(): void
    {
        $v = self::verifier();
        $token = self::vector('ok-activation-token')['token'];
        $v->verify($token);
        $other = KeySet::fromJwks(self::vector('ok-built-by-go-jose')['jwks']);
        $v->setKeys(KeySet::fromKeys(['other' => (string) $other->get($other->kids()[1])]));
        $this->expectException(\Licensed\Exception\UnknownKeyException::class);
        $v->verify($token);
    }

    public function testNotConfigured(): void
    {
        $token = self::vector('ok-activation-token')['token'];
        foreach ([
            ['issuer' => ''],
            ['product' => ''],
            ['instance' => null],
        ] as $options) {
            $v = self::verifier($options);
            try {
                $v->verify($token);
                $this->fail('verified with ' . json_encode($options));
            } catch (NotConfiguredException $e) {
                $this->assertSame('not_configured', $e->errorClass());
            }
        }
        $v = new Verifier(null, ['issuer' => self::ISSUER, 'product' => self::PRODUCT, 'instance' => 'example.org']);
        $this->expectException(NotConfiguredException::class);
        $v->verify($token);
    }

    public function testUnknownOption(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new Verifier(null, ['issuer' => self::ISSUER, 'produkt' => self::PRODUCT]);
    }

    /** Grace, as a plugin sees it: no exception, and inGrace() says so. */
    public function testGrace(): void
    {
        $case = self::vector('ok-grace');
        $v = self::verifier([], $now);
        $claims = $v->verify($case['token']);
        $this->assertTrue($claims->inGrace($v->now()));
        $now = $claims->graceUntil;
        $this->expectException(LicenseExpiredException::class);
        $v->verify($case['token']);
    }

    /**
     * libsodium itself refuses small-order public keys: the forgery that
     * Go's ed25519.Verify accepts under the identity key (R = identity,
     * S = 0) fails sodium_crypto_sign_verify_detached. KeySet refuses the
     * key anyway, so that both verifiers answer invalid_key_set.
     */
    public function testLibsodiumRefusesSmallOrderKeys(): void
    {
        $identity = "\x01" . str_repeat("\x00", 31);
        $forged = "\x01" . str_repeat("\x00", 63);
        $this->assertFalse(sodium_crypto_sign_verify_detached($forged, 'any message', $identity));
        foreach (KeySet::SMALL_ORDER_Y as $hex) {
            $this->assertFalse(sodium_crypto_sign_verify_detached($forged, 'any message', (string) hex2bin($hex)), $hex);
            $this->assertTrue(KeySet::weak((string) hex2bin($hex)), $hex);
        }
        $this->expectException(InvalidKeySetException::class);
        KeySet::fromKeys(['weak' => $identity]);
    }

    /** libsodium refuses the malleated signature S + L (S must be below L). */
    public function testLibsodiumRefusesNonCanonicalS(): void
    {
        $case = self::vector('signature-s-plus-l');
        [$h, $p, $s] = explode('.', $case['token']);
        $keys = KeySet::fromJwks($case['jwks']);
        $kid = json_decode((string) sodium_base642bin($h, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING))->kid;
        $sig = sodium_base642bin($s, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING);
        $this->assertFalse(sodium_crypto_sign_verify_detached($sig, "$h.$p", (string) $keys->get($kid)));
        $this->expectException(SignatureException::class);
        self::verifier()->verify($case['token']);
    }
}
