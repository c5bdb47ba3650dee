# The README's two commands: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# `make run` listens on these loopback ports; the run folder sits under /tmp because
# Nginx workers run unprivileged and must traverse it (a 0700 parent turns hits into 403s).
NGINX_LISTEN ?= 127.0.0.1:8000
APP_BIND ?= 127.0.0.1:8001
MEMCACHED_PORT ?= 11311
RUN_DIR ?= /tmp/magazine-run-$(shell id -u)

export MEMCACHED_SERVERS ?= 127.0.0.1:$(MEMCACHED_PORT)
export STATIC_ROOT ?= $(RUN_DIR)/static

.PHONY: setup packages run test test-unit test-integration test-postgres harvest bench clean

setup: packages $(VENV)/.installed
	@DEBUG=1 $(MANAGE) migrate --noinput -v 0  # the development database ./manage.py runserver uses

# Checked on every setup, once (the script installs only what is missing); before the
# venv, which needs python3-venv.
packages:
	@bash deploy/install-packages.sh

$(VENV)/.installed: requirements.txt | packages
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

var/secret_key:
	@mkdir -p var && umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: setup var/secret_key
	@install -d -m 0755 $(RUN_DIR)
	SECRET_KEY=$$(cat var/secret_key) \
	  PUBLIC_PORT=$${PUBLIC_PORT-$(lastword $(subst :, ,$(NGINX_LISTEN)))} \
	  bash deploy/run-local.sh \
	  "$(NGINX_LISTEN)" "$(APP_BIND)" "$(MEMCACHED_PORT)" "$(RUN_DIR)"

test: setup
	$(PY) -m pytest
	$(MAKE) -s test-postgres
	$(MAKE) -s harvest

# The cache, integration and search tests again on PostgreSQL, what several app servers
# share in production (search has its own engine there): a private server on a free port in its own folder under /tmp (two runs at
# once do not meet), stopped by the trap even when the tests fail.
test-postgres: setup
	@bash deploy/install-packages.sh postgresql
	@export PG_TEST_DIR=$$(mktemp -d /tmp/magazine-pg-XXXXXX); trap 'bash tests/postgres.sh stop' EXIT; \
	  url=$$(bash tests/postgres.sh start) && echo "PostgreSQL pass on $$url" && \
	  DATABASE_URL=$$url $(PY) -m pytest tests/cachekeys tests/integration tests/blog/test_search.py

harvest: setup
	$(MANAGE) harvest  # runs on tests.settings by itself (manage.py)

# Starts everything it measures on loopback ports; needs wrk, Varnish and matplotlib too.
# About 15 minutes; BENCH_ARGS="--rounds 1 --seconds 2 --day-seconds 10 --small-only" for a quick look.
bench: setup
	@bash deploy/install-packages.sh wrk varnish
	$(PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var $(RUN_DIR)
