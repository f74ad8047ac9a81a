<?php
/**
 * Settings > Comment moderation: the service's address, the site's secret key, the webhook
 * secret and the timeouts. Stored in one option, `comment_moderation`.
 */

defined( 'ABSPATH' ) || exit;

class Comment_Moderation_Settings {
	const OPTION = 'comment_moderation';
	const PAGE   = 'comment-moderation';

	/** Field => default. Secrets are never printed back into the form. */
	const DEFAULTS = array(
		'endpoint'       => '',
		'secret_key'     => '',
		'webhook_secret' => '',
		'format'         => 'filtered_html',
		'timeout'        => 5,
		'poll_seconds'   => 3,
	);
	const SECRETS = array( 'secret_key', 'webhook_secret' );
	const FORMATS = array( 'filtered_html', 'plain_text' );

	public static function register() {
		add_action( 'admin_init', array( __CLASS__, 'register_setting' ) );
		add_action( 'admin_menu', array( __CLASS__, 'add_page' ) );
	}

	/** The settings, with defaults for what was never saved. */
	public static function get() {
		$saved = get_option( self::OPTION, array() );
		return array_merge( self::DEFAULTS, is_array( $saved ) ? $saved : array() );
	}

	/** Sending needs both the address and the key; until then WordPress moderates alone. */
	public static function is_configured() {
		$settings = self::get();
		return '' !== $settings['endpoint'] && '' !== $settings['secret_key'];
	}

