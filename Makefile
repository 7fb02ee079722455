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
	$(BIN)/python -m pytest

# The API page (pdoc) of the public Python interface, into docs/api/ (not committed).
docs: setup
	$(BIN)/pdoc --docformat google -o docs/api pyrules pyrules.whatif pyrules.readings pyrules.explain pyrules.regime pyrules.ledger pyrules.loader pyrules.schema

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
