"""Benchmark: ingest and cluster all SaudiNewsNet days; throughput, peak memory, clustering cost growth.

    python scripts/bench.py --data ../shared/data/saudinewsnet --runs 3

(a) end to end: `rasd ingest DAY.zip ... --quiet --json` as a user runs it, into a fresh database,
    `--runs` times; prints articles/s (all articles read / wall time) and peak RSS of the process,
    with their medians.
(b) in process, once: the story engine's time per article (decide + thread link + register) for the
    first and the last 1,000 articles, to show the cost does not grow with the archive.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def end_to_end(days: list[Path], rasd: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        script = ("import resource, subprocess, sys, json\n"
                  "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
                  "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-2000:],"
                  " 'rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", script, str(rasd), "ingest", *map(str, days), "--db", str(db),
                               "--quiet", "--json"], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        result = json.loads(proc.stdout)
        if result["rc"] not in (0, 1):
            raise SystemExit(f"rasd ingest failed: {result['err']}")
        summary = json.loads(result["out"])
        total = summary["ingested"] + summary["duplicates"] + len(summary["rejected"])
        return {"wall_s": round(wall, 1), "articles": total, "stored": summary["ingested"],
                "duplicates": summary["duplicates"], "rejected": len(summary["rejected"]),
                "articles_per_s": round(total / wall, 1), "peak_rss_mb": round(result["rss_kb"] / 1024, 1),
                "db_mb": round(db.stat().st_size / 1e6, 1)}


def clustering_growth(days: list[Path]) -> dict:
    from rasd.ingest import read_paths
    from rasd.pipeline import Pipeline
    from rasd.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        pipeline = Pipeline(Store(Path(tmp) / "growth.db"))
        engine = pipeline.engine
        timings: list[float] = []
        decide, thread_for, register = engine.decide, engine.thread_for, engine.register

        def timed(fn):
            def wrapper(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    timings[-1] += time.perf_counter() - t0
            return wrapper

        def start_decide(*args, **kwargs):
            timings.append(0.0)
            return timed(decide)(*args, **kwargs)

        engine.decide, engine.thread_for, engine.register = start_decide, timed(thread_for), timed(register)
        pipeline.ingest(read_paths(days))
        stories = len(engine.stories)
    first, last = timings[:1000], timings[-1000:]
    return {"articles_clustered": len(timings), "stories": stories,
            "first_1k_ms_median": round(statistics.median(first) * 1000, 3),
            "last_1k_ms_median": round(statistics.median(last) * 1000, 3),
            "first_1k_ms_mean": round(statistics.fmean(first) * 1000, 3),
            "last_1k_ms_mean": round(statistics.fmean(last) * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/saudinewsnet"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days", type=int, default=0, help="only the first N day files (0: all)")
    parser.add_argument("--skip-growth", action="store_true")
    args = parser.parse_args()
    days = sorted(args.data.glob("*.zip"))[: args.days or None]
    if not days:
        raise SystemExit(f"no day files in {args.data}")
    rasd = Path(sys.executable).parent / "rasd"
    runs = []
    for n in range(args.runs):
        runs.append(end_to_end(days, rasd))
        print(f"run {n + 1}: {json.dumps(runs[-1])}", flush=True)
    report = {"days": len(days), "runs": runs,
              "median_articles_per_s": statistics.median(r["articles_per_s"] for r in runs),
              "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
              "median_wall_s": statistics.median(r["wall_s"] for r in runs)}
    if not args.skip_growth:
        report["clustering"] = clustering_growth(days)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
