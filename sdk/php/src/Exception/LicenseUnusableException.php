<?php

namespace Licensed\Exception;

use Licensed\Claims;

/**
 * The token is authentic and current, but the license it describes may not
 * be used. The claims come with it (getClaims()), so that a product can say
 * what happened ("suspended since...", "renew license X"). Thrown as is for a
 * status this verifier does not know; the three subclasses say which.
 */
class LicenseUnusableException extends VerifierException
{
    /** @var Claims */
    private $claims;

    public function __construct(string $message, Claims $claims)
    {
        parent::__construct($message);
        $this->claims = $claims;
    }

    public function getClaims(): Claims
    {
        return $this->claims;
    }

    public function errorClass(): string
    {
        return 'license_unusable';
    }
}
