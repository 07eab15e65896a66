"""The ingest run: articles in, exact duplicates dropped, copies linked, stories and threads assigned.

Each article is written together with its story assignment under its own savepoint, and the story
engine's in-memory state is only updated once that savepoint is released: an error in one article
undoes that article alone. An ingest run commits every `BATCH_ARTICLES` articles (or `BATCH_SECONDS`),
and also when an error stops it, so a crash loses at most the uncommitted batch (which the next
ingest of the same input adds again) and never leaves the engine out of step with the database.

A per-article stage besides the features (date estimate, entity mentions) that fails on one article
does not stop the run: the article is stored without that stage's output, with `annotation failed:
<stage>: <error>` in its `failed` annotations, in its join reason (`rasd story --json`) and in the
run's `warnings`. Time expressions, quotes and numbers are not made here but when a report first
reads the article (`rasd.annotations`).
"""
from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import snapshot as snapshots
from .annotations import failure_record, stage as _stage
from .article import Article, Rejection
from .cluster import StoryEngine, headline
from .entities import EntityResolver, annotate_mentions
from .features import topic_vector
from .ingest import prepare as clean_input
from .ner import find_mentions_many
from .normalize import matching_form
from .search import index_columns
from .store import Store, compact_json
from .timex import article_base

__all__ = ["IngestSummary", "Pipeline", "Prepared", "prepare"]

BATCH_ARTICLES = 200  # articles per commit in an ingest run
BATCH_SECONDS = 2.0  # ... or fewer, when they take longer than this to arrive
HEADLINE_MEMBERS = 3  # from this many members (copies aside) a story's title is its most shared headline
AHEAD = 500  # articles an ingest run prepares ahead of the one it decides (`Pipeline._read_ahead`)
# Workers yield the CPU to the ingesting process: it decides one article at a time, in order, so every
# moment it waits for a core the whole run waits, while a worker held back only lets its chunks queue up
# (`IN_FLIGHT`) and catches up when the ingesting process waits for it.
WORKER_NICE = 5


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


def content_hash(article: Article, folded_text: str | None = None) -> str:
    """Hash of outlet and matching-form title and text: the same text from the same outlet is a
    re-scrape (stored once); from another outlet it is a reprint, kept and linked as a copy.
    `folded_text`: `matching_form(article.text)`, when the caller has it already."""
    if folded_text is None:
        folded_text = matching_form(article.text)
    key = f"{(article.source or '').casefold()}\n{matching_form(article.title)}\n{folded_text}"
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


def prepare(article: Article, engine: StoryEngine, known_hash: str | None = None,
            tagged: tuple[list, list] | None = None) -> Prepared:
    """Run the per-article stages (date estimate, features, entity mentions, search keys).

    Pure with respect to the store and the engine's state, so it can run in worker processes. The
    features must succeed (the story engine needs them); an annotation stage that fails is recorded
    in `failures` and its output left empty. `tagged`: the text's (tokens, tagger mentions) when a
    worker tagged its chunk together (`ner.find_mentions_many`).
    """
    failures: list[str] = []
    estimated = _stage("date estimate", failures, date_undated, article)
    folded = matching_form(article.text) if known_hash is None else None  # for the copy shingles and the hash
    feats, sig = engine.features(article.title, article.text, article.published, folded)
    topic_vector(feats)  # cached on `feats`: made here, in a worker, not by the ingesting process (a 256-d projection)
    mentions = _stage("entities", failures, annotate_mentions, article.text, None, tagged, fallback=[])
    article.annotations["mentions"] = mentions
    annotations: dict[str, list[dict]] = {}  # time expressions, quotes, numbers: when a report reads it
    if estimated:
        annotations["date_estimate"] = [{"value": article.published, "reason": estimated}]
    if failures:
        annotations["failed"] = [failure_record(f) for f in failures]
    return Prepared(article, feats, sig, mentions, {kind: compact_json(items) for kind, items in annotations.items()},
                    failures, known_hash or content_hash(article, folded), index_columns(article.title, article.text),
                    compact_json(feats.to_json() | ({"m": sig} if sig else {})))


# Items per message to a worker. Each message costs both sides (pickling, a pipe write and wake-up, and the
# worker's collection of young objects after each chunk), so fewer, larger ones: the last 5 SaudiNewsNet days,
# interleaved on one machine, 198 articles/s at 4 (9.3 ms of CPU an article), 207 at 16, 214 at 32 (8.6 ms:
# ingesting process 3.3 -> 3.0, workers 6.0 -> 5.6); 64 no better. Same stories: preparing is per article.
CHUNK = 32
# Chunks a worker may hold (queued or done, not yet read back): 256 articles. Chunks come back in order, so
# with few articles in flight a worker whose chunks are done waited while the ingesting process waited for
# the other's (at 4 chunks of 4, 18 days ran 189 articles/s; at 64 of 4 and `WORKER_NICE`, 196).
IN_FLIGHT = 8


