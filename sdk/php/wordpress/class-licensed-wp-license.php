<?php
/**
 * The licensed WordPress drop-in: include this file (after the library's
 * autoload.php) to get Licensed_WP_License. See sdk/php/README.md.
 *
 * Several plugins may each ship a copy: the first one loaded defines the
 * classes, and the others use them (the guards below sit in this file, not
 * beside the classes, because PHP declares a file's classes before it runs
 * the file's first line).
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( ! class_exists( 'Licensed_WP_License_Page', false ) ) {
	require __DIR__ . '/includes/class-licensed-wp-license-page.php';
}
if ( ! class_exists( 'Licensed_WP_License', false ) ) {
	require __DIR__ . '/includes/class-licensed-wp-license-core.php';
}
