#!/usr/bin/env bash
# Make sure system programs the service needs are on PATH:
#   scripts/ensure-system-tools.sh redis-server [chromium] [curl] [make]
# A missing program is installed from Debian's package of the same name with apt-get
# when we are root (after one `apt-get update`); otherwise we say how to install it.
# Each name is both the command and its Debian package. chromium is only needed by
# the browser tests, so its absence is a warning; any other missing one fails (exit 1).
set -euo pipefail

say() { printf '==> %s\n' "$*"; }

can_apt=false
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    can_apt=true
fi

missing=()
for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -gt 0 ] || exit 0

if $can_apt; then
    say "installing from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    exit 0
fi

status=0
for tool in "${missing[@]}"; do
    case "$tool" in
        chromium)
            printf 'warning: chromium is not installed; browser tests will be skipped or fail.\n' >&2
            printf '         Install it with: sudo apt-get install chromium\n' >&2
            ;;
        *)
            printf 'error: %s is not on PATH and I cannot install it (not root, or no apt-get).\n' "$tool" >&2
            printf '       Install it with: sudo apt-get install %s   (Debian/Ubuntu)\n' "$tool" >&2
            printf '       or your system'"'"'s package manager, then run this again.\n' >&2
            status=1
            ;;
    esac
done
exit "$status"
