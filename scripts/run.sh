#!/usr/bin/env bash
# Run the whole service in the foreground for development (`make run`):
# a local redis-server (AOF under .state/redis), one Celery worker, Celery beat and
# the API under gunicorn on http://127.0.0.1:${PORT:-8000}. Creates the demo site
# and prints its API key and a curl example. Ctrl-C stops exactly what it started.
#
# Expects .venv to be set up (the Makefile does that). Environment:
#   PORT                      API port (default 8000)
#   MODERATION_REDIS_URL      when unset: our own dev Redis on 127.0.0.1:${MODERATION_DEV_REDIS_PORT:-6390};
#                             when set: that Redis is used if it answers; if nothing listens
#                             there and it names this machine, we start one on its port.
#   MODERATION_DEMO_API_KEY   fixed API key for the demo site (else one kept in $MODERATION_DEV_STATE_DIR/demo-api-key)
#   MODERATION_DEMO_PASSWORD  password of the dashboard account demo-admin (else a new random one each run)
#   MODERATION_ADMIN_TOKEN    the admin API's token (else one kept in $MODERATION_DEV_STATE_DIR/admin-token)
#   MODERATION_DEV_STATE_DIR  where our Redis keeps its data (default .state)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="${VENV:-.venv}"
[[ "$venv" = /* ]] || venv="$root/$venv"
export PATH="$venv/bin:$PATH"
export PORT="${PORT:-8000}"
state_dir="${MODERATION_DEV_STATE_DIR:-$root/.state}"   # Redis data and the beat schedule

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- where Redis lives ---------------------------------------------------------
redis_url_given=false
if [ -z "${MODERATION_REDIS_URL:-}" ]; then
    # A dedicated port, so a system Redis on 6379 is neither used nor disturbed.
    export MODERATION_REDIS_URL="redis://127.0.0.1:${MODERATION_DEV_REDIS_PORT:-6390}/0"
else
    redis_url_given=true
fi
# redis://[user:pass@]host[:port][/db]
if [[ "$MODERATION_REDIS_URL" =~ ^redis://([^@/]*@)?([^:/]+)(:([0-9]+))?(/.*)?$ ]]; then
    redis_host="${BASH_REMATCH[2]}"
    redis_port="${BASH_REMATCH[4]:-6379}"
else
    die "MODERATION_REDIS_URL=$MODERATION_REDIS_URL is not a redis://host:port/db URL"
fi
case "$redis_host" in
    127.0.0.1|localhost) redis_is_local=true ;;
    *) redis_is_local=false ;;
esac

# --- process bookkeeping ----------------------------------------------------
# Each child runs in its own session (setsid), so the terminal's Ctrl-C reaches only
# this script, which then stops the children in order: API first (no new intake),
# then beat and the worker (warm shutdown: running tasks finish), Redis last.
declare -A pid_of=()
declare -A command_of=()   # name -> its command line (quoted), to restart it
declare -A restarts_of=()  # name -> quick restarts in a row (the next wait doubles, up to 30 s)
declare -A launched_at=()  # name -> $SECONDS when it was last started
started=()          # names in start order
# Restarted when they exit on their own; anything else exiting stops everything.
supervised=" worker beat "

# Prefix each output line with the process name; ignore SIGINT so the last lines
# of a shutting-down child are still shown after Ctrl-C.
prefix_output() { trap '' INT; exec sed -u "s/^/[$1] /"; }

start() {
    local name="$1"; shift
    command_of[$name]=$(printf '%q ' "$@")
    launch "$name"
    started+=("$name")
}

launch() {
    local name="$1" command
    eval "command=(${command_of[$name]})"
    # A simple command run in the background: bash execs it, so $! is the process itself.
    setsid "${command[@]}" > >(prefix_output "$name") 2>&1 &
    pid_of[$name]=$!
    launched_at[$name]=$SECONDS
}

# A supervised child that exited is started again after a pause (1 s, 2 s, 4 s ... 30 s):
# a worker that dies (a bug, an OOM kill) must not leave accepted comments unprocessed.
restart() {
    local name="$1" count="${restarts_of[$1]:-0}" pause status=0
    # A child that ran for a minute before dying starts the backoff again.
    [ $((SECONDS - ${launched_at[$name]:-0})) -lt 60 ] || count=0
    pause=$((1 << (count < 5 ? count : 5)))
    [ "$pause" -le 30 ] || pause=30
    restarts_of[$name]=$((count + 1))
    wait "${pid_of[$name]}" 2>/dev/null || status=$?
    say "$name (pid ${pid_of[$name]}) exited with status $status; restarting it in ${pause}s"
    kill -KILL -- "-${pid_of[$name]}" 2>/dev/null || true   # an orphaned pool process, if any
    sleep "$pause"
    launch "$name"
}

is_running() { kill -0 "${pid_of[$1]}" 2>/dev/null; }

stop() {
    local name="$1" grace="$2" pid="${pid_of[$1]}" waited=0
    is_running "$name" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    while is_running "$name" && [ "$waited" -lt $((grace * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if is_running "$name"; then
        say "$name (pid $pid) did not stop within ${grace}s; killing its process group"
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # Anything left in the session we created for it (an orphaned pool process) goes too.
    if kill -0 -- "-$pid" 2>/dev/null; then
        say "$name left processes behind; killing its process group"
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
}

stopping=false
stop_all() {
    $stopping && return
    stopping=true
    trap '' INT TERM HUP
    local name stop_order=()
    for name in api beat worker redis; do
        [ -z "${pid_of[$name]:-}" ] || stop_order+=("$name")
    done
    [ "${#stop_order[@]}" -gt 0 ] || return 0
    say "stopping: ${stop_order[*]}"
    for name in "${stop_order[@]}"; do
        case "$name" in
            worker) stop "$name" 30 ;;   # warm shutdown lets a running task finish
            *) stop "$name" 10 ;;
        esac
    done
    say "stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM HUP
trap 'stop_all' EXIT

# Restart a supervised child that died; fail fast if any other did.
check_children() {
    local name
    for name in "${started[@]}"; do
        is_running "$name" && continue
        if [[ "$supervised" == *" $name "* ]] && ! $stopping; then
            restart "$name"
        else
            die "$name exited unexpectedly (see its [$name] lines above)"
        fi
    done
}

# Poll a check (a command) for up to $2 seconds while watching the children.
wait_until() {
    local what="$1" seconds="$2" tries=0; shift 2
    until "$@" >/dev/null 2>&1; do
        check_children
        tries=$((tries + 1))
        [ "$tries" -lt $((seconds * 5)) ] || die "timed out after ${seconds}s waiting for $what"
        sleep 0.2
    done
}

port_is_open() {
    python - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5).close()
except OSError:
    sys.exit(1)
PY
}

redis_answers() {
    python -c 'import sys, redis; redis.Redis.from_url(sys.argv[1], socket_timeout=1).ping()' \
        "$MODERATION_REDIS_URL"
}

api_is_live() {
    python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "http://127.0.0.1:$PORT/livez"
}

# --- start ------------------------------------------------------------------------
command -v gunicorn >/dev/null || die "$venv is not set up; run 'make run' instead of this script"
mkdir -p "$state_dir/redis"

if port_is_open 127.0.0.1 "$PORT"; then
    die "port $PORT is already in use (another 'make run'?). Stop it or pick another: PORT=8001 make run"
fi

if $redis_url_given && redis_answers >/dev/null 2>&1; then
    say "using the Redis that answers at $MODERATION_REDIS_URL (not starting one)"
    data_note="data: in that Redis"
elif $redis_url_given && ! $redis_is_local; then
    die "no Redis answers at MODERATION_REDIS_URL=$MODERATION_REDIS_URL"
else
    command -v redis-server >/dev/null || die "redis-server is not on PATH (sudo apt-get install redis-server)"
    if port_is_open "$redis_host" "$redis_port"; then
        die "something already listens on $redis_host:$redis_port (another 'make run'?). Stop it, or set MODERATION_DEV_REDIS_PORT"
    fi
    say "starting redis-server on $redis_host:$redis_port (data in $state_dir/redis)"
    start redis redis-server "$root/config/redis.conf" --port "$redis_port" --dir "$state_dir/redis"
    wait_until "redis-server to answer PING" 20 redis_answers
    data_note="data: $state_dir/redis (kept across restarts)"
fi

# Secrets make run generates when they are not configured are kept (mode 600) beside the data,
# so a restart keeps the ones the data was created with (the service stores only hashes).
# keep_secret VARIABLE FILE PREFIX BYTES: export VARIABLE from FILE, made on first use.
keep_secret() {
    local file="$state_dir/$2"
    if [ ! -s "$file" ]; then
        (umask 077 && python -c "import secrets; print('$3' + secrets.token_urlsafe($4))" > "$file")
    fi
    export "$1=$(cat "$file")"
}
# The demo site's API key, and its public key for the sample article with the embed (GET /demo/).
[ -n "${MODERATION_DEMO_API_KEY:-}" ] || keep_secret MODERATION_DEMO_API_KEY demo-api-key demo_ 24
[ -n "${MODERATION_DEMO_PUBLIC_KEY:-}" ] || keep_secret MODERATION_DEMO_PUBLIC_KEY demo-public-key pk_ 32
# An admin token for the admin API (moderators' queues and actions, the policy), unless one is
# configured.
if [ -z "${MODERATION_ADMIN_TOKEN:-}" ] && [ -z "${MODERATION_ADMIN_TOKEN_SHA256:-}" ]; then
    keep_secret MODERATION_ADMIN_TOKEN admin-token admin_ 24
fi

say "creating the demo site (flask --app moderation demo)"
demo_output=$(flask --app moderation demo 2>&1) || {
    printf '%s\n' "$demo_output" >&2
    die "'flask --app moderation demo' failed"
}

say "starting the Celery worker, Celery beat and the API"
start worker celery -A workers worker --loglevel=INFO --hostname "dev@%h"
start beat celery -A workers beat --loglevel=INFO --schedule "$state_dir/celerybeat-schedule"
start api gunicorn --config "$root/config/gunicorn.conf.py"
wait_until "the API on http://127.0.0.1:$PORT/livez" 60 api_is_live

cat <<EOF

==============================================================================
 The moderation service is running: http://127.0.0.1:$PORT   (Ctrl-C stops it)
 Redis: $MODERATION_REDIS_URL   $data_note

$demo_output
==============================================================================

EOF

# Run until Ctrl-C. A worker or beat that exits is started again; the API or Redis
# exiting stops the others and fails.
# Check before each wait: bash forgets a child that died while a later command
# was forked (e.g. `cat` above), and `wait -n` would then not wake up for it.
while true; do
    check_children
    wait -n || true
done
