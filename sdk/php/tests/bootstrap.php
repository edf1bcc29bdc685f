<?php

require __DIR__ . '/../autoload.php';

// The shared test data of both verifiers lives with the Go verifier.
define('LICENSED_TESTDATA', dirname(__DIR__, 3) . '/verifier/testdata');
