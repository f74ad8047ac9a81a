#!/usr/bin/env bash
# The WordPress plug-in's end-to-end tests (tests/wordpress/) need, from Debian's packages:
# WordPress, its Twenty Twenty-One theme, PHP's CLI with MySQL support, MariaDB, and libatomic1
# (Playwright's driver). Installed with apt-get when we are root and something is missing;
# otherwise we say what to install (the tests are then skipped, or fail under CI=true).
# Nothing is started: the tests run their own MariaDB and php -S in temporary directories.
set -euo pipefail

packages=(wordpress wordpress-theme-twentytwentyone php8.2-cli php8.2-mysql mariadb-server libatomic1)
present() {
    [ -f /usr/share/wordpress/wp-settings.php ] && [ -d /usr/share/wordpress/wp-content/themes/twentytwentyone ] \
        && command -v php >/dev/null && php -m 2>/dev/null | grep -qx mysqli \
        && { command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } \
        && command -v mariadb-install-db >/dev/null
}
present && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    printf 'warning: the WordPress test stack is not installed; tests/wordpress will be skipped.\n' >&2
    printf '         Install it with: sudo apt-get install --no-install-recommends %s\n' "${packages[*]}" >&2
    exit 0
fi

echo "==> installing from Debian: ${packages[*]}"
# The packages' scripts would start apache2 (a dependency of wordpress) and mariadb as system
# services; a policy-rc.d that answers 101 ("not allowed") keeps them stopped.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    own_policy=true
fi
trap '$own_policy && rm -f "$policy"' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
