<?php

namespace Licensed;

use Licensed\Exception\InvalidInstanceException;
use Licensed\Internal\UnicodeTables;

/**
 * Instance normalization (docs/TOKENS.md "Instance normalization"), the
 * same rules as the Go verifier's NormalizeInstance and the server's, so
 * that a plugin, the server and every verifier agree on when two
 * spellings are the same site. verifier/testdata/instances.json is the
 * shared table of cases.
 *
 * A site (http/https URL, or a bare domain such as "Example.org/blog/")
 * normalizes to host[:port][path]: scheme, userinfo, query and fragment
 * dropped, host lower-cased, one leading "www." and one trailing "."
 * dropped, default port dropped, trailing "/" dropped, path kept. Anything
 * else is an opaque machine id, taken as is (1 to 255 bytes of printable
 * UTF-8). Surrounding white space is trimmed first.
 */
final class Instance
{
    const MAX_LENGTH = 255;

    /**
     * @throws InvalidInstanceException
     */
    public static function normalize(string $s): string
    {
        $s = self::trimSpace($s);
        self::printable($s);
        if (self::hasPrefixFold($s, 'http://')) {
            return self::urlSite(substr($s, 7), '80');
        }
        if (self::hasPrefixFold($s, 'https://')) {
            return self::urlSite(substr($s, 8), '443');
        }
        if (self::hasPrefixFold($s, 'http:') || self::hasPrefixFold($s, 'https:')) {
            throw self::invalid('scheme without host');
        }
        $out = self::bareSite($s);
        if ($out !== null) {
            return $out;
        }
        if (strlen($s) > self::MAX_LENGTH) {
            throw self::invalid('longer than 255 bytes');
        }
        return $s;
    }

    private static function invalid(string $detail): InvalidInstanceException
    {
        return new InvalidInstanceException('invalid instance: ' . $detail);
    }

    /** Go's strings.TrimSpace: Unicode white space. */
    private static function trimSpace(string $s): string
    {
        $s = trim($s, " \t\n\v\f\r");
        if ($s === '' || (ord($s[0]) < 0x80 && ord($s[strlen($s) - 1]) < 0x80)) {
            return $s;
        }
        if (!preg_match('//u', $s)) {
            return $s; // not UTF-8: printable() refuses it
        }
        $runes = self::runes($s);
        $i = 0;
        $j = count($runes);
        while ($i < $j && self::isSpace($runes[$i])) {
            $i++;
        }
        while ($j > $i && self::isSpace($runes[$j - 1])) {
            $j--;
        }
        return self::implodeRunes(array_slice($runes, $i, $j - $i));
    }

    private static function isSpace(int $r): bool
    {
        if ($r < 0x80) {
            return $r === 0x20 || ($r >= 0x09 && $r <= 0x0d);
        }
        return self::inRanges($r, UnicodeTables::SPACE);
    }

    private static function printable(string $s): void
    {
        if ($s === '') {
            throw self::invalid('empty');
        }
        if (!preg_match('//u', $s)) {
            throw self::invalid('not UTF-8');
        }
        if (preg_match('/[\x00-\x1f\x7f]/', $s)) {
            throw self::invalid('not printable');
        }
        if (preg_match('/[\x80-\xff]/', $s)) {
            foreach (self::runes($s) as $r) {
                if ($r >= 0x80 && !self::inRanges($r, UnicodeTables::PRINT)) {
                    throw self::invalid('not printable');
                }
            }
        }
    }

    private static function hasPrefixFold(string $s, string $prefix): bool
    {
        return strlen($s) >= strlen($prefix) && strcasecmp(substr($s, 0, strlen($prefix)), $prefix) === 0;
    }

    /** @return array{0: string, 1: string} before the first byte of $chars, and from it */
    private static function cutAny(string $s, string $chars): array
    {
        $i = strcspn($s, $chars);
        return [substr($s, 0, $i), (string) substr($s, $i)];
    }

