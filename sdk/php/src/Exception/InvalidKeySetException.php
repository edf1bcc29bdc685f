<?php

namespace Licensed\Exception;

/**
 * The JWKS is refused (not JSON, not Ed25519, wrong size, small-order key,
 * private members, ...).
 */
class InvalidKeySetException extends VerifierException
{
    public function errorClass(): string
    {
        return 'invalid_key_set';
    }
}
