"""The ingest run: articles in, exact duplicates dropped, copies linked, stories and threads assigned.

Each article is written together with its story assignment under its own savepoint, and the story
engine's in-memory state is only updated once that savepoint is released: an error in one article
undoes that article alone. An ingest run commits every `BATCH_ARTICLES` articles (or `BATCH_SECONDS`),
and also when an error stops it, so a crash loses at most the uncommitted batch (which the next
ingest of the same input adds again) and never leaves the engine out of step with the database.

A per-article annotation stage (date estimate, entity mentions, time expressions, quotes, numbers)
that fails on one article does not stop the run: the article is stored without that stage's output,
with `annotation failed: <stage>: <error>` in its `failed` annotations, in its join reason
(`rasd story --json`) and in the run's `warnings`.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .article import Article, Rejection
from .cluster import StoryEngine
from .entities import EntityResolver, annotate_mentions
from .normalize import matching_form
from .numbers import find_numbers
from .quotes import find_quotes
from .search import index_columns
from .store import Store, compact_json
from .timex import article_base, find_times

__all__ = ["IngestSummary", "Pipeline", "Prepared", "prepare", "annotate"]

BATCH_ARTICLES = 200  # articles per commit in an ingest run
BATCH_SECONDS = 2.0  # ... or fewer, when they take longer than this to arrive


@dataclass
class IngestSummary:
    ingested: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    run_id: int | None = None
    warnings: list[str] = field(default_factory=list)  # "<article id>: annotation failed: <stage>: <error>"

    def to_json(self) -> dict:
        return {"ingested": self.ingested, "duplicates": self.duplicates,
                "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected]} \
            | ({"warnings": self.warnings} if self.warnings else {})


def story_title(article: Article) -> str:
    if article.title.strip():
        return article.title.strip()
    first = article.text.strip().split("\n", 1)[0]
    return first[:120] + ("…" if len(first) > 120 else "")


def date_undated(article: Article) -> str | None:
    """Give an undated article the publication date its content implies, marked as an estimate.

    Returns the estimate's reason (stored with the article's annotations), or None when the article
    has a date or its text names no full date to estimate from.
    """
    if article.published:
        return None
    estimate, reason = article_base(article.text, article.title)
    if estimate is None:
        return None
    article.published, article.date_source = estimate, "estimated"
    return reason


def _stage(name: str, failures: list[str] | None, fn, *args, fallback=None):
    """`fn(*args)`, or `fallback` with "annotation failed: <name>: <error>" added to `failures`
    (without `failures`, the error is raised)."""
    try:
        return fn(*args)
    except Exception as err:  # noqa: BLE001 - one stage's bug on one article must not stop the run
        if failures is None:
            raise
        failures.append(f"annotation failed: {name}: {type(err).__name__}: {err}"[:500])
        return fallback


def annotate(article: Article, mentions: list, failures: list[str] | None = None) -> dict[str, list[dict]]:
    """The per-article annotations kept with the article: time expressions (valued against its date),
    quotes with speakers (resolved through its entity mentions) and reported numbers (dates excluded).

    A stage that raises leaves its list empty and says so in `failures` (when given; else it raises).
    """
    times = _stage("timex", failures, find_times, article.text, article.published, fallback=[])
    quotes = _stage("quotes", failures, find_quotes, article.text, mentions, fallback=[])
    numbers = _stage("numbers", failures, lambda: find_numbers(
        article.text, exclude=[(t.start, t.end) for t in times]), fallback=[])
    return {"times": [t.to_json() for t in times], "quotes": [q.to_json() for q in quotes],
            "numbers": [n.to_json() for n in numbers]}


def content_hash(article: Article) -> str:
    """Hash of outlet and matching-form title and text: the same text from the same outlet is a
    re-scrape (stored once); from another outlet it is a reprint, kept and linked as a copy."""
    key = f"{(article.source or '').casefold()}\n{matching_form(article.title)}\n{matching_form(article.text)}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


@dataclass
class Prepared:
    """What the per-article stages make of one article before the story engine sees it, encoded as
    stored where that can be done ahead (in a worker), so the ingesting process only decides and writes."""

    article: Article
    feats: object
    sig: str | None
    mentions: list
    annotations: dict[str, str]  # kind -> its annotations as stored (`compact_json` text)
    failures: list[str] = field(default_factory=list)  # "annotation failed: <stage>: <error>"
    content_hash: str | None = None
    search_columns: tuple[str, ...] | None = None  # `search.index_columns` of the title and text
    features_json: str | None = None  # the features (and MinHash signature) as stored


def prepare(article: Article, engine: StoryEngine, known_hash: str | None = None) -> Prepared:
    """Run the per-article stages (date estimate, features, entity mentions, annotations, search keys).

    Pure with respect to the store and the engine's state, so it can run in worker processes. The
    features must succeed (the story engine needs them); an annotation stage that fails is recorded
    in `failures` and its output left empty.
    """
    failures: list[str] = []
    estimated = _stage("date estimate", failures, date_undated, article)
    feats, sig = engine.features(article.title, article.text, article.published)
    mentions = _stage("entities", failures, annotate_mentions, article.text, fallback=[])
    article.annotations["mentions"] = mentions
    annotations = annotate(article, mentions, failures)
    if estimated:
        annotations["date_estimate"] = [{"value": article.published, "reason": estimated}]
    if failures:
        annotations["failed"] = [{"stage": f.split(": ", 2)[1], "error": f.split(": ", 2)[2]} for f in failures]
    return Prepared(article, feats, sig, mentions, {kind: compact_json(items) for kind, items in annotations.items()},
                    failures, known_hash or content_hash(article), index_columns(article.title, article.text),
                    compact_json(feats.to_json() | ({"m": sig} if sig else {})))


_WORKER_ENGINE: StoryEngine | None = None


def _prepare_in_worker(item: Article | Rejection) -> Prepared | Rejection:
    global _WORKER_ENGINE
    if isinstance(item, Rejection):
        return item
    if _WORKER_ENGINE is None:
        _WORKER_ENGINE = StoryEngine()
    return prepare(item, _WORKER_ENGINE)


def _prepared(pool, items: Iterable[Article | Rejection], ahead: int):
    """Results of `prepare` from worker processes, in input order, with at most `ahead` in flight
    (so a large input is not read into memory all at once)."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.apply_async(_prepare_in_worker, (item,)))
        if len(pending) >= ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


