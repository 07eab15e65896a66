import json
import os
import zipfile

import pytest

from .conftest import FIXTURES, SEED_IDS, SHARED, rasd_json, run_rasd


def test_cli_ingest_seeds_one_thread_and_idempotent(db, seed_dir):
    summary = rasd_json("ingest", str(seed_dir), db=db)
    assert summary == {"ingested": 5, "duplicates": 0, "rejected": []}
    stories = rasd_json("stories", db=db)
    assert set(stories[0]) == {"id", "thread", "title", "article_ids", "sources", "first_seen", "last_seen"}
    threads = {}
    for story in stories:
        threads.setdefault(story["thread"], set()).update(story["article_ids"])
    assert set(SEED_IDS) in threads.values()
    story_of = {aid[:3]: story["id"] for story in stories for aid in story["article_ids"]}
    assert story_of["000"] == story_of["002"]  # both report the 9 Dec 2021 announcement
    assert [k for k, sid in story_of.items() if sid == story_of["003"]] == ["003"]  # the 2026 handover alone
    from rasd.cluster import default_model

    for story in stories:
        for article in rasd_json("story", str(story["id"]), db=db)["articles"]:
            assert article["join"]["decision"] != "copy"
            if article["join"]["decision"] == "joined":  # explained by the signals that pushed it in
                assert article["join"]["score"] >= default_model().cut and 0 < len(article["join"]["signals"]) <= 4
    again = rasd_json("ingest", str(seed_dir), db=db)
    assert again == {"ingested": 0, "duplicates": 5, "rejected": []}
    assert rasd_json("stories", db=db) == stories


def test_cli_normalize_issue_example():
    proc = run_rasd("normalize", "الدولى لیس الأطلـسي ٢٧ أيلول ٢٠٢٤ المھام مدينة", check=True)
    assert proc.stdout.strip() == "الدولي ليس الاطلسي 27 ايلول 2024 المهام مدينه"


def test_cli_mixed_inputs_rejected_with_reasons_others_stored(db, fixture_copy):
    folder = fixture_copy("seed000-cp1256.txt", "pixel.png", "empty.txt", "articles.jsonl")
    proc = run_rasd("ingest", str(folder), "--json", db=db)
    assert proc.returncode == 1
    summary = json.loads(proc.stdout)
    assert summary["ingested"] == 3
    reasons = {r["path"].rsplit("/", 1)[-1]: r["reason"] for r in summary["rejected"]}
    assert set(reasons) == {"pixel.png", "empty.txt", "articles.jsonl:2"}
    assert "PNG" in reasons["pixel.png"] and "empty" in reasons["empty.txt"] and "line 2" in reasons["articles.jsonl:2"]
    stories = rasd_json("stories", db=db)
    ids = {i for s in stories for i in s["article_ids"]}
    assert ids == {"seed000-cp1256", "snn-a1", "snn-a2"}  # JSONL ids kept
    titles = {s["title"] for s in stories}
    assert "التحالف الدولى فى العراق يعلن انتهاء مهامه العسكرية" in titles
    listed = rasd_json("rejections", db=db)
    assert len(listed) == 3


def test_cli_text_output_names_rejections(db, fixture_copy):
    proc = run_rasd("ingest", str(fixture_copy("pixel.png")), db=db)
    assert proc.returncode == 1 and "pixel.png" in proc.stderr and "PNG" in proc.stderr


def _in_terminal(*args: str) -> tuple[int, str]:
    """Run `rasd ARGS` with a pseudo-terminal as its output, as a user at a shell sees it."""
    import os
    import pty
    import select
    import subprocess

    from .conftest import RASD

    master, slave = pty.openpty()
    proc = subprocess.Popen([str(RASD), *args], stdin=slave, stdout=slave, stderr=slave,
                            env={k: v for k, v in os.environ.items() if k != "RASD_DB"} | {"TERM": "xterm"})
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        try:
            chunk = os.read(master, 65536) if ready else b""
        except OSError:  # the other end closed
            break
        if chunk:
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace")


