"""The ingest run: articles in, exact duplicates dropped, copies linked, stories and threads assigned.

Each article is stored in its own transaction together with its story assignment, and the story
engine's in-memory state is only updated after the commit, so a crash or an error loses at most the
article being written and never leaves the engine out of step with the database.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .article import Article, Rejection
from .cluster import StoryEngine
from .entities import EntityResolver, annotate_mentions
from .normalize import matching_form
from .numbers import find_numbers
from .quotes import find_quotes
from .store import Store
from .timex import article_base, find_times

__all__ = ["IngestSummary", "Pipeline"]


@dataclass
class IngestSummary:
    ingested: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    run_id: int | None = None

    def to_json(self) -> dict:
        return {"ingested": self.ingested, "duplicates": self.duplicates,
                "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected]}


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


def annotate(article: Article, mentions: list) -> dict[str, list[dict]]:
    """The per-article annotations kept with the article: time expressions (valued against its date),
    quotes with speakers (resolved through its entity mentions) and reported numbers (dates excluded)."""
    times = find_times(article.text, article.published)
    quotes = find_quotes(article.text, mentions)
    numbers = find_numbers(article.text, exclude=[(t.start, t.end) for t in times])
    return {"times": [t.to_json() for t in times], "quotes": [q.to_json() for q in quotes],
            "numbers": [n.to_json() for n in numbers]}


@dataclass
class Prepared:
    """What the per-article stages make of one article before the story engine sees it."""

    article: Article
    feats: object
    sig: str | None
    mentions: list
    annotations: dict[str, list[dict]]


def prepare(article: Article, engine: StoryEngine) -> Prepared:
    """Run the per-article stages (date estimate, features, entity mentions, annotations).

    Pure with respect to the store and the engine's state, so it can run in worker processes.
    """
    estimated = date_undated(article)
    feats, sig = engine.features(article.title, article.text, article.published)
    mentions = annotate_mentions(article.text)
    article.annotations["mentions"] = mentions
    annotations = annotate(article, mentions)
    if estimated:
        annotations["date_estimate"] = [{"value": article.published, "reason": estimated}]
    return Prepared(article, feats, sig, mentions, annotations)


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
        self.engine = engine or StoryEngine()
        self.engine.load(store.engine_rows())
        self.entities = EntityResolver().load(store.entity_rows(), store.entity_mention_rows())

    def add(self, article: Article | Prepared, run_id: int | None = None) -> str:
        """Store one article (or one already `prepare`d); returns "stored" or "duplicate"."""
        prepared = article if isinstance(article, Prepared) else None
        article = prepared.article if prepared else article
        match_title, match_body = matching_form(article.title), matching_form(article.text)
        # The same text from the same outlet is a re-scrape (stored once); from another outlet it is a
        # reprint, kept and linked as a copy by the story engine.
        key = f"{(article.source or '').casefold()}\n{match_title}\n{match_body}"
        content_hash = hashlib.sha1(key.encode("utf-8")).hexdigest()
        existing = self.store.find_duplicate(article.id, article.url, content_hash)
        if existing and existing["id"] == article.id and article.id_source == "path" \
                and existing["content_hash"] != content_hash and not (article.url and existing["url"] == article.url):
            article.id = f"{article.id}-{content_hash[:8]}"  # same file name, different article
            existing = self.store.find_duplicate(article.id, article.url, content_hash)
        if existing:
            return "duplicate"
        prepared = prepared or prepare(article, self.engine)
        feats, sig, mentions, annotations = prepared.feats, prepared.sig, prepared.mentions, prepared.annotations
        stored = feats.to_json() | ({"m": sig} if sig else {})
        with self.store.transaction():
            rowid = self.store.insert_article(article, content_hash, match_title, match_body, run_id, stored)
            decision = self.engine.decide(feats, sig)
            if decision.story is None:
                linked = self.engine.thread_for(feats)
                thread_id = linked[0] if linked else self.store.new_thread()
                story_id = self.store.new_story(thread_id, story_title(article),
                                                linked[1] if linked else None, linked[2] if linked else None)
            else:
                story_id = decision.story
                thread_id = self.store.thread_of(story_id)
            self.store.assign(rowid, story_id, round(decision.score, 4), decision.reason, decision.copy_of)
            entities = self.entities.write(self.store, rowid, story_id, mentions)
            self.store.add_annotations(rowid, annotations)
            self.store.refresh_story(story_id)
        self.engine.register(rowid, article.id, story_id, thread_id, feats, sig, decision.copy_of)
        self.entities.commit(entities)
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
        for item in items:
            if isinstance(item, Rejection):
                self.store.add_rejection(summary.run_id, item.path, item.reason)
                summary.rejected.append(item)
                outcome = "rejected"
            else:
                outcome = self.add(item, summary.run_id)
                if outcome == "stored":
                    summary.ingested += 1
                else:
                    summary.duplicates += 1
            if on_item:
                on_item(item.article if isinstance(item, Prepared) else item, outcome)
        self.store.finish_run(summary.run_id, summary.ingested, summary.duplicates, len(summary.rejected))
        return summary
