<?php

namespace Licensed;

/**
 * The claims of a license token (docs/TOKENS.md). Read them after
 * Verifier::verify() returned them; they belong to the caller.
 */
final class Claims
{
    /** @var string the service's issuer URL */
    public $issuer = '';
    /** @var string the license id */
    public $subject = '';
    /** @var string "brand/product" */
    public $audience = '';
    /** @var int */
    public $issuedAt = 0;
    /** @var int */
    public $notBefore = 0;
    /** @var int the token's expiry, Unix seconds */
    public $expiry = 0;
    /** @var string the token id */
    public $id = '';
    /** @var string active, suspended, cancelled or expired */
    public $status = '';
    /** @var int|null the license's expiry; null for a perpetual license */
    public $licenseExpiry;
    /** @var int|null end of the grace period; null without one */
    public $graceUntil;
    /** @var int the seat limit */
    public $seats = 0;
    /** @var string[] */
    public $entitlements = [];
    /** @var string the normalized instance; '' in a license token */
    public $instance = '';
    /** @var string '' in a license token */
    public $activationId = '';

    /** Whether the license grants the entitlement. */
    public function has(string $entitlement): bool
    {
        return in_array($entitlement, $this->entitlements, true);
    }

    /**
     * Whether, at $now (Unix seconds), the license's expiry has passed but
     * its grace period has not: verify() accepts such a token and the
     * product should show a "renew now" banner. Never for suspended or
     * cancelled licenses. Pass Verifier::now() to get verify()'s answer.
     */
    public function inGrace(int $now): bool
    {
        if ($this->graceUntil === null || $now >= $this->graceUntil) {
            return false;
        }
        if ($this->status === Verifier::STATUS_EXPIRED) {
            return true;
        }
        return $this->status === Verifier::STATUS_ACTIVE && $this->licenseExpiry !== null && $now >= $this->licenseExpiry;
    }

    /**
     * The claims as the token's JSON names them (members that the token
     * did not carry are left out, as the Go verifier's JSON does).
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        $out = [
            'iss' => $this->issuer, 'sub' => $this->subject, 'aud' => $this->audience,
            'iat' => $this->issuedAt, 'nbf' => $this->notBefore, 'exp' => $this->expiry,
            'jti' => $this->id, 'status' => $this->status,
        ];
        if ($this->licenseExpiry !== null) {
            $out['license_exp'] = $this->licenseExpiry;
        }
        if ($this->graceUntil !== null) {
            $out['grace_until'] = $this->graceUntil;
        }
        $out['seats'] = $this->seats;
        $out['entitlements'] = $this->entitlements;
        if ($this->instance !== '') {
            $out['instance'] = $this->instance;
        }
        if ($this->activationId !== '') {
            $out['activation_id'] = $this->activationId;
        }
        return $out;
    }
}
