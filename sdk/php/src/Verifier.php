<?php

namespace Licensed;

use Licensed\Exception\AudienceException;
use Licensed\Exception\InstanceMismatchException;
use Licensed\Exception\IssuedInFutureException;
use Licensed\Exception\IssuerException;
use Licensed\Exception\LicenseCancelledException;
use Licensed\Exception\LicenseExpiredException;
use Licensed\Exception\LicenseSuspendedException;
use Licensed\Exception\LicenseUnusableException;
use Licensed\Exception\MalformedTokenException;
use Licensed\Exception\MissingClaimException;
use Licensed\Exception\NotConfiguredException;
use Licensed\Exception\SignatureException;
use Licensed\Exception\TokenExpiredException;
use Licensed\Exception\TokenNotYetValidException;
use Licensed\Exception\UnknownKeyException;
use Licensed\Exception\VerifierException;
use Licensed\Internal\Base64Url;
use Licensed\Internal\Json;

/**
 * Checks license tokens offline, exactly as docs/TOKENS.md "What a
 * verifier checks" says and as the Go verifier does: the same test
 * vectors (verifier/testdata/vectors.json and forged.json) give the same
 * answer and the same error class here.
 *
 *     $keys = KeySet::fromJwks(file_get_contents(__DIR__ . '/jwks.json'));
 *     $verifier = new Verifier($keys, [
 *         'issuer' => 'https://licenses.example.com',
 *         'product' => 'rankmath/rankmath-pro',
 *         'instance' => home_url(), // this site: activation tokens only
 *     ]);
 *     try {
 *         $claims = $verifier->verify($token);
 *         $grace = $claims->inGrace($verifier->now()); // expired, in grace: show a banner
 *     } catch (LicenseSuspendedException $e) { // authentic; $e->getClaims()
 *     } catch (TokenExpiredException $e) {     // refresh online
 *     } catch (VerifierException $e) {         // forged, malformed, another product's...
 *     }
 *
 * A verifier remembers the tokens it authenticated (per request in PHP:
 * a plugin checking its one token on every hook pays for Ed25519 once);
 * times, status and instance are checked on every call.
 */
final class Verifier
{
    const TOKEN_TYPE = 'license+jwt';
    const ALGORITHM = 'EdDSA';
    const MAX_TOKEN_SIZE = 8192;
    const DEFAULT_LEEWAY = 60;
    const DEFAULT_CACHE_SIZE = 64;

    const STATUS_ACTIVE = 'active';
    const STATUS_SUSPENDED = 'suspended';
    const STATUS_CANCELLED = 'cancelled';
    const STATUS_EXPIRED = 'expired';

    const OPTIONS = ['issuer', 'any_issuer', 'product', 'any_product', 'instance', 'license_tokens', 'leeway', 'clock', 'cache_size'];

    /** @var KeySet|null */
    private $keys;
    /** @var string */
    private $issuer;
    /** @var string */
    private $product;
    /** @var string normalized; '' for none */
    private $instance = '';
    /** @var bool */
    private $licenseTokens;
    /** @var int */
    private $leeway;
    /** @var callable():int */
    private $clock;
    /** @var int */
    private $cacheSize;
    /** @var VerifierException|null */
    private $configError;
    /** @var array<string, array{0: Claims, 1: array<string, bool>}> authentic tokens */
    private $memo = [];

    /**
     * Options:
     *  - issuer (string, required unless any_issuer): the iss of every token
     *  - product (string, required unless any_product): "brand/product", the aud
     *  - instance (string): this site or machine; only activation tokens
     *    bound to it pass (normalized first). Required unless license_tokens.
     *  - license_tokens (bool): also accept license tokens (no instance);
     *    only for products that sell no seats, or any install could use one
     *  - leeway (int seconds, default 60): clock skew on exp, nbf, iat
     *  - clock (callable returning Unix seconds, default time())
     *  - cache_size (int, default 64; 0 disables the memo)
     *  - any_issuer, any_product (bool): skip those checks explicitly
     *
     * It never throws for a bad configuration of issuer, product or
     * instance: every verify() then throws NotConfiguredException (or
     * InvalidInstanceException), so that a misconfigured product cannot
     * quietly accept every token. An unknown option is a programming
     * error: \InvalidArgumentException.
     *
     * @param array<string, mixed> $options
     */
    public function __construct(?KeySet $keys, array $options)
    {
        foreach (array_keys($options) as $name) {
            if (!in_array($name, self::OPTIONS, true)) {
                throw new \InvalidArgumentException("Licensed\\Verifier: unknown option \"$name\"");
            }
        }
        $this->keys = $keys;
        $this->issuer = (string) ($options['issuer'] ?? '');
        $this->product = (string) ($options['product'] ?? '');
        $this->licenseTokens = (bool) ($options['license_tokens'] ?? false);
        $this->leeway = max(0, (int) ($options['leeway'] ?? self::DEFAULT_LEEWAY));
        $this->clock = $options['clock'] ?? 'time';
        $this->cacheSize = (int) ($options['cache_size'] ?? self::DEFAULT_CACHE_SIZE);
        if ($this->issuer === '' && empty($options['any_issuer'])) {
            $this->configError = new NotConfiguredException('verifier not configured: no issuer');
        } elseif ($this->product === '' && empty($options['any_product'])) {
            $this->configError = new NotConfiguredException('verifier not configured: no product');
        } elseif (isset($options['instance'])) {
            try {
                $this->instance = Instance::normalize((string) $options['instance']);
            } catch (VerifierException $e) {
                $this->configError = $e;
            }
        } elseif (!$this->licenseTokens) {
            $this->configError = new NotConfiguredException('verifier not configured: no instance (give instance, or license_tokens to accept tokens bound to none)');
        }
        if (!empty($options['any_issuer'])) {
            $this->issuer = '';
        }
        if (!empty($options['any_product'])) {
            $this->product = '';
        }
    }

