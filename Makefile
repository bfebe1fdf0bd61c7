# Two commands on a fresh machine: `make run` and `make test`.
# Each creates the virtual environment and installs the project first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run chat test lint typecheck messages clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/postpoc run

chat: $(INSTALLED)
	$(BIN)/postpoc chat

test: $(INSTALLED)
	$(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

# The benchmarks of issue #8 (Slack acks, the weekly pass, start-up): one table,
# also written to benchmarks/RESULTS.md. `make bench BENCH=--quick` for a short run.
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks $(BENCH)

# How user-facing texts are marked in code (see conversations/i18n.py).
KEYWORDS := -k N_ -k t -k translate -k ctx.t -k UserError -k Forbidden

# Refresh the French catalogue after adding or changing user-facing texts.
messages: $(INSTALLED)
	$(BIN)/pybabel extract --no-location --omit-header --sort-output $(KEYWORDS) -o $(VENV)/postpoc.pot bot conversations
	$(BIN)/pybabel update --no-fuzzy-matching -i $(VENV)/postpoc.pot -d conversations/locales -D postpoc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
