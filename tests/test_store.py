import sqlite3
import subprocess
import sys

import pytest

from rasd import pipeline as pipeline_module
from rasd.ingest import read_paths
from rasd.pipeline import Pipeline
from rasd.schema import MIGRATIONS
from rasd.search import search
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
    assert {h["id"][:3] for h in search(store, "الأعرجي")["results"]} >= {"000", "001", "002"}
    assert search(store, "شحنة ٢١٠٠")["results"][0]["id"].startswith("001")
    assert search(store, "قيادة ذات نجمتين")["results"][0]["id"].startswith("004")  # written with Persian ی


def test_store_migration_drops_old_matching_form_index(db, seed_dir):
    store = Store(db)
    Pipeline(store).ingest(read_paths([seed_dir]))
    assert not _tables(store) & {"articles_fts"}
    before = search(store, "برنين")["results"]
    # the database as a rasd before migration 5 left it: the old index, filled
    store.db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')")
    store.db.execute("INSERT INTO articles_fts (rowid, title, body) SELECT rowid, title, text FROM articles")
    store.db.execute("DELETE FROM migrations WHERE version = 5")
    store.close()
    reopened = Store(db)
    assert reopened.schema_version() == 5
    assert not any(name.startswith("articles_fts") for name in _tables(reopened))
    assert search(reopened, "برنين")["results"] == before
    assert Pipeline(reopened).ingest(read_paths([seed_dir])).duplicates == 5
    reopened.close()


