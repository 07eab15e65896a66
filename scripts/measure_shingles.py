"""Compare shingle kinds for copy detection on SaudiNewsNet: `was` items vs newspapers reprinting them.

    .venv/bin/python scripts/measure_shingles.py 2015-08-09 2015-08-10 2015-08-11 [--samples 5]

For each `was` (Saudi Press Agency) item of the first day, every newspaper article of the given days
that shares at least one word 8-gram with it is a candidate pair (a reprint must share long runs of
words; two reports of the same event rarely do). For each candidate pair the exact Jaccard of word
3/4/5-shingles and character 5/7-shingles is computed; the script prints, per kind and threshold,
how many pairs pass, and samples pairs near each kind's threshold so precision can be checked by
reading them (`--samples`).
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_dev import day_records  # noqa: E402

from rasd.dedupe import shingles  # noqa: E402
from rasd.normalize import matching_form, tokens  # noqa: E402

KINDS = [("word", 3), ("word", 4), ("word", 5), ("char", 5), ("char", 7)]
THRESHOLDS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="+")
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    was = [r for r in day_records(args.days[0]) if r["source"] == "was" and len(r.get("content") or "") > 200]
    papers = [r for d in args.days for r in day_records(d) if r["source"] != "was" and len(r.get("content") or "") > 200]
    index = defaultdict(set)
    for i, r in enumerate(papers):
        words = tokens(matching_form(r["content"]))
        for j in range(0, max(0, len(words) - 7), 2):
            index[" ".join(words[j:j + 8])].add(i)
    pairs = []
    for w in was:
        words = tokens(matching_form(w["content"]))
        hits = set()
        for j in range(max(0, len(words) - 7)):
            hits |= index.get(" ".join(words[j:j + 8]), set())
        for i in hits:
            pairs.append((w, papers[i]))
    print(f"{len(was)} was items, {len(papers)} newspaper articles, {len(pairs)} candidate pairs sharing a word 8-gram")
    scores = []
    for w, p in pairs:
        row = {}
        for kind, size in KINDS:
            row[(kind, size)] = jaccard(shingles(w["content"], size, kind), shingles(p["content"], size, kind))
        scores.append((w, p, row))
    print("kind     " + " ".join(f">={t:<4}" for t in THRESHOLDS))
    for k in KINDS:
        print(f"{k[0]}-{k[1]}   " + " ".join(f"{sum(1 for *_, r in scores if r[k] >= t):<6}" for t in THRESHOLDS))
    for k in KINDS:
        band = sorted(((r[k], w, p) for w, p, r in scores if 0.45 <= r[k] < 0.8), key=lambda x: x[0])
        print(f"\n== {k[0]}-{k[1]}: {len(band)} pairs in [0.45, 0.8); samples:")
        for j, w, p in band[:: max(1, len(band) // max(1, args.samples))][: args.samples]:
            print(f"  {j:.2f} was: {w['title'][:60]!r}\n       {p['source']}: {p['title'][:60]!r}"
                  f" (len {len(w['content'])} vs {len(p['content'])})")


if __name__ == "__main__":
    main()