    /** The verifier's clock, Unix seconds: pass it to Claims::inGrace(). */
    public function now(): int
    {
        return (int) call_user_func($this->clock);
    }

    /** Replaces the key set (after a JWKS refresh) and forgets the memo. */
    public function setKeys(?KeySet $keys): void
    {
        $this->keys = $keys;
        $this->memo = [];
    }

    public function keys(): ?KeySet
    {
        return $this->keys;
    }

    /**
     * Checks $token and returns its claims, or throws the exception of the
     * first check that fails, in the order of docs/TOKENS.md. A license in
     * its grace period passes (see Claims::inGrace). The exceptions of an
     * authentic token of an unusable license carry the claims.
     *
     * @throws VerifierException
     */
    public function verify(string $token): Claims
    {
        if ($this->configError !== null) {
            throw $this->configError;
        }
        if ($this->keys === null) {
            throw new NotConfiguredException('verifier not configured: no key set');
        }
        if (isset($this->memo[$token])) {
            list($claims, $has) = $this->memo[$token];
        } else {
            list($claims, $has) = $this->authenticate($this->keys, $token);
            if ($this->cacheSize > 0) {
                if (count($this->memo) >= $this->cacheSize) {
                    unset($this->memo[array_key_first($this->memo)]);
                }
                $this->memo[$token] = [$claims, $has];
            }
        }
        return $this->check($claims, $has, $this->now());
    }

    /**
     * Steps 1-3: shape, header, key, signature, issuer, audience. Nothing
     * here depends on the clock, so the result may be memoized.
     *
     * @return array{0: Claims, 1: array<string, bool>}
     */
    private function authenticate(KeySet $keys, string $token): array
    {
        $len = strlen($token);
        if ($len > self::MAX_TOKEN_SIZE) {
            throw new MalformedTokenException("malformed token: $len bytes, limit " . self::MAX_TOKEN_SIZE);
        }
        $dots = substr_count($token, '.');
        if ($dots !== 2) {
            throw new MalformedTokenException('malformed token: ' . ($dots + 1) . ' parts, want 3');
        }
        list($h64, $p64, $s64) = explode('.', $token);
        $header = Base64Url::decode($h64);
        $payload = $header === null ? null : Base64Url::decode($p64);
        $sig = $payload === null ? null : Base64Url::decode($s64);
        if ($sig === null) {
            throw new MalformedTokenException('malformed token: not strict base64url');
        }
        $kid = self::parseHeader($header);
        list($claims, $has) = self::parseClaims($payload);
        $pub = $keys->get($kid);
        if ($pub === null) {
            throw new UnknownKeyException('unknown signing key: kid ' . self::quote($kid));
        }
        if (strlen($sig) !== SODIUM_CRYPTO_SIGN_BYTES) {
            throw new SignatureException('invalid signature: ' . strlen($sig) . ' bytes');
        }
        if (!sodium_crypto_sign_verify_detached($sig, $h64 . '.' . $p64, $pub)) {
            throw new SignatureException('invalid signature');
        }
        if ($this->issuer !== '' && $claims->issuer !== $this->issuer) {
            throw new IssuerException('wrong issuer: iss ' . self::quote($claims->issuer));
        }
        if ($this->product !== '' && $claims->audience !== $this->product) {
            throw new AudienceException('wrong product: aud ' . self::quote($claims->audience));
        }
        return [$claims, $has];
    }

    /** The header must be exactly {alg: EdDSA, typ: license+jwt, kid}. */
    private static function parseHeader(string $json): string
    {
        // The header as the issuer writes it, with a kid of the base64url
        // alphabet, needs no JSON decoder: it can only mean this.
        if (preg_match('/^\{"alg":"EdDSA","typ":"license\+jwt","kid":"([A-Za-z0-9_-]*)"\}$/D', $json, $m)) {
            return $m[1];
        }
        $h = Json::decodeMembers($json);
        if (is_string($h)) {
            throw new MalformedTokenException('malformed token: header: ' . $h);
        }
        foreach ($h as $name => $value) {
            if ($name !== 'alg' && $name !== 'typ' && $name !== 'kid') {
                throw new MalformedTokenException('malformed token: header member ' . self::quote((string) $name) . ' not allowed');
            }
            if (!is_string($value)) {
                throw new MalformedTokenException("malformed token: header: $name is not a string");
            }
        }
        if (($h['alg'] ?? null) !== self::ALGORITHM) {
            throw new MalformedTokenException('malformed token: header: alg not allowed');
        }
        if (($h['typ'] ?? null) !== self::TOKEN_TYPE) {
            throw new MalformedTokenException('malformed token: header: typ not allowed');
        }
        if (!isset($h['kid'])) {
            throw new MalformedTokenException('malformed token: header: no kid');
        }
        return $h['kid'];
    }

