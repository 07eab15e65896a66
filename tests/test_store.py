import sqlite3

import pytest

from rasd.ingest import read_paths
from rasd.normalize import matching_form
from rasd.pipeline import Pipeline
from rasd.schema import MIGRATIONS
from rasd.store import Store, StoreError

from .conftest import FIXTURES


def test_store_migrations_and_wal(db):
    store = Store(db)
    assert store.schema_version() == max(v for v, _, _ in MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    again = Store(db)  # reopening applies nothing twice
    assert again.db.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)


def test_store_refuses_non_sqlite_file(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("هذا ليس ملف قاعدة بيانات " * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="notes.db"):
        Store(bogus)


def test_store_ingest_is_idempotent(db, seed_dir):
    store = Store(db)
    first = Pipeline(store).ingest(read_paths([seed_dir]))
    assert (first.ingested, first.duplicates) == (5, 0)
    second = Pipeline(store).ingest(read_paths([seed_dir]))
    assert (second.ingested, second.duplicates) == (0, 5)
    assert store.article_count() == 5


def test_store_same_text_under_other_name_is_a_duplicate(db, seed_dir, tmp_path):
    store = Store(db)
    Pipeline(store).ingest(read_paths([seed_dir]))
    other = tmp_path / "renamed"
    other.mkdir()
    # same article re-scraped with extra boilerplate and Eastern digits in a widget line
    text = next(seed_dir.glob("002_*.txt")).read_text(encoding="utf-8")
    (other / "copy.txt").write_text("- ١٢٣٤\n- تم نسخ الرابط\n" + text, encoding="utf-8")
    summary = Pipeline(store).ingest(read_paths([other]))
    assert (summary.ingested, summary.duplicates) == (0, 1)


def test_store_same_file_name_different_article_gets_own_id(db, seed_dir, tmp_path):
    store = Store(db)
    Pipeline(store).ingest(read_paths([seed_dir]))
    other = tmp_path / "elsewhere"
    other.mkdir()
    name = next(seed_dir.glob("000_*.txt")).name
    (other / name).write_text(next(seed_dir.glob("003_*.txt")).read_text(encoding="utf-8").replace("اليوم الأحد", "يوم الأحد"), encoding="utf-8")
    summary = Pipeline(store).ingest(read_paths([other]))
    assert summary.ingested == 1
    ids = [row[0] for row in store.db.execute("SELECT id FROM articles")]
    assert len(ids) == 6 and any(i.startswith(name[:-4] + "-") for i in ids)


def test_store_full_text_search_uses_matching_form(db, seed_dir):
    store = Store(db)
    Pipeline(store).ingest(read_paths([seed_dir]))
    # written with alef hamza, ta marbuta and Eastern digits in the query; folded on both sides
    hits = store.search(matching_form("الأعرجي"))
    assert {h["id"][:3] for h in hits} >= {"000", "001", "002"}
    assert store.search(matching_form("شحنة ٢١٠٠"))[0]["id"].startswith("001")
    assert store.search(matching_form("قيادة ذات نجمتين"))[0]["id"].startswith("004")  # written with Persian ی


def test_store_rejections_are_recorded_and_valid_inputs_kept(db, fixture_copy):
    folder = fixture_copy("pixel.png", "empty.txt", "articles.jsonl", "seed000-cp1256.txt")
    store = Store(db)
    summary = Pipeline(store).ingest(read_paths([folder]))
    assert summary.ingested == 3
    rows = store.rejections(summary.run_id)
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in rows) == ["articles.jsonl:2", "empty.txt", "pixel.png"]


def test_store_error_in_one_article_keeps_the_rest(db, seed_dir, monkeypatch):
    store = Store(db)
    pipeline = Pipeline(store)
    items = list(read_paths([seed_dir]))
    pipeline.ingest(items[:2])
    original = store.insert_article

    def failing(article, *args, **kwargs):
        rowid = original(article, *args, **kwargs)
        raise sqlite3.OperationalError("disk I/O error (simulated crash mid-article)")

    monkeypatch.setattr(store, "insert_article", failing)
    with pytest.raises(sqlite3.OperationalError):
        pipeline.add(items[2])
    monkeypatch.undo()
    assert store.article_count() == 2  # the half-written article was rolled back
    assert store.db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 2
    pipeline.ingest(items[2:])
    assert store.article_count() == 5