    private static function urlSite(string $rest, string $defaultPort): string
    {
        // A space is no URL character; a backslash is one URL parsers
        // disagree on (browsers read it as "/").
        if (strpbrk($rest, " \\") !== false) {
            throw self::invalid('space or backslash in URL');
        }
        list($auth, $tail) = self::cutAny($rest, '/?#');
        $path = '';
        if ($tail !== '' && $tail[0] === '/') {
            list($path) = self::cutAny($tail, '?#');
        }
        $at = strrpos($auth, '@');
        if ($at !== false) {
            $auth = substr($auth, $at + 1);
        }
        list($host, $port) = self::hostPort($auth);
        if ($port === $defaultPort) {
            $port = '';
        }
        return self::site($host, $port, $path);
    }

    /** @return array{0: string, 1: string} */
    private static function hostPort(string $auth): array
    {
        if ($auth !== '' && $auth[0] === '[') {
            $end = strpos($auth, ']');
            if ($end === false) {
                throw self::invalid('unclosed [');
            }
            $host = self::lower(substr($auth, 0, $end + 1));
            $after = (string) substr($auth, $end + 1);
            $ip = substr($host, 1, -1);
            $bin = strpos($ip, '%') === false ? @inet_pton($ip) : false;
            if ($bin === false || strlen($bin) !== 16) {
                throw self::invalid('bad IPv6 host');
            }
        } else {
            list($host, $after) = self::cutAny($auth, ':');
            $host = self::dropWWW(self::regName($host));
        }
        if ($after === '') {
            return [$host, ''];
        }
        if ($after[0] !== ':') {
            throw self::invalid('junk after host');
        }
        return [$host, self::canonicalPort(substr($after, 1))];
    }

    private static function regName(string $h): string
    {
        $h = self::lower($h);
        if (substr($h, -1) === '.') {
            $h = substr($h, 0, -1);
        }
        if ($h === '') {
            throw self::invalid('no host');
        }
        foreach (explode('.', $h) as $label) {
            if ($label === '') {
                throw self::invalid('empty label in host');
            }
            if (preg_match('/^[a-z0-9_-]+$/', $label)) {
                continue;
            }
            if (!preg_match('//u', $label)) {
                throw self::invalid('host is not UTF-8');
            }
            foreach (self::runes($label) as $r) {
                if (!self::hostRune($r)) {
                    throw self::invalid('host has a character not allowed');
                }
            }
        }
        return $h;
    }

    private static function hostRune(int $r): bool
    {
        if ($r < 0x80) {
            return ($r >= 0x61 && $r <= 0x7a) || ($r >= 0x30 && $r <= 0x39) || $r === 0x2d || $r === 0x5f;
        }
        return self::inRanges($r, UnicodeTables::HOST);
    }

    private static function dropWWW(string $h): string
    {
        if (strncmp($h, 'www.', 4) === 0) {
            $h = substr($h, 4);
            if (strncmp($h, 'www.', 4) === 0) {
                throw self::invalid('host starts with www.www.');
            }
        }
        return $h;
    }

    private static function canonicalPort(string $p): string
    {
        if ($p === '') {
            return '';
        }
        if (strlen($p) > 5 || strspn($p, '0123456789') !== strlen($p)) {
            throw self::invalid('bad port');
        }
        $n = (int) $p;
        if ($n < 1 || $n > 65535) {
            throw self::invalid('port out of range');
        }
        return (string) $n;
    }

    private static function site(string $host, string $port, string $path): string
    {
        $out = $host;
        if ($port !== '') {
            $out .= ':' . $port;
        }
        $out .= rtrim($path, '/');
        if (strlen($out) > self::MAX_LENGTH) {
            throw self::invalid('longer than 255 bytes');
        }
        if (strncmp($out, 'http:', 5) === 0 || strncmp($out, 'https:', 6) === 0) {
            throw self::invalid('site reads as a scheme');
        }
        return $out;
    }

