<?php

namespace Licensed\Internal;

/**
 * The one spelling of base64url the contract allows: URL alphabet, no
 * padding, zero trailing bits (so a token has exactly one spelling).
 * libsodium's decoder enforces all three.
 *
 * @internal
 */
final class Base64Url
{
    /** @return string|null the bytes, or null when $s is not strict base64url */
    public static function decode(string $s): ?string
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

    public static function encode(string $bytes): string
    {
        return sodium_bin2base64($bytes, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING);
    }
}
