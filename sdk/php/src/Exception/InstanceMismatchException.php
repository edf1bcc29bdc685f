<?php

namespace Licensed\Exception;

/**
 * The token is bound to another instance, or is a license token (bound to
 * none) where an activation token is required.
 */
class InstanceMismatchException extends VerifierException
{
    public function errorClass(): string
    {
        return 'instance';
    }
}