class Pipeline:
    """Stores articles and places them in stories; one per database connection."""

    def __init__(self, store: Store, engine: StoryEngine | None = None):
        self.store = store
        self._load(engine or StoryEngine())

    def _load(self, engine: StoryEngine) -> None:
        """Build the story engine's and the entity resolver's state from the store."""
        self.engine = engine
        self.engine.load(self.store.engine_rows())
        self.entities = EntityResolver().load(self.store.entity_rows(), self.store.entity_mention_rows())

    def _reload(self) -> None:
        """Start the in-memory state again from the store (after a batch that was not committed)."""
        old = self.engine
        fresh = StoryEngine(old.model, old.thread_min_names, old.thread_min_body)
        fresh.member_floor = old.member_floor
        self._load(fresh)

    def add(self, article: Article | Prepared, run_id: int | None = None,
            warnings: list[str] | None = None) -> str:
        """Store one article (or one already `prepare`d); returns "stored" or "duplicate".

        Failed annotation stages are added to `warnings` as "<article id>: annotation failed: ...".
        """
        prepared = article if isinstance(article, Prepared) else None
        article = prepared.article if prepared else article
        key = prepared.content_hash if prepared and prepared.content_hash else content_hash(article)
        existing = self.store.find_duplicate(article.id, article.url, key)
        if existing and existing["id"] == article.id and article.id_source == "path" \
                and existing["content_hash"] != key and not (article.url and existing["url"] == article.url):
            article.id = f"{article.id}-{key[:8]}"  # same file name, different article
            existing = self.store.find_duplicate(article.id, article.url, key)
        if existing:
            return "duplicate"
        prepared = prepared or prepare(article, self.engine, key)
        feats, sig, mentions, annotations = prepared.feats, prepared.sig, prepared.mentions, prepared.annotations
        with self.store.transaction():
            decision = self.engine.decide(feats, sig)
            if decision.story is None:
                linked = self.engine.thread_for(feats)
                thread_id = linked[0] if linked else self.store.new_thread()
                story_id = self.store.new_story(thread_id, story_title(article),
                                                linked[1] if linked else None, linked[2] if linked else None)
            else:
                story_id = decision.story
                thread_id = self.store.thread_of(story_id)
            reason = decision.reason
            if prepared.failures:
                reason = dict(reason or {}) | {"annotation_failed": prepared.failures}
            rowid = self.store.insert_article(article, key, run_id, prepared.features_json,
                                              story=(story_id, round(decision.score, 4), reason, decision.copy_of),
                                              search_columns=prepared.search_columns)
            entities = self.entities.write(self.store, rowid, story_id, mentions)
            self.store.add_annotations(rowid, annotations)
            self.store.refresh_story(story_id)
        self.engine.register(rowid, article.id, story_id, thread_id, feats, sig, decision.copy_of)
        self.entities.commit(entities)
        if warnings is not None:
            warnings += [f"{article.id}: {failure}" for failure in prepared.failures]
        return "stored"

    def ingest(self, items: Iterable[Article | Rejection], command: str = "ingest",
               on_item: Callable[[Article | Rejection, str], None] | None = None,
               workers: int = 1) -> IngestSummary:
        """Store every article of `items`, record every rejection; one run row for the whole batch.

        With `workers` > 1 the per-article stages run in that many processes while this one decides
        stories and writes, in input order, so the result is the same as with one worker.
        """
        summary = IngestSummary(run_id=self.store.start_run(command))
        if workers > 1:
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                return self._ingest(_prepared(pool, items, ahead=16 * workers), summary, on_item)
        return self._ingest(items, summary, on_item)

    def _ingest(self, items, summary: IngestSummary, on_item) -> IngestSummary:
        items = iter(items)
        done = False
        while not done:
            try:
                with self.store.batch():
                    done = self._ingest_batch(items, summary, on_item)
            except BaseException:
                if not self.store.in_step:  # the batch could not be committed: memory is ahead of the store
                    self._reload()
                raise
        self.store.finish_run(summary.run_id, summary.ingested, summary.duplicates, len(summary.rejected))
        return summary

    def _ingest_batch(self, items, summary: IngestSummary, on_item) -> bool:
        """Up to BATCH_ARTICLES items (or BATCH_SECONDS of them) in the open batch; True when `items` ran out."""
        started, count = time.monotonic(), 0
        for item in items:
            if isinstance(item, Rejection):
                self.store.add_rejection(summary.run_id, item.path, item.reason)
                summary.rejected.append(item)
                outcome = "rejected"
            else:
                outcome = self.add(item, summary.run_id, summary.warnings)
                if outcome == "stored":
                    summary.ingested += 1
                else:
                    summary.duplicates += 1
            if on_item:
                on_item(item.article if isinstance(item, Prepared) else item, outcome)
            count += 1
            if count >= BATCH_ARTICLES or time.monotonic() - started >= BATCH_SECONDS:
                return False
        return True
