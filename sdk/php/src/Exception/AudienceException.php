<?php

namespace Licensed\Exception;

/**
 * aud is not the configured product.
 */
class AudienceException extends VerifierException
{
    public function errorClass(): string
    {
        return 'audience';
    }
}
