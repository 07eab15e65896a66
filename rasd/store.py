"""All of rasd's SQL, behind one small interface (a PostgreSQL backend can implement the same methods).

The database is one SQLite file in WAL mode (synchronous=NORMAL): readers (the CLI, the API) never
block the ingest writer. Each article is written inside `transaction()`; an ingest run groups many of
those in one `batch()` (one commit), where each article keeps its own savepoint, so an error undoes
that article alone and a crash loses at most the uncommitted batch. Full-text search is
`search_fts` (rasd/search.py decides its keys); the old matching-form index `articles_fts` is
dropped by migration 5.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .article import Article
from .schema import MIGRATIONS

__all__ = ["Store", "StoreError", "compact_json"]


class StoreError(RuntimeError):
    """The database file cannot be opened or used (not SQLite, read-only, newer schema, ...)."""


# SQLite's page cache per connection, in KiB (its default is 2,000). The 18-day SaudiNewsNet ingest re-read
# the same index pages from the OS: at 16,000 the ingesting process took 2.4 s less CPU of ~103 (system time
# 7.3 -> 4.9 s) for 14 MB more memory; 32,000 gained no more, for 30 MB.
CACHE_KIB = 16_000


def compact_json(value) -> str:
    """The JSON text rasd stores (UTF-8 as is, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SECOND: list = [None, ""]  # the last second `_now` wrote, and how


def _now() -> str:
    """UTC now to the second, ISO 8601; written once a second (an ingest stamps each article, story, entity)."""
    second = int(time.time())
    if second != _SECOND[0]:
        _SECOND[:] = second, datetime.fromtimestamp(second, timezone.utc).isoformat()
    return _SECOND[1]


def story_filters(since: str | None, until: str | None, source: str | None, thread: int | None):
    """WHERE clause and arguments of the story filters (`Store.stories`, the API's story pages)."""
    where, args = ["s.size > 0"], []
    if since:
        where.append("s.last_seen >= ?")
        args.append(since)
    if until:
        where.append("substr(s.first_seen, 1, ?) <= ?")
        args += [len(until), until]
    if source:
        where.append("EXISTS (SELECT 1 FROM articles x WHERE x.story_id = s.id AND x.source = ?)")
        args.append(source)
    if thread is not None:
        where.append("s.thread_id = ?")
        args.append(thread)
    return " AND ".join(where), args


_ENTITY_UPDATE = "UPDATE entities SET name = ?, mentions = ? WHERE id = ?"
_SEARCH_INSERT = ("INSERT INTO search_fts (rowid, title, body, title_stem, body_stem, title_skel, body_skel)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?)")


class Store:
    """An open rasd database."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._batch = False
        self.in_step = True  # False after a batch could not be committed (see `batch`)
        # Search entries of the open batch's articles, written just before it commits: FTS5 writes out
        # its pending entries whenever a statement that checks foreign keys opens a statement journal,
        # so an entry added per article cost each next insert ~0.4 ms (a tenth of the ingesting process).
        self._search_rows: list[tuple] = []
        # (name, mentions, id) of entities the open batch's articles renamed or counted, in order (None, None,
        # id when one was dropped); only each one's last is written, just before the batch commits: a common
        # entity is counted again by every third article (`update_entity`).
        self._entity_rows: list[tuple[str | None, int | None, int]] = []
        # Annotations a report made but could not store (`rasd.annotations.article_notes`): rowid -> notes.
        self.annotation_memo: OrderedDict[int, dict] = OrderedDict()
        # Held while report-made annotations are written (`cache_annotations`); the API shares its writer's.
        self.cache_lock: threading.Lock | None = None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot use database {self.path}: {err}") from None

    def close(self) -> None:
        self.db.close()

    # -- schema -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        known = {version for version, _, _ in MIGRATIONS}
        if done - known:
            raise StoreError(f"{self.path} was written by a newer rasd (schema {max(done)}); upgrade rasd")
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.transaction():
                for statement in sql.split(";\n"):
                    if statement.strip():
                        self.db.execute(statement)
                if version == 4:  # the search index starts empty: fill it from the stored articles
                    self._fill_search_index()
                self.db.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, _now()))

    def schema_version(self) -> int:
        return self.db.execute("SELECT max(version) FROM migrations").fetchone()[0]

    @contextmanager
    def transaction(self):
        """All or nothing: its own transaction, or a savepoint inside an open `batch()`."""
        if self._batch:
            begin, end, undo = "SAVEPOINT article", "RELEASE article", ("ROLLBACK TO article", "RELEASE article")
        else:
            begin, end, undo = "BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",)
        searched, counted = len(self._search_rows), len(self._entity_rows)
        self.db.execute(begin)
        try:
            yield self.db
        except BaseException:
            del self._search_rows[searched:]  # the undone articles' search entries go with them
            del self._entity_rows[counted:]  # and their entities' names and counts
            if self.db.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
                for statement in undo:
                    self.db.execute(statement)
            raise
        self.db.execute(end)

    @contextmanager
    def batch(self):
        """One commit for the `transaction()`s inside, also when the block stops with an error (what
        was written before the error is kept). Sets `in_step` to False when the commit fails or
        SQLite already rolled the batch back: then callers' in-memory state is ahead of the store."""
        self.db.execute("BEGIN IMMEDIATE")
        self._batch, self.in_step = True, True
        self._search_rows, self._entity_rows = [], []
        try:
            yield self.db
        finally:
            self._batch = False
            if not self.db.in_transaction:
                self.in_step = False
                self._search_rows, self._entity_rows = [], []
            else:
                try:
                    self._write_search_rows()
                    self._write_entity_rows()
                    self.db.execute("COMMIT")
                except sqlite3.Error:
                    self.in_step = False
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise

    # -- runs and rejections ------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        return self.db.execute("INSERT INTO runs (command, started_at) VALUES (?, ?)", (command, _now())).lastrowid

    def finish_run(self, run_id: int, ingested: int, duplicates: int, rejected: int) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, ingested = ?, duplicates = ?, rejected = ? WHERE id = ?",
            (_now(), ingested, duplicates, rejected, run_id),
        )

    def add_rejection(self, run_id: int | None, path: str, reason: str) -> None:
        self.db.execute("INSERT INTO rejections (run_id, path, reason, at) VALUES (?, ?, ?, ?)",
                        (run_id, path, reason, _now()))

    def rejections(self, run_id: int | None = None) -> list[dict]:
        sql, args = "SELECT run_id, path, reason, at FROM rejections", ()
        if run_id is not None:
            sql, args = sql + " WHERE run_id = ?", (run_id,)
        return [dict(row) for row in self.db.execute(sql + " ORDER BY id", args)]

    # -- articles -----------------------------------------------------------------------------
    def find_duplicate(self, article_id: str, url: str | None, content_hash: str) -> dict | None:
        """The stored article that `article` repeats (same id, same url or same folded text)."""
        row = self.db.execute(
            "SELECT rowid, id, url, content_hash FROM articles WHERE id = ? OR content_hash = ?"
            " OR (url IS NOT NULL AND url = ?) LIMIT 1",
            (article_id, content_hash, url),
        ).fetchone()
        return dict(row) if row else None

    def id_taken(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def insert_article(self, article: Article, content_hash: str, run_id: int | None,
                       features: dict | str | None = None, story: tuple | None = None,
                       search_columns: tuple[str, ...] | None = None) -> int:
        """Store one article, its story assignment (story id, join score, join reason, copy of) and
        its search entry (`search.index_columns`, computed here when not given; inside a `batch()`,
        written when the batch commits); call inside `transaction()`. `features` may be given as its
        `compact_json` text."""
        story_id, score, reason, copy_of = story or (None, None, None, None)
        rowid = self.db.execute(
            "INSERT INTO articles (id, source, url, title, text, raw, author, published, date_source, origin,"
            " content_hash, run_id, ingested_at, features, story_id, join_score, join_reason, copy_of)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (article.id, article.source, article.url, article.title, article.text, article.raw or None,
             article.author, article.published, article.date_source, article.origin, content_hash, run_id,
             _now(), (features if isinstance(features, str) else compact_json(features)) if features else None,
             story_id, score, json.dumps(reason, ensure_ascii=False) if reason else None, copy_of),
        ).lastrowid
        self._index_for_search(rowid, article.title, article.text, search_columns)
        return rowid

    def article_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def generation(self) -> tuple:
        """What the in-memory engine and entity resolver are rebuilt from, summed up: counts and last ids of
        the articles, stories, entities and mentions (rasd only adds rows; any writer changes these)."""
        sql = "SELECT count(*), coalesce(max(rowid), 0) FROM {}"
        return (self.schema_version(), *(tuple(self.db.execute(sql.format(table)).fetchone())
                                         for table in ("articles", "stories", "entities", "mentions")))

    def data_version(self) -> int:
        """Changes when another connection commits to the database (SQLite's `PRAGMA data_version`)."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def engine_rows(self) -> Iterator[sqlite3.Row]:
        """What the story engine needs to rebuild its in-memory indexes, in ingest order."""
        yield from self.db.execute(
            "SELECT a.rowid, a.id, a.story_id, s.thread_id, a.copy_of, a.features, a.title FROM articles a"
            " LEFT JOIN stories s ON s.id = a.story_id ORDER BY a.rowid")

    # -- search index (rasd/search.py decides the keys and the query) ---------------------------
    def _index_for_search(self, rowid: int, title: str, text: str, columns: tuple[str, ...] | None = None) -> None:
        if columns is None:
            from .search import index_columns

            columns = index_columns(title, text)
        if self._batch:  # written by `batch()` just before it commits (see `_search_rows`)
            self._search_rows.append((rowid, *columns))
        else:
            self.db.execute(_SEARCH_INSERT, (rowid, *columns))

    def _write_search_rows(self) -> None:
        rows, self._search_rows = self._search_rows, []
        if rows:
            self.db.executemany(_SEARCH_INSERT, rows)

    def _fill_search_index(self) -> int:
        rows = self.db.execute("SELECT rowid, title, text FROM articles ORDER BY rowid").fetchall()
        for row in rows:
            self._index_for_search(row[0], row[1], row[2])
        return len(rows)

    def reindex_search(self) -> int:
        """Rebuild the search index from the stored articles (after the keys changed); returns the count."""
        with self.transaction():
            self.db.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
            return self._fill_search_index()

    def search_index(self, match: str, weights: tuple[float, ...], boost: float, days: float, *,
                     source: str | None = None, since: str | None = None, until: str | None = None,
                     story: int | None = None, entities: list[int] | None = None) -> list[tuple[int, int | None, float]]:
        """(rowid, story id, score) of every article matching the FTS5 `match`, best first.

        score = -bm25(weights) * (1 + boost / (1 + age / days)), age in days behind the newest dated
        article; undated articles get no boost.
        """
        clauses = [("search_fts MATCH ?", [match]),
                   ("a.source = ?", [source] if source else None),
                   ("a.published >= ?", [since] if since else None),
                   ("substr(a.published, 1, ?) <= ?", [len(until), until] if until else None),
                   ("a.story_id = ?", [story] if story is not None else None),
                   ("a.rowid IN (SELECT article_rowid FROM mentions WHERE entity_id IN"
                    f" ({','.join('?' * len(entities or []))}))", entities)]
        where = [sql for sql, values in clauses if values is not None]
        args = [v for _, values in clauses if values is not None for v in values]
        newest = self.db.execute("SELECT max(published) FROM articles").fetchone()[0]
        sql = (f"SELECT a.rowid, a.story_id, -bm25(search_fts, {', '.join(str(float(w)) for w in weights)})"
               f" * (1 + coalesce(? / (1 + max(0, julianday(?) - julianday(a.published)) / ?), 0)) AS score"
               f" FROM search_fts JOIN articles a ON a.rowid = search_fts.rowid"
               f" WHERE {' AND '.join(where)} ORDER BY score DESC, a.rowid DESC")
        return [tuple(row) for row in self.db.execute(sql, [boost, newest, days, *args])]

    def _rows_by_key(self, select: str, key: str, keys: list[int]) -> dict[int, dict]:
        """{key: row} for `select ... WHERE key IN keys` (a page of keys: no chunking needed)."""
        if not keys:
            return {}
        rows = self.db.execute(f"{select} WHERE {key} IN ({','.join('?' * len(keys))})", keys)
        return {row[key]: dict(row) for row in rows}

    def articles_by_rowid(self, rowids: list[int]) -> dict[int, dict]:
        return self._rows_by_key("SELECT rowid, id, title, text, source, published, story_id FROM articles",
                                 "rowid", rowids)

    def story_rows(self, story_ids: list[int]) -> dict[int, dict]:
        return self._rows_by_key("SELECT id, title, size, first_seen, last_seen FROM stories", "id", story_ids)

    def has_entity_annotations(self) -> bool:
        """Whether any entity mention is stored (articles ingested before entities were annotated have none)."""
        return self.db.execute("SELECT 1 FROM mentions LIMIT 1").fetchone() is not None

    # -- stories and threads ------------------------------------------------------------------
    def new_thread(self) -> int:
        return self.db.execute("INSERT INTO threads (created_at) VALUES (?)", (_now(),)).lastrowid

    def new_story(self, thread_id: int, title: str, thread_score: float | None = None,
                  thread_reason: dict | None = None) -> int:
        return self.db.execute(
            "INSERT INTO stories (thread_id, title, created_at, thread_score, thread_reason) VALUES (?,?,?,?,?)",
            (thread_id, title, _now(), thread_score,
             json.dumps(thread_reason, ensure_ascii=False) if thread_reason else None),
        ).lastrowid

    def member_titles(self, story_id: int) -> list[tuple[str, dict[str, float]]]:
        """(title, title vector) of a story's articles that are not copies, in order of arrival; an empty
        vector where the stored features are missing or unreadable (a title is never worth a failed run)."""
        rows = self.db.execute(
            "SELECT title, CASE WHEN json_valid(features) THEN json_extract(features, '$.t') END AS t FROM articles"
            " WHERE story_id = ? AND copy_of IS NULL ORDER BY rowid", (story_id,)).fetchall()
        out = []
        for row in rows:
            try:
                vector = json.loads(row["t"]) if isinstance(row["t"], str) else {}
            except ValueError:
                vector = {}
            ok = isinstance(vector, dict) and all(isinstance(w, (int, float)) for w in vector.values())
            out.append((row["title"], vector if ok else {}))
        return out

    def set_story_title(self, story_id: int, title: str) -> None:
        self.db.execute("UPDATE stories SET title = ? WHERE id = ?", (title, story_id))

    def count_in_story(self, story_id: int, published: str | None) -> None:
        """Count one more article into a story's size and first/last dates, as `refresh_story` would find
        them, without reading its articles again (a 600-article story did, for every article it took)."""
        self.db.execute(
            "UPDATE stories SET size = size + 1,"
            " first_seen = CASE WHEN :p IS NULL OR (first_seen IS NOT NULL AND first_seen <= :p) THEN first_seen ELSE :p END,"
            " last_seen = CASE WHEN :p IS NULL OR (last_seen IS NOT NULL AND last_seen >= :p) THEN last_seen ELSE :p END"
            " WHERE id = :s",
            {"s": story_id, "p": published},
        )

    def refresh_story(self, story_id: int) -> None:
        """Recompute a story's size and first/last dates from its articles (copies not counted)."""
        self.db.execute(
            "UPDATE stories SET size = (SELECT count(*) FROM articles WHERE story_id = :s),"
            " first_seen = (SELECT min(published) FROM articles WHERE story_id = :s),"
            " last_seen = (SELECT max(published) FROM articles WHERE story_id = :s) WHERE id = :s",
            {"s": story_id},
        )

    def outlets(self) -> dict[str, int]:
        """Each outlet named by a stored article, with its article count, most articles first."""
        rows = self.db.execute("SELECT source, count(*) AS n FROM articles WHERE source IS NOT NULL"
                               " GROUP BY source ORDER BY n DESC, source").fetchall()
        return {row["source"]: row["n"] for row in rows}

    def stories(self, since: str | None = None, until: str | None = None, source: str | None = None,
                thread: int | None = None) -> list[dict]:
        """Stories with their articles' input ids and sources, newest activity first.

        A date filter leaves out undated stories: they cannot be placed in the range.
        """
        where, args = story_filters(since, until, source, thread)
        rows = self.db.execute(
            "SELECT s.id, s.thread_id, s.title, s.size, s.first_seen, s.last_seen FROM stories s"
            f" WHERE {where} ORDER BY coalesce(s.last_seen, '') DESC, s.id DESC", args,
        ).fetchall()
        members: dict[int, list[sqlite3.Row]] = {row["id"]: [] for row in rows}
        for art in self.db.execute("SELECT story_id, id, source FROM articles WHERE story_id IS NOT NULL ORDER BY rowid"):
            if art["story_id"] in members:
                members[art["story_id"]].append(art)
        return [{
            "id": row["id"], "thread": row["thread_id"], "title": row["title"],
            "article_ids": [a["id"] for a in members[row["id"]]],
            "sources": sorted({a["source"] for a in members[row["id"]] if a["source"]}),
            "first_seen": row["first_seen"], "last_seen": row["last_seen"],
        } for row in rows]

    def story(self, story_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            return None
        story = dict(row)
        story["thread_reason"] = json.loads(story["thread_reason"]) if story["thread_reason"] else None
        story["articles"] = self.story_articles(story_id)
        return story

    def story_articles(self, story_id: int) -> list[dict]:
        rows = self.db.execute(
            "SELECT a.rowid, a.id, a.source, a.url, a.title, a.text, a.author, a.published, a.date_source,"
            " a.origin, a.join_score, a.join_reason, c.id AS copy_of FROM articles a"
            " LEFT JOIN articles c ON c.rowid = a.copy_of WHERE a.story_id = ?"
            " ORDER BY coalesce(a.published, '9999'), a.rowid", (story_id,),
        )
        out = []
        for row in rows:
            item = dict(row)
            item["join_reason"] = json.loads(item["join_reason"]) if item["join_reason"] else None
            out.append(item)
        return out

    # -- per-article annotations (time expressions, quotes, numbers) ---------------------------
    def add_annotations(self, rowid: int, annotations: dict[str, list[dict] | str]) -> None:
        """Store each kind's list of offset-based annotations (or its `compact_json` text) for one
        article; call inside `transaction()`."""
        self.db.executemany(
            "INSERT OR REPLACE INTO annotations (article_rowid, kind, data) VALUES (?, ?, ?)",
            [(rowid, kind, items if isinstance(items, str) else compact_json(items))
             for kind, items in annotations.items()],
        )

    def annotations(self, rowids: list[int]) -> dict[int, dict[str, list[dict]]]:
        """{article rowid: {kind: [annotation, ...]}} for the given articles."""
        out: dict[int, dict[str, list[dict]]] = {rowid: {} for rowid in rowids}
        for start in range(0, len(rowids), 500):
            chunk = rowids[start:start + 500]
            rows = self.db.execute(
                f"SELECT article_rowid, kind, data FROM annotations WHERE article_rowid IN ({','.join('?' * len(chunk))})",
                chunk)
            for row in rows:
                out[row[0]][row[1]] = json.loads(row[2])
        return out

    def cache_annotations(self, notes: dict[int, dict[str, list[dict]]]) -> bool:
        """Store annotations a report made (`rasd.annotations`), if the database takes them right now.

        A report must not wait for, or get in the way of, an ingest: with an ingest's transaction open
        on this connection, `cache_lock` held elsewhere or another process writing, nothing is stored
        and False is returned (the caller keeps them in memory). A query-only connection (the API's
        readers) lifts query-only for this write alone.
        """
        if not notes:
            return True
        if self.db.in_transaction or (self.cache_lock is not None and not self.cache_lock.acquire(blocking=False)):
            return False
        try:
            return self._write_annotations(notes)
        finally:
            if self.cache_lock is not None:
                self.cache_lock.release()

    def _write_annotations(self, notes: dict[int, dict[str, list[dict]]]) -> bool:
        query_only = self.db.execute("PRAGMA query_only").fetchone()[0]
        busy = self.db.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            self.db.execute("PRAGMA query_only = OFF")
            self.db.execute("PRAGMA busy_timeout = 0")
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR REPLACE INTO annotations (article_rowid, kind, data) VALUES (?, ?, ?)",
                [(rowid, kind, compact_json(items)) for rowid, kinds in notes.items() for kind, items in kinds.items()])
            self.db.execute("COMMIT")
            return True
        except sqlite3.OperationalError:  # locked by another writer, read-only file or directory
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            return False
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(busy)}")
            self.db.execute(f"PRAGMA query_only = {'ON' if query_only else 'OFF'}")

    def article_mentions(self, rowids: list[int]) -> dict[int, list[tuple]]:
        """{article rowid: [(start, end, type, text, titles, role), ...]} in text order: the stored entity
        mentions (`entities.EntityMention`'s fields), each with its entity's type."""
        out: dict[int, list[tuple]] = {rowid: [] for rowid in rowids}
        for start in range(0, len(rowids), 500):
            chunk = rowids[start:start + 500]
            rows = self.db.execute(
                "SELECT m.article_rowid, m.start, m.end, e.type, m.text, m.titles, m.role FROM mentions m"
                f" JOIN entities e ON e.id = m.entity_id WHERE m.article_rowid IN ({','.join('?' * len(chunk))})"
                " ORDER BY m.article_rowid, m.start, m.end", chunk)
            for row in rows:
                out[row[0]].append((row[1], row[2], row[3], row[4], tuple(json.loads(row[5])) if row[5] else (), row[6]))
        return out

    def entity_spans(self, rowids: list[int]) -> dict[int, list[tuple[int, int, int, str]]]:
        """{article rowid: [(start, end, entity id, entity name), ...]}: where each article names an entity."""
        out: dict[int, list[tuple[int, int, int, str]]] = {rowid: [] for rowid in rowids}
        for start in range(0, len(rowids), 500):
            chunk = rowids[start:start + 500]
            rows = self.db.execute(
                "SELECT m.article_rowid, m.start, m.end, e.id, e.name FROM mentions m JOIN entities e"
                f" ON e.id = m.entity_id WHERE m.article_rowid IN ({','.join('?' * len(chunk))})", chunk)
            for row in rows:
                out[row[0]].append((row[1], row[2], row[3], row[4]))
        return out

    def thread_of(self, story_id: int) -> int | None:
        row = self.db.execute("SELECT thread_id FROM stories WHERE id = ?", (story_id,)).fetchone()
        return row[0] if row else None

    def story_ids_by_article(self) -> dict[str, int]:
        return {row[0]: row[1] for row in self.db.execute("SELECT id, story_id FROM articles")}

    # -- entities (rasd/entities.py decides which mention is which entity) ----------------------
    def add_entity(self, kind: str, name: str, key: str) -> int:
        return self.db.execute("INSERT INTO entities (type, name, key, created_at) VALUES (?, ?, ?, ?)",
                               (kind, name, key, _now())).lastrowid

    def update_entity(self, entity_id: int, name: str, mentions: int) -> None:
        """Set an entity's display name and mention count (inside a `batch()`, as it commits)."""
        if self._batch:
            self._entity_rows.append((name, mentions, entity_id))
        else:
            self.db.execute(_ENTITY_UPDATE, (name, mentions, entity_id))

    def _write_entity_rows(self) -> None:
        rows, self._entity_rows = self._entity_rows, []
        last = {row[2]: row for row in rows}  # each entity's latest, in the order of their first change
        self.db.executemany(_ENTITY_UPDATE, [row for row in last.values() if row[0] is not None])

    def add_mentions(self, rowid: int, mentions: list) -> None:
        """Store (entity id, EntityMention) pairs of one article; call inside `transaction()`."""
        self.db.executemany(
            "INSERT INTO mentions (article_rowid, entity_id, start, end, text, titles, role) VALUES (?,?,?,?,?,?,?)",
            [(rowid, eid, m.start, m.end, m.text, json.dumps(list(m.titles), ensure_ascii=False) if m.titles else None,
              m.role) for eid, m in mentions])

    def move_mentions(self, from_entity: int, to_entity: int, story_id: int) -> None:
        """Give `to_entity` the mentions of `from_entity` in one story; drop `from_entity` if none are left."""
        self.db.execute("UPDATE mentions SET entity_id = ? WHERE entity_id = ? AND article_rowid IN"
                        " (SELECT rowid FROM articles WHERE story_id = ?)", (to_entity, from_entity, story_id))
        if self.db.execute("SELECT 1 FROM mentions WHERE entity_id = ? LIMIT 1", (from_entity,)).fetchone() is None:
            self.db.execute("DELETE FROM entities WHERE id = ?", (from_entity,))
            if self._batch:  # its counts are not to be written (nor onto a new entity that gets its id)
                self._entity_rows.append((None, None, from_entity))

    def entity_rows(self) -> Iterator[sqlite3.Row]:
        """What the entity resolver needs to rebuild itself: every entity ..."""
        yield from self.db.execute("SELECT id, type, name, key FROM entities ORDER BY id")

    def entity_spellings(self) -> Iterator[sqlite3.Row]:
        """Every entity (id, type, key, mentions) once per distinct spelling (`text`, None for an entity
        with no mentions), by id: what a name lookup needs, without rebuilding the resolver."""
        yield from self.db.execute(
            "SELECT e.id, e.type, e.key, e.mentions, s.text FROM entities e LEFT JOIN"
            " (SELECT DISTINCT entity_id, text FROM mentions) s ON s.entity_id = e.id ORDER BY e.id")

    def entity_mention_rows(self) -> Iterator[dict]:
        """... and its spellings counted per story (entity_id, text, story_id, n), in order of first mention.

        Grouped here rather than by SQL's GROUP BY over the join, which read the large articles table
        row by row (2-3 s on a 30k-article store): each article's story comes from the story index alone.
        """
        story_of = dict(self.db.execute("SELECT rowid, story_id FROM articles"))
        mentions = self.db.execute("SELECT entity_id, text, article_rowid FROM mentions ORDER BY id")
        groups = Counter((entity, text, story_of[rowid]) for entity, text, rowid in mentions if rowid in story_of)
        for (entity, text, story), n in groups.items():
            yield {"entity_id": entity, "text": text, "story_id": story, "n": n}

    def _entity_details(self, ids: list[int], story_id: int | None = None) -> dict[int, dict]:
        """Spellings, titles, roles, mention counts and stories of the given entities."""
        out = {i: {"variants": {}, "titles": {}, "roles": {}, "mentions": 0, "stories": {}} for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            where = f"m.entity_id IN ({','.join('?' * len(chunk))})" + (" AND a.story_id = ?" if story_id else "")
            rows = self.db.execute(
                f"SELECT m.entity_id, m.text, m.titles, m.role, a.story_id FROM mentions m"
                f" JOIN articles a ON a.rowid = m.article_rowid WHERE {where} ORDER BY m.id",
                chunk + ([story_id] if story_id else []))
            for row in rows:
                item = out[row["entity_id"]]
                item["mentions"] += 1
                item["variants"][row["text"]] = item["variants"].get(row["text"], 0) + 1
                for title in json.loads(row["titles"]) if row["titles"] else ():
                    item["titles"][title] = item["titles"].get(title, 0) + 1
                if row["role"]:
                    item["roles"][row["role"]] = item["roles"].get(row["role"], 0) + 1
                item["stories"][row["story_id"]] = item["stories"].get(row["story_id"], 0) + 1
        for item in out.values():
            for part in ("variants", "titles", "roles"):
                item[part] = [k for k, _ in sorted(item[part].items(), key=lambda kv: -kv[1])]
        return out

    def entities(self, kind: str | None = None, story_id: int | None = None, limit: int | None = None) -> list[dict]:
        """Entities with their spellings, titles, mention count and story ids, most mentioned first."""
        where, args = [], []
        if kind:
            where.append("e.type = ?")
            args.append(kind)
        if story_id is not None:
            where.append("e.id IN (SELECT m.entity_id FROM mentions m JOIN articles a ON a.rowid = m.article_rowid"
                         " WHERE a.story_id = ?)")
            args.append(story_id)
        sql = "SELECT e.id, e.type, e.name FROM entities e" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self.db.execute(sql + " ORDER BY e.mentions DESC, e.id", args).fetchall()
        details = self._entity_details([r["id"] for r in rows], story_id)
        found = [{"id": r["id"], "type": r["type"], "name": r["name"], "variants": details[r["id"]]["variants"],
                  "titles": details[r["id"]]["titles"], "mentions": details[r["id"]]["mentions"],
                  "stories": sorted(details[r["id"]]["stories"])} for r in rows]
        found.sort(key=lambda e: (-e["mentions"], e["id"]))
        return found[:limit] if limit else found

    def entity(self, entity_id: int) -> dict | None:
        """One entity with its spellings, titles, roles and stories (title and dates)."""
        row = self.db.execute("SELECT id, type, name, key FROM entities WHERE id = ?", (entity_id,)).fetchone()
        if row is None:
            return None
        item = self._entity_details([entity_id])[entity_id]
        ids = list(item["stories"])
        stories = {r["id"]: dict(r) for r in self.db.execute(
            f"SELECT id, title, first_seen, last_seen FROM stories WHERE id IN ({','.join('?' * len(ids))})", ids)}
        return dict(row) | {
            "variants": item["variants"], "titles": item["titles"], "roles": item["roles"], "mentions": item["mentions"],
            "stories": [{"id": s, "title": stories.get(s, {}).get("title"), "first_seen": stories.get(s, {}).get("first_seen"),
                         "last_seen": stories.get(s, {}).get("last_seen"), "mentions": n}
                        for s, n in sorted(item["stories"].items(), key=lambda kv: (-kv[1], kv[0]))],
        }

    def story_entities(self, story_id: int) -> list[dict]:
        """Entities named in one story: id, type, name, titles, roles, mentions in the story; most mentioned first."""
        found = self.entities(story_id=story_id)
        details = self._entity_details([e["id"] for e in found], story_id)
        return [{"id": e["id"], "type": e["type"], "name": e["name"], "titles": e["titles"],
                 "roles": details[e["id"]]["roles"], "mentions": e["mentions"]} for e in found]
