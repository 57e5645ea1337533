# The two commands of the README: `make demo` and `make test`. Everything else
# here is what they need. Python 3.11+, Node.js/npm and make are the only
# prerequisites.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: setup demo demo-reset test lint messages screenshots catalogues

setup: $(VENV)/.installed node_modules/.installed catalogues

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The State design system comes from the npm registry at install time (never
# committed). Its postinstall script only scaffolds new projects: skipped.
# Its files the pages load are compressed once here (gzip, Brotli) for WhiteNoise.
node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --ignore-scripts --no-audit --no-fund
	$(BIN)/python -m kernel.assets node_modules/@gouvfr/dsfr/dist
	touch $@

## Install everything, create the demo database, start the service and its companions.
demo: setup
	$(BIN)/python -m demo.runner

## Fresh demo data without starting anything (`make demo` also starts afresh each time).
demo-reset: setup
	$(BIN)/python -m demo.runner --reset-only

## Screenshots of every page state the browser tests reach, at 1280 and 375 px, in screenshots/.
screenshots: setup
	rm -rf screenshots
	SCREENSHOTS=screenshots $(BIN)/python -m pytest tests/browser -n $(PYTEST_WORKERS) -q

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
