# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test lint typecheck corpus-check unit bench clean messages screenshots vendor-swagger-ui

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# axe-core, which the browser tests inject into every page they visit (package.json, pinned in package-lock.json).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Local serving is demo/development mode: without AFTERSALES_SECRET_KEY it signs links with a random key kept in
# ./var/secret_key. Production (AFTERSALES_ENV unset or production) refuses to start without the key.
run: install
	mkdir -p var
	$(BIN)/aftersales db upgrade
	$(BIN)/aftersales demo
	AFTERSALES_ENV=$${AFTERSALES_ENV:-demo} $(BIN)/aftersales serve --host $(HOST) --port $(PORT)

serve: install
	AFTERSALES_ENV=$${AFTERSALES_ENV:-development} $(BIN)/aftersales serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: install
	$(BIN)/mypy

# The shipped triage corpus must be exactly what tools/corpus/build_corpus.py generates.
corpus-check: install
	$(BIN)/python tools/corpus/build_corpus.py --check

unit: install $(AXE)
	$(BIN)/pytest

test: lint typecheck corpus-check unit

# Re-extract the console's strings and merge them into the English catalog (then translate the new ones).
messages: install
	mkdir -p var
	$(BIN)/pybabel extract --no-location --omit-header -F babel.cfg -k _ -k N_ -o var/messages.pot src/aftersales
	$(BIN)/pybabel update --omit-header --ignore-obsolete --no-wrap --no-fuzzy-matching -i var/messages.pot -d src/aftersales/locale -l en

# Browser tests that also write the screenshots of docs/console.md.
screenshots: install $(AXE)
	AFTERSALES_SCREENSHOTS=docs/console $(BIN)/pytest -m browser tests/browser

# Refresh the vendored Swagger UI of the offline /docs page from npm (see web/static/vendor/README.md).
SWAGGER_UI ?= 5.35.0
vendor-swagger-ui:
	tools/vendor/swagger_ui.sh $(SWAGGER_UI)

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache
