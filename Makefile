# The two commands from the README, plus the benchmark. The work happens in
# scripts/ so this file only wires setup steps to targets.
#   make run     Redis + Celery worker + beat + API on http://127.0.0.1:$(PORT) (Ctrl-C stops)
#   make test    the whole test suite against real redis-server and worker processes
#   make bench   every benchmark (formats, intake under wrk, worker drain) into docs/benchmarks.md
# Variables: PORT (API port, default 8000), PYTHON (interpreter for .venv),
# PYTEST_ARGS (extra pytest arguments, e.g. PYTEST_ARGS='-m "not fault"').

VENV ?= .venv
export VENV

.PHONY: run test bench system-tools-run system-tools-test

run: $(VENV)/.installed-run system-tools-run
	bash scripts/run.sh

test: $(VENV)/.installed-test system-tools-test
	bash scripts/test.sh

# Text formats, intake (wrk against the real gunicorn), worker drain; then the service section of
# docs/benchmarks.md and docs/bench-intake-latency.svg. BENCH_ARGS=--quick for a short run.
bench: $(VENV)/.installed-run
	bash scripts/ensure-system-tools.sh redis-server wrk
	$(VENV)/bin/python bench/run_all.py $(BENCH_ARGS)

# Reinstall when pyproject.toml changes; the install is editable, so code changes need nothing.
$(VENV)/.installed-run: pyproject.toml
	bash scripts/ensure-venv.sh
	touch $@

$(VENV)/.installed-test: pyproject.toml
	bash scripts/ensure-venv.sh test
	touch $@

system-tools-run:
	bash scripts/ensure-system-tools.sh redis-server

system-tools-test:
	bash scripts/ensure-system-tools.sh redis-server chromium
	bash scripts/ensure-wordpress.sh
