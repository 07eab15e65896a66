"""Benchmark: ingest and cluster all SaudiNewsNet days; throughput, peak memory, clustering cost growth.

    python scripts/bench.py --data ../shared/data/saudinewsnet --runs 3

(a) end to end: `rasd ingest DAY.zip ... --quiet --json` as a user runs it, into a fresh database,
    `--runs` times; prints articles/s (all articles read / wall time), peak RSS (the larger of the
    ingesting process and any one worker, and each apart; and the peak of all of them together,
    sampled every 0.25 s, as summed RSS, and every 1 s as summed Pss, which counts shared pages once) and CPU ms
    per article (all together, and the ingesting process and its workers apart; steadier than wall
    time on a shared machine), with their medians.
(b) in process, once: the story engine's time per article (decide + thread link + register) for the
    first and the last 1,000 articles, and its median per 5,000 articles, to show how it grows with the archive.
(c) per-article stages on a sample of one day (`--stage-sample` articles): ms per article (median and
    mean) for features, NER + titles/roles, time expressions, quotes and numbers; and the story-report analysis (summary,
    timeline, quotes, numbers) per story of the last end-to-end database, first (annotating) and again.
(d) search latency (p50/p95) on the last end-to-end database, with scripts/bench_search.py's queries.
The machine's speed before and after the runs (`machine()`: a fixed Python workload's time) comes with
them: the figures of two days compare only as far as that does.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


# `rasd ingest` run in this small wrapper process, so that its own CPU and memory (the ingesting process:
# story engine, entities, SQLite writes) and its workers' (the per-article stages) are told apart.
_INGEST = """
import contextlib, io, json, resource, sys
from rasd.cli import main
sys.argv = ["rasd", *sys.argv[1:]]
out, rc = io.StringIO(), 0
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "out": out.getvalue(), "main_rss_kb": me.ru_maxrss, "workers_rss_kb": kids.ru_maxrss,
                  "main_cpu_s": me.ru_utime + me.ru_stime, "workers_cpu_s": kids.ru_utime + kids.ru_stime}))
"""


def _tree_memory_kb(root: int, pss: bool = True) -> tuple[int, int]:
    """(resident, proportional) memory in kB of a process and all its descendants now (Linux /proc;
    0 elsewhere). Summed resident memory counts the pages processes share (libraries) once per
    process; proportional memory (Pss) splits each shared page among its sharers, so its sum is what
    the processes hold together. The sampler shares the cores with the run it measures, so it reads
    only the tree's own /proc entries, and Pss (the kernel walks every page table for it: ~2% of a
    2-core run at 4 a second) only when `pss`."""
    tree = _descendants(root)
    return (sum(_proc_kb(pid, "status", "VmRSS") for pid in tree),  # no smaps_rollup before Linux 4.14: 0
            sum(_proc_kb(pid, "smaps_rollup", "Pss") for pid in tree) if pss else 0)


def _descendants(root: int) -> set[int]:
    """`root` and its descendants, through each thread's `children` list (Linux 3.5+); a scan of
    every process's parent where the kernel has no such lists."""
    if not Path(f"/proc/{root}/task/{root}/children").exists():
        return _descendants_by_scan(root)
    tree, todo = {root}, [root]
    while todo:
        pid = todo.pop()
        try:
            kids = {int(k) for task in Path(f"/proc/{pid}/task").iterdir()
                    for k in (task / "children").read_text().split()}
        except OSError:  # gone meanwhile
            continue
        todo.extend(kids - tree)
        tree |= kids
    return tree


def _descendants_by_scan(root: int) -> set[int]:
    parents = {int(e.name): _proc_kb(int(e.name), "status", "PPid") for e in Path("/proc").glob("[0-9]*")}
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def _proc_kb(pid: int, name: str, field: str) -> int:
    """A number field of /proc/PID/NAME (kB for memory fields); 0 when the process is gone or has none."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _run_sampled(command: list[str]) -> tuple[str, str, int, int, int]:
    """(stdout, stderr, exit code, peak total RSS and peak total Pss in kB of the process tree, sampled
    every 0.25 s and every 1 s)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        peak_rss = peak_pss = sample = 0
        while proc.poll() is None:
            rss, pss = _tree_memory_kb(proc.pid, pss=sample % 4 == 0)
            sample += 1
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.25)
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), proc.returncode, peak_rss, peak_pss


