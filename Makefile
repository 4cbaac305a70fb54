# The project's one set of commands, used alike by the README, CI and developers.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The OpenRPC meta-schema, for the test that validates rpc.discover (npm package, by name).
META_SCHEMA := $(VENV)/open-rpc-meta-schema-1.14.9.tgz

.PHONY: install run lint test bench browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(META_SCHEMA): | $(STAMP)
	npm pack --silent --pack-destination $(VENV) @open-rpc/meta-schema@1.14.9 >/dev/null

install: $(STAMP)

run: install
	$(PY) -m gateway serve

lint: install
	$(VENV)/bin/ruff check gateway tests bench
	$(VENV)/bin/ruff format --check gateway tests bench
	$(VENV)/bin/mypy

# The page's tests drive Debian's Chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint browser $(META_SCHEMA)
	$(VENV)/bin/pytest

bench: install
	$(PY) -m bench
