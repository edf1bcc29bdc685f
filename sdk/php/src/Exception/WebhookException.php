<?php

namespace Licensed\Exception;

/**
 * A webhook request did not verify. errorClass() is the class name of the
 * shared webhook vectors (sdk/webhooks/testdata/vectors.json), mirroring
 * the Go package's errors: "headers" (a header is missing), "timestamp"
 * (not seconds, or outside the tolerance), "signature" (no v1 signature
 * matches), "secret" (not whsec_ and base64).
 */
class WebhookException extends \RuntimeException
{
    /** @var string */
    private $class;

    public function __construct(string $class, string $message)
    {
        parent::__construct($message);
        $this->class = $class;
    }

    public function errorClass(): string
    {
        return $this->class;
    }
}
