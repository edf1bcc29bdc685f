<?php
/**
 * Plugin Name: Acme Pro (licensed example)
 * Description: An example plugin licensed with the licensed WordPress drop-in: a license page under Settings, an offline check on every page load, a daily-ish refresh by WP-Cron.
 * Version: 1.0.0
 * Requires PHP: 7.4
 * License: Proprietary
 * Text Domain: acme-pro
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

// The licensed library, copied into the plugin as licensed/ (see
// sdk/php/README.md); Composer users require it instead.
require_once __DIR__ . '/licensed/autoload.php';
require_once __DIR__ . '/licensed/wordpress/class-licensed-wp-license.php';

// The license service, and its public keys (GET /.well-known/jwks.json),
// shipped in the plugin so that the check needs no network. A site may
// override the service URL in wp-config.php (for a staging service, say).
if ( ! defined( 'ACME_PRO_LICENSE_SERVICE' ) ) {
	define( 'ACME_PRO_LICENSE_SERVICE', 'https://licenses.acme.example' );
}
// The iss of the service's tokens (its LICENSED_ISSUER): its public URL.
if ( ! defined( 'ACME_PRO_LICENSE_ISSUER' ) ) {
	define( 'ACME_PRO_LICENSE_ISSUER', ACME_PRO_LICENSE_SERVICE );
}

function acme_pro_license(): Licensed_WP_License {
	static $license = null;
	if ( null === $license ) {
		$license = new Licensed_WP_License(
			array(
				'slug'        => 'acme-pro',
				'name'        => 'Acme Pro',
				'service'     => ACME_PRO_LICENSE_SERVICE,
				'issuer'      => ACME_PRO_LICENSE_ISSUER,
				'product'     => 'acme/acme-pro',
				'jwks'        => __DIR__ . '/jwks.json',
				'plugin_file' => __FILE__,
			)
		);
	}
	return $license;
}

acme_pro_license()->register();

// A licensed feature: a footer credit on the front end, only while the
// license is active (or in its grace period). The check is offline.
add_action(
	'wp_footer',
	static function () {
		if ( acme_pro_license()->has( 'pro' ) ) {
			echo '<p class="acme-pro-footer">' . esc_html__( 'Powered by Acme Pro', 'acme-pro' ) . '</p>';
		}
	}
);
