"""The engine snapshot beside the database: used only for the store it was saved from, by this rasd."""
from __future__ import annotations

import json
import pickle
import zipfile

import pytest

from rasd import snapshot
from rasd.ingest import read_paths
from rasd.pipeline import Pipeline
from rasd.store import Store

from .conftest import SHARED, rasd_json

DAYS = SHARED / "data" / "saudinewsnet"


def _excerpt(day: str, n: int, path) -> None:
    with zipfile.ZipFile(DAYS / f"{day}.zip") as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[:n]) + "\n", encoding="utf-8")


def _stories(db) -> set[frozenset]:
    return {frozenset(s["article_ids"]) for s in rasd_json("stories", "--limit", "100000", db=db)}


def _valid(db) -> bool:
    store = Store(db)
    try:
        return snapshot.usable(snapshot.snapshot_path(db), store.generation())
    finally:
        store.close()


@pytest.mark.skipif(not DAYS.exists(), reason="../shared/data not beside the repo")
def test_snapshot_continues_as_a_rebuilt_engine_would(tmp_path):
    """Two real days ingested one after the other: the second run loads the snapshot the first left and
    places its articles as a run that rebuilt the engine from the store (its snapshot removed) does."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _excerpt("2015-08-09", 150, first)
    _excerpt("2015-08-10", 150, second)
    fast, slow = tmp_path / "fast.db", tmp_path / "slow.db"
    for db in (fast, slow):
        rasd_json("ingest", str(first), db=db)
        assert _valid(db)
    snapshot.snapshot_path(slow).unlink()
    for db in (fast, slow):
        rasd_json("ingest", str(second), db=db)
    assert _stories(fast) == _stories(slow) and len(_stories(fast)) > 100
    # the entity resolver (its spellings per story are ~200k Counters on a large store, pickled as their items)
    assert _entities(fast) == _entities(slow) and len(_entities(fast)[0]) > 500
    assert _valid(fast) and _valid(slow)  # each run leaves one for the store as it left it


def _entities(db) -> tuple[list, list]:
    store = Store(db)
    try:
        return (store.db.execute("SELECT id, type, name, key, mentions FROM entities ORDER BY id").fetchall(),
                store.db.execute("SELECT article_rowid, entity_id, start, end FROM mentions ORDER BY rowid").fetchall())
    finally:
        store.close()


def test_snapshot_of_another_store_state_is_not_used(tmp_path, seed_dir):
    """Written by a run, then another writer (the API's ingest, a run without snapshots) adds articles:
    the snapshot no longer describes the store and the next run rebuilds the engine from it."""
    db = tmp_path / "rasd.db"
    rasd_json("ingest", str(seed_dir / "000_4c55cc848c8012d4.txt"), db=db)
    assert _valid(db)
    store = Store(db)
    Pipeline(store).ingest(read_paths([seed_dir / "002_ae965bdf7bbc0df8.txt"]))
    store.close()
    assert not _valid(db)
    rasd_json("ingest", str(seed_dir), db=db)
    stories = _stories(db)
    assert any({"000_4c55cc848c8012d4", "002_ae965bdf7bbc0df8"} <= ids for ids in stories)  # one story, as ever
    assert _valid(db)
    written = snapshot.snapshot_path(db).stat().st_mtime_ns
    assert rasd_json("ingest", str(seed_dir), db=db)["duplicates"] == 5  # nothing new: the file is left as it is
    assert snapshot.snapshot_path(db).stat().st_mtime_ns == written and _valid(db)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_snapshot_from_elsewhere_cannot_run_code(tmp_path, seed_dir):
    """A file with the right header whose body names anything but rasd's state classes (here `open`, which
    would create a file) is refused, and the run rebuilds the engine; so is a damaged one."""
    db = tmp_path / "rasd.db"
    rasd_json("ingest", str(seed_dir / "000_4c55cc848c8012d4.txt"), db=db)
    path, marker = snapshot.snapshot_path(db), tmp_path / "pwned"
    store = Store(db)
    generation = store.generation()
    store.close()
    with path.open("wb") as out:
        pickle.dump((snapshot.FORMAT, snapshot.fingerprint(), generation), out)
        pickle.dump(({}, _Payload(marker)), out)
    store = Store(db)
    assert snapshot.load(path, store.generation()) is None and not marker.exists()
    store.close()
    path.write_bytes(path.read_bytes()[:40])  # damaged
    assert not _valid(db)
    with path.open("wb") as out:  # another rasd's
        pickle.dump((snapshot.FORMAT, "0" * 40, generation), out)
    assert not _valid(db)
    summary = rasd_json("ingest", str(seed_dir), db=db)
    assert summary["ingested"] == 4 and not marker.exists() and _valid(db)
