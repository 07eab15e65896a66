"""The ingest pipeline with worker processes gives exactly what one process gives."""
from __future__ import annotations

import json
import sqlite3

from rasd import DEMO_DIR
from rasd import annotations as annotations_module
from rasd import pipeline as pipeline_module
from rasd.article import Article, Rejection
from rasd.ingest import read_paths
from rasd.pipeline import Pipeline
from rasd.report import story_report
from rasd.store import Store

from .conftest import FIXTURES, snn_records, write_jsonl


def _ingest(path, workers: int, clean_in_pipeline: bool = False) -> dict:
    store = Store(path)
    paths = [DEMO_DIR, FIXTURES / "snn-2015-08-10-excerpt.json"]
    if clean_in_pipeline:  # as the CLI does: read raw, clean in the workers
        summary = Pipeline(store).ingest(read_paths(paths, clean=False), workers=workers, clean=True)
    else:
        summary = Pipeline(store).ingest(read_paths(paths), workers=workers)
    store.close()
    db = sqlite3.connect(path)
    return {
        "summary": summary.to_json(),
        "articles": db.execute("SELECT id, story_id, copy_of, published, date_source, join_reason FROM articles"
                               " ORDER BY rowid").fetchall(),
        "annotations": db.execute("SELECT article_rowid, kind, data FROM annotations ORDER BY 1, 2").fetchall(),
        "mentions": db.execute("SELECT article_rowid, entity_id, start, end, titles FROM mentions ORDER BY id").fetchall(),
        "stories": db.execute("SELECT id, thread_id, title, size FROM stories ORDER BY id").fetchall(),
    }


def test_pipeline_workers_same_result_as_one_process(tmp_path):
    one = _ingest(tmp_path / "one.db", workers=1)
    two = _ingest(tmp_path / "two.db", workers=2)
    assert one["summary"]["ingested"] > 5 and one["annotations"] and one["mentions"]
    assert one == two


def test_pipeline_reports_reading_before_the_first_decision(tmp_path, monkeypatch):
    # a progress bar counts items as they are read and prepared: up to `AHEAD` of them come before the
    # first is decided, all of a small input
    monkeypatch.setattr(pipeline_module, "AHEAD", 3)
    events = []
    summary = Pipeline(Store(tmp_path / "r.db")).ingest(
        read_paths([DEMO_DIR]), on_read=lambda n: events.append(("read", n)),
        on_item=lambda item, outcome: events.append((outcome, item.id)))
    assert summary.ingested == 5
    assert [n for kind, n in events if kind == "read"] == [1, 2, 3, 4, 5]
    assert [kind for kind, _ in events[:5]] == ["read"] * 4 + ["stored"]  # three ahead of the first decided
    assert events[-1][0] == "stored"


def test_pipeline_cleaning_in_the_workers_gives_the_same_result(tmp_path):
    here = _ingest(tmp_path / "here.db", workers=1)
    there = _ingest(tmp_path / "there.db", workers=2, clean_in_pipeline=True)
    inline = _ingest(tmp_path / "inline.db", workers=1, clean_in_pipeline=True)
    assert here["summary"]["ingested"] > 5
    assert here == there == inline


def test_pipeline_failing_annotation_stage_is_recorded_and_ingest_goes_on(tmp_path, monkeypatch):
    real_mentions = pipeline_module.annotate_mentions
    broken = "000_"  # the first seed: named speakers, places and bodies

    def mentions(text, tagger=None, found=None):
        if text.startswith(first_text[:200]):
            raise KeyError("speaker")  # the kind of slip a tagger change can expose
        return real_mentions(text, tagger, found)

    items = list(read_paths([DEMO_DIR]))
    first = next(a for a in items if a.id.startswith(broken))
    first_text = first.text
    monkeypatch.setattr(pipeline_module, "annotate_mentions", mentions)
    store = Store(tmp_path / "t.db")
    summary = Pipeline(store).ingest(items)
    assert summary.ingested == 5
    assert summary.warnings == [f"{first.id}: annotation failed: entities: KeyError: 'speaker'"]
    assert summary.to_json()["warnings"] == summary.warnings
    rowid, story_id = store.db.execute("SELECT rowid, story_id FROM articles WHERE id = ?", (first.id,)).fetchone()
    assert store.annotations([rowid])[rowid]["failed"] == [{"stage": "entities", "error": "KeyError: 'speaker'"}]
    assert not store.article_mentions([rowid])[rowid]
    report = story_report(store, story_id)
    joined = {a["id"]: a["join"] for a in report["articles"]}
    assert joined[first.id]["annotation_failed"] == ["annotation failed: entities: KeyError: 'speaker'"]
    notes = store.annotations([rowid])[rowid]  # the report's stages ran on it, without entity mentions
    assert notes["failed"] == [{"stage": "entities", "error": "KeyError: 'speaker'"}] and notes["times"]
    assert store.db.execute("SELECT count(DISTINCT article_rowid) FROM mentions").fetchone()[0] == 4