    const STRING_CLAIMS = ['iss' => 'issuer', 'sub' => 'subject', 'aud' => 'audience', 'jti' => 'id', 'status' => 'status',
        'instance' => 'instance', 'activation_id' => 'activationId'];
    const INT_CLAIMS = ['iat' => 'issuedAt', 'nbf' => 'notBefore', 'exp' => 'expiry', 'license_exp' => 'licenseExpiry',
        'grace_until' => 'graceUntil', 'seats' => 'seats'];

    /**
     * Known claims must have their documented JSON type (null is no value
     * of any type); unknown ones are ignored but were checked as JSON.
     *
     * @return array{0: Claims, 1: array<string, bool>}
     */
    private static function parseClaims(string $json): array
    {
        $members = Json::decodeMembers($json);
        if (is_string($members)) {
            throw new MalformedTokenException('malformed token: claims: ' . $members);
        }
        $c = new Claims();
        $has = [];
        foreach ($members as $name => $v) {
            $name = (string) $name;
            if (isset(self::STRING_CLAIMS[$name])) {
                if (!is_string($v)) {
                    throw new MalformedTokenException("malformed token: claims: $name is not a string");
                }
                $c->{self::STRING_CLAIMS[$name]} = $v;
            } elseif (isset(self::INT_CLAIMS[$name])) {
                if (!Json::isSafeInteger($v) || ($name === 'seats' && ($v < -2147483648 || $v > 2147483647))) {
                    throw new MalformedTokenException("malformed token: claims: $name is not an integer in range");
                }
                $c->{self::INT_CLAIMS[$name]} = $v;
            } elseif ($name === 'entitlements') {
                if (!is_array($v)) {
                    throw new MalformedTokenException('malformed token: claims: entitlements is not an array');
                }
                foreach ($v as $e) {
                    if (!is_string($e)) {
                        throw new MalformedTokenException('malformed token: claims: entitlements holds a non-string');
                    }
                }
                $c->entitlements = $v;
            } else {
                continue;
            }
            $has[$name] = true;
        }
        return [$c, $has];
    }

    /** Steps 4-6, on every call: times, status (and grace), instance. */
    private function check(Claims $c, array $has, int $now): Claims
    {
        foreach (['exp', 'iat', 'nbf'] as $name) {
            if (!isset($has[$name])) {
                throw new MissingClaimException("missing required claim: $name");
            }
        }
        if ($now - $this->leeway >= $c->expiry) {
            throw new TokenExpiredException("token expired: exp {$c->expiry}, now $now");
        }
        if ($now + $this->leeway < $c->notBefore) {
            throw new TokenNotYetValidException("token not valid yet: nbf {$c->notBefore}, now $now");
        }
        if ($now + $this->leeway < $c->issuedAt) {
            throw new IssuedInFutureException("token issued in the future: iat {$c->issuedAt}, now $now");
        }
        if (!isset($has['status'])) {
            throw new MissingClaimException('missing required claim: status');
        }
        $out = clone $c;
        if (!$c->inGrace($now)) {
            switch ($c->status) {
                case self::STATUS_ACTIVE:
                    if ($c->licenseExpiry !== null && $now >= $c->licenseExpiry) {
                        throw new LicenseExpiredException("license expired: license_exp {$c->licenseExpiry}, now $now", $out);
                    }
                    break;
                case self::STATUS_SUSPENDED:
                    throw new LicenseSuspendedException('license suspended', $out);
                case self::STATUS_CANCELLED:
                    throw new LicenseCancelledException('license cancelled', $out);
                case self::STATUS_EXPIRED:
                    throw new LicenseExpiredException('license expired: status expired', $out);
                default:
                    throw new LicenseUnusableException('license not usable: unknown status ' . self::quote($c->status), $out);
            }
        }
        if ($c->instance === '' && !$this->licenseTokens) {
            throw new InstanceMismatchException('wrong instance: a license token (bound to no instance) where an activation token is required');
        }
        if ($c->instance !== '' && $this->instance !== '' && $c->instance !== $this->instance) {
            throw new InstanceMismatchException('wrong instance: token bound to ' . self::quote($c->instance));
        }
        return $out;
    }

    private static function quote(string $s): string
    {
        return json_encode(strlen($s) > 40 ? substr($s, 0, 40) . '...' : $s, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE) ?: '""';
    }
}
