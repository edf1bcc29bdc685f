<?php

namespace Licensed\Exception;

/**
 * The token's exp has passed (beyond the leeway): refresh it online.
 */
class TokenExpiredException extends VerifierException
{
    public function errorClass(): string
    {
        return 'expired';
    }
}
