# keepfaith: two commands on a fresh machine.  `make run` serves the demo, `make test` tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?= -n 2
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run demo test lint format bench test-tools clean

$(STAMP): pyproject.toml setup.py keepfaith/weblog/_linescan.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Debian packages the tests run for real: headless Chromium (Playwright drives it) and
# GoAccess (the web-log totals are checked against it).
DEBIAN_TEST_PACKAGES := chromium goaccess
test-tools:
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do \
	  command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing for the tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; fi

demo: install
	$(BIN)/keepfaith migrate --noinput
	$(BIN)/keepfaith demo

run: demo
	@echo "keepfaith demo on http://$(HOST):$(PORT)/  (staff console: http://$(HOST):$(PORT)/console/)"
	$(BIN)/keepfaith runserver --noreload $(HOST):$(PORT)

test: install test-tools
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy keepfaith tests bench

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@set -e; for script in bench/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache build keepfaith/weblog/_linescan.*.so
