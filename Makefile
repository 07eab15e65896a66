# rasd: `make demo` and `make test` work on a fresh machine (Python >= 3.10 with venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rasd-installed
SHARED ?= ../shared

.PHONY: demo test bench eval install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/rasd demo --db rasd-demo.db

test: $(STAMP)
	$(BIN)/python -m pytest -q

eval: $(STAMP)
	$(BIN)/python scripts/eval_dev.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --data $(SHARED)/data/saudinewsnet --runs 3

clean:
	rm -rf $(VENV) *.egg-info rasd-demo.db* bench-out
