"""Measure the shipped NER tagger's speed: tokens per second on the ANERcorp dev split.

    python scripts/bench_ner.py ../shared/data/anercorp/train.txt --runs 3 --workers 2

Each run starts from a freshly loaded tagger (empty feature cache), as a new process would, and
tags the dev sentences split across `--workers` processes (cold); then tags them again with the
per-token feature cache filled (warm, as a long-running process sees its frequent words). Model
loading is timed separately. Prints the median of the runs.
"""
from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rasd.conll import read_gold, split_dev
from rasd.ner import load_tagger


def tag_share(sentences: list[list[str]]) -> tuple[float, float, float]:
    """(load, cold tagging, warm tagging) seconds for one worker's share of the sentences."""
    started = time.perf_counter()
    load_tagger.cache_clear()
    tagger = load_tagger()  # the shipped tagger: the CRF with the neural tagger when it ships
    times = [time.perf_counter()]
    for _ in range(2):
        for tokens in sentences:
            tagger.tag(tokens)
        times.append(time.perf_counter())
    return times[0] - started, times[1] - times[0], times[2] - times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    gold = read_gold(args.train.read_text(encoding="utf-8").splitlines(), str(args.train))
    sentences = [tokens for tokens, _ in split_dev(gold)[1]]
    tokens = sum(map(len, sentences))
    shares = [sentences[i::args.workers] for i in range(args.workers)]
    cold, warm, loads = [], [], []
    with ProcessPoolExecutor(args.workers) as pool:
        for run in range(args.runs):
            timings = list(pool.map(tag_share, shares))
            loads.append(max(t[0] for t in timings))
            cold.append(tokens / max(t[1] for t in timings))
            warm.append(tokens / max(t[2] for t in timings))
            print(f"run {run + 1}: {tokens} tokens, cold {cold[-1]:,.0f} tokens/s, warm {warm[-1]:,.0f} tokens/s, "
                  f"load {loads[-1]:.2f}s")
    print(f"median with {args.workers} worker(s): cold {statistics.median(cold):,.0f} tokens/s, "
          f"warm {statistics.median(warm):,.0f} tokens/s; model load {statistics.median(loads):.2f}s")


if __name__ == "__main__":
    main()
