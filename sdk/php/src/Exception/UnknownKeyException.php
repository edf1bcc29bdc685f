<?php

namespace Licensed\Exception;

/**
 * The header's kid is not in the key set: refresh the JWKS (at most once a
 * minute), or ship the new one.
 */
class UnknownKeyException extends VerifierException
{
    public function errorClass(): string
    {
        return 'unknown_key';
    }
}
