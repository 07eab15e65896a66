# rasd: `make demo` and `make test` work on a fresh machine (Python >= 3.10 with venv).
# The venv's interpreter: the distribution's /usr/bin/python3 where it is 3.10+ and can make a venv, else the
# first python3 on PATH. Debian's is built with profile-guided and link-time optimisation and links libpython
# statically; on this project's machines (pyenv's 3.11 first on PATH, built without either) the 18-day ingest
# takes ~5% less CPU under it, with the same output. An existing .venv is kept: remove it to make it again.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 10))' \
	2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rasd-installed
SHARED ?= ../shared
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: demo test bench eval install clean train-ner train-ner-neural bench-ner browser

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
	$(BIN)/python scripts/eval_dev.py --reports
	$(BIN)/python scripts/eval_dev.py --together eval/gold/days-*.jsonl

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --data $(SHARED)/data/saudinewsnet --runs 3

# The NER tagger: word clusters from SaudiNewsNet (only when missing; `make -B` redoes them), then the CRF.
rasd/data/word_clusters.json.gz: | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	OMP_NUM_THREADS=1 $(BIN)/python scripts/train_word_clusters.py $(SHARED)/data/saudinewsnet $@

train-ner: rasd/data/word_clusters.json.gz
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	mkdir -p $(NER_BUILD)
	OMP_NUM_THREADS=1 $(BIN)/python scripts/train_ner.py $(SHARED)/data/anercorp/train.txt --dev-model $(NER_BUILD)/dev.crfsuite

# Opt-in, after train-ner: the BiLSTM-CRF (torch on CPU, exported to ONNX) for NER_EPOCHS epochs, combined
# with the CRF's marginals at NER_CRF_WEIGHT (chosen on dev by the `dev` and `combine` steps). Once its
# files are in rasd/data, load_tagger uses the combination: dev F1 0.759 vs 0.722, about 1/3 the speed.
NER_BUILD := bench-out/ner
NER_EPOCHS ?= 8
NER_CRF_WEIGHT ?= 0.5
NER_NEURAL = OMP_NUM_THREADS=1 $(BIN)/python scripts/train_ner_neural.py $(SHARED)/data/anercorp/train.txt \
	--vectors $(NER_BUILD)/w2v.kv --hidden 100 --epochs $(NER_EPOCHS) --checkpoints $(NER_BUILD)
train-ner-neural:
	OMP_NUM_THREADS=1 $(BIN)/python scripts/train_word_clusters.py $(SHARED)/data/saudinewsnet \
		$(NER_BUILD)/word_clusters.json.gz --save-vectors $(NER_BUILD)/w2v.kv
	$(NER_NEURAL) --mode dev
	$(NER_NEURAL) --mode final
	$(NER_NEURAL) --mode combine --checkpoint $(NER_BUILD)/dev-$(NER_EPOCHS).pt --crf-model $(NER_BUILD)/dev.crfsuite \
		--report $(NER_BUILD)/combine.json
	$(NER_NEURAL) --mode export --checkpoint $(NER_BUILD)/all-$(NER_EPOCHS).pt --crf-weight $(NER_CRF_WEIGHT)

bench-ner: $(STAMP)
	$(BIN)/python scripts/bench_ner.py $(SHARED)/data/anercorp/train.txt --runs 3 --workers 2

clean:
	rm -rf $(VENV) *.egg-info rasd-demo.db* bench-out
