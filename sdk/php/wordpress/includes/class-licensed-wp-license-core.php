<?php
/**
 * Licensed WordPress drop-in: a plugin's license, checked offline on every
 * page load and refreshed by WP-Cron. See sdk/php/README.md.
 *
 *     require_once __DIR__ . '/licensed/autoload.php';
 *     require_once __DIR__ . '/licensed/wordpress/class-licensed-wp-license.php';
 *     $acme_license = new Licensed_WP_License( array(
 *         'slug'        => 'acme-pro',
 *         'name'        => 'Acme Pro',
 *         'service'     => 'https://licenses.example.com',
 *         'product'     => 'acme/acme-pro',
 *         'jwks'        => __DIR__ . '/jwks.json',
 *         'plugin_file' => __FILE__,
 *     ) );
 *     $acme_license->register();
 *     if ( $acme_license->is_licensed() ) { ... }
 *
 * This file holds the license itself (offline check, storage, service
 * calls, the refresh schedule); class-licensed-wp-license-page.php holds
 * the settings page, its forms and the admin notices. Plugins include
 * ../class-licensed-wp-license.php, which loads both once.
 */

use Licensed\Claims;
use Licensed\Exception\InstanceMismatchException;
use Licensed\Exception\LicenseCancelledException;
use Licensed\Exception\LicenseExpiredException;
use Licensed\Exception\LicenseSuspendedException;
use Licensed\Exception\LicenseUnusableException;
use Licensed\Exception\TokenExpiredException;
use Licensed\Exception\VerifierException;
use Licensed\KeySet;
use Licensed\Verifier;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * One plugin's license. States of check(): active, grace (expired but in
 * its grace period: licensed, with a banner), suspended, cancelled,
 * expired, stale (the token expired: the service was unreachable for
 * longer than a token lives), invalid (does not verify here), unlicensed.
 */
final class Licensed_WP_License {

	/** First wait after a failed refresh, doubling up to BACKOFF_MAX. */
	const BACKOFF_MIN = 300;
	const BACKOFF_MAX = 43200;
	/** How often an unlicensed site that knows its key asks again. */
	const RECHECK = 43200;
	/** Refreshes never come closer than this. */
	const MIN_GAP = 60;

	/** @var array<string, mixed> */
	private $cfg;
	/** @var Verifier|null built on first use, once per request */
	private $verifier;
	/** @var array<string, mixed>|null check() of this request */
	private $checked;
	/** @var Licensed_WP_License_Page */
	private $page;

	/**
	 * @param array<string, mixed> $cfg slug, name, service, product, jwks
	 *   (a file path or the JWKS JSON), plugin_file; optional: issuer
	 *   (default: service), instance (default: home_url()), capability
	 *   (default: manage_options), allow_insecure (http:// to a host
	 *   other than loopback), leeway (seconds, default 60).
	 */
	public function __construct( array $cfg ) {
		foreach ( array( 'slug', 'name', 'service', 'product', 'jwks' ) as $required ) {
			if ( empty( $cfg[ $required ] ) ) {
				throw new InvalidArgumentException( "Licensed_WP_License: \"$required\" is required" );
			}
		}
		if ( ! preg_match( '/^[a-z0-9_-]{1,40}$/', $cfg['slug'] ) ) {
			throw new InvalidArgumentException( 'Licensed_WP_License: slug must be 1-40 of a-z 0-9 _ -' );
		}
		$cfg['service'] = untrailingslashit( $cfg['service'] );
		$cfg += array(
			'issuer'         => $cfg['service'],
			'capability'     => 'manage_options',
			'allow_insecure' => false,
			'leeway'         => 60,
			'plugin_file'    => '',
		);
		$this->cfg  = $cfg;
		$this->page = new Licensed_WP_License_Page( $this );
	}

