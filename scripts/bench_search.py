"""Benchmark: search latency on a SaudiNewsNet database, and what the search index costs on disk.

    rasd ingest ../shared/data/saudinewsnet/*.zip --db /tmp/snn-search.db --quiet
    python scripts/bench_search.py --db /tmp/snn-search.db [--build ../shared/data/saudinewsnet]

A fixed list of 155 queries is drawn once per run, with a fixed seed, from the titles of one
SaudiNewsNet day (`--queries-from`, default 2015-08-10.zip): 60 single words, 30 rare words (mostly
names), 30 two-word phrases, 20 misspellings (a long vowel dropped or added, hamza and final `ى`/`ة`
spelled plainly) and 15 junk queries (FTS5 syntax, emoji, stopwords only, 10 KB of text). Each query
runs `rasd.search.search` as the CLI and the API call it (20 hits with snippets and the stories of all
hits), `--runs` times; latency is the wall time per call. Prints p50/p95/max in ms, per kind and
overall, and the database size with the search index's share of it (`dbstat`, when SQLite has it).
With `--build DIR`, an empty `--db` is first filled with every `DIR/*.zip` (about 6 minutes).
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from rasd.features import STOPWORDS
from rasd.search import search
from rasd.store import Store

SEED = 6
JUNK = ['"', '"التحالف', "NEAR(العراق", "AND OR NOT", "-السعودية", "title:الرياض", "^جدة", "*", "(((",
        "😀🇸🇦", "في من على", "DROP TABLE articles;--", "ـــــ", "{body}: x", "السعودية " * 1200]
_VOWELS = "اوي"


def _titles(day_zip: Path) -> list[str]:
    titles = []
    with zipfile.ZipFile(day_zip) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".json"):
                titles += [r.get("title") or "" for r in json.loads(archive.read(name))]
    return [" ".join(t.replace("/", " ").split()) for t in titles if t]


def _words(title: str) -> list[str]:
    return [w.strip(".,:«»\"'()!؟،-") for w in title.split()]


def _misspell(word: str, rng: random.Random) -> str:
    """One spelling slip of the kinds news text has: a long vowel dropped/added, plain alef, final ى/ه."""
    if word.endswith("ي") and rng.random() < 0.3:
        return word[:-1] + "ى"
    if word.endswith("ة") and rng.random() < 0.3:
        return word[:-1] + "ه"
    if any(c in word for c in "أإآ") and rng.random() < 0.5:
        return word.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    inner = [i for i in range(2, len(word) - 1) if word[i] in _VOWELS]
    if inner and rng.random() < 0.6:
        i = rng.choice(inner)
        return word[:i] + word[i + 1:]
    i = rng.randrange(2, len(word))
    return word[:i] + rng.choice(_VOWELS) + word[i:]


def draw_queries(day_zip: Path, seed: int = SEED) -> list[tuple[str, str]]:
    """(kind, query) pairs: the same list every run for the same day file and seed."""
    from rasd.features import idf_table, name_tokens

    rng = random.Random(seed)
    titles = _titles(day_zip)
    words = sorted({w for t in titles for w in _words(t) if len(w) >= 4 and w not in STOPWORDS and w.isalpha()})
    counts = idf_table().words  # document counts of folded, article-stripped words in all of SaudiNewsNet
    rare = [w for w in words if all(0 < counts.get(k, 0) < 40 for k in name_tokens(w))]
    pairs = sorted({" ".join(ws[i:i + 2]) for t in titles for ws in [_words(t)] for i in range(len(ws) - 1)
                    if all(len(w) >= 3 and w.isalpha() and w not in STOPWORDS for w in ws[i:i + 2])})
    long_words = [w for w in words if len(w) >= 5]
    queries = [("word", w) for w in rng.sample(words, 60)]
    queries += [("rare", w) for w in rng.sample(rare, 30)]
    queries += [("phrase", p) for p in rng.sample(pairs, 30)]
    queries += [("misspelt", _misspell(w, rng)) for w in rng.sample(long_words, 20)]
    queries += [("junk", q) for q in JUNK]
    return queries


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"n": len(values), "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1)}


def _sizes(store: Store) -> dict:
    files = [Path(store.path + suffix) for suffix in ("", "-wal")]
    size = {"db_mb": round(sum(f.stat().st_size for f in files if f.exists()) / 2**20, 1)}
    try:
        rows = store.db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    except Exception:  # SQLite built without dbstat: the file size alone
        return size
    by_name = {name: pages for name, pages in rows}
    size["search_index_mb"] = round(sum(v for k, v in by_name.items() if k.startswith("search_fts")) / 2**20, 1)
    size["articles_fts_mb"] = round(sum(v for k, v in by_name.items() if k.startswith("articles_fts")) / 2**20, 1)
    return size


def _empty(db: Path) -> bool:
    store = Store(db)
    try:
        return store.article_count() == 0
    finally:
        store.close()


def build(db: Path, data: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    rasd = Path(sys.executable).parent / "rasd"
    days = sorted(data.glob("*.zip"))
    print(f"building {db} from {len(days)} day files (a few minutes)…", file=sys.stderr)
    subprocess.run([str(rasd), "ingest", *map(str, days), "--db", str(db), "--quiet"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="a rasd database with SaudiNewsNet ingested")
    parser.add_argument("--build", type=Path, help="SaudiNewsNet folder to ingest first when --db has no articles")
    parser.add_argument("--queries-from", type=Path, help="day file the queries are drawn from")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = args.build or Path(__file__).resolve().parents[2] / "shared" / "data" / "saudinewsnet"
    day = args.queries_from or data / "2015-08-10.zip"
    if not day.is_file():
        raise SystemExit(f"bench_search: no day file to draw queries from at {day} (--queries-from)")
    if args.build and (not args.db.exists() or _empty(args.db)):
        build(args.db, args.build)
    opened = time.perf_counter()
    store = Store(args.db)  # an older database gets its search index here (migration 4)
    open_s = time.perf_counter() - opened
    queries = draw_queries(day)
    timings: dict[str, list[float]] = {}
    hits = []
    for _ in range(args.runs):
        for kind, query in queries:
            start = time.perf_counter()
            result = search(store, query)
            timings.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
            hits.append(result["total"])
    report = {"articles": store.article_count(), "queries": len(queries), "runs": args.runs,
              "open_s": round(open_s, 2), "all": _percentiles([t for ts in timings.values() for t in ts]),
              "by_kind": {k: _percentiles(v) for k, v in timings.items()},
              "median_hits": statistics.median(hits), "no_hits": sum(1 for h in hits if h == 0) // args.runs,
              **_sizes(store)}
    store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"{report['articles']} articles, {report['queries']} queries x {args.runs} runs; "
          f"db {report['db_mb']} MB (search index {report.get('search_index_mb', '?')} MB, "
          f"articles_fts {report.get('articles_fts_mb', '?')} MB); opened in {report['open_s']} s")
    for kind, s in [*report["by_kind"].items(), ("all", report["all"])]:
        print(f"  {kind:<9} n={s['n']:<4} p50 {s['p50_ms']:>7.1f} ms  p95 {s['p95_ms']:>7.1f} ms  max {s['max_ms']:>7.1f} ms")
    print(f"  median hits per query {report['median_hits']}, queries with no hit {report['no_hits']}")


if __name__ == "__main__":
    main()
