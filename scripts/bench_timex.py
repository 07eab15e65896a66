"""Speed of rasd.timex on SaudiNewsNet: articles and spans per second, single process.

    .venv/bin/python scripts/bench_timex.py ../shared/data/saudinewsnet --limit 3000 [--show 40]

Articles are read from the day zips (content as it is, `date_extracted` as the base). `--show N` prints
N random spans with their sentence, to check by eye that nothing silly comes out.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

from rasd.timex import find_times


def load(folder: Path, limit: int) -> list[dict]:
    records: list[dict] = []
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            records.extend(json.loads(archive.read(archive.namelist()[0])))
        if len(records) >= limit:
            break
    return [r for r in records if r.get("content")][:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--show", type=int, default=0, help="print this many random spans in context")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"{args.folder}: not a folder of SaudiNewsNet day zips", file=sys.stderr)
        return 2
    records = load(args.folder, args.limit)
    chars = sum(len(r["content"]) for r in records)
    started = time.perf_counter()
    results = [find_times(r["content"], r.get("date_extracted", "")[:10] or None) for r in records]
    elapsed = time.perf_counter() - started
    spans = sum(len(found) for found in results)
    precisions = Counter(s.precision for found in results for s in found)
    unresolved = sum(1 for found in results for s in found if s.value is None)
    print(f"{len(records)} articles, {chars / 1e6:.1f}M chars, {spans} spans in {elapsed:.2f}s: "
          f"{len(records) / elapsed:.0f} articles/s, {spans / elapsed:.0f} spans/s, {chars / elapsed / 1e6:.2f}M chars/s")
    print("precision:", dict(precisions.most_common()), f"unresolved: {unresolved}")
    rng = random.Random(7)
    pool = [(r, s) for r, found in zip(records, results) for s in found]
    for record, span in rng.sample(pool, min(args.show, len(pool))):
        text = record["content"]
        context = text[max(0, span.start - 40):span.start] + "[" + span.text + "]" + text[span.end:span.end + 30]
        print(f"{span.value!s:24} {span.precision:8} {context!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
