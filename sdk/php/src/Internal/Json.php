<?php

namespace Licensed\Internal;

/**
 * Strict reading of the small JSON documents of a token (header, claims)
 * and of a JWKS, with the rules of the Go verifier: a JSON object at the
 * top, no member name twice in any object (json_decode silently keeps the
 * last one, so duplicates are counted here), no U+0000 anywhere, at most
 * 32 nested objects and arrays, valid UTF-8 and no lone surrogate (which
 * json_decode already refuses). Numbers too large for an integer stay
 * strings, so that they can never pass for one.
 *
 * @internal
 */
final class Json
{
    /** Nesting limit of objects and arrays, as the Go verifier's. */
    const MAX_DEPTH = 32;

    /**
     * Decodes $json into a \stdClass, or returns the reason it is refused.
     *
     * @return \stdClass|string the object, or an error message
     */
    public static function decodeObject(string $json)
    {
        $start = strspn($json, " \t\r\n");
        if (!isset($json[$start]) || $json[$start] !== '{') {
            return 'expected an object';
        }
        // json_decode's depth counts the scalars' level too.
        $value = json_decode($json, false, self::MAX_DEPTH + 1, JSON_BIGINT_AS_STRING);
        if (json_last_error() !== JSON_ERROR_NONE) {
            return 'invalid JSON: ' . json_last_error_msg();
        }
        if (!$value instanceof \stdClass) {
            return 'expected an object';
        }
        if (stripos($json, 'u0000') !== false && preg_match('/(?<!\\\\)(?:\\\\\\\\)*\\\\u0000/i', $json)) {
            return 'U+0000 in a string';
        }
        if (self::compact($json)) {
            // Compact JSON without a backslash (what the issuer writes):
            // every quote delimits a string, so '":' is exactly a member
            // name followed by its colon.
            $inText = substr_count($json, '":');
        } else {
            // Every member name in the text is a string followed by a
            // colon (a string value is followed by , ] or }); strings are
            // matched from the left, so no match starts inside another.
            $names = preg_match_all('/"(?:[^"\\\\]++|\\\\.)*+"\s*+(:?)/', $json, $m);
            $inText = $names === false ? -1 : count(array_filter($m[1]));
        }
        if ($inText !== self::countMembers($value)) {
            return 'duplicate member name';
        }
        return $value;
    }

    /**
     * Decodes a JSON object and returns its members by name (nested objects
     * as \stdClass), or the reason it is refused. Compact JSON with no
     * backslash and no nested object (a token's header and claims as the
     * issuer writes them) takes a shorter path with the same answer: every
     * quote then delimits a string, so '":' counts the member names
     * exactly, no array can be an object in disguise, and no U+0000 can be
     * escaped.
     *
     * @return array<int|string, mixed>|string
     */
    public static function decodeMembers(string $json)
    {
        if (isset($json[0]) && $json[0] === '{' && self::compact($json) && substr_count($json, '{') === 1) {
            $value = json_decode($json, true, self::MAX_DEPTH + 1, JSON_BIGINT_AS_STRING);
            if (!is_array($value)) {
                return 'invalid JSON: ' . json_last_error_msg();
            }
            if (count($value) !== substr_count($json, '":')) {
                return 'duplicate member name';
            }
            return $value;
        }
        $object = self::decodeObject($json);
        return is_string($object) ? $object : get_object_vars($object);
    }

    /** No backslash and no white space (strpos is faster than strpbrk). */
    private static function compact(string $json): bool
    {
        return strpos($json, '\\') === false && strpos($json, ' ') === false && strpos($json, "\n") === false
            && strpos($json, "\r") === false && strpos($json, "\t") === false;
    }

    /** @param mixed $v */
    private static function countMembers($v): int
    {
        $n = 0;
        if ($v instanceof \stdClass) {
            foreach (get_object_vars($v) as $member) {
                $n += 1 + (is_scalar($member) || $member === null ? 0 : self::countMembers($member));
            }
        } elseif (is_array($v)) {
            foreach ($v as $element) {
                if (!is_scalar($element) && $element !== null) {
                    $n += self::countMembers($element);
                }
            }
        }
        return $n;
    }

    /**
     * Whether $v is a JSON integer within ±(2^53-1): no fraction, no
     * exponent, nothing larger (those decode to floats or strings).
     *
     * @param mixed $v
     */
    public static function isSafeInteger($v): bool
    {
        return is_int($v) && $v >= -9007199254740991 && $v <= 9007199254740991;
    }
}
