<?php

namespace Licensed\Exception;

/**
 * Not a license token: too large, bad characters, not three parts, bad
 * base64url, bad or duplicated JSON, a claim of the wrong type or out of
 * the integer range, or a header other than exactly {alg, typ, kid}.
 */
class MalformedTokenException extends VerifierException
{
    public function errorClass(): string
    {
        return 'malformed';
    }
}