    /** The normalized site, or null when $s is not shaped like a bare site. */
    private static function bareSite(string $s): ?string
    {
        if (strpbrk($s, ' @?#[') !== false) {
            return null;
        }
        list($auth, $path) = self::cutAny($s, '/');
        $colon = strpos($auth, ':');
        $host = $auth;
        $port = '';
        if ($colon !== false) {
            $host = substr($auth, 0, $colon);
            $port = (string) substr($auth, $colon + 1);
            if ($port === '' || strlen($port) > 5 || strspn($port, '0123456789') !== strlen($port)) {
                return null;
            }
        }
        try {
            $host = self::regName($host);
        } catch (InvalidInstanceException $e) {
            return null;
        }
        if (!self::isDomain($host)) {
            return null;
        }
        return self::site(self::dropWWW($host), self::canonicalPort($port), $path);
    }

    /** At least two labels, the last with a letter. */
    private static function isDomain(string $h): bool
    {
        $i = strrpos($h, '.');
        if ($i === false) {
            return false;
        }
        $tld = substr($h, $i + 1);
        if (preg_match('/[a-z]/', $tld)) {
            return true;
        }
        if (!preg_match('/[\x80-\xff]/', $tld)) {
            return false;
        }
        foreach (self::runes($tld) as $r) {
            if ($r >= 0x80 && self::inRanges($r, UnicodeTables::LETTER)) {
                return true;
            }
        }
        return false;
    }

    /** Lower-cases rune by rune with Go's unicode.ToLower. */
    private static function lower(string $s): string
    {
        $s = strtr($s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
        if (!preg_match('/[\x80-\xff]/', $s) || !preg_match('//u', $s)) {
            return $s;
        }
        $runes = self::runes($s);
        foreach ($runes as $i => $r) {
            if (isset(UnicodeTables::LOWER[$r])) {
                $runes[$i] = UnicodeTables::LOWER[$r];
            }
        }
        return self::implodeRunes($runes);
    }

    /** @return int[] the code points of valid UTF-8 $s */
    private static function runes(string $s): array
    {
        $out = [];
        foreach (preg_split('//u', $s, -1, PREG_SPLIT_NO_EMPTY) ?: [] as $c) {
            $out[] = self::ord($c);
        }
        return $out;
    }

    private static function ord(string $c): int
    {
        $b = ord($c[0]);
        switch (strlen($c)) {
            case 1:
                return $b;
            case 2:
                return (($b & 0x1f) << 6) | (ord($c[1]) & 0x3f);
            case 3:
                return (($b & 0x0f) << 12) | ((ord($c[1]) & 0x3f) << 6) | (ord($c[2]) & 0x3f);
        }
        return (($b & 0x07) << 18) | ((ord($c[1]) & 0x3f) << 12) | ((ord($c[2]) & 0x3f) << 6) | (ord($c[3]) & 0x3f);
    }

    /** @param int[] $runes */
    private static function implodeRunes(array $runes): string
    {
        $out = '';
        foreach ($runes as $r) {
            if ($r < 0x80) {
                $out .= chr($r);
            } elseif ($r < 0x800) {
                $out .= chr(0xc0 | ($r >> 6)) . chr(0x80 | ($r & 0x3f));
            } elseif ($r < 0x10000) {
                $out .= chr(0xe0 | ($r >> 12)) . chr(0x80 | (($r >> 6) & 0x3f)) . chr(0x80 | ($r & 0x3f));
            } else {
                $out .= chr(0xf0 | ($r >> 18)) . chr(0x80 | (($r >> 12) & 0x3f)) . chr(0x80 | (($r >> 6) & 0x3f)) . chr(0x80 | ($r & 0x3f));
            }
        }
        return $out;
    }

    /** @param array<int, array{0: int, 1: int}> $ranges sorted, disjoint */
    private static function inRanges(int $r, array $ranges): bool
    {
        $lo = 0;
        $hi = count($ranges) - 1;
        while ($lo <= $hi) {
            $mid = ($lo + $hi) >> 1;
            if ($r < $ranges[$mid][0]) {
                $hi = $mid - 1;
            } elseif ($r > $ranges[$mid][1]) {
                $lo = $mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }
}