def test_report_failing_annotation_stage_is_recorded_and_the_report_goes_on(tmp_path, monkeypatch):
    real_quotes = annotations_module.find_quotes
    items = list(read_paths([DEMO_DIR]))
    first = next(a for a in items if a.id.startswith("000_"))

    def quotes(text, mentions):
        if text == first.text:
            raise KeyError("speaker")
        return real_quotes(text, mentions)

    store = Store(tmp_path / "t.db")
    assert Pipeline(store).ingest(items).warnings == []  # quotes are not made at ingest
    assert store.db.execute("SELECT count(*) FROM annotations WHERE kind IN ('times', 'quotes', 'numbers')"
                            ).fetchone()[0] == 0
    monkeypatch.setattr(annotations_module, "find_quotes", quotes)
    rowid, story_id = store.db.execute("SELECT rowid, story_id FROM articles WHERE id = ?", (first.id,)).fetchone()
    report = story_report(store, story_id)
    joined = {a["id"]: a["join"] for a in report["articles"]}
    assert joined[first.id]["annotation_failed"] == ["annotation failed: quotes: KeyError: 'speaker'"]
    notes = store.annotations([rowid])[rowid]
    assert notes["failed"] == [{"stage": "quotes", "error": "KeyError: 'speaker'"}]
    assert notes["quotes"] == [] and notes["times"] and "numbers" in notes  # the other stages ran
    assert report["timeline"] and report["quotes"]  # from the story's other articles
    for (other,) in store.db.execute("SELECT DISTINCT story_id FROM articles WHERE story_id != ?", (story_id,)):
        story_report(store, other)
    others = store.db.execute("SELECT count(*) FROM annotations WHERE kind = 'quotes' AND data != '[]'").fetchone()[0]
    assert others >= 3  # the other articles have their quotes


def test_pipeline_without_failures_keeps_no_failure_marks(tmp_path):
    store = Store(tmp_path / "t.db")
    summary = Pipeline(store).ingest(read_paths([DEMO_DIR]))
    assert summary.warnings == [] and "warnings" not in summary.to_json()  # the JSON as before
    assert store.db.execute("SELECT count(*) FROM annotations WHERE kind = 'failed'").fetchone()[0] == 0
    assert all("annotation_failed" not in json.loads(r[0] or "{}")
               for r in store.db.execute("SELECT join_reason FROM articles"))


def _prepared(result) -> tuple:
    if isinstance(result, pipeline_module.Prepared):
        return (result.article.id, [(m.start, m.end, m.type, m.text, m.titles, m.role) for m in result.mentions],
                result.annotations, result.failures, result.features_json)
    return ("rejected", result.path, result.reason)


def test_a_workers_chunk_is_prepared_as_its_articles_one_by_one(monkeypatch):
    """A worker tags its chunk's texts together (`ner.find_mentions_many`): the same mentions, quotes and
    annotations as one article at a time; if tagging them together fails, each is tagged alone."""
    from rasd.cluster import StoryEngine

    engine = StoryEngine()

    def read():  # afresh for each run: `prepare` dates an undated article in place
        return list(read_paths([DEMO_DIR, FIXTURES / "snn-2015-08-10-excerpt.json"], clean=False))

    def one(item):
        if isinstance(item, Article):
            item = pipeline_module.clean_input(item)
        return item if isinstance(item, Rejection) else pipeline_module.prepare(item, engine)

    alone = [_prepared(one(item)) for item in read()]
    items = read()
    chunked = [_prepared(r) for k in range(0, len(items), 4)
               for r in pipeline_module._prepare_chunk(items[k:k + 4], True, engine)]
    assert chunked == alone and len(alone) > 10 and any(mentions for _, mentions, *_ in alone)

    def broken(texts):
        raise RuntimeError("tagger broke on the batch")

    monkeypatch.setattr(pipeline_module, "find_mentions_many", broken)
    fallback = [_prepared(r) for r in pipeline_module._prepare_chunk(read()[:4], True, engine)]
    assert fallback == alone[:4]


