# Two commands for a newcomer: `make dev` (the whole system locally) and `make test`.
# Both set themselves up: a virtual environment on the Lambda runtime's Python, installed from
# the lock (uv.lock), node for the CDK, and Debian's chromium for the browser tests.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
# The functions run on Lambda's python3.13 (infra/build_layer.LAMBDA_PYTHON); the tests run on
# the same minor version. Found on PATH or under pyenv (the machine image carries it).
PYTHON_VERSION := 3.13
PY_BASE := $(shell for p in python$(PYTHON_VERSION) $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION).*/bin/python$(PYTHON_VERSION)) /usr/local/bin/python$(PYTHON_VERSION) /usr/bin/python$(PYTHON_VERSION); do \
  $$p -c 'import sys; assert "%d.%d" % sys.version_info[:2] == "$(PYTHON_VERSION)"; print(sys.executable)' 2>/dev/null && break; done)
# uv installs from the lock; it is bootstrapped (pinned) into its own small venv.
UV_VERSION := 0.13.9
TOOLS := build/tools
UV    := $(TOOLS)/bin/uv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml uv.lock | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/$(TOOLS)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
# uv must use the machine's CPython, never download one, and put the venv where make expects it.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: setup python spin checkov lock bootstrap browser web web-client lint types test test-fast dev bench valgrind sandbox-refund synth layer deploy diff cdk-cli clean openapi mutation

setup: $(STAMP)

python:
	@test -n "$(PY_BASE)" || { \
	  echo "make: Python $(PYTHON_VERSION) is needed (the Lambda runtime's version) and none was found"; \
	  echo "      on PATH or under ~/.pyenv/versions. Install it with one of:"; \
	  echo "        pyenv install $(PYTHON_VERSION)"; \
	  echo "        apt-get install python$(PYTHON_VERSION) python$(PYTHON_VERSION)-venv   (Debian trixie, Ubuntu 24.04+)"; \
	  exit 1; }

$(UV): | python
	@echo "==> bootstrapping uv $(UV_VERSION) into $(TOOLS)"
	@$(PY_BASE) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	@echo "==> setting up $(VENV) on Python $(PYTHON_VERSION) from uv.lock (python packages, node for the CDK)"
	@UV_PYTHON=$(PY_BASE) $(UV) sync --frozen --quiet
	@rm -f $(VENV)/.installed-* && touch $@

# checkov (a second opinion on the templates, tests/infra) pins its own boto3 and more: it lives in
# its own environment, installed from the same lock (its dependency group).
CHECKOV := build/checkov/bin/checkov
checkov: $(CHECKOV)
$(CHECKOV): pyproject.toml uv.lock | $(UV)
	@echo "==> installing checkov into build/checkov from uv.lock"
	@UV_PROJECT_ENVIRONMENT=$(CURDIR)/build/checkov UV_PYTHON=$(PY_BASE) $(UV) sync --frozen --only-group checkov --quiet
	@touch $@

# Re-resolve every dependency to the newest allowed by pyproject.toml (and the CDK CLI's lock).
lock: $(UV)
	UV_PYTHON=$(PY_BASE) $(UV) lock --upgrade
	cd infra/cli && npm install --package-lock-only --ignore-scripts
	cd web && npm install --package-lock-only --ignore-scripts

# How Debian packages are installed when missing (as root): chromium and a CJK font, spin, valgrind.
APT_INSTALL := (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# Debian's chromium for Playwright (its own browser download is blocked here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> installing chromium (apt)"; \
	  $(APT_INSTALL) chromium >/dev/null; }
	@# a small CJK font, so the console's Chinese text renders in the screenshots (not as boxes)
	@fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || { \
	  echo "==> installing a CJK font (apt)"; \
	  $(APT_INSTALL) fonts-wqy-microhei >/dev/null || true; }

# Debian's spin (and a C compiler for the verifiers it writes) for the model check (tests/model).
spin:
	@command -v spin >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || { \
	  echo "==> installing spin and gcc (apt)"; \
	  $(APT_INSTALL) spin gcc >/dev/null; }

# The customer page's client library and its tools (openapi-fetch, openapi-typescript, tsc, axe-core),
# pinned in web/package.json and its lock.
WEB_STAMP := web/node_modules/.installed
web: $(WEB_STAMP)
$(WEB_STAMP): web/package.json web/package-lock.json | setup
	@echo "==> installing the customer page's packages into web/node_modules (npm ci)"
	@cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# Regenerate the typed client (web/src/api.d.ts) from docs/openapi.json; a test fails while it is stale.
web-client: web openapi
	cd web && npm run -s generate

lint: setup
	@# the lock agrees with pyproject.toml (offline: from uv's cache, a few milliseconds)
	UV_PYTHON=$(PY_BASE) $(UV) lock --check --offline --quiet
	ruff check .
	ruff format --check .

types: setup
	mypy layers/cancelflow
	mypy functions local infra bench app.py

test: setup browser spin checkov web lint types
	pytest -q -p no:cacheprovider

test-fast: setup
	pytest -q -x -m "not e2e and not browser and not slow"

dev: setup web
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

bench: setup valgrind
	$(PY) -m bench $(ONLY)

# Debian's valgrind, with which the cold-start bench counts each process's instructions (a figure
# the machine's load does not move; bench/bench_coldstart.py). Without it the bench says so and
# prints the times alone.
valgrind:
	@command -v valgrind >/dev/null 2>&1 || { \
	  echo "==> installing valgrind (apt)"; \
	  $(APT_INSTALL) valgrind >/dev/null \
	  || echo "    valgrind not installed: the cold-start bench prints the times alone"; }

# One refund and one query against a provider's sandbox (docs/refunds.md, "Going live"); it refuses
# clearly without credentials. `make sandbox-refund PROVIDER=alipay ARGS='...'`.
sandbox-refund: setup
	$(PY) -m local.sandbox_refund $(PROVIDER) $(ARGS)

openapi: setup
	$(PY) -m infra.openapi > docs/openapi.json

layer: setup
	$(PY) -m infra.build_layer

synth: setup layer
	$(PY) app.py

# The CDK CLI, pinned in infra/cli/package.json and its lock (never "whatever npm has today").
CDK := infra/cli/node_modules/.bin/cdk
cdk-cli: $(CDK)
$(CDK): infra/cli/package.json infra/cli/package-lock.json | setup
	cd infra/cli && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

bootstrap: setup cdk-cli
	$(CDK) bootstrap

# `make deploy ENV=prod` (default dev); `make diff ENV=prod` shows what a deploy would change.
deploy: setup layer cdk-cli
	$(CDK) deploy --all -c env=$(or $(ENV),dev)

diff: setup layer cdk-cli
	$(CDK) diff --all -c env=$(or $(ENV),dev)

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache artifacts
