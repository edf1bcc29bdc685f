<?php
/**
 * The license settings page of a Licensed_WP_License, its forms (activate,
 * deactivate, refresh, free a seat) and the admin notices. Every form has
 * a nonce and a capability check; every output is escaped.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Licensed_WP_License_Page {

	/** @var Licensed_WP_License */
	private $license;

	public function __construct( Licensed_WP_License $license ) {
		$this->license = $license;
	}

	public function register() {
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_notices', array( $this, 'notices' ) );
		foreach ( array( 'activate', 'deactivate', 'refresh', 'free_seat' ) as $action ) {
			add_action( 'admin_post_' . $this->action( $action ), array( $this, 'handle_' . $action ) );
		}
	}

	/** The page's slug: options-general.php?page=<slug>-license */
	public function slug(): string {
		return $this->license->cfg( 'slug' ) . '-license';
	}

	public function url(): string {
		return admin_url( 'options-general.php?page=' . $this->slug() );
	}

	private function action( string $name ): string {
		return $this->license->cfg( 'slug' ) . '_license_' . $name;
	}

	private function capability(): string {
		return (string) $this->license->cfg( 'capability' );
	}

	public function menu() {
		/* translators: %s: plugin name */
		$title = sprintf( __( '%s License', 'licensed' ), $this->license->cfg( 'name' ) );
		add_options_page( $title, $title, $this->capability(), $this->slug(), array( $this, 'render' ) );
	}

	/** Status words of check()'s states. */
	private static function label( string $state ): string {
		$labels = array(
			'active'     => __( 'Active', 'licensed' ),
			'grace'      => __( 'Active (grace period)', 'licensed' ),
			'suspended'  => __( 'Suspended', 'licensed' ),
			'cancelled'  => __( 'Cancelled', 'licensed' ),
			'expired'    => __( 'Expired', 'licensed' ),
			'unusable'   => __( 'Not usable', 'licensed' ),
			'stale'      => __( 'Not confirmed for too long', 'licensed' ),
			'invalid'    => __( 'Invalid', 'licensed' ),
			'unlicensed' => __( 'Not activated', 'licensed' ),
		);
		return $labels[ $state ] ?? $state;
	}

	private static function date( ?int $ts ): string {
		return null === $ts ? __( 'never (perpetual)', 'licensed' ) : wp_date( get_option( 'date_format' ), $ts );
	}

	/** Admin notices: suspended, cancelled, expired, grace, stale. */
	public function notices() {
		if ( ! current_user_can( $this->capability() ) ) {
			return;
		}
		$c    = $this->license->check();
		$name = (string) $this->license->cfg( 'name' );
		$link = ' <a href="' . esc_url( $this->url() ) . '">' . esc_html__( 'License settings', 'licensed' ) . '</a>';
		switch ( $c['state'] ) {
			case 'grace':
				$ends = (int) $c['claims']->graceUntil;
				/* translators: 1: plugin name, 2: date */
				$text  = sprintf( __( 'Your %1$s license has expired. It keeps working until %2$s: renew it to keep updates and support.', 'licensed' ), $name, self::date( $ends ) );
				$class = 'notice-warning';
				break;
			case 'suspended':
				/* translators: %s: plugin name */
				$text  = sprintf( __( 'Your %s license is suspended: its licensed features are off. Contact the vendor to restore it.', 'licensed' ), $name );
				$class = 'notice-error';
				break;
			case 'cancelled':
				/* translators: %s: plugin name */
				$text  = sprintf( __( 'Your %s license was cancelled: its licensed features are off.', 'licensed' ), $name );
				$class = 'notice-error';
				break;
			case 'expired':
				/* translators: %s: plugin name */
				$text  = sprintf( __( 'Your %s license has expired: renew it to turn its licensed features back on.', 'licensed' ), $name );
				$class = 'notice-error';
				break;
			case 'stale':
				/* translators: %s: plugin name */
				$text  = sprintf( __( '%s could not reach its license service for too long: its licensed features are off until it does.', 'licensed' ), $name );
				$class = 'notice-error';
				break;
			default:
				return;
		}
		printf(
			'<div class="notice %1$s licensed-notice licensed-notice-%2$s"><p>%3$s%4$s</p></div>',
			esc_attr( $class ),
			esc_attr( $c['state'] ),
			esc_html( $text ),
			$link // built from esc_url and esc_html above
		);
	}

	public function render() {
		if ( ! current_user_can( $this->capability() ) ) {
			wp_die( esc_html__( 'You are not allowed to manage this license.', 'licensed' ), 403 );
		}
		$c    = $this->license->check();
		$meta = $this->license->meta();
		$key  = $this->license->license_key();
		$slug = $this->license->cfg( 'slug' );
		echo '<div class="wrap licensed-license">';
		echo '<h1>' . esc_html( get_admin_page_title() ) . '</h1>';
		$this->flash();

		echo '<table class="form-table" role="presentation"><tbody>';
		printf(
			'<tr><th scope="row">%s</th><td><strong class="licensed-status licensed-status-%s">%s</strong>%s</td></tr>',
			esc_html__( 'Status', 'licensed' ),
			esc_attr( $c['state'] ),
			esc_html( self::label( $c['state'] ) ),
			'' !== $c['detail'] ? ' <span class="description">' . esc_html( $c['detail'] ) . '</span>' : ''
		);
		if ( null !== $c['claims'] ) {
			$claims = $c['claims'];
			printf(
				'<tr><th scope="row">%s</th><td class="licensed-expiry">%s</td></tr>',
				esc_html__( 'License expires', 'licensed' ),
				esc_html( self::date( $claims->licenseExpiry ) )
			);
			if ( 'grace' === $c['state'] ) {
				printf(
					'<tr><th scope="row">%s</th><td class="licensed-grace">%s</td></tr>',
					esc_html__( 'Grace period ends', 'licensed' ),
					esc_html( self::date( $claims->graceUntil ) )
				);
			}
			printf(
				'<tr><th scope="row">%s</th><td class="licensed-seats">%s</td></tr>',
				esc_html__( 'Seats', 'licensed' ),
				/* translators: 1: seats in use, 2: seat limit */
				esc_html( sprintf( __( '%1$d of %2$d in use', 'licensed' ), (int) ( $meta['seats_used'] ?? 0 ), $claims->seats ) )
			);
		}
		if ( ! empty( $meta['last_error'] ) && (int) ( $meta['failures'] ?? 0 ) > 0 ) {
			printf(
				'<tr><th scope="row">%s</th><td class="licensed-last-error">%s</td></tr>',
				esc_html__( 'Last refresh failed', 'licensed' ),
				esc_html( (string) $meta['last_error'] )
			);
		}
		if ( ! empty( $meta['next_refresh'] ) ) {
			printf(
				'<tr><th scope="row">%s</th><td>%s</td></tr>',
				esc_html__( 'Next check', 'licensed' ),
				esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $meta['next_refresh'] ) )
			);
		}
		echo '</tbody></table>';

		if ( null === $c['claims'] && 'stale' !== $c['state'] ) {
			$this->form_start( 'activate' );
			printf(
				'<p><label for="%1$s-license-key">%2$s</label><br><input type="text" class="regular-text code" id="%1$s-license-key" name="license_key" value="%3$s" autocomplete="off" spellcheck="false"></p>',
				esc_attr( $slug ),
				esc_html__( 'License key', 'licensed' ),
				esc_attr( $key )
			);
			submit_button( __( 'Activate', 'licensed' ), 'primary', 'licensed-activate', false );
			echo '</form>';
		} else {
			$this->form_start( 'deactivate' );
			submit_button( __( 'Deactivate this site', 'licensed' ), 'secondary', 'licensed-deactivate', false );
			echo '</form> ';
			$this->form_start( 'refresh' );
			submit_button( __( 'Check now', 'licensed' ), 'secondary', 'licensed-refresh', false );
			echo '</form>';
		}
		if ( '' !== $key ) {
			$this->seats( $c );
		}
		echo '</div>';
	}

	/** The seats in use (online), each with a button to free it. */
	private function seats( array $c ) {
		echo '<h2>' . esc_html__( 'Sites using this license', 'licensed' ) . '</h2>';
		$seats = $this->license->seats();
		if ( is_wp_error( $seats ) ) {
			echo '<p class="licensed-seats-error">' . esc_html( $seats->get_error_message() ) . '</p>';
			return;
		}
		if ( array() === $seats ) {
			echo '<p class="licensed-no-seats">' . esc_html__( 'No site uses a seat of this license.', 'licensed' ) . '</p>';
			return;
		}
		$own = null !== $c['claims'] ? $c['claims']->activationId : '';
		echo '<table class="widefat striped licensed-seat-list"><thead><tr>';
		foreach ( array( __( 'Site', 'licensed' ), __( 'Name', 'licensed' ), __( 'Last seen', 'licensed' ), '' ) as $h ) {
			echo '<th>' . esc_html( $h ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $seats as $seat ) {
			$id   = (string) ( $seat['id'] ?? '' );
			$seen = strtotime( (string) ( $seat['last_seen_at'] ?? '' ) );
			echo '<tr data-activation="' . esc_attr( $id ) . '">';
			echo '<td><code>' . esc_html( (string) ( $seat['instance'] ?? '' ) ) . '</code>' . ( $id === $own ? ' <em>' . esc_html__( '(this site)', 'licensed' ) . '</em>' : '' ) . '</td>';
			echo '<td>' . esc_html( (string) ( $seat['instance_name'] ?? '' ) ) . '</td>';
			echo '<td>' . esc_html( $seen ? wp_date( get_option( 'date_format' ), $seen ) : '' ) . '</td><td>';
			$this->form_start( 'free_seat' );
			echo '<input type="hidden" name="activation_id" value="' . esc_attr( $id ) . '">';
			submit_button( __( 'Free this seat', 'licensed' ), 'small', 'licensed-free-' . $id, false );
			echo '</form></td></tr>';
		}
		echo '</tbody></table>';
	}

	private function form_start( string $action ) {
		printf(
			'<form method="post" action="%s" class="licensed-form licensed-form-%s" style="display:inline-block;margin-right:8px">',
			esc_url( admin_url( 'admin-post.php' ) ),
			esc_attr( $action )
		);
		echo '<input type="hidden" name="action" value="' . esc_attr( $this->action( $action ) ) . '">';
		wp_nonce_field( $this->action( $action ) );
	}

	/** Checks the capability and the nonce of a form post. */
	private function guard( string $action ) {
		if ( ! current_user_can( $this->capability() ) ) {
			wp_die( esc_html__( 'You are not allowed to manage this license.', 'licensed' ), 403 );
		}
		check_admin_referer( $this->action( $action ) );
	}

	public function handle_activate() {
		$this->guard( 'activate' );
		$key = isset( $_POST['license_key'] ) ? sanitize_text_field( wp_unslash( $_POST['license_key'] ) ) : '';
		$res = $this->license->activate( $key );
		$this->done( $res, __( 'This site is activated.', 'licensed' ) );
	}

	public function handle_deactivate() {
		$this->guard( 'deactivate' );
		$this->done( $this->license->deactivate(), __( 'This site is deactivated; its seat is free.', 'licensed' ) );
	}

	public function handle_refresh() {
		$this->guard( 'refresh' );
		$this->license->refresh();
		$meta = $this->license->meta();
		$res  = (int) ( $meta['failures'] ?? 0 ) > 0 ? new WP_Error( 'refresh_failed', (string) ( $meta['last_error'] ?? '' ) ) : true;
		$this->done( $res, __( 'The license was checked with the service.', 'licensed' ) );
	}

	public function handle_free_seat() {
		$this->guard( 'free_seat' );
		$id = isset( $_POST['activation_id'] ) ? sanitize_text_field( wp_unslash( $_POST['activation_id'] ) ) : '';
		$this->done( $this->license->free_seat( $id ), __( 'The seat is free.', 'licensed' ) );
	}

	/**
	 * Stores the outcome for the next page view of this user, and goes
	 * back to the page (post/redirect/get).
	 *
	 * @param true|WP_Error $res
	 */
	private function done( $res, string $ok ) {
		$flash = array( 'ok' => true, 'message' => $ok );
		if ( is_wp_error( $res ) ) {
			$message = $res->get_error_message();
			$data    = $res->get_error_data();
			if ( 'seat_limit_reached' === $res->get_error_code() && is_array( $data ) ) {
				/* translators: 1: seats in use, 2: seat limit */
				$message = sprintf( __( 'All seats are in use (%1$d of %2$d): free one below, then activate again.', 'licensed' ), (int) ( $data['seats_used'] ?? 0 ), (int) ( $data['seats'] ?? 0 ) );
			}
			$flash = array( 'ok' => false, 'message' => $message );
		}
		set_transient( $this->flash_key(), $flash, 60 );
		wp_safe_redirect( $this->url() );
		exit;
	}

	private function flash_key(): string {
		return $this->license->cfg( 'slug' ) . '_license_flash_' . get_current_user_id();
	}

	private function flash() {
		$flash = get_transient( $this->flash_key() );
		if ( ! is_array( $flash ) ) {
			return;
		}
		delete_transient( $this->flash_key() );
		printf(
			'<div class="notice %s is-dismissible licensed-flash"><p>%s</p></div>',
			$flash['ok'] ? 'notice-success' : 'notice-error',
			esc_html( (string) $flash['message'] )
		);
	}
}
