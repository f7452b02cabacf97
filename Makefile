# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   builds the demo on the embedded DuckDB and prints the summary
#   make test   runs the lint and the whole test suite (what CI runs)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The demo needs only the package; the tests add pytest, the linters and Spark (its tests).
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test demo test test-fast lint compile-check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,dev,spark]'
	touch $(TEST_STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/journeys demo

compile-check: $(STAMP)
	$(BIN)/journeys validate
	$(BIN)/journeys compile --check

# ruff (lint and format) and mypy over the package; doctests run in the suite (--doctest-modules).
lint: $(TEST_STAMP)
	$(BIN)/ruff check journey_compiler
	$(BIN)/ruff format --check journey_compiler
	$(BIN)/mypy

test: lint compile-check chromium-installed java-installed
	$(BIN)/pytest -n 2 --dist loadgroup

# The edit loop: everything that builds no dbt project and starts no Spark, in well under a minute.
test-fast: $(TEST_STAMP)
	$(BIN)/pytest -n 2 -m "not dbt and not spark"

# The report's browser test (tests/test_report.py) renders the HTML in Debian's headless Chromium.
.PHONY: chromium-installed
chromium-installed:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# The Spark tests (tests/test_spark.py, docs/warehouses.md) run a local Spark 4 session: Java 17.
.PHONY: java-installed
java-installed:
	command -v java >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-17-jre-headless)

# Benchmarks (docs/performance.md): figures, not tests. Generates 1M and 10M events under bench/data/.
bench: $(TEST_STAMP)
	$(BIN)/python bench/run_bench.py engine --events 1000000 10000000
	$(BIN)/python bench/run_bench.py nightly --per-day 3300 --history-days 45 90 180

clean:
	rm -rf target dbt_packages logs

# The Helpdesk example on the real log, shipped in examples/helpdesk/data/ (CC BY 4.0, see its
# ATTRIBUTION.md); HELPDESK_LOG=path builds another copy.
HELPDESK_LOG ?= examples/helpdesk/data/helpdesk.csv.gz
.PHONY: helpdesk
helpdesk: $(STAMP)
	$(BIN)/python examples/helpdesk/build.py --source $(HELPDESK_LOG)
