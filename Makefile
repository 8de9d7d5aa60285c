# Two commands for a fresh machine with Python 3.11+, make and git:
#   make demo   builds its own virtual environment, installs, runs the demo
#   make test   installs what the tests need, runs the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint format clean browser

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
	STORENET_HOME=$${STORENET_HOME:-var/demo} $(BIN)/storenet demo --serve

test: $(VENV)/.installed-test browser
	$(BIN)/ruff check storenet tests bench
	$(BIN)/ruff format --check storenet tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider -m pg_restart
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not pg_restart" -n 2 --dist loadgroup

# The console's browser tests drive Debian's chromium; install it when missing and we
# may (root, as in CI). Otherwise those tests are skipped with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: the browser tests will be skipped (apt-get install chromium)"; fi; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check storenet tests bench
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format storenet tests bench
	$(BIN)/ruff check --fix storenet tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
