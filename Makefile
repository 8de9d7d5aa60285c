# Two commands for a fresh machine with Python 3.11+, make and git:
#   make demo   builds its own virtual environment, installs, runs the demo
#   make test   installs what the tests need, runs the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	STORENET_HOME=$${STORENET_HOME:-var/demo} $(BIN)/storenet demo

test: $(VENV)/.installed-test
	$(BIN)/ruff check storenet tests bench
	$(BIN)/ruff format --check storenet tests bench
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(VENV)/.installed-test
	$(BIN)/ruff check storenet tests bench

format: $(VENV)/.installed-test
	$(BIN)/ruff format storenet tests bench
	$(BIN)/ruff check --fix storenet tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
