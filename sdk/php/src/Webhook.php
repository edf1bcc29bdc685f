<?php

namespace Licensed;

use Licensed\Exception\WebhookException;

/**
 * Verifies the webhooks a licensed server sends (Standard Webhooks:
 * webhook-id, webhook-timestamp, webhook-signature "v1,<base64
 * HMAC-SHA256>"), with the endpoint's whsec_ secret.
 *
 *     $event = \Licensed\Webhook::verify($secret, getallheaders(), file_get_contents('php://input'));
 *
 * Pass the raw body exactly as received. Delivery is at least once:
 * record $event['id'] and handle an id once.
 */
final class Webhook
{
    /** How far, in seconds, a timestamp may be from the receiver's clock. */
    public const DEFAULT_TOLERANCE = 300;

    /**
     * Checks the signature (any one of the space-separated v1 signatures,
     * compared with hash_equals) and the timestamp, then decodes the body.
     *
     * @param array<string, string|string[]> $headers getallheaders(), a
     *        PSR-7 getHeaders(), or $_SERVER (HTTP_WEBHOOK_ID ...)
     * @return array<string, mixed> the event: id, type, timestamp, data
     * @throws WebhookException
     */
    public static function verify(string $secret, array $headers, string $body, int $tolerance = self::DEFAULT_TOLERANCE, ?int $now = null): array
    {
        self::check($secret, $headers, $body, $tolerance, $now);
        $event = json_decode($body, true);
        if (!is_array($event)) {
            throw new WebhookException('body', 'the body is not a JSON object');
        }
        return $event;
    }

    /**
     * Verify without decoding the body.
     *
     * @param array<string, string|string[]> $headers
     * @throws WebhookException
     */
    public static function check(string $secret, array $headers, string $body, int $tolerance = self::DEFAULT_TOLERANCE, ?int $now = null): void
    {
        $encoded = strncmp($secret, 'whsec_', 6) === 0 ? substr($secret, 6) : $secret;
        $key = base64_decode($encoded, true);
        if ($key === false || $key === '') {
            throw new WebhookException('secret', 'the secret is not whsec_ followed by base64');
        }
        $id = self::header($headers, 'webhook-id');
        $timestamp = self::header($headers, 'webhook-timestamp');
        $signatures = self::header($headers, 'webhook-signature');
        if ($id === '' || $timestamp === '' || $signatures === '') {
            throw new WebhookException('headers', 'missing webhook-id, webhook-timestamp or webhook-signature header');
        }
        if (preg_match('/^-?[0-9]{1,18}$/', $timestamp) !== 1) {
            throw new WebhookException('timestamp', 'the timestamp is not a number of seconds');
        }
        $now = $now ?? time();
        if (abs($now - (int) $timestamp) > $tolerance) {
            throw new WebhookException('timestamp', 'the timestamp is outside the tolerance');
        }
        $expected = base64_encode(hash_hmac('sha256', $id . '.' . $timestamp . '.' . $body, $key, true));
        foreach (preg_split('/\s+/', trim($signatures)) ?: [] as $signature) {
            $parts = explode(',', $signature, 2);
            if (count($parts) === 2 && $parts[0] === 'v1' && hash_equals($expected, $parts[1])) {
                return;
            }
        }
        throw new WebhookException('signature', 'no matching signature');
    }

    /**
     * A header by name, whatever its case, or its $_SERVER form.
     *
     * @param array<string, string|string[]> $headers
     */
    private static function header(array $headers, string $name): string
    {
        $server = 'HTTP_' . strtoupper(str_replace('-', '_', $name));
        foreach ($headers as $key => $value) {
            if (strcasecmp((string) $key, $name) === 0 || $key === $server) {
                if (is_array($value)) {
                    $value = implode(' ', $value);
                }
                return trim((string) $value);
            }
        }
        return '';
    }
}
