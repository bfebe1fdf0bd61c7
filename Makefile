# Two commands on a fresh machine: `make run` and `make test`.
# Each creates the virtual environment and installs the project first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run chat test lint typecheck messages lock clean

# Every dependency at the version and hashes of the lock (requirements/all.txt,
# exported from uv.lock), then the project itself, editable, without resolving
# anything again.
$(INSTALLED): pyproject.toml requirements/all.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/all.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e '.[dev]'
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

# The benchmarks of issues #8 and #15 (Slack acks, Teams turns, counted SQL and
# instructions, the weekly pass, start-up): one table,
# also written to benchmarks/RESULTS.md. `make bench BENCH=--quick` for a short run.
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks $(BENCH)

# How user-facing texts are marked in code (see conversations/i18n.py).
KEYWORDS := -k N_ -k t -k translate -k ctx.t -k UserError -k Forbidden

# Refresh the French catalogue after adding or changing user-facing texts.
messages: $(INSTALLED)
	$(BIN)/pybabel extract --no-location --omit-header --sort-output $(KEYWORDS) -o $(VENV)/postpoc.pot bot conversations
	$(BIN)/pybabel update --no-fuzzy-matching -i $(VENV)/postpoc.pot -d conversations/locales -D postpoc

# Resolve every dependency again (uv.lock, for every platform), then export what
# each install reads: all.txt (make test, CI), base.txt and llm.txt (the image,
# without or with EXTRAS=llm). Review the diff, run make test, commit the five.
# `make lock UPGRADE=--upgrade` moves everything to the newest allowed versions.
lock: $(INSTALLED)
	$(BIN)/uv lock --python 3.11 $(UPGRADE)
	$(BIN)/uv export --frozen --no-emit-project --format requirements-txt --quiet --all-extras -o requirements/all.txt
	$(BIN)/uv export --frozen --no-emit-project --format requirements-txt --quiet -o requirements/base.txt
	$(BIN)/uv export --frozen --no-emit-project --format requirements-txt --quiet --extra llm -o requirements/llm.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
