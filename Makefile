# voc: two commands on a fresh clone
#   make run    creates ./.venv, installs everything, builds and analyses the demo, serves :8000
#   make test   installs what is missing, then runs the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.voc-installed
PYTEST_ARGS ?=

CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install browser run test test-fast bench eval train-sentiment screenshots clean help

help:
	@echo "make run | make test | make test-fast | make bench | make eval | make train-sentiment | make screenshots | make clean"

# torch first, pinned to the CPU build on this disk: an unpinned torch would pull a multi-GB CUDA build
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# the dashboard tests drive Debian's headless Chromium (Playwright comes with the test extra)
browser: $(CHROMIUM)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

run: $(STAMP)
	$(BIN)/voc demo

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/api_load.py --data bench/out/api_load_db --out bench

# every quality figure in the README, on the test splits of ../shared/data (tuned on dev only)
eval: $(STAMP)
	$(BIN)/python bench/eval_sentiment.py
	$(BIN)/python bench/eval_themes.py
	$(BIN)/python bench/eval_promises.py
	$(BIN)/python bench/eval_routing.py --end-to-end

# rebuild the shipped sentiment model from the dev splits of ../shared/data (see models/sentiment/MODEL_CARD.md)
train-sentiment: $(STAMP)
	$(BIN)/python bench/sentiment_training_data.py bench/out/sentiment-data
	$(BIN)/voc --db bench/out/sentiment-cache.db train sentiment --data bench/out/sentiment-data/airline_dev.csv \
	  --data bench/out/sentiment-data/uci_dev.csv --data bench/out/sentiment-data/amazon_dev.csv \
	  --output models/sentiment

# a screenshot of every dashboard page, taken by the browser tests, into docs/screenshots/
screenshots: $(STAMP) $(CHROMIUM)
	VOC_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_web_browser.py $(PYTEST_ARGS)

clean:
	rm -rf .voc-demo .pytest_cache bench/out