def test_per_article_stages_leave_no_reference_cycles():
    """Workers freeze what outlives a chunk (`gc.freeze`), which is only safe while preparing an
    article makes no reference cycles: they would never be collected. Real seeds and SaudiNewsNet."""
    import gc

    from rasd.cluster import StoryEngine
    from rasd.pipeline import _prepare_item

    engine = StoryEngine()
    items = list(read_paths([DEMO_DIR, FIXTURES / "snn-2015-08-10-excerpt.json"], clean=False))
    _prepare_item(items[0], True, engine)  # models and lexicons loaded before counting
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for item in items:
            _prepare_item(item, True, engine)
        pipeline_module._prepare_chunk(items[:4], True, engine)  # a worker's chunk, tagged together
        gc.collect()
        cycles = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(items) > 10
    assert cycles == []


def test_ingesting_process_leaves_no_reference_cycles_and_freezes_what_lasts(tmp_path):
    """A command-line ingest freezes what lives after each batch (`freeze_gc`), which is only safe while
    deciding, storing and resolving articles makes no reference cycles. Real seeds and SaudiNewsNet."""
    import gc

    paths = [DEMO_DIR, FIXTURES / "snn-2015-08-10-excerpt.json"]
    store = Store(tmp_path / "warm.db")
    Pipeline(store).ingest(read_paths(paths[:1]))  # models and lexicons loaded before counting
    store.close()
    store = Store(tmp_path / "cycles.db")
    pipeline = Pipeline(store)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        summary = pipeline.ingest(read_paths(paths))
        gc.collect()
        cycles = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert summary.ingested > 10
    assert cycles == []
    frozen = gc.get_freeze_count()
    try:
        Pipeline(Store(tmp_path / "frozen.db")).ingest(read_paths(paths), freeze_gc=True)
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
    store.close()


def test_an_input_error_is_raised_after_the_articles_read_before_it_are_stored(tmp_path):
    """Reading ahead must not lose the articles read before a failing input: they are decided and stored,
    then the error is raised, and nothing is left counted ahead."""
    items = list(read_paths([DEMO_DIR]))

    def failing():
        yield from items
        raise OSError("disk read error on the sixth input")

    store = Store(tmp_path / "t.db")
    pipeline = Pipeline(store)
    try:
        pipeline.ingest(failing())
    except OSError as err:
        assert "sixth input" in str(err)
    else:
        raise AssertionError("the input error was not raised")
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    assert pipeline.engine.incidents.ahead == {}


def test_a_story_is_titled_by_its_most_shared_headline(tmp_path):
    """One outlet's 2015-08-06 (3alyoum, 179 articles): the Abha bombing's story opens with a column on blood
    donors; once it has members enough its title is a headline naming the bombing, as its members' do, and
    it stays one after more articles come in another run. A story of one headline keeps it."""
    chosen = snn_records("2015-08-06", "3alyoum")
    first, rest = write_jsonl(chosen[:150], tmp_path / "first.jsonl"), write_jsonl(chosen[150:], tmp_path / "rest.jsonl")
    store = Store(tmp_path / "day.db")
    pipeline = Pipeline(store)
    for path in (first, rest):
        pipeline.ingest(read_paths([path], ordered=True))
        story = store.db.execute("SELECT story_id FROM articles WHERE title LIKE 'قصة ترابط%'").fetchone()[0]
        opening, title, size = store.db.execute(
            "SELECT (SELECT title FROM articles WHERE story_id = s.id ORDER BY rowid LIMIT 1), s.title, s.size"
            " FROM stories s WHERE s.id = ?", (story,)).fetchone()
        assert size >= 5 and opening.startswith("قصة ترابط")
        assert title != opening and "تفجير" in title and "عسير" in title, title
    singles = store.db.execute("SELECT s.title, a.title FROM stories s JOIN articles a ON a.story_id = s.id"
                               " WHERE s.size = 1").fetchall()
    assert singles and all(story_title == article_title.strip() for story_title, article_title in singles)
    store.close()