	/** Hooks the page, forms, notices and the refresh. Call once, on load. */
	public function register() {
		add_action( $this->hook(), array( $this, 'refresh' ) );
		add_action( 'admin_init', array( $this, 'ensure_scheduled' ) );
		if ( $this->cfg['plugin_file'] !== '' ) {
			register_deactivation_hook( $this->cfg['plugin_file'], array( $this, 'unschedule' ) );
		}
		$this->page->register();
	}

	/** @return mixed a configuration value */
	public function cfg( string $name ) {
		return $this->cfg[ $name ] ?? null;
	}

	/** The WP-Cron hook of the refresh. */
	public function hook(): string {
		return $this->cfg['slug'] . '_license_refresh';
	}

	/** This site, as the service knows it: an instance of the license. */
	public function instance(): string {
		return isset( $this->cfg['instance'] ) ? (string) $this->cfg['instance'] : home_url();
	}

	/**
	 * The offline check, on every page load that asks: verifies the stored
	 * token against the shipped JWKS. No HTTP. The result is kept for the
	 * rest of the request.
	 *
	 * @return array{state: string, claims: ?Claims, detail: string}
	 */
	public function check(): array {
		if ( $this->checked !== null ) {
			return $this->checked;
		}
		$token  = (string) get_option( $this->option( 'token' ), '' );
		$meta   = $this->meta();
		$result = array( 'state' => 'unlicensed', 'claims' => null, 'detail' => (string) ( $meta['dropped'] ?? '' ) );
		if ( $token !== '' ) {
			try {
				$claims = $this->verifier()->verify( $token );
				$state  = $claims->inGrace( $this->verifier()->now() ) ? 'grace' : 'active';
				$result = array( 'state' => $state, 'claims' => $claims, 'detail' => '' );
			} catch ( LicenseUnusableException $e ) {
				$result = array( 'state' => self::unusable_state( $e ), 'claims' => $e->getClaims(), 'detail' => '' );
			} catch ( TokenExpiredException $e ) {
				$result = array( 'state' => 'stale', 'claims' => null, 'detail' => $e->getMessage() );
			} catch ( VerifierException $e ) {
				$result = array( 'state' => 'invalid', 'claims' => null, 'detail' => $e->getMessage() );
			}
		}
		$this->checked = $result;
		return $result;
	}

	private static function unusable_state( LicenseUnusableException $e ): string {
		if ( $e instanceof LicenseSuspendedException ) {
			return 'suspended';
		}
		if ( $e instanceof LicenseCancelledException ) {
			return 'cancelled';
		}
		return $e instanceof LicenseExpiredException ? 'expired' : 'unusable';
	}

	/** Whether the plugin may run its licensed features here. */
	public function is_licensed(): bool {
		$state = $this->check()['state'];
		return 'active' === $state || 'grace' === $state;
	}

	/** Whether the license grants the entitlement (and is licensed). */
	public function has( string $entitlement ): bool {
		$c = $this->check();
		return $this->is_licensed() && $c['claims'] !== null && $c['claims']->has( $entitlement );
	}

	public function license_key(): string {
		return (string) get_option( $this->option( 'key' ), '' );
	}

	/** @return array<string, mixed> bookkeeping: failures, next refresh, last error, seats, why unlicensed */
	public function meta(): array {
		$m = get_option( $this->option( 'meta' ), array() );
		return is_array( $m ) ? $m : array();
	}

	/**
	 * Activates this site with $key. True, or a WP_Error whose code is the
	 * service's (seat_limit_reached, license_not_found, ...). On
	 * seat_limit_reached the key is kept so that the page can list the
	 * seats and free one.
	 *
	 * @return true|WP_Error
	 */
	public function activate( string $key ) {
		$key = trim( $key );
		if ( '' === $key ) {
			return new WP_Error( 'validation_failed', __( 'Enter a license key.', 'licensed' ) );
		}
		$res = $this->call(
			'/v1/activate',
			array(
				'license_key'   => $key,
				'product'       => $this->cfg['product'],
				'instance'      => $this->instance(),
				'instance_name' => substr( (string) get_bloginfo( 'name' ), 0, 200 ),
			)
		);
		if ( is_wp_error( $res ) ) {
			if ( 'seat_limit_reached' === $res->get_error_code() ) {
				update_option( $this->option( 'key' ), $key, false );
			}
			return $res;
		}
		$token = (string) ( $res['body']['token'] ?? '' );
		$err   = $this->accept( $token );
		if ( is_wp_error( $err ) ) {
			return $err;
		}
		update_option( $this->option( 'key' ), $key, false );
		$this->install( $token, $res['body']['license'] ?? array() );
		return true;
	}

