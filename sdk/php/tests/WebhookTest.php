<?php

namespace Licensed\Tests;

use Licensed\Exception\WebhookException;
use Licensed\Webhook;
use PHPUnit\Framework\TestCase;

/**
 * Every case of the shared webhook vectors (sdk/webhooks/testdata/vectors.json,
 * which the Go package runs too) gets the same answer here.
 */
final class WebhookTest extends TestCase
{
    /** @return array<string, array{0: array<string, mixed>}> */
    public function cases(): array
    {
        $file = dirname(__DIR__, 3) . '/sdk/webhooks/testdata/vectors.json';
        $doc = json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
        $out = [];
        foreach ($doc['cases'] as $case) {
            $out[$case['name']] = [$case];
        }
        return $out;
    }

    public function testVectorsAreThere(): void
    {
        $this->assertGreaterThanOrEqual(20, count($this->cases()));
    }

    /**
     * @dataProvider cases
     * @param array<string, mixed> $case
     */
    public function testVector(array $case): void
    {
        try {
            Webhook::check($case['secret'], $case['headers'], $case['body'], $case['tolerance_seconds'], $case['now']);
            $got = 'ok';
        } catch (WebhookException $e) {
            $got = $e->errorClass();
        }
        $this->assertSame($case['expect'], $got);
    }

    /** Headers as $_SERVER or PSR-7 hand them over verify the same. */
    public function testHeaderForms(): void
    {
        $case = $this->cases()['valid'][0];
        $server = [];
        $psr7 = [];
        foreach ($case['headers'] as $name => $value) {
            $server['HTTP_' . strtoupper(str_replace('-', '_', $name))] = $value;
            $psr7[ucwords($name, '-')] = [$value];
        }
        $event = Webhook::verify($case['secret'], $server, $case['body'], 300, $case['now']);
        $this->assertSame('license.suspended', $event['type']);
        $event = Webhook::verify($case['secret'], $psr7, $case['body'], 300, $case['now']);
        $this->assertSame($case['headers']['webhook-id'], $event['id']);
    }

    public function testTodaysClockRefusesAnOldVector(): void
    {
        $case = $this->cases()['valid'][0];
        $this->expectException(WebhookException::class);
        Webhook::verify($case['secret'], $case['headers'], $case['body'], 300, $case['now'] + 3600);
    }
}
