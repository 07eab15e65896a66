"""Score rasd's story clustering on the hand-labelled SaudiNewsNet dev days.

    .venv/bin/python scripts/eval_dev.py                 # gold slices only
    .venv/bin/python scripts/eval_dev.py --full-day      # whole day ingested, gold ids scored
    .venv/bin/python scripts/eval_dev.py --model other_model.json --days 2015-08-09 2015-08-10

For each gold file (`eval/gold/snn-YYYY-MM-DD-*.jsonl`) the day's records are written, in the day's
order (first record per url kept), to a temporary JSONL and ingested with the real pipeline into a
fresh SQLite database; the stories are read back and scored (B-cubed and pairwise). `--full-day`
ingests every source of the day (a harder, more realistic condition) and still scores only the gold
ids. `--days` ingests whole extra days (unscored) and reports speed and story/thread sizes.

`--reports` scores the days together: every gold slice ingested into one database in day order, and the
stories of the articles the day golds label as a dated market or weather report (`tasi-2015-07-26`,
`oil-market-2015-08-03`: one session's report, whatever file it is in) scored against
`eval/gold/reports-across-days.jsonl`, which gathers those labels. A day's gold cannot see a report joining
the previous day's; this can. `--together eval/gold/days-*.jsonl` does the same for golds that reconcile
consecutive days (the same happening's stories in both days' files made one), scoring every article.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "eval" / "gold"
DATA_DIR = ROOT.parent / "shared" / "data" / "saudinewsnet"  # ../shared beside the repo, as in CI
if str(ROOT) not in sys.path:  # the editable install's finder misses the package when run from scripts/
    sys.path.insert(0, str(ROOT))


def article_id(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def day_records(day: str, data_dir: Path = DATA_DIR) -> list[dict]:
    """The day's records in file order, first record per url kept, each with its rasd id."""
    with zipfile.ZipFile(data_dir / f"{day}.zip") as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    seen, out = set(), []
    for record in records:
        url = record.get("url")
        if not url or url in seen:
            continue
        seen.add(url)
        out.append(record | {"_id": article_id(url)})
    return out


