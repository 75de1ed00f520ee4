# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make serve   start the server on SQLite (./c1-mock.db), creating .venv first
#   make test    run the whole test suite (also on PostgreSQL when C1MOCK_TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed-stamp

.PHONY: serve test lint bench reliability

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/c1-mock serve $(ARGS)

test: $(STAMP)
	$(VENV)/bin/ruff check app migrations tests benchmarks
	$(VENV)/bin/ruff format --check app migrations tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 --dist loadgroup $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.run $(ARGS)

# The reliability figures (README "Reliability"): full-size scenarios on SQLite and PostgreSQL.
reliability: $(STAMP)
	$(VENV)/bin/python -m benchmarks.reliability $(ARGS)