	/**
	 * Frees this site's seat and forgets the token and the key. A seat or
	 * license the service no longer knows counts as freed.
	 *
	 * @return true|WP_Error
	 */
	public function deactivate() {
		$key = $this->license_key();
		if ( '' !== $key ) {
			$res = $this->call(
				'/v1/deactivate',
				array( 'license_key' => $key, 'product' => $this->cfg['product'], 'instance' => $this->instance() )
			);
			if ( is_wp_error( $res ) && ! in_array( $res->get_error_code(), array( 'activation_not_found', 'license_not_found' ), true ) ) {
				return $res;
			}
		}
		$this->forget();
		return true;
	}

	/**
	 * Where the license's seats are used (online).
	 *
	 * @return array<int, array<string, mixed>>|WP_Error
	 */
	public function seats() {
		$key = $this->license_key();
		if ( '' === $key ) {
			return array();
		}
		$res = $this->call( '/v1/activations', array( 'license_key' => $key, 'product' => $this->cfg['product'] ) );
		if ( is_wp_error( $res ) ) {
			return $res;
		}
		return is_array( $res['body']['data'] ?? null ) ? $res['body']['data'] : array();
	}

	/**
	 * Frees the seat of one activation (from seats()). Freeing this site's
	 * own seat drops its token, and keeps the key to activate again.
	 *
	 * @return true|WP_Error
	 */
	public function free_seat( string $activation_id ) {
		$key = $this->license_key();
		if ( '' === $key ) {
			return new WP_Error( 'no_license_key', __( 'No license key.', 'licensed' ) );
		}
		$res = $this->call(
			'/v1/deactivate',
			array( 'license_key' => $key, 'product' => $this->cfg['product'], 'activation_id' => $activation_id )
		);
		if ( is_wp_error( $res ) ) {
			return $res;
		}
		$c = $this->check();
		if ( $c['claims'] !== null && $c['claims']->activationId === $activation_id ) {
			$this->drop( __( 'This site\'s seat was freed.', 'licensed' ) );
		}
		return true;
	}

	/**
	 * The WP-Cron refresh: validates online and applies the verdict. A new
	 * token (active, or saying suspended or cancelled) replaces the old; an
	 * unknown key, a released seat, or a license past its expiry drops
	 * the site to unlicensed; anything else (network, 5xx, 429, a token
	 * that does not verify) keeps the current token and retries with
	 * backoff, so the plugin keeps working until its token expires.
	 */
	public function refresh() {
		$key = $this->license_key();
		if ( '' === $key ) {
			$this->unschedule();
			return;
		}
		$res = $this->call(
			'/v1/validate',
			array( 'license_key' => $key, 'product' => $this->cfg['product'], 'instance' => $this->instance() )
		);
		if ( is_wp_error( $res ) ) {
			if ( 'license_not_found' === $res->get_error_code() ) {
				$this->drop( $res->get_error_message() );
				return;
			}
			$this->fail( $res );
			return;
		}
		$body  = $res['body'];
		$token = (string) ( $body['token'] ?? '' );
		$code  = (string) ( $body['code'] ?? '' );
		if ( 'NOT_ACTIVATED' === $code ) {
			$this->drop( __( 'This site holds no seat of the license any more.', 'licensed' ) );
			return;
		}
		if ( '' === $token ) {
			$reasons = array(
				'EXPIRED'   => __( 'The license has expired.', 'licensed' ),
				'SUSPENDED' => __( 'The license is suspended and past its expiry.', 'licensed' ),
				'CANCELLED' => __( 'The license was cancelled and is past its expiry.', 'licensed' ),
			);
			if ( isset( $reasons[ $code ] ) ) {
				$this->drop( $reasons[ $code ] );
			} else {
				$this->fail( new WP_Error( 'bad_response', 'validation ' . $code . ' without a token' ) );
			}
			return;
		}
		$err = $this->accept( $token );
		if ( is_wp_error( $err ) ) {
			$this->fail( $err );
			return;
		}
		$this->install( $token, $body['licenses'][0] ?? array() );
	}

