<?php

namespace Licensed\Tests;

use Licensed\Internal\Base64Url;
use PHPUnit\Framework\TestCase;

/**
 * The fast base64url decoder refuses exactly what libsodium's strict
 * URL-safe, unpadded decoder refuses: other alphabets, padding, white
 * space, impossible lengths and non-zero trailing bits.
 */
final class Base64UrlTest extends TestCase
{
    private static function sodium(string $s): ?string
    {
        if ($s === '') {
            return '';
        }
        try {
            return sodium_base642bin($s, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING);
        } catch (\Throwable $e) {
            return null;
        }
    }

    public function testAgreesWithLibsodium(): void
    {
        $inputs = ['', 'A', 'AA', 'AB', 'AE', 'AQ', 'AAA', 'AAB', 'AAE', 'AAAA', 'AA==', 'AA=', 'A A', "AA\n", "\tAA",
            '+w', '/w', '-w', '_w', 'AA.', 'Zm9v', 'Zm9vYg', 'Zm9vYh', 'Zm9vYmE', 'Zm9vYmF', 'é', "\x00AA"];
        $alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .';
        mt_srand(7);
        for ($i = 0; $i < 3000; $i++) {
            $s = '';
            for ($j = mt_rand(0, 9); $j > 0; $j--) {
                $s .= $alphabet[mt_rand(0, strlen($alphabet) - 1)];
            }
            $inputs[] = $s;
        }
        for ($i = 0; $i < 500; $i++) {
            $inputs[] = Base64Url::encode(random_bytes(mt_rand(1, 40)));
        }
        foreach ($inputs as $s) {
            $this->assertSame(self::sodium($s), Base64Url::decode($s), json_encode($s) ?: bin2hex($s));
        }
    }
}
