"""Measure the speed of the quotation and number finders on SaudiNewsNet articles.

    python scripts/bench_quotes_numbers.py ../shared/data/saudinewsnet --limit 3000

Reads the first `--limit` articles of the day archives (in file order), then times, each over all of
them: the NER mentions that `find_quotes` needs (computed once, timed on their own), `find_quotes`
given those mentions, and `find_numbers`. Prints articles per second for each stage and what was found.
"""
from __future__ import annotations

import argparse
import json
import time
import zipfile
from pathlib import Path

from rasd.ner import find_mentions, load_tagger
from rasd.numbers import find_numbers
from rasd.quotes import find_quotes


def load_texts(folder: Path, limit: int) -> list[str]:
    """Article texts from the day zips, in order, until `limit`."""
    texts: list[str] = []
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for record in json.loads(archive.read(name)):
                    if record.get("content"):
                        texts.append(record["content"])
                        if len(texts) >= limit:
                            return texts
    return texts


def timed(fn, items) -> tuple[float, list]:
    started = time.perf_counter()
    out = [fn(item) for item in items]
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder of SaudiNewsNet day zips")
    parser.add_argument("--limit", type=int, default=3000)
    args = parser.parse_args()
    texts = load_texts(args.data, args.limit)
    if not texts:
        raise SystemExit(f"no articles found in {args.data}")
    chars = sum(map(len, texts))
    load_tagger()
    ner_s, mentions = timed(find_mentions, texts)
    quotes_s, quotes = timed(lambda pair: find_quotes(*pair), list(zip(texts, mentions)))
    numbers_s, numbers = timed(find_numbers, texts)
    n = len(texts)
    print(f"{n} articles, {chars / 1e6:.1f}M characters")
    for stage, seconds, found in (("NER mentions (for quotes)", ner_s, mentions),
                                  ("find_quotes (given mentions)", quotes_s, quotes),
                                  ("find_numbers", numbers_s, numbers)):
        print(f"{stage:<30} {n / seconds:>9.1f} articles/s  {seconds:>7.2f} s  "
              f"{sum(map(len, found)) / n:>5.2f} per article")


if __name__ == "__main__":
    main()