def _prepare_item(item: Article | Rejection, clean: bool, engine: StoryEngine) -> Prepared | Rejection:
    """`prepare` of one read item, after `ingest.prepare` (cleaning, language check) when `clean`."""
    return _prepare_chunk([item], clean, engine)[0]


def _prepare_chunk(chunk: list[Article | Rejection], clean: bool, engine: StoryEngine) -> list[Prepared | Rejection]:
    """`_prepare_item` of each item, the articles' texts tagged for entities together (`find_mentions_many`);
    if that fails, each article is tagged alone, so that only the one whose text breaks the tagger has
    its entities stage fail."""
    if clean:
        chunk = [clean_input(item) if isinstance(item, Article) else item for item in chunk]
    texts = [item.text for item in chunk if isinstance(item, Article)]
    try:
        tagged = iter(find_mentions_many(texts) if texts else ())
    except Exception:  # noqa: BLE001 - `prepare` tags each alone and records the failure on that article
        tagged = iter(())
    return [item if isinstance(item, Rejection) else prepare(item, engine, tagged=next(tagged, None))
            for item in chunk]


def _worker_loop(inbox, outbox, clean: bool) -> None:
    """A worker process: chunks of items in, their `_prepare_chunk` results (or the error) out, until None."""
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # no `nice` on this platform: the run is only slower
        pass
    engine = StoryEngine()
    gc.disable()  # collected after each chunk below: the collections in between cost 4-5% of a worker's time
    while (chunk := inbox.get()) is not None:
        try:
            outbox.put(_prepare_chunk(chunk, clean, engine))
        except Exception as err:  # noqa: BLE001 - handed to the ingesting process, which raises it
            outbox.put(_WorkerError(f"{type(err).__name__}: {err}", err))
        # What outlives a chunk here is the models and the per-word caches: hundreds of thousands of
        # objects that every full cycle collection walked again (7% of a worker's time on 12 days).
        # Frozen, the collector looks at each chunk's new objects only; reference counting still frees
        # whatever is dropped, and the chunk's own cycles (none are known) are collected first.
        gc.collect(1)
        gc.freeze()


class _WorkerError:
    """An exception raised in a worker, carried back to be raised in the ingesting process."""

    def __init__(self, text: str, err: BaseException):
        self.text = text
        try:
            self.err = pickle.loads(pickle.dumps(err))
        except Exception:  # noqa: BLE001 - not every exception survives pickling
            self.err = None

    def raise_it(self):
        raise RuntimeError(f"ingest worker failed: {self.text}") from self.err


class _Workers:
    """Worker processes (spawned) that `prepare` chunks of items, results read back in input order.

    Chunk k goes to worker k mod n and comes back on that worker's own queue, so order needs no
    bookkeeping; unlike `multiprocessing.Pool` no helper thread polls in this process while it writes.
    """

    def __init__(self, count: int, clean: bool):
        ctx = multiprocessing.get_context("spawn")
        self.inboxes = [ctx.Queue() for _ in range(count)]
        self.outboxes = [ctx.Queue() for _ in range(count)]
        self.procs = [ctx.Process(target=_worker_loop, args=(i, o, clean), daemon=True)
                      for i, o in zip(self.inboxes, self.outboxes)]
        for proc in self.procs:
            proc.start()

    def _result(self, k: int) -> list:
        worker = k % len(self.procs)
        while True:
            try:
                got = self.outboxes[worker].get(timeout=1.0)
            except queue.Empty:
                if not self.procs[worker].is_alive():
                    raise RuntimeError(f"ingest worker died (exit code {self.procs[worker].exitcode})") from None
                continue
            if isinstance(got, _WorkerError):
                got.raise_it()
            return got

    def map(self, items: Iterable[Article | Rejection], ahead: int):
        """`_prepare_item` of every item, in input order, with at most `ahead` chunks in flight (so a
        large input is not read into memory all at once)."""
        sent = received = 0
        for chunk in _chunks(items, CHUNK):
            self.inboxes[sent % len(self.procs)].put(chunk)
            sent += 1
            if sent - received >= ahead:
                yield from self._result(received)
                received += 1
        while received < sent:
            yield from self._result(received)
            received += 1

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            self.close()
        else:  # an error stops the run: the workers' queued work is of no use
            for proc in self.procs:
                proc.terminate()
                proc.join()