	/** Schedules the refresh when a token or key exists and none is scheduled. */
	public function ensure_scheduled() {
		if ( '' !== $this->license_key() && false === wp_next_scheduled( $this->hook() ) ) {
			$this->schedule( time() + self::MIN_GAP );
		}
	}

	public function unschedule() {
		wp_clear_scheduled_hook( $this->hook() );
	}

	/** Removes every option and the schedule of the plugin $slug (uninstall). */
	public static function uninstall( string $slug ) {
		foreach ( array( 'key', 'token', 'meta' ) as $name ) {
			delete_option( $slug . '_license_' . $name );
		}
		wp_clear_scheduled_hook( $slug . '_license_refresh' );
	}

	private function option( string $name ): string {
		return $this->cfg['slug'] . '_license_' . $name;
	}

	/** @param array<string, mixed> $meta */
	private function set_meta( array $meta ) {
		update_option( $this->option( 'meta' ), $meta, true );
		$this->checked = null;
	}

	private function verifier(): Verifier {
		if ( null === $this->verifier ) {
			$jwks = (string) $this->cfg['jwks'];
			if ( '' !== $jwks && '{' !== $jwks[0] ) {
				$jwks = (string) file_get_contents( $jwks );
			}
			$this->verifier = new Verifier(
				KeySet::fromJwks( $jwks ),
				array(
					'issuer'   => $this->cfg['issuer'],
					'product'  => $this->cfg['product'],
					'instance' => $this->instance(),
					'leeway'   => (int) $this->cfg['leeway'],
				)
			);
		}
		return $this->verifier;
	}

	/**
	 * Whether a token from the service may be installed: authentic, for
	 * this product and site, current. A token of an unusable license is
	 * news, and is installed.
	 *
	 * @return true|WP_Error
	 */
	private function accept( string $token ) {
		try {
			$this->verifier()->verify( $token );
		} catch ( LicenseUnusableException $e ) {
			return true;
		} catch ( InstanceMismatchException $e ) {
			return new WP_Error( 'instance', __( 'The service answered for another site.', 'licensed' ) . ' ' . $e->getMessage() );
		} catch ( VerifierException $e ) {
			return new WP_Error( $e->errorClass(), __( 'The service\'s token does not verify:', 'licensed' ) . ' ' . $e->getMessage() );
		}
		return true;
	}

	/** @param array<string, mixed> $license the product view of the license */
	private function install( string $token, array $license ) {
		update_option( $this->option( 'token' ), $token, true );
		$this->checked = null;
		$this->set_meta(
			array(
				'last_refresh' => time(),
				'failures'     => 0,
				'seats'        => (int) ( $license['seats'] ?? 0 ),
				'seats_used'   => (int) ( $license['seats_used'] ?? 0 ),
			)
		);
		$parts  = explode( '.', $token );
		$claims = json_decode( (string) base64_decode( strtr( $parts[1] ?? '', '-_', '+/' ) ), true );
		$iat    = (int) ( $claims['iat'] ?? time() );
		$life   = max( 0, (int) ( $claims['exp'] ?? 0 ) - $iat );
		// Half the token's life, less a random tenth so that sites
		// activated together do not call together.
		$this->schedule( max( time() + self::MIN_GAP, $iat + intdiv( $life, 2 ) - wp_rand( 0, (int) ( $life / 10 ) ) ) );
	}

	private function drop( string $reason ) {
		delete_option( $this->option( 'token' ) );
		$this->checked = null;
		$this->set_meta( array( 'dropped' => $reason, 'last_refresh' => time(), 'failures' => 0 ) );
		$this->schedule( time() + self::RECHECK );
	}

