<?php
/**
 * New comments: hold each one, send it to the service, wait briefly for the decision.
 * A comment the service could not take (down, timed out, overloaded) stays held, the
 * error is recorded on it, and WP-Cron sends it again every five minutes for a day.
 */

defined( 'ABSPATH' ) || exit;

class Comment_Moderation_Submission {
	const META_RETRY     = '_comment_moderation_retry';
	const RETRY_HOOK     = 'comment_moderation_retry';
	const RETRY_SCHEDULE = 'comment_moderation_five_minutes';
	const RETRY_FOR      = DAY_IN_SECONDS;

	public static function register() {
		// Late, so WordPress's own checks (blocklist => spam or trash) have had their say.
		add_filter( 'pre_comment_approved', array( __CLASS__, 'hold' ), 99, 2 );
		// Early: before WordPress mails the moderator about a held comment.
		add_action( 'comment_post', array( __CLASS__, 'on_comment_post' ), 1, 2 );
		add_filter( 'cron_schedules', array( __CLASS__, 'add_schedule' ) );
		add_action( self::RETRY_HOOK, array( __CLASS__, 'retry_unsent' ) );
		add_action( 'init', array( __CLASS__, 'schedule_retries' ) );
	}

	public static function hold( $approved, $commentdata ) {
		if ( ! Comment_Moderation_Settings::is_configured() || is_wp_error( $approved ) ) {
			return $approved;
		}
		return in_array( $approved, array( 'spam', 'trash' ), true ) ? $approved : 0;
	}

	public static function on_comment_post( $comment_id, $approved ) {
		if ( ! Comment_Moderation_Settings::is_configured() || in_array( $approved, array( 'spam', 'trash' ), true ) ) {
			return;
		}
		$service_id = self::send( (int) $comment_id );
		if ( $service_id ) {
			self::wait_for_decision( (int) $comment_id, $service_id );
		}
	}

	/** Sends the comment; returns the service's id, or '' (the error is recorded). */
	public static function send( $comment_id ) {
		$comment = get_comment( $comment_id );
		if ( ! $comment ) {
			return '';
		}
		$result = Comment_Moderation_Client::submit( self::payload( $comment ), self::idempotency_key( $comment_id ) );
		if ( ! $result['ok'] ) {
			$transient = ! isset( $result['status'] ) || $result['status'] >= 500 || 429 === $result['status'] || 409 === $result['status'];
			self::record_error( $comment_id, $result['error'], $transient );
			return '';
		}
		$service_id = isset( $result['body']['id'] ) ? (string) $result['body']['id'] : '';
		update_comment_meta( $comment_id, Comment_Moderation_Decisions::META_ID, $service_id );
		delete_comment_meta( $comment_id, Comment_Moderation_Decisions::META_ERROR );
		delete_comment_meta( $comment_id, self::META_RETRY );
		return $service_id;
	}

	/** Polls the comment's state for poll_seconds at most; the webhook brings a later decision. */
	public static function wait_for_decision( $comment_id, $service_id ) {
		$settings = Comment_Moderation_Settings::get();
		$deadline = microtime( true ) + (float) $settings['poll_seconds'];
		$pause    = 0.05;
		while ( microtime( true ) + $pause < $deadline ) {
			usleep( (int) ( $pause * 1000000 ) );
			$pause  = min( 0.5, $pause * 2 );
			$result = Comment_Moderation_Client::fetch( $service_id, max( 0.5, $deadline - microtime( true ) ) );
			if ( ! $result['ok'] ) {
				continue;
			}
			$state = isset( $result['body']['status'] ) ? $result['body']['status'] : '';
			if ( Comment_Moderation_Decisions::is_final( $state ) ) {
				Comment_Moderation_Decisions::apply( $comment_id, $state, self::decided_at( $result['body'] ) );
				return $state;
			}
		}
		return '';
	}

	private static function decided_at( array $comment ) {
		if ( isset( $comment['decision']['decided_at'] ) ) {
			return (string) $comment['decision']['decided_at'];
		}
		return isset( $comment['updated_at'] ) ? (string) $comment['updated_at'] : '';
	}

