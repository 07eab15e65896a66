# rasd: `make demo` and `make test` work on a fresh machine (Python >= 3.10 with venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rasd-installed
SHARED ?= ../shared
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: demo test bench eval install clean train-ner bench-ner browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/rasd demo --db rasd-demo.db

# The browser tests (tests/test_web.py) drive Debian's chromium, with Arabic fonts; installed only when missing.
$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-core

browser: $(CHROMIUM)

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q

eval: $(STAMP)
	$(BIN)/python scripts/eval_dev.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --data $(SHARED)/data/saudinewsnet --runs 3
	$(BIN)/python scripts/bench_search.py --db bench-out/search.db --build $(SHARED)/data/saudinewsnet

# The NER tagger: word clusters from SaudiNewsNet (only when missing; `make -B` redoes them), then the CRF.
rasd/data/word_clusters.json.gz: | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	OMP_NUM_THREADS=1 $(BIN)/python scripts/train_word_clusters.py $(SHARED)/data/saudinewsnet $@

train-ner: rasd/data/word_clusters.json.gz
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	OMP_NUM_THREADS=1 $(BIN)/python scripts/train_ner.py $(SHARED)/data/anercorp/train.txt

bench-ner: $(STAMP)
	$(BIN)/python scripts/bench_ner.py $(SHARED)/data/anercorp/train.txt --runs 3 --workers 2

clean:
	rm -rf $(VENV) *.egg-info rasd-demo.db* bench-out
