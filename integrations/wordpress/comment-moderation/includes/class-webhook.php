<?php
/**
 * POST /wp-json/comment-moderation/v1/webhook: the service's signed events. The signature
 * (HMAC-SHA256 of "timestamp.body" with the webhook secret, header Moderation-Signature:
 * t=...,v1=...[,v1=...]) is checked with hash_equals, and a timestamp more than five minutes
 * away is refused: a forged or replayed request changes nothing.
 */

defined( 'ABSPATH' ) || exit;

class Comment_Moderation_Webhook {
	const ROUTE_NAMESPACE = 'comment-moderation/v1';
	const ROUTE           = '/webhook';
	const TOLERANCE       = 300;

	/** Event => the service state it leaves the comment in (taken down: refused after all). */
	const EVENT_STATES = array(
		'comment.approved'   => 'approved',
		'comment.pending'    => 'pending',
		'comment.rejected'   => 'rejected',
		'comment.spam'       => 'spam',
		'comment.taken_down' => 'rejected',
	);

	public static function register() {
		add_action( 'rest_api_init', array( __CLASS__, 'register_route' ) );
	}

	public static function url() {
		return rest_url( self::ROUTE_NAMESPACE . self::ROUTE );
	}

	public static function register_route() {
		register_rest_route(
			self::ROUTE_NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive' ),
				// The signature is the authentication: checked first thing in receive().
				'permission_callback' => '__return_true',
			)
		);
	}

	public static function receive( WP_REST_Request $request ) {
		$settings = Comment_Moderation_Settings::get();
		$body     = $request->get_body();
		$header   = (string) $request->get_header( 'moderation_signature' );
		if ( '' === $settings['webhook_secret'] || ! self::verify( $settings['webhook_secret'], $body, $header, time() ) ) {
			return new WP_REST_Response( array( 'error' => 'bad signature' ), 401 );
		}
		$event = json_decode( $body, true );
		if ( ! is_array( $event ) || ! isset( $event['type'], $event['comment']['id'] ) || ! is_string( $event['comment']['id'] ) ) {
			return new WP_REST_Response( array( 'error' => 'not an event' ), 400 );
		}
		$state = self::state_for( $event );
		if ( null === $state ) {
			return new WP_REST_Response( array( 'result' => 'ignored' ), 200 );
		}
		$comment_id = Comment_Moderation_Decisions::find( $event['comment']['id'] );
		if ( ! $comment_id ) {
			// Not (yet) known here: a 404 makes the service try again later, which covers an
			// event that overtakes the reply to the comment's own submission.
			return new WP_REST_Response( array( 'error' => 'unknown comment' ), 404 );
		}
		$at     = isset( $event['created_at'] ) ? (string) $event['created_at'] : '';
		$result = Comment_Moderation_Decisions::apply( $comment_id, $state, $at );
		return new WP_REST_Response( array( 'result' => $result, 'comment' => $comment_id ), 200 );
	}

	/** The service state an event means; a report that hid the comment holds it here too. */
	private static function state_for( array $event ) {
		if ( isset( self::EVENT_STATES[ $event['type'] ] ) ) {
			return self::EVENT_STATES[ $event['type'] ];
		}
		if ( 'comment.reported' === $event['type'] && ! empty( $event['decision']['reports']['hidden'] ) ) {
			return 'pending';
		}
		return null;
	}

	/** True when one v1 signature in $header is the HMAC of "t.body" and t is recent. */
	public static function verify( $secret, $body, $header, $now ) {
		$timestamp  = null;
		$signatures = array();
		foreach ( explode( ',', $header ) as $part ) {
			$pair = explode( '=', trim( $part ), 2 );
			if ( 2 !== count( $pair ) ) {
				continue;
			}
			if ( 't' === $pair[0] ) {
				$timestamp = $pair[1];
			} elseif ( 'v1' === $pair[0] ) {
				$signatures[] = $pair[1];
			}
		}
		if ( null === $timestamp || ! ctype_digit( $timestamp ) || abs( $now - (int) $timestamp ) > self::TOLERANCE ) {
			return false;
		}
		$expected = hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
		foreach ( $signatures as $signature ) {
			if ( hash_equals( $expected, $signature ) ) {
				return true;
			}
		}
		return false;
	}
}