	/** What the service is told: the post is the thread; nothing the form did not ask for. */
	public static function payload( WP_Comment $comment ) {
		$settings = Comment_Moderation_Settings::get();
		$post_id  = (int) $comment->comment_post_ID;
		// WordPress stores the author's name HTML-escaped; the service wants the plain text.
		$name    = trim( html_entity_decode( $comment->comment_author, ENT_QUOTES | ENT_HTML5, 'UTF-8' ) );
		$payload = array(
			'thread'       => (string) apply_filters( 'comment_moderation_thread_id', 'post-' . $post_id, $post_id ),
			'thread_title' => mb_substr( html_entity_decode( wp_strip_all_tags( get_the_title( $post_id ) ), ENT_QUOTES | ENT_HTML5, 'UTF-8' ), 0, 300 ),
			'author'       => array( 'name' => '' === $name ? __( 'Anonymous', 'comment-moderation' ) : mb_substr( $name, 0, 100 ) ),
			'body'         => $comment->comment_content,
			'format'       => $settings['format'],
			'client'       => array(),
		);
		$url = get_permalink( $post_id );
		if ( $url && preg_match( '#^https?://#i', $url ) && strlen( $url ) <= 2048 ) {
			$payload['thread_url'] = $url;
		}
		if ( $comment->comment_author_email && is_email( $comment->comment_author_email ) && strlen( $comment->comment_author_email ) <= 254 ) {
			$payload['author']['email'] = $comment->comment_author_email;
		}
		$parent = $comment->comment_parent ? get_comment_meta( (int) $comment->comment_parent, Comment_Moderation_Decisions::META_ID, true ) : '';
		if ( $parent ) {
			$payload['parent'] = $parent;
		}
		if ( filter_var( $comment->comment_author_IP, FILTER_VALIDATE_IP ) ) {
			$payload['client']['ip'] = $comment->comment_author_IP;
		}
		if ( '' !== $comment->comment_agent ) {
			$payload['client']['user_agent'] = mb_substr( $comment->comment_agent, 0, 512 );
		}
		if ( ! $payload['client'] ) {
			unset( $payload['client'] );
		}
		return apply_filters( 'comment_moderation_payload', $payload, $comment );
	}

	/** One key per comment of this WordPress install: a retry gets the first answer back. */
	private static function idempotency_key( $comment_id ) {
		$install = get_option( 'comment_moderation_install_id' );
		if ( ! $install ) {
			$install = wp_generate_password( 16, false );
			add_option( 'comment_moderation_install_id', $install, '', false );
			$install = get_option( 'comment_moderation_install_id' );
		}
		return 'wp-' . $install . '-' . $comment_id;
	}

	private static function record_error( $comment_id, $message, $transient ) {
		update_comment_meta( $comment_id, Comment_Moderation_Decisions::META_ERROR, $message );
		if ( $transient ) {
			add_comment_meta( $comment_id, self::META_RETRY, time(), true );  // keeps the first failure's time
		} else {
			delete_comment_meta( $comment_id, self::META_RETRY );  // refused: sending again would not help
		}
		update_option(
			'comment_moderation_last_error',
			array( 'at' => gmdate( 'Y-m-d H:i:s' ) . ' UTC', 'message' => $message, 'comment' => $comment_id ),
			false
		);
		error_log( sprintf( 'comment-moderation: comment %d stays in the moderation queue: %s', $comment_id, $message ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
	}

	public static function add_schedule( $schedules ) {
		$schedules[ self::RETRY_SCHEDULE ] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes', 'comment-moderation' ),
		);
		return $schedules;
	}

	public static function schedule_retries() {
		if ( Comment_Moderation_Settings::is_configured() && ! wp_next_scheduled( self::RETRY_HOOK ) ) {
			wp_schedule_event( time() + 5 * MINUTE_IN_SECONDS, self::RETRY_SCHEDULE, self::RETRY_HOOK );
		}
	}

	public static function unschedule_retries() {
		wp_clear_scheduled_hook( self::RETRY_HOOK );
	}

	/** Sends again the held comments whose sending failed for a passing reason (at most 20 a run). */
	public static function retry_unsent() {
		if ( ! Comment_Moderation_Settings::is_configured() ) {
			return;
		}
		$ids = get_comments(
			array(
				'meta_key' => self::META_RETRY, // phpcs:ignore WordPress.DB.SlowDBQuery
				'status'   => 'hold',
				'type'     => 'all',
				'fields'   => 'ids',
				'number'   => 20,
				'orderby'  => 'comment_ID',
				'order'    => 'ASC',
			)
		);
		foreach ( $ids as $comment_id ) {
			$first_try = (int) get_comment_meta( $comment_id, self::META_RETRY, true );
			if ( $first_try && time() - $first_try > self::RETRY_FOR ) {
				delete_comment_meta( $comment_id, self::META_RETRY );  // a moderator decides it
				continue;
			}
			$service_id = self::send( (int) $comment_id );
			if ( $service_id ) {
				self::wait_for_decision( (int) $comment_id, $service_id );
			}
		}
	}
}