	public static function register_setting() {
		register_setting(
			self::PAGE,
			self::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => self::DEFAULTS,
			)
		);
	}

	/** Validates a submitted form; an empty secret field keeps the secret already saved. */
	public static function sanitize( $input ) {
		$old   = self::get();
		$input = is_array( $input ) ? wp_unslash( $input ) : array();
		$clean = $old;

		$endpoint = isset( $input['endpoint'] ) ? trim( (string) $input['endpoint'] ) : $old['endpoint'];
		if ( '' === $endpoint || self::is_http_url( $endpoint ) ) {
			$clean['endpoint'] = untrailingslashit( esc_url_raw( $endpoint, array( 'http', 'https' ) ) );
		} else {
			add_settings_error( self::OPTION, 'endpoint', __( 'The service address must be an http:// or https:// URL.', 'comment-moderation' ) );
		}
		foreach ( self::SECRETS as $field ) {
			$value = isset( $input[ $field ] ) ? trim( (string) $input[ $field ] ) : '';
			if ( '' !== $value ) {
				$clean[ $field ] = $value;
			}
			if ( ! empty( $input[ 'clear_' . $field ] ) ) {
				$clean[ $field ] = '';
			}
		}
		$format          = isset( $input['format'] ) ? (string) $input['format'] : $old['format'];
		$clean['format'] = in_array( $format, self::FORMATS, true ) ? $format : 'filtered_html';
		$clean['timeout']      = self::bounded( $input, 'timeout', 1, 30, $old['timeout'] );
		$clean['poll_seconds'] = self::bounded( $input, 'poll_seconds', 0, 20, $old['poll_seconds'] );
		return $clean;
	}

	private static function is_http_url( $url ) {
		$scheme = wp_parse_url( $url, PHP_URL_SCHEME );
		$host   = wp_parse_url( $url, PHP_URL_HOST );
		return in_array( $scheme, array( 'http', 'https' ), true ) && ! empty( $host );
	}

	private static function bounded( $input, $field, $min, $max, $fallback ) {
		if ( ! isset( $input[ $field ] ) || ! is_numeric( $input[ $field ] ) ) {
			return $fallback;
		}
		return max( $min, min( $max, (int) $input[ $field ] ) );
	}

	public static function add_page() {
		add_options_page(
			__( 'Comment moderation service', 'comment-moderation' ),
			__( 'Comment moderation', 'comment-moderation' ),
			'manage_options',
			self::PAGE,
			array( __CLASS__, 'render_page' )
		);
	}

	public static function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$settings   = self::get();
		$last_error = get_option( 'comment_moderation_last_error' );
		$name       = self::OPTION;
		?>
		<div class="wrap">
			<h1><?php esc_html_e( 'Comment moderation service', 'comment-moderation' ); ?></h1>
			<?php settings_errors( self::OPTION ); ?>
			<?php if ( is_array( $last_error ) ) : ?>
				<div class="notice notice-warning"><p id="comment-moderation-last-error">
					<?php
					/* translators: 1: time, 2: error message */
					printf( esc_html__( 'Last error (%1$s): %2$s', 'comment-moderation' ), esc_html( $last_error['at'] ), esc_html( $last_error['message'] ) );
					?>
				</p></div>
			<?php endif; ?>
			<form method="post" action="options.php">
				<?php settings_fields( self::PAGE ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="cm-endpoint"><?php esc_html_e( 'Service address', 'comment-moderation' ); ?></label></th>
						<td><input type="url" class="regular-text" id="cm-endpoint" name="<?php echo esc_attr( $name ); ?>[endpoint]" value="<?php echo esc_attr( $settings['endpoint'] ); ?>" placeholder="https://moderation.example">
						<p class="description"><?php esc_html_e( 'Where the service answers, without /api/v1.', 'comment-moderation' ); ?></p></td>
					</tr>
					<?php self::secret_row( 'secret_key', __( 'Secret key', 'comment-moderation' ), __( 'The site\'s secret key (mk_…), from the service\'s admin.', 'comment-moderation' ), $settings ); ?>
					<?php self::secret_row( 'webhook_secret', __( 'Webhook secret', 'comment-moderation' ), __( 'The secret (whsec_…) the service showed when this site\'s webhook endpoint was created.', 'comment-moderation' ), $settings ); ?>
					<tr>
						<th scope="row"><?php esc_html_e( 'Webhook address', 'comment-moderation' ); ?></th>
						<td><code id="cm-webhook-url"><?php echo esc_html( Comment_Moderation_Webhook::url() ); ?></code>
						<p class="description"><?php esc_html_e( 'Register this address with the service, for the events comment.approved, comment.pending, comment.rejected, comment.spam, comment.taken_down and comment.reported.', 'comment-moderation' ); ?></p></td>
					</tr>
					<tr>
						<th scope="row"><label for="cm-format"><?php esc_html_e( 'Text format', 'comment-moderation' ); ?></label></th>
						<td><select id="cm-format" name="<?php echo esc_attr( $name ); ?>[format]">
							<?php foreach ( self::FORMATS as $format ) : ?>
								<option value="<?php echo esc_attr( $format ); ?>" <?php selected( $settings['format'], $format ); ?>><?php echo esc_html( $format ); ?></option>
							<?php endforeach; ?>
						</select></td>
					</tr>
					<tr>
						<th scope="row"><label for="cm-timeout"><?php esc_html_e( 'Timeout (seconds)', 'comment-moderation' ); ?></label></th>
						<td><input type="number" min="1" max="30" id="cm-timeout" name="<?php echo esc_attr( $name ); ?>[timeout]" value="<?php echo esc_attr( $settings['timeout'] ); ?>">
						<p class="description"><?php esc_html_e( 'How long to wait for the service to accept a comment.', 'comment-moderation' ); ?></p></td>
					</tr>
					<tr>
						<th scope="row"><label for="cm-poll"><?php esc_html_e( 'Wait for the decision (seconds)', 'comment-moderation' ); ?></label></th>
						<td><input type="number" min="0" max="20" id="cm-poll" name="<?php echo esc_attr( $name ); ?>[poll_seconds]" value="<?php echo esc_attr( $settings['poll_seconds'] ); ?>">
						<p class="description"><?php esc_html_e( 'The reader waits this long at most; a decision that comes later arrives by webhook.', 'comment-moderation' ); ?></p></td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>
		</div>
		<?php
	}

	private static function secret_row( $field, $label, $help, $settings ) {
		$name = self::OPTION;
		$set  = '' !== $settings[ $field ];
		?>
		<tr>
			<th scope="row"><label for="cm-<?php echo esc_attr( $field ); ?>"><?php echo esc_html( $label ); ?></label></th>
			<td><input type="password" class="regular-text" autocomplete="off" id="cm-<?php echo esc_attr( $field ); ?>" name="<?php echo esc_attr( $name ); ?>[<?php echo esc_attr( $field ); ?>]" value=""
				placeholder="<?php echo $set ? esc_attr__( 'saved (leave empty to keep it)', 'comment-moderation' ) : ''; ?>">
			<?php if ( $set ) : ?>
				<label><input type="checkbox" name="<?php echo esc_attr( $name ); ?>[clear_<?php echo esc_attr( $field ); ?>]" value="1"> <?php esc_html_e( 'Remove', 'comment-moderation' ); ?></label>
			<?php endif; ?>
			<p class="description"><?php echo esc_html( $help ); ?></p></td>
		</tr>
		<?php
	}
}
