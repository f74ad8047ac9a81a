<?php
/**
 * The service's REST API, as this plug-in uses it: submit a comment, read its state.
 * Every call returns an array: ['ok' => true, 'status' => int, 'body' => array] or
 * ['ok' => false, 'error' => string] (not reachable, timed out, refused, not JSON).
 */

defined( 'ABSPATH' ) || exit;

class Comment_Moderation_Client {
	/** POST /api/v1/comments. The Idempotency-Key makes a retry return the first answer. */
	public static function submit( array $payload, $idempotency_key ) {
		return self::request(
			'POST',
			'/api/v1/comments',
			array(
				'headers' => array(
					'Content-Type'    => 'application/json',
					'Idempotency-Key' => $idempotency_key,
				),
				'body'    => wp_json_encode( $payload ),
			)
		);
	}

	/** GET /api/v1/comments/{id}: its status, and its decision once decided. */
	public static function fetch( $comment_id, $timeout = null ) {
		return self::request( 'GET', '/api/v1/comments/' . rawurlencode( $comment_id ), array(), $timeout );
	}

	private static function request( $method, $path, array $args, $timeout = null ) {
		$settings = Comment_Moderation_Settings::get();
		$args     = array_merge(
			$args,
			array(
				'method'      => $method,
				'timeout'     => null === $timeout ? (float) $settings['timeout'] : (float) $timeout,
				'redirection' => 0,
				'user-agent'  => 'comment-moderation-wordpress/' . COMMENT_MODERATION_VERSION,
			)
		);
		$args['headers'] = array_merge(
			isset( $args['headers'] ) ? $args['headers'] : array(),
			array(
				'Authorization' => 'Bearer ' . $settings['secret_key'],
				'Accept'        => 'application/json',
			)
		);
		$response = wp_remote_request( $settings['endpoint'] . $path, $args );
		if ( is_wp_error( $response ) ) {
			return array( 'ok' => false, 'error' => $response->get_error_message() );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$body   = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $body ) ) {
			return array( 'ok' => false, 'error' => sprintf( 'HTTP %d with a body that is not JSON', $status ) );
		}
		if ( $status >= 300 ) {
			// The service's errors are problem documents: title, detail, and the wrong field.
			$detail = isset( $body['detail'] ) ? $body['detail'] : ( isset( $body['title'] ) ? $body['title'] : '' );
			return array( 'ok' => false, 'status' => $status, 'error' => sprintf( 'HTTP %d: %s', $status, $detail ) );
		}
		return array( 'ok' => true, 'status' => $status, 'body' => $body );
	}
}
