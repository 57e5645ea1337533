# The two commands of the README: `make demo` and `make test`. Everything else
# here is what they need. Python 3.11+, Node.js/npm and make are the only
# prerequisites.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint messages catalogues

setup: $(VENV)/.installed node_modules/.installed catalogues

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The State design system comes from the npm registry at install time (never
# committed). Its postinstall script only scaffolds new projects: skipped.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

## Install everything, create the demo database, start the service and its companions.
demo: setup
	$(BIN)/python -m demo.runner

## Install everything and run the whole test suite (SQLite, in-memory limits).
test: setup lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The language catalogues (docs/languages.md): French is the source, each
# kernel/translations/<code>/LC_MESSAGES/messages.po is committed, the compiled
# .mo files are made here at install, never committed.
TRANSLATIONS = kernel/translations
catalogues: $(VENV)/.installed
	$(BIN)/pybabel compile -d $(TRANSLATIONS)

## Extract the French source strings, add the new ones (empty) to every catalogue, compile.
## Then fill the empty msgstr; tests/test_catalogues.py lists the parent-facing ones left.
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -o $(TRANSLATIONS)/messages.pot --ignore-dirs='.venv node_modules tests bench examples' .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete
	$(BIN)/pybabel compile -d $(TRANSLATIONS)
