"""The ingest pipeline with worker processes gives exactly what one process gives."""
from __future__ import annotations

import sqlite3

from rasd import DEMO_DIR
from rasd.ingest import read_paths
from rasd.pipeline import Pipeline
from rasd.store import Store

from .conftest import FIXTURES


def _ingest(path, workers: int) -> dict:
    store = Store(path)
    summary = Pipeline(store).ingest(read_paths([DEMO_DIR, FIXTURES / "snn-2015-08-10-excerpt.json"]), workers=workers)
    store.close()
    db = sqlite3.connect(path)
    return {
        "summary": summary.to_json(),
        "articles": db.execute("SELECT id, story_id, copy_of, published, date_source, join_reason FROM articles"
                               " ORDER BY rowid").fetchall(),
        "annotations": db.execute("SELECT article_rowid, kind, data FROM annotations ORDER BY 1, 2").fetchall(),
        "mentions": db.execute("SELECT article_rowid, entity_id, start, end, titles FROM mentions ORDER BY id").fetchall(),
    }


def test_pipeline_workers_same_result_as_one_process(tmp_path):
    one = _ingest(tmp_path / "one.db", workers=1)
    two = _ingest(tmp_path / "two.db", workers=2)
    assert one["summary"]["ingested"] > 5 and one["annotations"] and one["mentions"]
    assert one == two
