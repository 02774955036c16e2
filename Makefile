# Two commands for a newcomer: `make dev` (the whole system locally) and `make test`.
# Both set themselves up: a virtual environment with every package, node for the CDK,
# and Debian's chromium for the browser tests.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup browser lint types test test-fast dev bench synth layer deploy clean openapi mutation

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> setting up $(VENV) (python packages, node for the CDK)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# Debian's chromium for Playwright (its own browser download is blocked here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> installing chromium (apt)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@# a small CJK font, so the console's Chinese text renders in the screenshots (not as boxes)
	@fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || { \
	  echo "==> installing a CJK font (apt)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null || true; }

lint: setup
	ruff check .
	ruff format --check .

types: setup
	mypy layers/cancelflow
	mypy functions local infra bench app.py

test: setup browser lint types
	pytest -q -p no:cacheprovider

test-fast: setup
	pytest -q -x -m "not e2e and not browser and not slow"

dev: setup
	$(PY) -m local

# Mutation testing over store/ and domain/ (not part of `make test`: about an hour on two cores;
# `make mutation MUTANTS='cancelflow.store.stock.*'` runs some, JOBS=n in parallel). mutmut names
# a mutant after its file's path, which must be the import name, so it runs in build/mutation,
# where `cancelflow` links to layers/cancelflow; settings in [tool.mutmut], pyproject.toml.
# Results stay in build/mutation/mutants between runs; `mutmut show <name>` there shows one.
MUTATION := build/mutation
mutation: setup
	@mkdir -p $(MUTATION)
	@for p in pyproject.toml tests functions local infra; do ln -sfn $(CURDIR)/$$p $(MUTATION)/$$p; done
	@ln -sfn $(CURDIR)/layers/cancelflow $(MUTATION)/cancelflow
	cd $(MUTATION) && mutmut run --max-children $(or $(JOBS),1) $(MUTANTS); \
	  rc=$$?; mutmut results | grep -v ': not checked$$'; exit $$rc

bench: setup
	$(PY) -m bench $(ONLY)

openapi: setup
	$(PY) -m infra.openapi > docs/openapi.json

layer: setup
	$(PY) -m infra.build_layer

synth: setup layer
	$(PY) app.py

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache artifacts
