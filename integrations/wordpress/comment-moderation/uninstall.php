<?php
// Removing the plug-in removes its settings. Comment meta (the service's ids and decisions)
// stays: it is part of each comment's history.
defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'comment_moderation' );
delete_option( 'comment_moderation_install_id' );
delete_option( 'comment_moderation_last_error' );
wp_clear_scheduled_hook( 'comment_moderation_retry' );