def gold_files(gold_dir: Path = GOLD_DIR) -> list[Path]:
    """Story golds only: `snn-YYYY-MM-DD-<sources>.jsonl` whose lines have a "story" (not the timex golds)."""
    out = []
    for path in sorted(gold_dir.glob("snn-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
        if '"story"' in first:
            out.append(path)
    return out


REPORTS_GOLD = GOLD_DIR / "reports-across-days.jsonl"


def report_days_records(only_reports: bool = False) -> list[dict]:
    """Every gold slice's records in day order (`--reports`); with `only_reports`, only the records
    `REPORTS_GOLD` labels (as the test suite's gate ingests them: 55 articles over 18 days)."""
    reports = load_gold(REPORTS_GOLD)
    out = []
    for path in gold_files():
        records = slice_records(path)
        out += [r for r in records if r["_id"] in reports] if only_reports else records
    return out


def together_records(gold_path: Path) -> list[dict]:
    """The slices of the days a multi-day gold's lines name (`"day"`), in day order (`--together`)."""
    days = {json.loads(line)["day"] for line in gold_path.read_text("utf-8").splitlines() if line.strip()}
    return [r for path in gold_files() if gold_day(path) in days for r in slice_records(path)]


def gold_day(path: Path) -> str:
    return path.stem[4:14]


def load_gold(path: Path) -> dict[str, str]:
    from rasd.evaluate import load_gold as _load

    return _load(path)


def write_jsonl(records: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps({k: v for k, v in record.items() if not k.startswith("_")}, ensure_ascii=False) + "\n")


def slice_records(gold_path: Path, full_day: bool = False) -> list[dict]:
    gold = load_gold(gold_path)
    records = day_records(gold_day(gold_path))
    return records if full_day else [r for r in records if r["_id"] in gold]


def prepared_articles(records: list[dict]):
    """The records as the pipeline sees them (read, cleaned, Arabic-checked, in `ingest.decision_order`)."""
    from rasd.article import Rejection
    from rasd.ingest import read_paths

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "slice.jsonl"
        write_jsonl(records, path)
        return [a for a in read_paths([path], ordered=True) if not isinstance(a, Rejection)]


def run_pipeline(records: list[dict], model_path: Path | None = None, engine=None) -> tuple[dict, float, int, str]:
    """Ingest `records` into a fresh db, removed after; ({article id: story id}, seconds, articles, size report)."""
    from rasd.cluster import JoinModel, StoryEngine
    from rasd.ingest import read_paths
    from rasd.pipeline import Pipeline
    from rasd.store import Store

    if engine is None and model_path is not None:
        engine = StoryEngine(model=JoinModel.from_json(json.loads(Path(model_path).read_text("utf-8"))))
    with tempfile.TemporaryDirectory(prefix="rasd-dev-") as tmp:
        path = Path(tmp) / "slice.jsonl"
        write_jsonl(records, path)
        store = Store(Path(tmp) / "dev.db")
        start = time.perf_counter()
        summary = Pipeline(store, engine).ingest(read_paths([path], ordered=True))  # as `rasd ingest` reads
        seconds = time.perf_counter() - start
        predicted = {aid: story["id"] for story in store.stories() for aid in story["article_ids"]}
        sizes = size_report(store)
        store.close()
    return predicted, seconds, summary.ingested, sizes


def score(predicted: dict, gold: dict) -> dict:
    from rasd.evaluate import bcubed, pairwise

    return {"bcubed": bcubed(predicted, gold), "pairwise": pairwise(predicted, gold),
            "scored": sum(1 for i in gold if i in predicted), "gold": len(gold)}


def fmt(result: dict) -> str:
    b, p = result["bcubed"], result["pairwise"]
    return (f"B3 P={b['precision']:.3f} R={b['recall']:.3f} F1={b['f1']:.3f}  "
            f"pair P={p['precision']:.3f} R={p['recall']:.3f} F1={p['f1']:.3f}  "
            f"({result['scored']}/{result['gold']} scored)")


def size_report(store) -> str:
    stories = store.stories()
    story_sizes = Counter(len(s["article_ids"]) for s in stories)
    threads = Counter(s["thread"] for s in stories)
    thread_articles = Counter()
    for s in stories:
        thread_articles[s["thread"]] += len(s["article_ids"])
    big = sorted(thread_articles.values(), reverse=True)[:8]
    multi = sum(1 for n in threads.values() if n > 1)
    return (f"stories={len(stories)} largest={sorted(story_sizes, reverse=True)[:6]} "
            f"threads={len(threads)} multi-story threads={multi} "
            f"stories/thread max={max(threads.values()) if threads else 0} "
            f"largest threads (articles)={big}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="join model JSON (default: the shipped one)")
    parser.add_argument("--full-day", action="store_true", help="ingest all sources of the day, score gold ids")
    parser.add_argument("--days", nargs="*", default=[], help="also ingest these whole days together (speed, sizes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--sizes", action="store_true", help="print story/thread size distribution")
    parser.add_argument("--reports", action="store_true",
                        help="all gold slices in one database, scored on the dated market/weather reports")
    parser.add_argument("--together", nargs="+", type=Path, default=[], metavar="GOLD",
                        help="multi-day golds (eval/gold/days-*.jsonl): their days' slices in one database, scored")
    args = parser.parse_args()
    results = {}
    runs = [(gold_path.stem, "days together", together_records(gold_path), gold_path) for gold_path in args.together]
    if args.reports:
        days = f"{len(gold_files())} days in one database"
        runs += [("reports-only", f"the report articles alone, {days}", report_days_records(True), REPORTS_GOLD),
                 ("reports-in-slices", f"all gold slices, {days}", report_days_records(False), REPORTS_GOLD)]
    if runs:  # days ingested together: these alone
        for name, what, records, gold_path in runs:
            predicted, _, n, _ = run_pipeline(records, args.model)
            result = results[name] = score(predicted, load_gold(gold_path)) | {"articles": n}
            if not args.json:
                print(f"{gold_path.stem} [{what}] {fmt(result)}  {n} articles")
        if args.json:
            print(json.dumps(results, indent=1))
        return None
    for gold_path in gold_files():
        gold = load_gold(gold_path)
        records = slice_records(gold_path, args.full_day)
        predicted, seconds, n, sizes = run_pipeline(records, args.model)
        result = score(predicted, gold) | {"articles": n, "seconds": round(seconds, 2),
                                          "per_second": round(n / seconds, 1)}
        results[gold_path.stem] = result
        if not args.json:
            cond = "full day" if args.full_day else "slice"
            print(f"{gold_path.stem} [{cond}] {fmt(result)}  {n} articles in {seconds:.1f}s "
                  f"= {n / seconds:.0f}/s")
            if args.sizes:
                print("   ", sizes)
    if args.days:
        records = [r for day in args.days for r in day_records(day)]
        _, seconds, n, sizes = run_pipeline(records, args.model)
        results["days"] = {"days": args.days, "articles": n, "seconds": round(seconds, 2),
                           "per_second": round(n / seconds, 1)}
        if not args.json:
            print(f"days {' '.join(args.days)}: {n} articles in {seconds:.1f}s = {n / seconds:.0f}/s")
            print("   ", sizes)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
