# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is what they build on.

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000
export HIPPOCRATIC_POLICY ?= policies/ducallier.yaml

.PHONY: run test setup lint format check-policies conformance bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || "$$(scripts/find-python)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# The demo on http://$(HOST):$(PORT)/ with its worker; its settings go to var/demo.env,
# where the `hippocratic` commands run here find them. SIGTERM or Ctrl-C stops both.
run: setup
	@HOST='$(HOST)' PORT='$(PORT)' exec scripts/run-demo

# The suite on every core (pytest-xdist; each worker has its own test database; a
# worker that runs dry takes tests queued for the other, so a long test ends no run late):
# `make test WORKERS=1` runs it in one process.
WORKERS ?= auto
test: setup lint check-policies conformance
	$(BIN)/pytest -n $(WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-policies: setup
	$(BIN)/hippocratic policy check policies/*.yaml

# Speed against named baselines (see scripts/bench.py); prints a table.
bench: setup
	$(BIN)/python scripts/bench.py

# Each profile against the code (models, purposes and cookies in the source).
conformance: setup
	@for policy in policies/*.yaml; do \
	  echo "conformance: $$policy"; \
	  HIPPOCRATIC_DEBUG=1 HIPPOCRATIC_POLICY=$$policy $(BIN)/hippocratic policy conformance \
	    --no-data || exit 1; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
