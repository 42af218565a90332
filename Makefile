# Phasewise: two commands on a fresh machine.
#   make run   - create .venv, install, migrate, load the bundled lesson and demo content, serve with daphne
#   make test  - install dev extras and run the whole suite
PYTHON ?= python3.11
VENV   ?= .venv
PORT   ?= 8000
HOST   ?= 0.0.0.0
BIN    := $(VENV)/bin

.PHONY: run test install install-dev lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py setup_demo
	DEBUG=$${DEBUG:-false} $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-dev
	$(BIN)/python manage.py bench_live

clean:
	rm -rf $(VENV) staticfiles
