<?php
/**
 * Turns the service's decision on a comment into its WordPress status. Applying the same
 * decision twice (the poll and the webhook both bring it) changes nothing the second time, and
 * a decision older than the last one applied (a webhook retried late) is ignored.
 *
 * Comment meta written here:
 *   _comment_moderation_id      the service's comment id
 *   _comment_moderation_state   the service's last state applied (approved, pending, ...)
 *   _comment_moderation_at      when that state was decided (the service's ISO 8601 UTC time)
 *   _comment_moderation_error   the last error talking to the service, if any
 */

defined( 'ABSPATH' ) || exit;

class Comment_Moderation_Decisions {
	const META_ID    = '_comment_moderation_id';
	const META_STATE = '_comment_moderation_state';
	const META_AT    = '_comment_moderation_at';
	const META_ERROR = '_comment_moderation_error';

	/** The service's states => what WordPress does. A rejected comment goes to the trash
	 * (restorable for EMPTY_TRASH_DAYS; held instead where the trash is off, since WordPress
	 * would delete it and a later approval could not bring it back); a failed one stays in
	 * WordPress's moderation queue. */
	const WORDPRESS_STATUS = array(
		'approved' => 'approved',
		'pending'  => 'unapproved',
		'failed'   => 'unapproved',
		'rejected' => 'trash',
		'spam'     => 'spam',
	);

	public static function is_final( $state ) {
		return isset( self::WORDPRESS_STATUS[ $state ] );
	}

	/**
	 * Applies $state, decided at $decided_at, to comment $comment_id.
	 * Returns 'applied', 'unchanged' (already so), 'stale' (older than the last applied) or
	 * 'ignored' (a state with no WordPress status, such as queued).
	 */
	public static function apply( $comment_id, $state, $decided_at ) {
		$target = isset( self::WORDPRESS_STATUS[ $state ] ) ? self::WORDPRESS_STATUS[ $state ] : null;
		$filtered = apply_filters( 'comment_moderation_wordpress_status', $target, $state, $comment_id );
		$target   = is_string( $filtered ) && in_array( $filtered, self::WORDPRESS_STATUS, true ) ? $filtered : $target;
		if ( null === $target || ! get_comment( $comment_id ) ) {
			return 'ignored';
		}
		$last_at = (string) get_comment_meta( $comment_id, self::META_AT, true );
		// Both times are the service's own "YYYY-MM-DDTHH:MM:SS.mmmZ": they sort as strings.
		if ( '' !== $last_at && strcmp( (string) $decided_at, $last_at ) < 0 ) {
			return 'stale';
		}
		update_comment_meta( $comment_id, self::META_STATE, $state );
		update_comment_meta( $comment_id, self::META_AT, (string) $decided_at );
		if ( 'failed' === $state ) {
			update_comment_meta( $comment_id, self::META_ERROR, 'the service could not decide this comment: a moderator must' );
		}
		if ( wp_get_comment_status( $comment_id ) === $target ) {
			return 'unchanged';
		}
		self::set_status( $comment_id, $target );
		do_action( 'comment_moderation_decision_applied', $comment_id, $state, $target );
		return 'applied';
	}

	private static function set_status( $comment_id, $target ) {
		switch ( $target ) {
			case 'spam':
				wp_spam_comment( $comment_id );
				break;
			case 'trash':
				if ( EMPTY_TRASH_DAYS ) {
					wp_trash_comment( $comment_id );
				} else {
					wp_set_comment_status( $comment_id, 'hold' ); // wp_trash_comment would delete it
				}
				break;
			case 'approved':
				wp_set_comment_status( $comment_id, 'approve' );
				break;
			default:
				wp_set_comment_status( $comment_id, 'hold' );
		}
	}

	/** The WordPress comment the service knows as $service_id, or 0. */
	public static function find( $service_id ) {
		$ids = get_comments(
			array(
				'meta_key'   => self::META_ID, // phpcs:ignore WordPress.DB.SlowDBQuery -- indexed by meta_key
				'meta_value' => (string) $service_id, // phpcs:ignore WordPress.DB.SlowDBQuery
				'status'     => 'any', // 'all' would leave out spam and trash
				'type'       => 'all',
				'fields'     => 'ids',
				'number'     => 1,
			)
		);
		return $ids ? (int) $ids[0] : 0;
	}
}
