"""Speed of the NER + entity stage on SaudiNewsNet articles: articles/s and tokens/s, and ingest with it.

    .venv/bin/python scripts/bench_entities.py [--articles 2000] [--day 2015-08-10] [--dump mentions.jsonl]

Times `annotate_mentions` (CRF tagging + repairs + titles/roles) and the resolver's decisions on the
same articles, apart from reading and from the rest of ingest. Needs ../shared/data beside the repo.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

from rasd.entities import EntityResolver, annotate_mentions
from rasd.ner import find_mentions, load_tagger, tokenize

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "saudinewsnet"


def articles(n: int, first_day: str) -> list[str]:
    texts = []
    for path in sorted(DAYS.glob("*.zip")):
        if path.stem < first_day:
            continue
        with zipfile.ZipFile(path) as archive:
            for record in json.loads(archive.read(archive.namelist()[0])):
                if record.get("content"):
                    texts.append(record["content"])
                    if len(texts) == n:
                        return texts
    return texts


def ingest_share(texts: list[str]) -> dict:
    """Ingest `texts` through the real Pipeline; time the whole and the entity parts inside it."""
    import tempfile

    from rasd import pipeline as pipeline_module
    from rasd.article import Article
    from rasd.pipeline import Pipeline
    from rasd.store import Store

    spent = {"annotate_mentions": 0.0, "resolve_and_write": 0.0}

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t0
        return wrapper

    pipeline_module.annotate_mentions = timed("annotate_mentions", annotate_mentions)
    write = EntityResolver.write
    EntityResolver.write = timed("resolve_and_write", write)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        pipe = Pipeline(store)
        items = [Article(id=f"a{i}", title=text.split("\n", 1)[0][:80], text=text, published="2015-08-10")
                 for i, text in enumerate(texts)]
        t0 = time.perf_counter()
        summary = pipe.ingest(items)
        total = time.perf_counter() - t0
        entities = len(store.entities())
        store.close()
    EntityResolver.write = write
    pipeline_module.annotate_mentions = annotate_mentions
    return {"articles": summary.ingested, "seconds": round(total, 2), "articles_per_s": round(summary.ingested / total, 1),
            "entities": entities, **{k: round(v, 2) for k, v in spent.items()},
            "entity_share": round(sum(spent.values()) / total, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--day", default="2015-08-10", help="first SaudiNewsNet day to read")
    parser.add_argument("--ingest", type=int, default=1000,
                        help="also ingest this many of the articles into a temporary database (0: skip)")
    parser.add_argument("--dump", help="write each article's mentions here (JSONL), for building gold")
    args = parser.parse_args()
    if not DAYS.exists():
        sys.exit(f"no SaudiNewsNet at {DAYS}")
    texts = articles(args.articles, args.day)
    tokens = sum(len(tokenize(t)) for t in texts)
    tagger = load_tagger()
    t0 = time.perf_counter()
    for text in texts:
        find_mentions(text, tagger)
    crf = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = [annotate_mentions(text, tagger) for text in texts]
    stage = time.perf_counter() - t0
    n = len(texts)
    ingest = ingest_share(texts[:args.ingest]) if args.ingest else None
    report = {
        "articles": n, "tokens": tokens, "mentions": sum(len(m) for m in found),
        "crf_only": {"seconds": round(crf, 2), "articles_per_s": round(n / crf, 1), "tokens_per_s": round(tokens / crf)},
        "annotate_mentions": {"seconds": round(stage, 2), "articles_per_s": round(n / stage, 1),
                              "tokens_per_s": round(tokens / stage)},
    }
    if ingest:
        report["ingest"] = ingest
    print(json.dumps(report, indent=2))
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as out:
            for text, mentions in zip(texts, found):
                out.write(json.dumps([m.to_json() for m in mentions], ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
