"""Learn the document frequencies the story engine weighs words by, from SaudiNewsNet.

    python scripts/train_idf.py ../shared/data/saudinewsnet rasd/data/idf.json.gz

Counts, over all articles, in how many documents each stem and each folded word occurs; keeps
those seen in at least `--min-df` documents (rarer ones are rare by default at run time).
"""
from __future__ import annotations

import argparse
import gzip
import json
import zipfile
from collections import Counter
from pathlib import Path

from rasd.features import name_tokens, stem_tokens


def distinct_records(folder: Path):
    """Every SaudiNewsNet record of the day archives in `folder`, the first one per url only."""
    seen = set()
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for record in json.loads(archive.read(name)):
                    if record.get("url") in seen:
                        continue
                    seen.add(record.get("url"))
                    yield record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--min-df", type=int, default=3)
    args = parser.parse_args()
    stems, words, docs = Counter(), Counter(), 0
    for record in distinct_records(args.data):
        text = f"{record.get('title') or ''}\n{record.get('content') or ''}"
        docs += 1
        stems.update(set(stem_tokens(text)))
        words.update(set(name_tokens(text)))
    table = {
        "docs": docs,
        "source": "SaudiNewsNet (Alhagri 2015), CC BY-NC-SA 4.0; document frequencies only",
        "stems": {k: v for k, v in stems.items() if v >= args.min_df},
        "words": {k: v for k, v in words.items() if v >= args.min_df},
    }
    args.out.write_bytes(gzip.compress(json.dumps(table, ensure_ascii=False, sort_keys=True).encode("utf-8"), 9, mtime=0))
    print(f"{docs} documents, {len(table['stems'])} stems, {len(table['words'])} words -> {args.out}")


if __name__ == "__main__":
    main()
