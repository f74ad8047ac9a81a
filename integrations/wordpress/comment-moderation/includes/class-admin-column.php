<?php
/**
 * Comments screen: a "Moderation service" column with each comment's state at the service,
 * or the error that kept it in WordPress's own queue.
 */

defined( 'ABSPATH' ) || exit;

class Comment_Moderation_Admin_Column {
	const COLUMN = 'comment_moderation';

	public static function register() {
		add_filter( 'manage_edit-comments_columns', array( __CLASS__, 'add_column' ) );
		add_action( 'manage_comments_custom_column', array( __CLASS__, 'render' ), 10, 2 );
	}

	public static function add_column( $columns ) {
		$columns[ self::COLUMN ] = __( 'Moderation service', 'comment-moderation' );
		return $columns;
	}

	public static function render( $column, $comment_id ) {
		if ( self::COLUMN !== $column ) {
			return;
		}
		$error = get_comment_meta( $comment_id, Comment_Moderation_Decisions::META_ERROR, true );
		$state = get_comment_meta( $comment_id, Comment_Moderation_Decisions::META_STATE, true );
		$sent  = get_comment_meta( $comment_id, Comment_Moderation_Decisions::META_ID, true );
		if ( $error ) {
			echo '<span class="comment-moderation-error">' . esc_html( $error ) . '</span>';
		} elseif ( $state ) {
			echo esc_html( $state );
		} elseif ( $sent ) {
			esc_html_e( 'awaiting the decision', 'comment-moderation' );
		} else {
			echo '&mdash;';
		}
	}
}
