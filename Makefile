# The two commands of the README: `make demo` (the main job on the bundled demo cluster) and
# `make test` (installs what the tests need, starts Redis/Elasticsearch/OpenSearch, runs pytest).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-deps test setup system-deps services-up services-down lint bench clean

$(BIN)/govinspect: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/govinspect

# the demo renders the city portal in Debian's Chromium: install it (and the CJK font) first
demo: demo-deps setup
	$(BIN)/govinspect demo --out demo-output

demo-deps:
	bash scripts/system-deps.sh demo

system-deps:
	bash scripts/system-deps.sh

services-up:
	bash scripts/services.sh start

services-down:
	bash scripts/services.sh stop

lint: setup
	$(BIN)/ruff check .

test: system-deps setup
	bash scripts/services.sh start
	$(BIN)/ruff check . ; status=$$?; \
	. ./.services.env; $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS) || status=1; \
	bash scripts/services.sh stop; exit $$status

bench: setup
	$(BIN)/python bench/bench_crawl.py

clean:
	rm -rf demo-output govinspect-data .pytest_cache
