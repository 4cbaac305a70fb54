# The project's one set of commands, used alike by the README, CI and developers.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The OpenRPC meta-schema, for the test that validates rpc.discover (npm package, by name).
META_SCHEMA := $(VENV)/open-rpc-meta-schema-1.14.9.tgz
# The npm tools the tests drive (OpenRPC's validator and generator, the json-rpc-2.0 client,
# a DOM for the README's browser example), pinned by tests/npm/package-lock.json.
NPM_TOOLS := $(VENV)/npm/.installed

.PHONY: install run lint test chaos soak bench debian-tools screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(META_SCHEMA): | $(STAMP)
	npm pack --silent --pack-destination $(VENV) @open-rpc/meta-schema@1.14.9 >/dev/null

$(NPM_TOOLS): tests/npm/package.json tests/npm/package-lock.json | $(STAMP)
	mkdir -p $(VENV)/npm
	cp tests/npm/package.json tests/npm/package-lock.json $(VENV)/npm/
	npm ci --prefix $(VENV)/npm --no-audit --no-fund --silent
	touch $@

install: $(STAMP)

run: install
	$(PY) -m gateway serve

lint: install
	$(VENV)/bin/ruff check gateway tests bench
	$(VENV)/bin/ruff format --check gateway tests bench
	$(VENV)/bin/mypy

# Debian's programs the tests drive: Chromium for the page (Playwright's own browser download
# is not used), PHP's SoapClient for the SOAP examples, curl and jq for the README's examples,
# wrk for the small bench run, PgBouncer to run part of the suite through it. Each is
# "command:package", or "php-module:package".
DEBIAN_TOOLS := chromium:chromium php:php-cli php-module-soap:php-soap curl:curl jq:jq wrk:wrk \
	pgbouncer:pgbouncer
debian-tools:
	@missing=$$(for t in $(DEBIAN_TOOLS); do tool=$${t%%:*}; \
		case $$tool in \
			php-module-*) php -m 2>/dev/null | grep -qix "$${tool#php-module-}" ;; \
			*) command -v $$tool >/dev/null || test -x /usr/sbin/$$tool ;; \
		esac || echo $${t#*:}; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

test: lint debian-tools $(META_SCHEMA) $(NPM_TOOLS)
	$(VENV)/bin/pytest

# Reliability and security figures: races, an outage, a crash, fuzzing, injection, logs.
CHAOS_TESTS := tests/test_reliability.py tests/test_outage.py tests/test_crash.py \
	tests/test_hostile_input.py tests/test_log_secrets.py tests/test_slow_clients.py \
	tests/test_bounded_work.py tests/test_compressed_bodies.py tests/test_proxies.py
FIGURES := '(races|outage|crash|fuzzing|auth|logs|slow clients|soak): .*|[0-9]+ (passed|failed).*'
chaos: install $(META_SCHEMA)
	GATEWAY_FUZZ_EXAMPLES=1000 $(VENV)/bin/pytest -s -p no:cacheprovider $(CHAOS_TESTS) \
		| grep -oE $(FIGURES); exit $${PIPESTATUS[0]}

# The long runs behind docs/reliability.md's figures (about half an hour): fuzzing past
# 100,000 requests, and a 10-minute soak under a mixed load.
soak: install $(META_SCHEMA)
	GATEWAY_FUZZ_EXAMPLES=12000 $(VENV)/bin/pytest -s -p no:cacheprovider \
		tests/test_hostile_input.py | grep -oE $(FIGURES); test $${PIPESTATUS[0]} -eq 0
	GATEWAY_SOAK_SECONDS=600 $(VENV)/bin/pytest -s -p no:cacheprovider -m soak \
		tests/test_soak.py | grep -oE $(FIGURES); exit $${PIPESTATUS[0]}

bench: install
	$(PY) -m bench

# The API page's pictures in docs/, taken by the page's own tests at both window sizes.
screenshots: install debian-tools
	GATEWAY_SCREENSHOTS=docs $(VENV)/bin/pytest -q -p no:cacheprovider tests/test_page.py \
		-k test_a_customer_with_long_values_fits_the_window
