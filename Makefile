# 排摸通 (Paimo). The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# Tests run in two processes (pytest-xdist), one per core: each has its own databases, servers and browser.
PYTEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgres venv system-deps bench bench-load clean

# Venv, install, migrate, demo data (once), serve, and say where to log in.
run: $(VENV)/.installed
	$(FLASK) init-db
	@if [ ! -f instance/.demo-loaded ]; then $(FLASK) load-demo && touch instance/.demo-loaded; \
	 else $(FLASK) load-demo; fi
	@echo ""
	@echo "排摸通 is serving on http://$(HOST):$(PORT)/login  — log in with one of the demo accounts above."
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - 'app:create_app()'

$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed-test

# Debian packages the tests need (Chromium, CJK fonts, zbar, PostgreSQL); installs only what is missing.
system-deps:
	@bash tools/system-deps.sh

# Everything the tests need, then all tests: on SQLite, then again on a throwaway PostgreSQL cluster. Both runs
# start a throwaway redis-server of their own (tests/conftest.py) for the tests of several workers and servers.
test: venv system-deps
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres:
	@# A run killed half-way leaves pg_virtualenv's throwaway cluster behind, and the next run refuses to start.
	@if [ -f /etc/postgresql/15/regress/.by_pg_virtualenv ]; then \
	  echo "dropping a leftover pg_virtualenv cluster 15/regress"; \
	  pg_ctlcluster --mode immediate 15 regress stop || true; pg_dropcluster 15 regress; fi
	@# Tests marked engine_independent (markup, layout, headers, the accessibility sweep) ran in the SQLite pass already.
	pg_virtualenv -v 15 sh -c 'TEST_DATABASE_URL=postgresql:///postgres $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) -m "not engine_independent" $(PYTEST_ARGS)'

bench: venv
	$(BIN)/python bench/table1.py --units 30000

# The survey API, the report page and 附件1 under wrk beside /healthz, on SQLite (bench/README.md).
bench-load: venv system-deps
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache
