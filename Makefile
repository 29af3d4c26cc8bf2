# The two commands: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8000
STAMP   = $(VENV)/.installed

.PHONY: install demo test test-fast lint audit-deps bench fuzz smoke clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("EmotiPal needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	@PORT=$(PORT) bash scripts/demo.sh

# Three worker processes (pytest-xdist), each test file on one worker, even on a 2-core machine: the workers
# spend much of their time waiting on Chromium, subprocesses and the database, so a third one fills the gaps
# (measured 2026-12-04 on 2 idle cores, SQLite: 11:20 with 2 workers, 9:52 with 3; the budget is 15 minutes).
# TEST_WORKERS=0 runs it in one process. The 15 slowest tests are listed at the end, to keep an eye on them.
TEST_WORKERS ?= 3
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

test-fast: install
	$(BIN)/python -m pytest -m "not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy emotipal scripts/audit_deps.py scripts/smoke_production.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/bandit -c pyproject.toml -r emotipal -q
	$(BIN)/python scripts/audit_deps.py check

# Known vulnerabilities of the pins: `make lint` checks constraints.txt offline against
# security/vulnerabilities.json; this rebuilds that list from PyPI (run it after changing constraints.txt).
audit-deps: install
	$(BIN)/python scripts/audit_deps.py refresh

# Schemathesis over /api/v1/openapi.json on a fresh test database (DATABASE_URL picks it): 0 server errors,
# and every status, body and header as the schema documents it.
fuzz: install
	$(BIN)/python scripts/fuzz_api.py

# Production end to end: `emotipal serve --production` (gunicorn, two workers) on a fresh PostgreSQL database
# and `emotipal worker` on RQ (Redis db 14); a client logs in and submits an entry over HTTP, and the RQ worker
# process sends a reminder to an SMTP sink. Needs PostgreSQL and Redis on 127.0.0.1 (as .ci/run starts them).
smoke: install
	$(BIN)/python scripts/smoke_production.py

# Benchmarks, not tests: each target against a floor measured in the same run, written to BENCHMARKS.md
# (bench/run.py; needs PostgreSQL and Redis on 127.0.0.1 as .ci/run starts them, wrk for the HTTP load, and R
# with metafor for the meta-analysis floor: it installs those from Debian's packages when run as root, and
# without them the measures that need them are skipped with a note).
BENCH_DEBS = wrk r-base-core r-cran-metafor
bench: install
	@{ command -v wrk >/dev/null && Rscript -e 'library(metafor)' >/dev/null 2>&1; } || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_DEBS) >/dev/null; } || echo "make bench: could not install $(BENCH_DEBS) (not root?); the measures that need them are skipped"
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .local staticfiles .pytest_cache .mypy_cache .ruff_cache