def end_to_end(days: list[Path], db: Path, workers: int) -> dict:
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    start = time.perf_counter()
    command = [sys.executable, "-c", _INGEST, "ingest", *map(str, days), "--db", str(db), "--quiet", "--json",
               "--workers", str(workers)]
    stdout, stderr, code, total_kb, total_pss_kb = _run_sampled(command)
    wall = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"rasd ingest failed: {stderr[-2000:]}")
    result = json.loads(stdout)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"rasd ingest failed (exit {result['rc']}): {stderr[-2000:]}")
    summary = json.loads(result["out"])
    total = summary["ingested"] + summary["duplicates"] + len(summary["rejected"])
    cpu = result["main_cpu_s"] + result["workers_cpu_s"]
    return {"wall_s": round(wall, 1), "articles": total, "stored": summary["ingested"],
            "duplicates": summary["duplicates"], "rejected": len(summary["rejected"]),
            "articles_per_s": round(total / wall, 1),
            "peak_rss_mb": round(max(result["main_rss_kb"], result["workers_rss_kb"]) / 1024, 1),
            "main_rss_mb": round(result["main_rss_kb"] / 1024, 1), "worker_rss_mb": round(result["workers_rss_kb"] / 1024, 1),
            # everything rasd holds at once: the ingesting process and its workers together
            "total_rss_mb": round(total_kb / 1024, 1), "total_pss_mb": round(total_pss_kb / 1024, 1),
            # CPU time is steadier than wall time on a shared machine; on 2 cores, 2000 / cpu_ms_per_article
            # is the best articles/s the run could reach
            "cpu_s": round(cpu, 1), "cpu_ms_per_article": round(cpu * 1000 / total, 2),
            "main_cpu_ms_per_article": round(result["main_cpu_s"] * 1000 / total, 2),
            "worker_cpu_ms_per_article": round(result["workers_cpu_s"] * 1000 / total, 2),
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
            "last_1k_ms_mean": round(statistics.fmean(last) * 1000, 3),
            # the whole curve: a story can take an article only within its event window (days), so the cost
            # should level off once a few days are in, not keep rising with the archive
            "by_5k_ms_median": [round(statistics.median(timings[k:k + 5000]) * 1000, 3)
                                for k in range(0, len(timings), 5000)]}


