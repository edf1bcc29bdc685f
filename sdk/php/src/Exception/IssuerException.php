<?php

namespace Licensed\Exception;

/**
 * iss is not the configured issuer.
 */
class IssuerException extends VerifierException
{
    public function errorClass(): string
    {
        return 'issuer';
    }
}
