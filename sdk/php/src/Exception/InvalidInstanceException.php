<?php

namespace Licensed\Exception;

/**
 * Instance::normalize refused its input (empty, too long, not printable, a
 * URL without a host, ...).
 */
class InvalidInstanceException extends VerifierException
{
    public function errorClass(): string
    {
        return 'invalid_instance';
    }
}
