<?php

namespace Licensed\Exception;

/**
 * The verifier lacks a key set, an issuer, a product, or both an instance
 * and license_tokens: a programming error, never the token's fault.
 */
class NotConfiguredException extends VerifierException
{
    public function errorClass(): string
    {
        return 'not_configured';
    }
}
