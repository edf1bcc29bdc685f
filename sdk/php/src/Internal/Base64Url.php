<?php

namespace Licensed\Internal;

/**
 * The one spelling of base64url the contract allows: URL alphabet, no
 * padding, zero trailing bits (so a token has exactly one spelling).
 *
 * @internal
 */
final class Base64Url
{
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

    /** @return string|null the bytes, or null when $s is not strict base64url */
    public static function decode(string $s): ?string
    {
        $n = strlen($s);
        if ($n === 0) {
            return '';
        }
        // The URL alphabet only (so no padding, no white space, and no "+"
        // or "/" that the standard decoder below would take), a length a
        // base64 text can have, and zero bits after the last byte: the
        // last character of 2 (or 3) leftover ones must be a multiple of
        // 16 (or 4). PHP's own decoder is several times faster than
        // sodium_base642bin, which enforces the same (and is what the
        // tests compare with).
        if ($n % 4 === 1 || !preg_match('/^[A-Za-z0-9_-]++$/D', $s)) {
            return null;
        }
        $rest = $n % 4;
        if ($rest !== 0 && strpos(self::ALPHABET, $s[$n - 1]) % ($rest === 2 ? 16 : 4) !== 0) {
            return null;
        }
        $bytes = base64_decode(strtr($s, '-_', '+/'), true);
        return $bytes === false ? null : $bytes;
    }

    public static function encode(string $bytes): string
    {
        return sodium_bin2base64($bytes, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING);
    }
}