def _chunks(items: Iterable, size: int):
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Pipeline:
    """Stores articles and places them in stories; one per database connection."""

    def __init__(self, store: Store, engine: StoryEngine | None = None, snapshot: Path | None = None,
                 autosave: bool = True):
        """`snapshot`: a file to load the state from when it was saved for the store as it is (`rasd.snapshot`),
        and to save it to after each completed `ingest` (with `autosave`; else by `save_snapshot`, as the
        API server does when it stops); only with the default engine."""
        self.store = store
        self.snapshot = snapshot if engine is None else None
        self.autosave = autosave
        self._grown: set[int] = set()  # stories that took an article since their title was last chosen
        self._titled: dict[int, int] = {}  # story id -> its members when this process last chose its title
        self._load(engine or StoryEngine(), use_snapshot=True)

    def _load(self, engine: StoryEngine, use_snapshot: bool = False) -> None:
        """Build the story engine's and the entity resolver's state from the store (or its snapshot)."""
        self.engine = engine
        self._data_version = self.store.data_version()  # before the state is read: a commit after shows
        self._generation = self.store.generation()  # ... and whether it added what the state is built from
        enabled = gc.isenabled()
        gc.disable()  # millions of lasting objects: each full collection on the way walked them all (~18%)
        try:
            saved = snapshots.load(self.snapshot, self._generation) if self.snapshot and use_snapshot else None
            if saved is not None:
                self.engine, self.entities = saved
                return
            self.engine.load(self.store.engine_rows())
            self.entities = EntityResolver().load(self.store.entity_rows(), self.store.entity_mention_rows())
        finally:
            if enabled:
                gc.enable()

    def stale(self) -> bool:
        """Whether another process stored articles, stories or entities since this state was loaded.

        Reports store the annotations they make (`Store.cache_annotations`): a commit that changed only
        those leaves the state as good as it was."""
        now = self.store.data_version()
        if now == self._data_version:
            return False
        if self._generation is not None and self.store.generation() == self._generation:
            self._data_version = now
            return False
        return True

    def _stored(self) -> None:
        """After this process's own writes: what the state is built from, unless another writer's
        commit came in between (then `stale` says so, as it cannot tell whose rows are whose)."""
        self._generation = self.store.generation() if self.store.data_version() == self._data_version else None

    def save_snapshot(self) -> str | None:
        """Save the state for the store as it is now (see `rasd.snapshot`); the error, if it could not be."""
        if not self.snapshot:
            return None
        if self.stale():  # another writer's rows are not in this state: the next run replays
            return f"engine snapshot not saved to {self.snapshot}: another process wrote to the database meanwhile"
        generation = self.store.generation()
        if snapshots.usable(self.snapshot, generation):  # nothing stored since it was saved
            return None
        try:
            snapshots.save(self.snapshot, generation, (self.engine, self.entities))
        except (OSError, pickle.PicklingError, RecursionError) as err:
            return f"engine snapshot not saved to {self.snapshot}: {err}"
        return None

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
            self.store.count_in_story(story_id, article.published)
        self.engine.register(rowid, article.id, story_id, thread_id, feats, sig, decision.copy_of)
        if decision.story is not None and decision.copy_of is None:
            self._grown.add(story_id)
        self.entities.commit(entities)
        if warnings is not None:
            warnings += [f"{article.id}: {failure}" for failure in prepared.failures]
        return "stored"

    def ingest(self, items: Iterable[Article | Rejection], command: str = "ingest",
               on_item: Callable[[Article | Rejection, str], None] | None = None,
               workers: int = 1, clean: bool = False, freeze_gc: bool = False,
               on_read: Callable[[int], None] | None = None) -> IngestSummary:
        """Store every article of `items`, record every rejection; one run row for the whole batch.

        With `workers` > 1 the per-article stages run in that many processes while this one decides
        stories and writes, in input order, so the result is the same as with one worker. With `clean`
        the items are as `read_paths(..., clean=False)` reads them and `ingest.prepare` runs on each
        first (in the workers, when there are any). With `freeze_gc` (a command-line run, whose process
        ends with it) what lives after each batch is moved out of the cyclic collector's sight.
        `on_item` is called as each item is decided, `on_read` with the count read so far as each is read
        and prepared: up to `AHEAD` items are read before the first is decided (a progress bar would stand
        still meanwhile, for all of a small input).
        """
        summary = IngestSummary(run_id=self.store.start_run(command))
        if workers > 1:
            with _Workers(workers, clean) as pool:
                ahead = self._read_ahead(pool.map(items, ahead=IN_FLIGHT * workers), on_read)
                self._ingest(ahead, summary, on_item, freeze_gc)
        else:
            if clean:
                items = (clean_input(item) if isinstance(item, Article) else item for item in items)
            self._ingest(self._read_ahead(items, on_read), summary, on_item, freeze_gc)
        if self.autosave and (failed := self.save_snapshot()) is not None:  # after the workers: less memory at once
            summary.warnings.append(failed)
        return summary

    def _read_ahead(self, items: Iterable[Article | Prepared | Rejection],
                    on_read: Callable[[int], None] | None = None) -> Iterator[Article | Prepared | Rejection]:
        """`items` in order, up to `AHEAD` of them prepared before the one handed on is decided, and their
        incident keys counted in the engine's incident counts (`StoryEngine.expect`) until it is their turn.

        Days after an attack its reactions open stories of their own until enough are decided to make a key
        hot; read ahead, a key of the day's dominant happening is known from the day's first article
        (`cluster.VERY_HOT`). Eighteen gold days, shipped model: B-cubed F1 on the six days of and after the
        Abha bombing +0.004 (slices) and +0.005 (whole days), no day lower; the other twelve unchanged.
        A plain article is prepared here unless it is stored already (a re-ingest costs no annotation); one
        whose preparation fails is handed on as it is, for `add` to fail on in its turn. An error reading
        `items` is raised once what was read before it is decided, as it would be without reading ahead.
        """
        engine, window = self.engine, deque()
        items, failed, read = iter(items), None, 0
        engine.incidents.ahead.clear()  # a run stopped by an error may have left some behind

        def take():
            item, keys = window.popleft()
            if keys:
                engine.incidents.expect(keys, item.feats.time, -1)
            return item

        try:
            while True:
                try:
                    item = next(items)
                except StopIteration:
                    break
                except Exception as err:  # noqa: BLE001 - raised below, after the items read before it
                    failed = err
                    break
                if isinstance(item, Article):
                    key = content_hash(item)
                    if not self.store.find_duplicate(item.id, item.url, key):
                        try:
                            item = prepare(item, engine, key)
                        except Exception:  # noqa: BLE001 - `add` prepares it again in its turn, and fails there
                            pass
                window.append((item, engine.expect(item.feats) if isinstance(item, Prepared) else None))
                read += 1
                if on_read:
                    on_read(read)
                if len(window) > AHEAD:
                    yield take()
            while window:
                yield take()
            if failed is not None:
                raise failed
        finally:
            while window:  # the run stopped early: what was read ahead counts no more
                take()

    def _ingest(self, items, summary: IngestSummary, on_item, freeze_gc: bool = False) -> IngestSummary:
        items = iter(items)
        collecting = gc.isenabled()
        if freeze_gc:  # collected after each batch below, not also every few hundred objects made on the way
            gc.disable()
        try:
            self._ingest_batches(items, summary, on_item, freeze_gc)
        finally:
            if collecting:
                gc.enable()
        self.store.finish_run(summary.run_id, summary.ingested, summary.duplicates, len(summary.rejected))
        self._stored()
        return summary

    def _ingest_batches(self, items, summary: IngestSummary, on_item, freeze_gc: bool) -> None:
        done = False
        while not done:
            try:
                with self.store.batch():
                    done = self._ingest_batch(items, summary, on_item)
                    self.retitle(final=done)
            except BaseException:
                if not self.store.in_step:  # the batch could not be committed: memory is ahead of the store
                    self._reload()
                raise
            if freeze_gc:
                # The engine's and the resolver's state only grows: millions of lasting objects that each
                # full collection walked again. Frozen after each batch, they are out of the collector's
                # sight; reference counting still frees whatever is dropped. Not collected first: deciding,
                # storing and resolving make no reference cycles (a test holds it), and walking each batch's
                # new objects found 6 in 38 batches of days 11-14, all in the first (start-up's), for 0.04 ms
                # an article of this process, the one that decides in order. Not in a server, whose frozen
                # objects could not be collected when they end up in a cycle.
                gc.freeze()

    def retitle(self, final: bool = True) -> None:
        """Title each story grown since its title was chosen by its most shared headline (`cluster.headline`):
        in a run, as a story's members double (3, 6, 12...: each member's title is read a few times at most);
        at its end (`final`), every story grown in it."""
        for story_id in sorted(self._grown):
            state = self.engine.stories.get(story_id)
            members = state.absorbed if state is not None else 0
            if members < HEADLINE_MEMBERS:
                continue
            if final or members >= 2 * self._titled.get(story_id, 0):
                title = headline(self.store.member_titles(story_id))
                if title is not None:
                    self.store.set_story_title(story_id, title)
                self._titled[story_id] = members
                self._grown.discard(story_id)
        if final:
            self._grown.clear()

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
