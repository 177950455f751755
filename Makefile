# Otklik developer commands. On a fresh machine:
#   make install && make demo
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.otklik-installed
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="tests/infra -x"`.
PYTEST_ARGS ?=
# Set to 1 when a narrowed PYTEST_ARGS may legitimately select no test.
ALLOW_NO_TESTS ?= 0

.PHONY: help install demo test lint pytest audit services-up services-down services-status

help:
	@echo "make install          create $(VENV)/ and install Otklik with its test extras (only when pyproject.toml changed)"
	@echo "make demo             run every stage in one process on the embedded defaults"
	@echo "make test             ruff + mypy + pytest (CI=true turns missing services into failures)"
	@echo "make lint             ruff + mypy only"
	@echo "make services-up      start PostgreSQL and Kafka on 127.0.0.1 and print the env vars for tests"
	@echo "make services-down    stop them"

# The stamp is newer than pyproject.toml once the install succeeded, so a second
# `make install` does nothing.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "python3.11 not found" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip setuptools
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/otklik demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

pytest: install
	@bash scripts/pytest.sh $(PYTEST_ARGS)

# All three checks run even when one fails, so one run shows every problem;
# the target fails if any of them did.
test: install
	@ALLOW_NO_TESTS=$(ALLOW_NO_TESTS) bash scripts/check.sh $(PYTEST_ARGS)

audit: install
	bash scripts/pip-audit.sh

services-up:
	@pg_url=$$(bash scripts/postgres.sh start); \
	kafka=$$(bash scripts/kafka.sh start); \
	echo "export OTKLIK_TEST_POSTGRES_URL=$$pg_url"; \
	echo "export OTKLIK_TEST_KAFKA_BOOTSTRAP=$$kafka"

services-down:
	-bash scripts/kafka.sh stop
	-bash scripts/postgres.sh stop

services-status:
	-bash scripts/postgres.sh status
	-bash scripts/kafka.sh status
