<?php

// For vendors who copy this folder into a plugin instead of using
// Composer: require this file once. It maps the Licensed\ namespace to
// src/ (PSR-4), as composer.json does.
//
// Two plugins may ship their own copies: the first autoloader registered
// loads the classes, so ship the same or a newer version of this library,
// or prefix the namespace (PHP-Scoper) if you need to be sure.

if (!defined('LICENSED_VERIFIER_AUTOLOAD')) {
    define('LICENSED_VERIFIER_AUTOLOAD', __DIR__);
    spl_autoload_register(static function ($class) {
        if (strncmp($class, 'Licensed\\', 9) !== 0) {
            return;
        }
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, 9)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    });
}