def test_cli_ingest_says_it_is_rebuilding_the_engine(db, seed_dir, fixture_copy):
    """At a terminal, ingesting into a store that holds articles first says it is loading the story engine
    from them (~20 s on 30k articles, silent before); not into a new store, and not with --quiet."""
    code, out = _in_terminal("ingest", str(seed_dir), "--db", str(db))
    assert code == 0 and "ingested 5" in out and "loading the story engine" not in out
    more = fixture_copy("seed003-utf8bom.txt")  # a seed again, in another encoding: a duplicate
    code, out = _in_terminal("ingest", str(more), "--db", str(db))
    assert code == 0 and "loading the story engine for 5 stored articles" in out
    code, out = _in_terminal("ingest", str(more), "--db", str(db), "--quiet")
    assert "loading the story engine" not in out


def test_cli_story_report_and_json_twin(db, seed_dir):
    rasd_json("ingest", str(seed_dir), db=db)
    stories = rasd_json("stories", db=db)
    sid = next(s["id"] for s in stories if any(i.startswith("001_") for i in s["article_ids"]))
    report = rasd_json("story", str(sid), db=db)
    art = next(a for a in report["articles"] if a["id"].startswith("001_"))
    assert art["published"] == "2021-11-04T16:44:29" and art["join"]["decision"] in {"new", "joined", "copy"}
    text = run_rasd("story", str(sid), db=db, check=True).stdout
    assert "001_8151b30f98c663ec" in text and "2021-11-04" in text
    missing = run_rasd("story", "9999", db=db)
    assert missing.returncode != 0 and "no story 9999" in missing.stderr


def test_cli_stories_filters(db, fixture_copy, seed_dir):
    rasd_json("ingest", str(seed_dir), db=db)
    run_rasd("ingest", str(fixture_copy("snn-2015-08-10-excerpt.json")), db=db, check=True)
    by_source = rasd_json("stories", "--source", "was", db=db)
    assert by_source and all("was" in s["sources"] for s in by_source)
    in_2015 = rasd_json("stories", "--since", "2015-08-01", "--until", "2015-08-31", db=db)
    assert in_2015 and all(s["first_seen"].startswith("2015-08") for s in in_2015)
    bad = run_rasd("stories", "--since", "yesterday-ish", db=db)
    assert bad.returncode == 2 and "not a date" in bad.stderr
    # an outlet no article has is a mistake to point out, with the outlets there are, not an empty list
    for command in (["stories"], ["search", "الجبير"], ["export", "--format", "jsonl"]):
        typo = run_rasd(*command, "--source", "WAS", db=db)
        assert typo.returncode == 2 and "'WAS'" in typo.stderr and "did you mean was?" in typo.stderr, command
        assert "Outlets: " in typo.stderr and "was (" in typo.stderr


def test_cli_demo_prints_the_seed_thread(tmp_path):
    db = tmp_path / "demo.db"
    out = run_rasd("demo", db=db, check=True).stdout
    for seed_id in SEED_IDS:
        assert seed_id in out
    assert out.count("Thread ") == 1
    again = rasd_json("demo", db=db)
    assert again["ingest"]["duplicates"] == 5 and len(again["threads"]) == 1


def test_cli_bad_database_file(tmp_path):
    bogus = tmp_path / "x.db"
    bogus.write_bytes(b"not a database at all" * 100)
    proc = run_rasd("stories", db=bogus)
    assert proc.returncode == 1 and "x.db" in proc.stderr


@pytest.mark.parametrize("command", [("stories",), ("story", "1"), ("thread", "1"), ("search", "العراق"),
                                     ("entities",), ("entity", "1"), ("rejections",), ("reindex",),
                                     ("export", "--format", "jsonl")])
def test_cli_read_commands_make_no_database(tmp_path, command):
    """A mistyped --db is named, not answered with "No stories." from an empty database SQLite made there."""
    missing = tmp_path / "typo.db"
    proc = run_rasd(*command, db=missing)
    assert proc.returncode == 1 and f"no database at {missing}" in proc.stderr and "rasd ingest" in proc.stderr
    assert not missing.exists()


def test_cli_stories_limit_must_be_positive(db, seed_dir):
    run_rasd("ingest", str(seed_dir), db=db, check=True)
    assert len(rasd_json("stories", "--limit", "2", db=db)) == 2
    proc = run_rasd("stories", "--limit", "-3", db=db)  # was read as "all but the last three"
    assert proc.returncode == 2 and "--limit" in proc.stderr


