# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make serve   start the server on SQLite (./c1-mock.db), creating .venv with what serving needs
#   make test    run the whole test suite (also on PostgreSQL when C1MOCK_TEST_DATABASE_URL is set),
#                adding the test tooling to .venv first
PYTHON ?= python3
VENV ?= .venv
# --no-compile: Python compiles what it imports when it first does; compiling every installed
# module ahead of time took longer than the rest of the install.
PIP := $(VENV)/bin/pip --disable-pip-version-check --quiet
INSTALL := $(PIP) install --no-compile
# What each set-up installed: .serve-stamp the package alone, .installed-stamp the test extra too.
SERVE_STAMP := $(VENV)/.serve-stamp
STAMP := $(VENV)/.installed-stamp

.PHONY: serve test bench reliability dist

$(SERVE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(INSTALL) -e .
	touch $@

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(INSTALL) -e '.[test]'
	touch $(SERVE_STAMP) $@

serve: $(SERVE_STAMP)
	$(VENV)/bin/c1-mock serve $(ARGS)

test: $(STAMP)
	$(VENV)/bin/ruff check app migrations tests benchmarks
	$(VENV)/bin/ruff format --check app migrations tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 --dist loadgroup $(ARGS)

# A wheel and an sdist in dist/, checked by twine (tests/test_packaging.py installs both).
dist: $(STAMP)
	rm -rf dist
	$(VENV)/bin/python -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.run $(ARGS)

# The reliability figures (README "Reliability"): full-size scenarios on SQLite and PostgreSQL.
reliability: $(STAMP)
	$(VENV)/bin/python -m benchmarks.reliability $(ARGS)
