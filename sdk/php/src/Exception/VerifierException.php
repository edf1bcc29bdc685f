<?php

namespace Licensed\Exception;

/**
 * Base of every error of the verifier. Each concrete class has an error
 * class name, the one the shared test vectors use (errorClass()), and
 * mirrors one sentinel error of the Go verifier. Catch a specific class to
 * tell "forged" from "expired" from "suspended".
 */
abstract class VerifierException extends \RuntimeException
{
    /** The error class name of the shared test vectors, e.g. "malformed". */
    abstract public function errorClass(): string;
}
