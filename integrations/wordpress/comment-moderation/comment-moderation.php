<?php
/**
 * Plugin Name:       Comment Moderation Service
 * Description:       Sends each new comment to the comment moderation service and sets its status from the decision: published, held for a moderator, trashed or spam.
 * Version:           1.0.0
 * Requires at least: 6.0
 * Requires PHP:      7.4
 * License:           GPL-2.0-or-later
 * Text Domain:       comment-moderation
 *
 * How it works: every new comment is held (WordPress's own moderation queue), sent to the
 * service with the post as its thread, then set from the decision, at once when it comes
 * within a short poll, else later by the service's signed webhook. When the service cannot
 * be reached the comment simply stays held and the error is recorded on it.
 */

defined( 'ABSPATH' ) || exit;

define( 'COMMENT_MODERATION_VERSION', '1.0.0' );

require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-client.php';
require_once __DIR__ . '/includes/class-decisions.php';
require_once __DIR__ . '/includes/class-submission.php';
require_once __DIR__ . '/includes/class-webhook.php';
require_once __DIR__ . '/includes/class-admin-column.php';

Comment_Moderation_Settings::register();
Comment_Moderation_Submission::register();
Comment_Moderation_Webhook::register();
Comment_Moderation_Admin_Column::register();

register_deactivation_hook( __FILE__, array( 'Comment_Moderation_Submission', 'unschedule_retries' ) );