	private function fail( WP_Error $err ) {
		$meta             = $this->meta();
		$failures         = (int) ( $meta['failures'] ?? 0 ) + 1;
		$delay            = (int) min( self::BACKOFF_MAX, self::BACKOFF_MIN * ( 2 ** min( $failures - 1, 10 ) ) );
		$delay            = intdiv( $delay, 2 ) + wp_rand( 0, intdiv( $delay, 2 ) );
		$retry_after      = (int) ( $err->get_error_data()['retry_after'] ?? 0 );
		$delay            = max( $delay, min( $retry_after, self::BACKOFF_MAX ) );
		$meta['failures'] = $failures;
		$meta['last_error'] = $err->get_error_message();
		$this->set_meta( $meta );
		$this->schedule( time() + $delay );
	}

	private function forget() {
		delete_option( $this->option( 'token' ) );
		delete_option( $this->option( 'key' ) );
		delete_option( $this->option( 'meta' ) );
		$this->checked = null;
		$this->unschedule();
	}

	private function schedule( int $at ) {
		$this->unschedule();
		wp_schedule_single_event( $at, $this->hook() );
		$meta                 = $this->meta();
		$meta['next_refresh'] = $at;
		update_option( $this->option( 'meta' ), $meta, true );
	}

	/**
	 * POSTs JSON to the service. The decoded answer of a 2xx, or a WP_Error
	 * with the problem's code (or http_request_failed, bad_response), its
	 * detail as message, and status and retry_after as data. The license
	 * key goes in the body only, never in a URL.
	 *
	 * @param array<string, mixed> $body
	 * @return array{status: int, body: array<string, mixed>}|WP_Error
	 */
	private function call( string $path, array $body ) {
		$url    = $this->cfg['service'] . $path;
		$scheme = wp_parse_url( $url, PHP_URL_SCHEME );
		$host   = (string) wp_parse_url( $url, PHP_URL_HOST );
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && ( $this->cfg['allow_insecure'] || self::loopback( $host ) ) ) ) {
			return new WP_Error( 'insecure_service', __( 'The license service must be reached over https://.', 'licensed' ) );
		}
		$res = wp_remote_post(
			$url,
			array(
				'timeout'     => 10,
				'redirection' => 0,
				'user-agent'  => $this->cfg['slug'] . ' licensed-wp/1.0; ' . home_url(),
				'headers'     => array( 'Content-Type' => 'application/json', 'Accept' => 'application/json' ),
				'body'        => wp_json_encode( $body ),
			)
		);
		if ( is_wp_error( $res ) ) {
			return new WP_Error( 'http_request_failed', __( 'The license service could not be reached:', 'licensed' ) . ' ' . $res->get_error_message(), array( 'status' => 0 ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $res );
		$data   = json_decode( (string) wp_remote_retrieve_body( $res ), true );
		if ( $status >= 200 && $status < 300 && is_array( $data ) ) {
			return array( 'status' => $status, 'body' => $data );
		}
		$retry = (int) wp_remote_retrieve_header( $res, 'retry-after' );
		if ( $status >= 400 && is_array( $data ) && isset( $data['code'] ) ) {
			$message = (string) ( $data['detail'] ?? $data['title'] ?? $data['code'] );
			return new WP_Error( (string) $data['code'], $message, array( 'status' => $status, 'retry_after' => $retry ) + $data );
		}
		/* translators: %d: HTTP status */
		return new WP_Error( 'bad_response', sprintf( __( 'The license service answered %d.', 'licensed' ), $status ), array( 'status' => $status, 'retry_after' => $retry ) );
	}

	private static function loopback( string $host ): bool {
		$host = trim( strtolower( $host ), '[]' );
		if ( 'localhost' === $host || '::1' === $host ) {
			return true;
		}
		return false !== filter_var( $host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4 ) && 0 === strpos( $host, '127.' );
	}
}
