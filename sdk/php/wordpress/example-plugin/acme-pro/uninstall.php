<?php
// Removes every trace of the license: options and the scheduled refresh.
if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}
require_once __DIR__ . '/licensed/autoload.php';
require_once __DIR__ . '/licensed/wordpress/class-licensed-wp-license.php';
Licensed_WP_License::uninstall( 'acme-pro' );
