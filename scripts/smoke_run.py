"""Smoke test of `make run`, the README's first command, as a newcomer would use it.

Starts `make run` the way a terminal does (its own process group, SIGINT not
ignored), waits for the banner, runs the printed `curl` exactly as printed, polls
the comment until it is decided, checks it was approved, SIGKILLs the Celery
worker's main process and checks that `make run` restarted it (the printed curl
again gets a comment approved), presses Ctrl-C (SIGINT to the process group) and
checks that every process `make run` started is gone.

    python3 scripts/smoke_run.py            # uses free ports and a temporary data dir

Standard library only; needs `curl` (the README's example uses it). Exit 0 on
success, 1 with a message and the tail of the log otherwise. .ci/run runs it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 600  # includes creating .venv and installing on a fresh machine
DECISION_SECONDS = 30
RESTART_SECONDS = 90  # the restarted worker's start-up, plus a redelivery if one was in flight
SHUTDOWN_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_with_env(marker: bytes) -> list[str]:
    """Live processes whose environment holds ``marker``: everything this `make run`
    started, its children's children included, even after they left its session."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z" and marker in environ:
            found.append(f"{entry.name} {cmdline.strip()}")
    return found


def post_and_decide(curl_command: str, port: int, api_key: str, seconds: float = DECISION_SECONDS) -> str:
    """Run the printed curl; poll the comment until it leaves queued/processing; its status."""
    posted = subprocess.run(["bash", "-c", curl_command], capture_output=True, text=True, timeout=30)
    try:
        comment_id = json.loads(posted.stdout)["id"]
    except (ValueError, KeyError):
        return f"no comment id in the answer to the printed curl: {posted.stdout!r} {posted.stderr!r}"
    print(f"smoke: POST answered {posted.stdout.strip()}")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/comments/{comment_id}",
                                     headers={"Authorization": f"Bearer {api_key}"})
    deadline = time.monotonic() + seconds
    status = None
    while time.monotonic() < deadline:
        status = json.loads(urllib.request.urlopen(request, timeout=5).read())["status"]
        if status not in ("queued", "processing"):
            break
        time.sleep(0.2)
    return status


def main() -> int:
    port = free_port()
    state_dir = tempfile.mkdtemp(prefix="moderation-smoke-")
    log_path = Path(state_dir) / "make-run.log"
    env = dict(os.environ, PORT=str(port), MODERATION_DEV_REDIS_PORT=str(free_port()),
               MODERATION_DEV_STATE_DIR=state_dir)
    env.pop("MODERATION_REDIS_URL", None)
    with open(log_path, "w") as log:
        make = subprocess.Popen(
            ["make", "run"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True,
            # A terminal's foreground job gets SIGINT; a background job inherits it ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    marker = f"MODERATION_DEV_STATE_DIR={state_dir}".encode()

    def fail(message: str) -> int:
        print(f"smoke: FAILED: {message}", file=sys.stderr)
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            try:
                make.wait(SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        leftovers = processes_with_env(marker)
        for line in leftovers:
            print(f"smoke: killing leftover {line}", file=sys.stderr)
            os.kill(int(line.split()[0]), signal.SIGKILL)
        print(f"--- last lines of `make run` (whole log: {log_path}) ---", file=sys.stderr)
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
        return 1

    deadline = time.monotonic() + STARTUP_SECONDS
    while "(Ctrl-C stops it)" not in log_path.read_text(errors="replace"):
        if make.poll() is not None:
            return fail(f"make run exited with {make.returncode} before the service was up")
        if time.monotonic() > deadline:
            return fail(f"no banner within {STARTUP_SECONDS}s")
        time.sleep(0.5)
    output = log_path.read_text(errors="replace")
    print(f"smoke: make run is up on port {port}")

    key_match = re.search(r"Demo API key: (\S+)", output)
    curl_match = re.search(r"^\s*(curl -sS -X POST .*?)\n(?!\s+-)", output, re.S | re.M)
    if not key_match or not curl_match:
        return fail("the banner has no API key or no curl command")
    curl_command = curl_match.group(1)
    print(f"smoke: running the printed command:\n{curl_command}")
    status = post_and_decide(curl_command, port, key_match.group(1))
    if status != "approved":
        return fail(f"the demo comment ended {status!r}, not 'approved'")
    print("smoke: the comment was approved")
    demo_match = re.search(r"Demo article with the embed.*?: (http\S+)", output)
    if not demo_match:
        return fail("the banner has no demo article address")
    with urllib.request.urlopen(demo_match.group(1), timeout=10) as reply:
        if reply.status != 200 or b'src="/embed.js"' not in reply.read():
            return fail(f"the demo article {demo_match.group(1)} has no embed")
    print(f"smoke: the demo article {demo_match.group(1)} serves the embed")

    # make run restarts a worker that dies: kill its main process, post again.
    workers = [line for line in processes_with_env(marker) if " workers worker" in line]
    main_pid = min(int(line.split()[0]) for line in workers) if workers else None
    if main_pid is None:
        return fail("no Celery worker process found")
    os.kill(main_pid, signal.SIGKILL)
    print(f"smoke: killed the worker's main process {main_pid}; posting again")
    status = post_and_decide(curl_command, port, key_match.group(1), RESTART_SECONDS)
    if status != "approved":
        return fail(f"after the worker was killed, the comment ended {status!r}: make run did not restart it")
    print("smoke: make run restarted the worker and the comment was approved")

    os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    try:
        make.wait(SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        return fail(f"make run still running {SHUTDOWN_SECONDS}s after Ctrl-C")
    time.sleep(0.5)
    leftovers = processes_with_env(marker)
    if leftovers:
        return fail("processes left after Ctrl-C: " + "; ".join(leftovers))
    print("smoke: Ctrl-C stopped everything make run started; OK")
    shutil.rmtree(state_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
