<?php

namespace Licensed\Exception;

/**
 * exp, iat, nbf or status is absent. Also a MalformedTokenException.
 */
class MissingClaimException extends MalformedTokenException
{
    public function errorClass(): string
    {
        return 'missing_claim';
    }
}
