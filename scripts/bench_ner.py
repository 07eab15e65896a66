"""Measure the shipped NER tagger's speed: tokens per second on the ANERcorp dev split.

    python scripts/bench_ner.py ../shared/data/anercorp/train.txt --runs 3 --workers 2
    python scripts/bench_ner.py ../shared/data/anercorp/train.txt --news ../shared/data/saudinewsnet --articles 1500

Each run starts from a freshly loaded tagger (empty feature cache), as a new process would, and
tags the dev sentences split across `--workers` processes (cold); then tags them again with the
per-token feature cache filled (warm, as a long-running process sees its frequent words). Model
loading is timed separately. Prints the median of the runs.

With `--news`, also times `find_mentions` (tokenizing, sentence cutting, tagging an article's
sentences together) on the first `--articles` SaudiNewsNet articles in one process, as ingest
calls it, and reports the process's peak memory (the per-type score cache is bounded).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rasd.conll import read_gold, split_dev
from rasd.ner import find_mentions, load_tagger, tokenize


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


def news_articles(folder: Path, count: int) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for record in json.loads(archive.read(name)):
                    texts.append(f"{record.get('title') or ''}\n{record.get('content') or ''}")
                    if len(texts) == count:
                        return texts
    return texts


def bench_news(folder: Path, count: int, runs: int) -> None:
    texts = news_articles(folder, count)
    tokens = sum(len(tokenize(t)) for t in texts)
    tagger = load_tagger()
    speeds = []
    for run in range(runs):
        started = time.perf_counter()
        for text in texts:
            find_mentions(text, tagger)
        speeds.append(tokens / (time.perf_counter() - started))
        print(f"news run {run + 1}: {len(texts)} articles, {tokens} tokens, {speeds[-1]:,.0f} tokens/s "
              f"({'cold' if run == 0 else 'warm'} cache)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"news median: {statistics.median(speeds):,.0f} tokens/s in one process; peak RSS {peak} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--news", type=Path, help="SaudiNewsNet folder: also time find_mentions on its articles")
    parser.add_argument("--articles", type=int, default=1500)
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
    if args.news:
        bench_news(args.news, args.articles, args.runs)


if __name__ == "__main__":
    main()
