"""Time expressions, quotes and numbers made when a report first reads an article, and stored for the next."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from rasd import DEMO_DIR
from rasd import annotations as annotations_module
from rasd.entities import annotate_mentions
from rasd.ingest import read_paths
from rasd.pipeline import Pipeline
from rasd.quotes import find_quotes
from rasd.report import story_report, thread_report
from rasd.store import Store

from .conftest import FIXTURES

KINDS = ("times", "quotes", "numbers")


def _made(path) -> dict[int, set[str]]:
    """rowid -> the report-made kinds stored, read through a connection of its own."""
    db = sqlite3.connect(path)
    out: dict[int, set[str]] = {}
    for rowid, kind in db.execute("SELECT article_rowid, kind FROM annotations WHERE kind IN ('times', 'quotes', 'numbers')"):
        out.setdefault(rowid, set()).add(kind)
    db.close()
    return out


@pytest.fixture
def seeds(tmp_path):
    path = tmp_path / "seeds.db"
    store = Store(path)
    Pipeline(store).ingest(read_paths([DEMO_DIR]))
    store.close()
    return path


def _broken(*args, **kwargs):
    raise AssertionError("annotated again: the stored annotations were not read")


def test_report_annotates_originals_once_and_stores_them(seeds, monkeypatch):
    assert _made(seeds) == {}  # nothing of the kind at ingest
    store = Store(seeds)
    story_id = store.db.execute("SELECT story_id FROM articles WHERE id LIKE '000_%'").fetchone()[0]
    first = story_report(store, story_id)
    members = [r[0] for r in store.db.execute("SELECT rowid FROM articles WHERE story_id = ?", (story_id,))]
    assert set(_made(seeds)) == set(members) and all(kinds == set(KINDS) for kinds in _made(seeds).values())
    assert first["timeline"] and first["quotes"] and first["numbers"]
    monkeypatch.setattr(annotations_module, "find_times", _broken)
    monkeypatch.setattr(annotations_module, "find_quotes", _broken)
    assert story_report(Store(seeds), story_id) == first


def test_report_quotes_match_those_of_the_article_tagged_afresh(seeds):
    """Speakers are resolved through the mentions stored at ingest: the same quotes as with the tagger's."""
    store = Store(seeds)
    thread = store.db.execute("SELECT thread_id FROM stories LIMIT 1").fetchone()[0]
    thread_report(store, thread)
    rows = store.db.execute("SELECT rowid, text FROM articles ORDER BY rowid").fetchall()
    stored = store.annotations([r[0] for r in rows])
    for rowid, text in rows:
        assert stored[rowid]["quotes"] == [q.to_json() for q in find_quotes(text, annotate_mentions(text))]
    assert sum(len(stored[r[0]]["quotes"]) for r in rows) >= 10


def test_query_only_reader_stores_them_and_the_writer_stays_current(seeds):
    """The API's readers are query-only: storing a report's annotations lifts that for the write alone,
    and a writer's state is not taken for stale because of it (it would reload everything)."""
    writer = Pipeline(Store(seeds))
    reader = Store(seeds)
    reader.db.execute("PRAGMA query_only = ON")
    story_id = reader.db.execute("SELECT story_id FROM articles LIMIT 1").fetchone()[0]
    story_report(reader, story_id)
    assert _made(seeds)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.db.execute("DELETE FROM annotations")
    assert not writer.stale()
    other = Store(seeds)  # another process adds articles: now the writer must reload
    Pipeline(other).ingest(read_paths([FIXTURES / "snn-2015-08-10-excerpt.json"]))
    assert writer.stale()


def test_report_does_not_wait_for_a_writer_and_keeps_them_in_memory(seeds, monkeypatch):
    blocker = sqlite3.connect(seeds, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # an ingest holding the database
    store = Store(seeds)
    store.db.execute("PRAGMA busy_timeout = 100000000")  # a report that waited for the lock would hang
    story_id = store.db.execute("SELECT story_id FROM articles WHERE id LIKE '000_%'").fetchone()[0]
    done: list[dict] = []
    reading = threading.Thread(target=lambda: done.append(story_report(store, story_id)), daemon=True)
    reading.start()
    reading.join(timeout=120)  # liveness, not speed: the report takes well under a second
    assert done, "the report waited for the writer's lock"
    first = done[0]
    assert first["timeline"] and _made(seeds) == {}
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 100000000  # given back as it was
    monkeypatch.setattr(annotations_module, "find_times", _broken)
    assert story_report(store, story_id) == first  # from this store's memory
    blocker.execute("ROLLBACK")
    monkeypatch.undo()
    story_report(Store(seeds), story_id)
    assert _made(seeds)


def test_report_leaves_them_unstored_while_the_lock_is_held_elsewhere(seeds):
    lock = threading.Lock()
    store = Store(seeds)
    store.cache_lock = lock
    story_id = store.db.execute("SELECT story_id FROM articles LIMIT 1").fetchone()[0]
    with lock:  # the API's ingest is running
        assert story_report(store, story_id)["timeline"] is not None
    assert _made(seeds) == {} and not lock.locked()
    store.annotation_memo.clear()
    story_report(store, story_id)
    assert _made(seeds)