def test_cli_eval_stories(db, seed_dir, tmp_path):
    rasd_json("ingest", str(seed_dir), db=db)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps({"id": i, "story": "s"}) for i in SEED_IDS), encoding="utf-8")
    result = rasd_json("eval", "stories", str(gold), db=db)
    assert result["scored"] == 5 and 0 < result["bcubed"]["f1"] <= 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1}\n', encoding="utf-8")
    proc = run_rasd("eval", "stories", str(broken), db=db)
    assert proc.returncode == 1 and "broken.jsonl:1" in proc.stderr


@pytest.mark.parametrize("command", ["ingest", "stories", "story", "thread", "rejections", "normalize", "demo", "eval"])
def test_cli_every_command_has_help(command):
    proc = run_rasd(command, "--help", check=True)
    assert "Usage:" in proc.stdout and len(proc.stdout.splitlines()) > 3


@pytest.mark.skipif(not (SHARED / "data/saudinewsnet/2015-08-10.zip").exists(), reason="../shared not beside the repo")
def test_cli_ingest_saudinewsnet_day(db):
    proc = run_rasd("ingest", str(SHARED / "data/saudinewsnet/2015-08-10.zip"), "--quiet", "--json", db=db)
    summary = json.loads(proc.stdout)
    assert proc.returncode == (1 if summary["rejected"] else 0)
    assert all(r["path"].startswith(str(SHARED)) and r["reason"] for r in summary["rejected"])
    assert len(summary["rejected"]) <= 5  # the day has two records with neither title nor text
    assert summary["ingested"] + summary["duplicates"] + len(summary["rejected"]) == 1700
    assert summary["ingested"] >= 1600 and summary["duplicates"] < 100  # re-scrapes: same outlet, same text


def test_cli_ingest_gives_the_same_stories_in_any_order(tmp_path):
    """A day's articles are decided in one order (`ingest.decision_order`): listed in reverse, the same stories,
    the same wire original for each copy and the same join reasons (decided as listed, the copies' original
    differs). Two articles an outlet dates the same second keep their listed order, which decides between them."""
    records = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))
    same_second: dict[tuple, list] = {}
    for record in records:
        same_second.setdefault((record["source"], record["date_extracted"]), []).append(record)
    ties = {key: iter(group) for key, group in same_second.items()}
    reversed_ = [next(ties[(r["source"], r["date_extracted"])]) for r in records[::-1]]
    assert any(len(group) > 1 for group in same_second.values()) and reversed_ != records
    runs = []
    for name, order in (("listed", records), ("reversed", reversed_)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
        db = tmp_path / f"{name}.db"
        run_rasd("ingest", str(path), db=db, check=True)
        stories = {a: (s["id"], s["title"]) for s in rasd_json("stories", db=db) for a in s["article_ids"]}
        articles = [a for sid in sorted({sid for sid, _ in stories.values()})
                    for a in rasd_json("story", str(sid), db=db)["articles"]]
        runs.append((stories, sorted((a["id"], a["copy_of"] or "", json.dumps(a["join"], sort_keys=True)) for a in articles)))
    assert len(runs[0][0]) == 30 and any(copy for _, copy, _ in runs[0][1])
    assert runs[0] == runs[1]


def test_cli_workers_by_default_only_for_a_large_input(tmp_path, seed_dir):
    """Starting workers takes seconds: a handful of files is read in one process, a day's archive in two."""
    from rasd.cli import AUTO_WORKERS, auto_workers

    assert auto_workers([str(seed_dir)]) == 1
    big = tmp_path / "day"
    big.mkdir()
    excerpt = (FIXTURES / "snn-2015-08-10-excerpt.json").read_bytes()
    for k in range(1024 * 1024 // len(excerpt) + 1):
        (big / f"part{k}.json").write_bytes(excerpt)
    cores_allow = (os.cpu_count() or 1) >= AUTO_WORKERS
    assert auto_workers([str(tmp_path / "missing.json"), str(big)]) == (AUTO_WORKERS if cores_allow else 1)
    assert auto_workers([str(next(big.iterdir()))]) == 1
