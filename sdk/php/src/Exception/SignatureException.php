<?php

namespace Licensed\Exception;

/**
 * The Ed25519 signature does not verify (forged or tampered), or is not 64
 * bytes.
 */
class SignatureException extends VerifierException
{
    public function errorClass(): string
    {
        return 'signature';
    }
}
