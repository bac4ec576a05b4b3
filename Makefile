# Broadsheet: two commands. `make run` serves the demo newsroom; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PORT ?= 8000
export BROADSHEET_DATA_DIR ?= $(CURDIR)/var
export BROADSHEET_BASE_URL ?= http://127.0.0.1:$(PORT)
# Start-up time is mostly compiling Python source; keep the bytecode (some shells disable it).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-sqlite test-postgres lint install browser-deps bench clean

install:
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv
	@$$(command -v uv || echo $(UV)) sync --frozen --quiet --compile-bytecode

run: install
	@.venv/bin/broadsheet setup
	@.venv/bin/broadsheet serve --host 127.0.0.1 --port $(PORT)

# Debian's Chromium for browser tests (never a downloaded browser), Debian's nginx for the
# tested HTTPS proxy setup, Debian's Varnish with varnish-modules (xkey) for the edge tests;
# vnu.jar for HTML checks and Lighthouse for page scores, from npm.
browser-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx-light"; \
	test -x /usr/sbin/varnishd || missing="$$missing varnish"; \
	dpkg -s varnish-modules >/dev/null 2>&1 || missing="$$missing varnish-modules"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || echo "could not install$$missing: the tests that need it will be skipped"; \
	  else echo "$$missing missing and not root: the tests that need it will be skipped"; fi; \
	fi
	@test -f node_modules/vnu-jar/build/dist/vnu.jar -a -f node_modules/lighthouse/cli/index.js \
	  || npm ci --silent --no-audit --no-fund >/dev/null

test: install browser-deps lint test-sqlite test-postgres

lint:
	@.venv/bin/ruff check src tests bench
	@set -o pipefail; .venv/bin/lint-imports --no-cache --no-logo | grep -E "KEPT|BROKEN|not allowed|^- "

test-sqlite:
	@echo "== suite on SQLite =="
	@env -u DATABASE_URL -u REDIS_URL .venv/bin/pytest -n 2 --dist loadfile

test-postgres:
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== suite on PostgreSQL$${REDIS_URL:+ + Redis} =="; \
	  .venv/bin/pytest -n 2 --dist loadfile; \
	else echo "DATABASE_URL not set: skipping the PostgreSQL run"; fi

clean:
	rm -rf var .venv node_modules
