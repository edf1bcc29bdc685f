<?php

// Verify time of the PHP verifier against a bare
// sodium_crypto_sign_verify_detached on the same token, in one run, as a
// ratio (docs/PERFORMANCE.md):
//
//     php sdk/php/bench/verify.php [iterations]
//
// "full" verifies with the memo off (every call parses, checks the
// signature and every claim: what a request's first check costs);
// "memo" is a repeat check of the same token within a request.

require __DIR__ . '/../autoload.php';

use Licensed\KeySet;
use Licensed\Verifier;

$n = (int) ($argv[1] ?? 20000);
$case = null;
$doc = json_decode((string) file_get_contents(__DIR__ . '/../../../verifier/testdata/vectors.json'), true);
foreach ($doc['cases'] as $c) {
    if ($c['name'] === 'ok-activation-token') {
        $case = $c;
    }
}
$token = $case['token'];
$o = $case['options'];
$keys = KeySet::fromJwks($case['jwks']);
$options = ['issuer' => $o['issuer'], 'product' => $o['product'], 'instance' => $o['instance'],
    'clock' => static function () use ($o) {
        return $o['now'];
    }];
$full = new Verifier($keys, $options + ['cache_size' => 0]);
$memo = new Verifier($keys, $options);
[$h, $p, $s] = explode('.', $token);
$msg = "$h.$p";
$sig = sodium_base642bin($s, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING);
$kid = json_decode((string) sodium_base642bin($h, SODIUM_BASE64_VARIANT_URLSAFE_NO_PADDING))->kid;
$pub = (string) $keys->get($kid);

$runs = [
    'raw' => static function () use ($sig, $msg, $pub) {
        if (!sodium_crypto_sign_verify_detached($sig, $msg, $pub)) {
            throw new RuntimeException('bad signature');
        }
    },
    'full' => static function () use ($full, $token) {
        $full->verify($token);
    },
    'memo' => static function () use ($memo, $token) {
        $memo->verify($token);
    },
];
// Short rounds alternate the three so that load from other processes
// hits them alike; the ratio reported is the median of the rounds' ratios
// (robust to a spike in one round), the times are each one's best round.
$rounds = 100;
$per = max(1, intdiv($n, $rounds));
$times = ['raw' => [], 'full' => [], 'memo' => []];
for ($r = 0; $r < $rounds; $r++) {
    foreach ($runs as $name => $fn) {
        $t = hrtime(true);
        for ($i = 0; $i < $per; $i++) {
            $fn();
        }
        $times[$name][] = (hrtime(true) - $t) / $per / 1000;
    }
}
$median = static function (array $xs): float {
    sort($xs);
    $m = intdiv(count($xs), 2);
    return count($xs) % 2 ? $xs[$m] : ($xs[$m - 1] + $xs[$m]) / 2;
};
$ratio = static function (string $name) use ($times, $median): float {
    return $median(array_map(static function ($a, $b) {
        return $a / $b;
    }, $times[$name], $times['raw']));
};
printf("PHP %s, libsodium %s, token %d bytes, %d rounds of %d\n", PHP_VERSION, SODIUM_LIBRARY_VERSION, strlen($token), $rounds, $per);
printf("raw sodium_crypto_sign_verify_detached  %8.2f µs (best round)\n", min($times['raw']));
printf("Verifier::verify (memo off)             %8.2f µs (best round)  median ratio %.3f\n", min($times['full']), $ratio('full'));
printf("Verifier::verify (memo hit)             %8.2f µs (best round)  median ratio %.3f\n", min($times['memo']), $ratio('memo'));
