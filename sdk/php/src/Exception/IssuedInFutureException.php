<?php

namespace Licensed\Exception;

/**
 * The token's iat is in the future (beyond the leeway): a clock is wrong.
 */
class IssuedInFutureException extends VerifierException
{
    public function errorClass(): string
    {
        return 'issued_in_future';
    }
}
