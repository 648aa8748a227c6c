# keepfaith: two commands on a fresh machine.  `make run` serves the demo, `make test` tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?= -n 2
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install bytecode run demo test outside lint format bench test-tools gettext messages messages-update clean

$(STAMP): pyproject.toml setup.py keepfaith/weblog/_linescan.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) messages bytecode

# The package's bytecode, compiled ahead as a non-editable install compiles it: every command
# then starts without compiling keepfaith's modules, also where PYTHONDONTWRITEBYTECODE is set
# (Python still reads fresh .pyc files; a stale one is ignored). Only changed files recompile.
bytecode: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m compileall -q -j 0 keepfaith bench

# Translations: each app's locale/<lang>/LC_MESSAGES/django.po compiled to django.mo (not kept
# in git) by Debian's gettext, checked on the way (msgfmt --check); gettext is installed like the
# test tools below when it is missing.
PO_FILES := $(wildcard keepfaith/*/locale/*/LC_MESSAGES/django.po)
messages: $(PO_FILES:.po=.mo)
%.mo: %.po | gettext
	msgfmt --check -o $@ $<
# After marking strings: refresh every app's Danish catalog (then write the new msgstr).
# tests/test_translations.py runs the same makemessages and fails when this changes a file.
messages-update: install
	@for po in $(PO_FILES); do app=$${po%%/locale/*}; echo "== $$app"; \
	  (cd $$app && DJANGO_SETTINGS_MODULE=keepfaith.settings $(CURDIR)/$(BIN)/django-admin \
	    makemessages --locale da --no-location --no-obsolete \
	    --ignore 'migrations/*') || exit 1; done
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { echo "installing Debian's gettext for the translations"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gettext; }

# Debian packages the tests run for real: headless Chromium (Playwright drives it),
# GoAccess (the web-log totals are checked against it), pebble (the ACME test server
# certificates are issued by) and a Java runtime for PySpark (the web-log aggregation is
# checked on Spark in local mode).
DEBIAN_TEST_PACKAGES := chromium goaccess pebble
test-tools:
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do \
	  command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	java -version 2>&1 | head -n 1 | grep -Eq '"(1[7-9]|[2-9][0-9])' \
	  || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing for the tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; fi

demo: install
	$(BIN)/keepfaith migrate --noinput
	$(BIN)/keepfaith demo

# With Debian's pebble installed, `make run` runs it on loopback for the demo's certificates
# (its settings exported to the demo and the server; stopped with the server).
# Links in the demo's mail lead to the address served here, unless KEEPFAITH_PUBLIC_URL says
# otherwise (production requires it: check --deploy). The demo runs with Django's debug pages
# off, so that a visitor meets the site's own 404 and 500 pages (KEEPFAITH_DEBUG=1 for them).
run: install
	$(BIN)/keepfaith migrate --noinput
	@set -e; \
	export KEEPFAITH_PUBLIC_URL="$${KEEPFAITH_PUBLIC_URL:-http://$(HOST):$(PORT)}"; \
	export KEEPFAITH_DEBUG="$${KEEPFAITH_DEBUG:-0}"; \
	if command -v pebble >/dev/null 2>&1; then \
	  eval "$$($(BIN)/keepfaith certs pebble --print-env)"; \
	  $(BIN)/keepfaith certs pebble & pebble_pid=$$!; \
	  trap 'kill $$pebble_pid 2>/dev/null || true' EXIT INT TERM; \
	fi; \
	$(BIN)/keepfaith demo; \
	echo "keepfaith demo on http://$(HOST):$(PORT)/  (staff console: http://$(HOST):$(PORT)/console/)"; \
	$(BIN)/keepfaith runserver --noreload $(HOST):$(PORT)

test: install test-tools
	$(BIN)/pytest $(PYTEST_ARGS)

# The outside security checks alone (also part of `make test`, so CI runs them): every URL
# against every persona, hostile input to every form and parser, card byte scans after real
# checkouts, scrubbed server logs, linear-time patterns, production settings.
outside: install test-tools
	$(BIN)/pytest $(PYTEST_ARGS) -m outside

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy keepfaith tests bench
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@set -e; for script in bench/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache build keepfaith/weblog/_linescan.*.so