def _tables(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


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
    assert not _found(store, "التصدي")  # nor its search entry (the word is in 002 alone)
    assert store.db.execute("SELECT count(*) FROM search_fts").fetchone()[0] == 2
    pipeline.ingest(items[2:])
    assert store.article_count() == 5


def _ingest_failing_at_fourth(db, seed_dir, monkeypatch, sqlite_rolls_back: bool):
    """Ingest the seeds in one batch, the fourth article's INSERT failing; (store, pipeline, items)."""
    monkeypatch.setattr(pipeline_module, "BATCH_ARTICLES", 100)  # all five in one batch
    store = Store(db)
    pipeline = Pipeline(store)
    items = list(read_paths([seed_dir]))
    original = store.insert_article

    def failing(article, *args, **kwargs):
        if article.id == items[3].id:
            if sqlite_rolls_back:
                store.db.execute("ROLLBACK")  # as SQLite does itself on some errors (disk full, I/O)
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return original(article, *args, **kwargs)

    monkeypatch.setattr(store, "insert_article", failing)
    with pytest.raises(sqlite3.OperationalError):
        pipeline.ingest(items)
    monkeypatch.undo()
    return store, pipeline, items


def test_store_error_mid_batch_keeps_the_articles_before_it(db, seed_dir, monkeypatch):
    store, pipeline, items = _ingest_failing_at_fourth(db, seed_dir, monkeypatch, sqlite_rolls_back=False)
    assert store.article_count() == 3 and not store.db.in_transaction  # committed, the failed one undone
    again = pipeline.ingest(items[3:])  # the same pipeline goes on, in step with the store
    assert (again.ingested, again.duplicates) == (2, 0) and store.article_count() == 5


def test_store_batch_rolled_back_by_sqlite_resets_the_pipeline(db, seed_dir, monkeypatch):
    store, pipeline, items = _ingest_failing_at_fourth(db, seed_dir, monkeypatch, sqlite_rolls_back=True)
    assert store.article_count() == 0 and not store.in_step
    assert not pipeline.engine.stories  # memory went back to what the store holds
    assert pipeline.ingest(items).ingested == 5
    fresh = Store(db.with_name("fresh.db"))
    Pipeline(fresh).ingest(read_paths([seed_dir]))
    assert _assignments(store) == _assignments(fresh)


def _found(store: Store, query: str) -> set[str]:
    return {hit["id"] for hit in search(store, query)["results"]}


def _ingest_failing_at_fourth_annotations(db, seed_dir, monkeypatch):
    """Ingest the seeds in one batch, failing as the fourth article's annotations are written: after its
    row, search entry and entity mentions; (store, pipeline, items)."""
    monkeypatch.setattr(pipeline_module, "BATCH_ARTICLES", 100)
    store = Store(db)
    pipeline = Pipeline(store)
    items = list(read_paths([seed_dir]))
    original, calls = store.add_annotations, []

    def failing(rowid, annotations):
        calls.append(rowid)
        if len(calls) == 4:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return original(rowid, annotations)

    monkeypatch.setattr(store, "add_annotations", failing)
    with pytest.raises(sqlite3.OperationalError):
        pipeline.ingest(items)
    monkeypatch.undo()
    return store, pipeline, items


def test_store_batch_writes_search_entries_of_kept_articles_only(db, seed_dir, monkeypatch):
    # search entries wait for the batch's commit; an article undone mid-batch takes its entry with it,
    # the ones before it are written even though the batch stops with an error
    store, pipeline, items = _ingest_failing_at_fourth_annotations(db, seed_dir, monkeypatch)
    assert store.article_count() == 3 and store.in_step
    assert store.db.execute("SELECT count(*) FROM search_fts").fetchone()[0] == 3
    assert items[2].id in _found(store, "التصدي") and items[1].id in _found(store, "الاجلاء")
    assert items[3].id not in _found(store, "استراتيجيا")
    pipeline.ingest(items[3:])
    assert items[3].id in _found(store, "استراتيجيا")
    count = store.db.execute("SELECT count(*) FROM search_fts").fetchone()[0]
    assert count == store.article_count() == 5


def _entity_table(store: Store) -> list[tuple]:
    return [tuple(row) for row in store.db.execute("SELECT type, name, key, mentions FROM entities ORDER BY id")]


def test_store_batch_writes_entity_counts_of_kept_articles_only(db, seed_dir, monkeypatch):
    # entities' names and counts wait for the batch's commit (each entity's last); an article undone
    # mid-batch takes its counts with it, those of the articles before it are written
    store, pipeline, items = _ingest_failing_at_fourth_annotations(db, seed_dir, monkeypatch)
    counted = store.db.execute("SELECT e.mentions, (SELECT count(*) FROM mentions m WHERE m.entity_id = e.id)"
                               " FROM entities e").fetchall()
    assert counted and all(stored == rows for stored, rows in counted)
    assert max(stored for stored, _ in counted) > 1  # counts written after an entity's first article
    first = Store(db.with_name("first.db"))
    Pipeline(first).ingest(items[:3])
    assert _entity_table(store) == _entity_table(first)
    pipeline.ingest(items[3:])
    whole = Store(db.with_name("whole.db"))
    Pipeline(whole).ingest(items)
    assert _entity_table(store) == _entity_table(whole)


def _assignments(store: Store) -> list[tuple]:
    return store.db.execute("SELECT id, story_id, copy_of, join_score FROM articles ORDER BY rowid").fetchall()


def test_store_crash_mid_run_keeps_committed_batches(db, seed_dir):
    # a process killed in its third batch (two articles each): the first two batches are on disk
    script = (
        "import os, sys\n"
        "from rasd import pipeline\n"
        "from rasd.ingest import read_paths\n"
        "from rasd.store import Store\n"
        "pipeline.BATCH_ARTICLES = 2\n"
        "seen = []\n"
        "def tick(item, outcome):\n"
        "    seen.append(item)\n"
        "    if len(seen) == 5: os._exit(3)\n"
        "pipeline.Pipeline(Store(sys.argv[1])).ingest(read_paths([sys.argv[2]]), on_item=tick)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(db), str(seed_dir)], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    store = Store(db)
    assert store.article_count() == 4
    summary = Pipeline(store).ingest(read_paths([seed_dir]))
    assert (summary.ingested, summary.duplicates) == (1, 4) and store.article_count() == 5


def test_store_story_counts_kept_as_a_recount_finds_them(db, seed_dir):
    """Each stored article counts into its story's size and first/last dates on the way in; a recount of the
    stored articles (`refresh_story`) finds the same, copies included."""
    store = Store(db)
    Pipeline(store).ingest(read_paths([seed_dir, FIXTURES / "snn-2015-08-10-excerpt.json"]))
    kept = store.db.execute("SELECT id, size, first_seen, last_seen FROM stories ORDER BY id").fetchall()
    assert sum(row[1] for row in kept) == store.article_count() == 35
    assert any(row[1] > 1 and row[2] < row[3] for row in kept)  # stories of several articles, days apart
    for row in kept:
        store.refresh_story(row[0])
    assert store.db.execute("SELECT id, size, first_seen, last_seen FROM stories ORDER BY id").fetchall() == kept


def test_member_titles_read_unreadable_features_as_empty(tmp_path):
    """A story's member titles come with their title vectors; a row whose stored features are not JSON, or
    hold no title vector, gives an empty one instead of failing the ingest that re-titles the story."""
    from rasd import DEMO_DIR

    store = Store(tmp_path / "t.db")
    Pipeline(store).ingest(read_paths([DEMO_DIR]))
    story, first = store.db.execute("SELECT story_id, rowid FROM articles WHERE copy_of IS NULL"
                                    " GROUP BY story_id HAVING count(*) >= 2 LIMIT 1").fetchone()
    titles = store.member_titles(story)
    assert len(titles) >= 2 and all(vector for _, vector in titles)
    store.db.execute("UPDATE articles SET features = 'not json' WHERE rowid = ?", (first,))
    assert store.member_titles(story)[0][1] == {} and store.member_titles(story)[1][1]
    store.db.execute("UPDATE articles SET features = ? WHERE rowid = ?", ('{"t": [1, 2]}', first))
    assert store.member_titles(story)[0][1] == {}
    store.close()
