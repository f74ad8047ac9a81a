#!/usr/bin/env bash
# Run the whole test suite (`make test`) with the project's .venv. The tests start
# their own redis-server on a random port and their own worker processes.
# Extra pytest arguments: PYTEST_ARGS, e.g. PYTEST_ARGS='-m "not fault"' make test.
# pytest's exit status 5 ("no tests were collected") counts as a failure here:
# a suite that silently ran nothing must not look green.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${VENV:-.venv}"
[[ "$venv" = /* ]] || venv="$PWD/$venv"
export PATH="$venv/bin:$PATH"

# PYTEST_ARGS is split like a shell command line, so quoted arguments stay whole.
eval "set -- ${PYTEST_ARGS:-}"
status=0
python -m pytest -q "$@" || status=$?

case "$status" in
    0) ;;
    5) printf '\nerror: pytest collected no tests (exit status 5); treating that as a failure.\n' >&2
       exit 1 ;;
    *) printf '\nerror: pytest failed (exit status %s).\n' "$status" >&2 ;;
esac
exit "$status"
