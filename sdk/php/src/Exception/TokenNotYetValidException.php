<?php

namespace Licensed\Exception;

/**
 * The token's nbf is in the future (beyond the leeway).
 */
class TokenNotYetValidException extends VerifierException
{
    public function errorClass(): string
    {
        return 'not_yet_valid';
    }
}
