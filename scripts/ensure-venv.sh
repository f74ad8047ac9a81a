#!/usr/bin/env bash
# Create .venv (if missing or broken) with a Python >= 3.11 and install the project
# into it in editable mode: `scripts/ensure-venv.sh` or `scripts/ensure-venv.sh test`
# (the extra from pyproject.toml). On Debian, `python3 -m venv` needs the
# python3-venv package: installed with apt-get when we are root, else explained.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
venv="${VENV:-.venv}"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

python_is_recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3 python3.12 python3.13; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && python_is_recent "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

create_venv() {
    local python="$1" error
    rm -rf "$venv"
    if error=$("$python" -m venv "$venv" 2>&1); then
        return 0
    fi
    rm -rf "$venv"
    # Debian ships venv/ensurepip in a separate package.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        local minor
        minor=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        say "installing python${minor}-venv with apt-get (python -m venv needs it on Debian)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "python${minor}-venv"
        "$python" -m venv "$venv"
    else
        printf '%s\n' "$error" >&2
        die "could not create $venv with $python. On Debian/Ubuntu: sudo apt-get install python3-venv"
    fi
}

if ! python_is_recent "$venv/bin/python"; then
    python=$(find_python) || die "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11). On Debian 12: sudo apt-get install python3 python3-venv"
    say "creating $venv with $python"
    create_venv "$python"
fi

target="."
[ -z "$extras" ] || target=".[${extras}]"
say "installing the project into $venv (pip install -e \"$target\")"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target"
