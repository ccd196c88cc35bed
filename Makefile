# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench services clean
# The shopper's languages: each gettext catalogue compiled at install and test time (activities/translations.py)
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The portal's browser files (htmx served to shoppers, axe-core for the accessibility tests), pinned in package-lock.json
NPM_STAMP := node_modules/.installed
$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

locale/%.mo: locale/%.po | $(STAMP)
	$(PY) -m activities.translations compile

## make run: start Temporal (with UI), the sandboxes, a worker and the API; Ctrl-C stops all
run: $(STAMP) $(NPM_STAMP) $(CATALOGUES)
	exec $(PY) -m cli run

## make test: formatting and lint, then the whole suite (starts what it needs itself)
test: $(STAMP) $(NPM_STAMP) $(CATALOGUES) services lint
	$(PY) -m pytest

## make lint: `ruff format --check` and `ruff check` ([tool.ruff] in pyproject.toml); `ruff format .` fixes the first
lint: $(STAMP)
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

## make services: what the tests need from the machine (PostgreSQL running, docker-compose)
services:
	@bash tests/services.sh

## make bench: benchmarks; they print figures next to their targets, nothing passes or fails (about 30 minutes):
## actions per return (recorded histories, then the returns the e2e bench drove), throughput against the floor,
## create and refund latencies, and a worker's memory as 10,000 returns wait for their first scan
bench: $(STAMP)
	$(PY) -m bench.actions
	$(PY) -m bench.e2e
	$(PY) -m bench.open_returns --returns 10000

clean:
	rm -rf .data .pytest_cache .hypothesis
