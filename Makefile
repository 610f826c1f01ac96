# Two entry points for a fresh machine: `make site` builds the wiki, `make test` runs every test.
# Both create the virtual environment and install what they need first, so no other set-up step exists.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Material 9.8 prints a notice about MkDocs 2 on every build. The project pins MkDocs 1.x on purpose.
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test serve install install-test chromium clean

site: install
	$(BIN)/mkdocs build --strict

serve: install
	$(BIN)/mkdocs serve

test: install-test chromium
	$(BIN)/python -m pytest

install: $(VENV)/.installed node_modules/.package-lock.json

install-test: $(VENV)/.installed-test node_modules/.package-lock.json

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[demos,test]'
	touch $(VENV)/.installed $@

# The browser tests drive Debian's Chromium at /usr/bin/chromium, never a browser that Playwright downloads.
chromium:
	@test -x /usr/bin/chromium || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium; }

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf site .pytest_cache
