# make run: install, migrate, load the demo shop and serve it (web + Celery worker + beat).
# make test: the whole suite (uses PostgreSQL and Redis when they answer, else SQLite and memory).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 0.0.0.0
PORT ?= 8000
# The demo runs with DEBUG on and plain HTTP; production sets DEBUG=0, SECRET_KEY and friends.
run: export DEBUG ?= 1
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: export PORT := $(PORT)
run: export HOST := $(HOST)

.PHONY: run test install install-dev lint format bench-lookup bench-chain bench-checkout clean mutation mutation-pricing \
	stack stack-stop stack-status stack-check stack-check-short

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	mkdir -p var
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py seed_demo
	@echo
	@echo "  Shop (PWA):  http://127.0.0.1:$(PORT)/"
	@echo "  API docs:    http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  Admin:       http://127.0.0.1:$(PORT)/admin/   (login printed above)"
	@echo "  Ctrl-C stops the web server, the Celery worker and beat together."
	@echo
	$(VENV)/bin/honcho start -f Procfile

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Mutation testing of the money code (docs/testing.md): in-memory SQLite per forked child, no
# browsers; mutmut keeps its results in mutants/, so a second run re-tests only what changed.
mutation: install-dev
	TEST_SERVICES=embedded $(VENV)/bin/mutmut run --max-children $(or $(MUTATION_CHILDREN),2)
	$(PY) tests/mutation_report.py

# CI's gate: the pricing function alone, failing below the score docs/testing.md records for it.
# mutmut's progress goes to var/mutation-pricing.log; the report prints the score and survivors.
mutation-pricing: install-dev
	mkdir -p var
	TEST_SERVICES=embedded $(VENV)/bin/mutmut run --max-children $(or $(MUTATION_CHILDREN),2) \
		"checkout.pricing*" > var/mutation-pricing.log 2>&1 || (tail -c 2000 var/mutation-pricing.log; exit 1)
	$(PY) tests/mutation_report.py --min-score checkout/pricing.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench-lookup: install-dev
	$(PY) bench/product_lookup.py

# Issue 12: a 50-store chain's lookup beside the single store's (bench/chain_lookup.py).
bench-chain: install-dev
	$(PY) bench/chain_lookup.py

bench-checkout: install-dev
	$(PY) bench/checkout.py

# Lighthouse (npm ci once) and scan-to-screen on the production build of the PWA.
bench-pwa: install-dev
	$(PY) bench/pwa.py

clean:
	rm -rf var/celery var/staticfiles

# The production shape on this machine (deploy/stack.sh): HAProxy TLS, 2 web nodes, PostgreSQL
# primary + replica, Redis TLS, 2 Celery workers + beat, the fake Stripe. Installs what it needs.
stack:
	deploy/stack.sh up
stack-stop:
	deploy/stack.sh stop
stack-status:
	deploy/stack.sh status
stack-check:
	deploy/stack.sh check
stack-check-short:
	deploy/stack.sh check --short
