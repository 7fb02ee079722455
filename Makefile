# Two entry points (see README):
#   make run   - set up .venv and evaluate every bundled scenario in queries/
#   make test  - set up .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test setup bench clean docs

$(BIN)/pyrules: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/pyrules

setup: $(BIN)/pyrules

run: setup
	$(BIN)/pyrules ask queries/

test: setup
	$(BIN)/ruff check pyrules tests scripts benchmarks
	$(BIN)/ruff format --check pyrules tests scripts benchmarks
	$(BIN)/mypy pyrules
	$(BIN)/python -m pytest

# The API page (pdoc) of the public Python interface, into docs/api/ (not committed).
docs: setup
	$(BIN)/pdoc --docformat google -o docs/api pyrules pyrules.modes.whatif pyrules.modes.readings pyrules.modes.explain pyrules.modes.regime pyrules.modes.ledger pyrules.inputs.loader pyrules.inputs.schema

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info

# The browser tests of the web application drive Debian's Chromium (Playwright
# cannot download its own browser here). 'make test' installs it when it is
# missing and we are root; otherwise those tests are skipped, saying why.
.PHONY: browser serve
test: browser

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || echo "could not install chromium: the browser tests will be skipped"; \
	  else \
	    echo "chromium is missing and we are not root: the browser tests will be skipped"; \
	  fi; \
	fi

# The web application and HTTP API on http://127.0.0.1:8000 (docs/web.md).
serve: setup
	$(BIN)/pyrules serve