def stage_costs(day: Path, sample: int) -> dict:
    """Median ms per article of each per-article stage, run directly on `sample` articles of one day."""
    from rasd.article import Article
    from rasd.cluster import StoryEngine
    from rasd.entities import annotate_mentions
    from rasd.ingest import read_paths
    from rasd.numbers import find_numbers
    from rasd.quotes import find_quotes
    from rasd.timex import find_times

    articles = [a for a in read_paths([day]) if isinstance(a, Article)][:sample]
    engine = StoryEngine()
    costs: dict[str, list[float]] = {k: [] for k in ("features", "ner_entities", "timex", "quotes", "numbers")}
    tokens = 0
    for art in articles:
        t0 = time.perf_counter()
        engine.features(art.title, art.text, art.published)
        t1 = time.perf_counter()
        mentions = annotate_mentions(art.text)
        t2 = time.perf_counter()
        times = find_times(art.text, art.published)
        t3 = time.perf_counter()
        find_quotes(art.text, mentions)
        t4 = time.perf_counter()
        find_numbers(art.text, exclude=[(t.start, t.end) for t in times])
        t5 = time.perf_counter()
        for key, spent in zip(costs, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            costs[key].append(spent)
        tokens += len(art.text.split())
    # long articles cost most: the mean, not the median, is what a whole ingest pays per article
    out = {f"{k}_ms_median": round(statistics.median(v) * 1000, 2) for k, v in costs.items()}
    out |= {f"{k}_ms_mean": round(statistics.fmean(v) * 1000, 2) for k, v in costs.items()}
    out |= {f"{k}_articles_per_s": round(len(v) / sum(v), 1) for k, v in costs.items()}
    out["ner_entities_words_per_s"] = round(tokens / sum(costs["ner_entities"]))
    out["articles"] = len(articles)
    return out


def report_costs(db: Path, stories: int = 200) -> dict:
    """ms per story report (summary, timeline, quotes, numbers included) for the largest and random stories:
    the first report of each (which annotates its originals, `rasd.annotations`) and the next (which reads
    what the first stored)."""
    import random

    from rasd.report import story_report
    from rasd.store import Store

    def timed(story_id: int) -> float:
        t0 = time.perf_counter()
        story_report(store, story_id)
        return (time.perf_counter() - t0) * 1000

    store = Store(db)
    rows = store.db.execute("SELECT id, size FROM stories WHERE size > 1 ORDER BY id").fetchall()
    picked = random.Random(7).sample(rows, min(stories, len(rows)))
    first = [timed(row["id"]) for row in picked]
    again = [timed(row["id"]) for row in picked]
    largest = max(rows, key=lambda r: r["size"])
    out = {"stories": len(picked), "largest_story_size": largest["size"],
           "largest_story_ms": round(timed(largest["id"]), 1), "largest_story_again_ms": round(timed(largest["id"]), 1)}
    for name, spent in (("report", first), ("report_again", again)):
        out[f"{name}_ms_median"] = round(statistics.median(spent), 1)
        out[f"{name}_ms_p95"] = round(sorted(spent)[int(0.95 * (len(spent) - 1))], 1)
    return out


def search_latency(db: Path) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).parent / "bench_search.py"), "--db", str(db), "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def machine() -> dict:
    """What the figures were measured on, and how fast it ran then: the same machine type ran 20-40% apart
    on different days, so a figure is comparable with another stop's only through `python_ms` (the median
    time of a fixed single-core workload of dict look-ups, string keys and float sums, like rasd's own), under
    the interpreter the benchmark runs on: Debian's /usr/bin/python3.11 reads ~6% under pyenv's 3.11 build on the
    same machine at the same moment (24.3 vs 25.8 ms), so compare it only between runs on the same one."""
    import math
    import os

    words = [f"w{i % 5000}" for i in range(500_000)]

    def work() -> float:
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        return sum(math.log(c + 1.0) for c in counts.values())

    times = []
    for _ in range(9):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = None
    return {"python_ms": round(statistics.median(times) * 1000, 1),
            "python": f"{sys.version.split()[0]} {os.path.realpath(sys.executable)}", "cores": os.cpu_count(), "cpu": cpu,
            "load_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/saudinewsnet"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days", type=int, default=0, help="only the first N day files (0: all)")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="rasd ingest --workers (processes for per-article stages)")
    parser.add_argument("--stage-sample", type=int, default=1000, help="articles for the per-stage costs (0: skip them)")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="folder for the benchmark database")
    args = parser.parse_args()
    days = sorted(args.data.glob("*.zip"))[: args.days or None]
    if not days:
        raise SystemExit(f"no day files in {args.data}")
    args.out.mkdir(exist_ok=True)
    db = args.out / "bench.db"
    before = machine()
    print(f"machine: {json.dumps(before)}", flush=True)
    runs = []
    for n in range(args.runs):
        runs.append(end_to_end(days, db, args.workers))
        print(f"run {n + 1}: {json.dumps(runs[-1])}", flush=True)
    report = {"days": len(days), "workers": args.workers, "machine": {"before": before, "after": machine()}, "runs": runs,
              "median_articles_per_s": statistics.median(r["articles_per_s"] for r in runs),
              "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
              "median_total_rss_mb": statistics.median(r["total_rss_mb"] for r in runs),
              "median_total_pss_mb": statistics.median(r["total_pss_mb"] for r in runs),
              "median_wall_s": statistics.median(r["wall_s"] for r in runs),
              "median_cpu_ms_per_article": statistics.median(r["cpu_ms_per_article"] for r in runs),
              "median_main_cpu_ms_per_article": statistics.median(r["main_cpu_ms_per_article"] for r in runs),
              "median_worker_cpu_ms_per_article": statistics.median(r["worker_cpu_ms_per_article"] for r in runs)}
    if args.stage_sample > 0:
        report["stages"] = stage_costs(days[-1], args.stage_sample)
    report["story_reports"] = report_costs(db)
    report["search"] = search_latency(db)
    if not args.skip_growth:
        report["clustering"] = clustering_growth(days)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
