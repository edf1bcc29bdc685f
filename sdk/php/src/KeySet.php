<?php

namespace Licensed;

use Licensed\Exception\InvalidKeySetException;
use Licensed\Internal\Base64Url;
use Licensed\Internal\Json;

/**
 * An immutable set of Ed25519 public keys by kid: the service's JWKS
 * (GET /.well-known/jwks.json), which a product ships inside itself.
 */
final class KeySet
{
    /** JWK members that carry private or secret key material. */
    const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

    /**
     * The y coordinates (little-endian, sign bit cleared) of every point
     * of order 1, 2, 4 or 8 in every encoding a decoder accepts: the list
     * libsodium and the Go verifier use. Under such a key, a plain Ed25519
     * verifier accepts the forged signature R = identity, S = 0.
     */
    const SMALL_ORDER_Y = [
        '0000000000000000000000000000000000000000000000000000000000000000',
        '0100000000000000000000000000000000000000000000000000000000000000',
        '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
        'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
        'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
        'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
        'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ];

    /** @var array<string, string> raw 32-byte keys by kid */
    private $keys;

    /** @param array<string, string> $keys */
    private function __construct(array $keys)
    {
        $this->keys = $keys;
    }

    /**
     * Reads a JWK Set. Every key must be kty OKP, crv Ed25519, with a
     * 32-byte x that is not a small-order or non-canonical point, a kid,
     * and if present alg EdDSA and use sig; a private member refuses the
     * whole set (a JWKS that leaks a private key must not be used
     * quietly), and so does anything else wrong: keep the last good set.
     * Unknown members are ignored.
     *
     * @throws InvalidKeySetException
     */
    public static function fromJwks(string $json): self
    {
        $doc = Json::decodeObject($json);
        if (is_string($doc)) {
            throw new InvalidKeySetException('invalid key set: ' . $doc);
        }
        $keys = [];
        $list = property_exists($doc, 'keys') ? $doc->keys : [];
        if (!is_array($list)) {
            throw new InvalidKeySetException('invalid key set: keys is not an array');
        }
        foreach ($list as $jwk) {
            if (!$jwk instanceof \stdClass) {
                throw new InvalidKeySetException('invalid key set: a key is not an object');
            }
            self::add($keys, ...self::readJwk($jwk));
        }
        return self::done($keys);
    }

    /**
     * Builds a key set from raw 32-byte public keys by kid, with the
     * checks of fromJwks().
     *
     * @param array<string, string> $keys
     * @throws InvalidKeySetException
     */
    public static function fromKeys(array $keys): self
    {
        $out = [];
        foreach ($keys as $kid => $pub) {
            self::add($out, (string) $kid, $pub);
        }
        return self::done($out);
    }

    /** @return array{0: string, 1: string} kid and raw key */
    private static function readJwk(\stdClass $jwk): array
    {
        $str = [];
        foreach (['kty', 'crv', 'x', 'kid', 'alg', 'use'] as $name) {
            if (property_exists($jwk, $name) && !is_string($jwk->$name)) {
                throw new InvalidKeySetException("invalid key set: $name is not a string");
            }
            $str[$name] = property_exists($jwk, $name) ? $jwk->$name : '';
        }
        foreach (self::PRIVATE_MEMBERS as $name) {
            if (property_exists($jwk, $name)) {
                throw new InvalidKeySetException("invalid key set: private key member \"$name\"");
            }
        }
        $kid = $str['kid'];
        if ($str['kty'] !== 'OKP' || $str['crv'] !== 'Ed25519') {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ' is not OKP Ed25519');
        }
        if ($str['alg'] !== '' && $str['alg'] !== Verifier::ALGORITHM) {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ' has alg ' . self::quote($str['alg']));
        }
        if ($str['use'] !== '' && $str['use'] !== 'sig') {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ' has use ' . self::quote($str['use']));
        }
        if (!property_exists($jwk, 'x')) {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ' has no x');
        }
        $pub = Base64Url::decode($str['x']);
        if ($pub === null) {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ': x is not base64url');
        }
        return [$kid, $pub];
    }

    /** @param array<string, string> $keys */
    private static function add(array &$keys, string $kid, string $pub): void
    {
        if ($kid === '') {
            throw new InvalidKeySetException('invalid key set: key without kid');
        }
        if (strlen($pub) !== SODIUM_CRYPTO_SIGN_PUBLICKEYBYTES) {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ': ' . strlen($pub) . ' bytes, want 32');
        }
        if (self::weak($pub)) {
            throw new InvalidKeySetException('invalid key set: key ' . self::quote($kid) . ': small-order or non-canonical public key');
        }
        if (isset($keys[$kid])) {
            throw new InvalidKeySetException('invalid key set: duplicate kid ' . self::quote($kid));
        }
        $keys[$kid] = $pub;
    }

    /** @param array<string, string> $keys */
    private static function done(array $keys): self
    {
        if ($keys === []) {
            throw new InvalidKeySetException('invalid key set: no keys');
        }
        ksort($keys, SORT_STRING);
        return new self($keys);
    }

    /**
     * Whether $pub is a small-order point or a non-canonical encoding
     * (y >= p), which no honest key generator produces.
     */
    public static function weak(string $pub): bool
    {
        $y = substr($pub, 0, 31) . chr(ord($pub[31]) & 0x7f);
        if (in_array(bin2hex($y), self::SMALL_ORDER_Y, true)) {
            return true;
        }
        // y >= p = 2^255 - 19: the top byte 0x7f, 30 bytes of 0xff, the
        // lowest byte 0xed or more.
        return ord($y[31]) === 0x7f && ord($y[0]) >= 0xed && substr($y, 1, 30) === str_repeat("\xff", 30);
    }

    /** The raw public key of $kid, or null. */
    public function get(string $kid): ?string
    {
        return $this->keys[$kid] ?? null;
    }

    public function has(string $kid): bool
    {
        return isset($this->keys[$kid]);
    }

    /** @return string[] the kids, sorted */
    public function kids(): array
    {
        return array_map('strval', array_keys($this->keys));
    }

    private static function quote(string $s): string
    {
        return json_encode(strlen($s) > 40 ? substr($s, 0, 40) . '...' : $s, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE) ?: '""';
    }
}
