# sotiem — make demo | make test | make bench | make lint
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000
DEMO_PERSONS ?= 20000

.PHONY: demo test test-fast fuzz bench lint venv browser-deps clean messages

$(BIN)/sotiem: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

venv: $(BIN)/sotiem

# the message catalogues (.po, in git) compiled to the .mo files Django reads (pure Python: no system gettext)
messages: venv
	$(BIN)/sotiem messages --compile

# Debian's Chromium for the browser tests (no browser is ever downloaded); installed when missing and root.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped"; fi; \
	fi

demo: messages
	mkdir -p var
	rm -f var/sotiem.sqlite3 var/sotiem.sqlite3-wal var/sotiem.sqlite3-shm
	$(BIN)/sotiem migrate --no-input -v 0
	$(BIN)/sotiem demo --persons $(DEMO_PERSONS) --seed 2021 --addrport $(HOST)
	$(BIN)/sotiem runserver $(HOST) --insecure --noreload

test: messages browser-deps
	$(BIN)/sotiem makemigrations --check --dry-run -v 0
	$(BIN)/pytest -q

test-fast: messages
	$(BIN)/pytest -q -m "not browser and not slow" -x

# schemathesis against /api/v1/openapi.json with more examples per operation than `make test` runs
FUZZ_EXAMPLES ?= 2000
fuzz: venv
	SOTIEM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/api/test_openapi_conformance.py

# Full scale as the issues ask (about two hours on 2 cores); each script takes --help for smaller runs.
bench: venv
	$(BIN)/python -m bench.bench_synth
	$(BIN)/python -m bench.bench_api
	$(BIN)/python -m bench.bench_import
	$(BIN)/python -m bench.bench_identity
	$(BIN)/python -m bench.bench_matching
	$(BIN)/python -m bench.bench_linkage
	$(BIN)/python -m bench.bench_certificates
	$(BIN)/python -m bench.bench_uploads --db sqlite
	$(BIN)/python -m bench.bench_uploads --db postgres

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy sotiem

clean:
	rm -rf var/*.sqlite3* .pytest_cache
