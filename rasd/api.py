"""The JSON API (FastAPI): stories, threads, articles, entities, search and ingest over one rasd database.

Every answer is an envelope, so a client checks one field before reading anything else:

* success: `{"ok": true, "data": ..., "meta": {"limit", "offset", "total"}}` (`meta` is `{}` for one item);
* failure: `{"ok": false, "error": "what went wrong", "status": 404}`, plus `"errors": [...]` naming each
  bad field or record. Every error the app can produce (unknown route 404, 405, validation 422, body too
  large 413, ingest disabled 403, bad token 401, internal 500) has this shape; web pages (`rasd.web`,
  mounted on the same app) get the same status as an HTML page instead.

Read-only by default: reader connections are opened `query_only`. `POST /api/ingest` is refused (403)
unless a token was configured, and then needs `Authorization: Bearer <token>`; accepted records go
through `rasd.pipeline.Pipeline` on one writer connection, one request at a time.

Errors: `ApiError` (status + message + details) inside the app; `ApiConfigError` (a `ValueError`) from
`create_app` for a database that cannot be served.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import sqlite3
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .article import Article, InputError, Rejection
from .dates import parse_date
from .ingest import decision_order
from .snapshot import snapshot_path
from .store import Store, StoreError, story_filters

__all__ = ["ApiConfigError", "ApiError", "Backend", "create_app", "envelope", "is_loopback", "MAX_LIMIT", "SECURITY_HEADERS"]

log = logging.getLogger("rasd.api")

MAX_LIMIT = 200
DEFAULT_LIMIT = 20
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class ApiConfigError(ValueError):
    """The database given to `create_app` cannot be served (missing, not a rasd database, ...)."""


class ApiError(Exception):
    """An error answer: HTTP status, a message for people, and optional per-field/per-record details."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def envelope(data, meta: dict | None = None) -> dict:
    return {"ok": True, "data": data, "meta": meta or {}}


def error_body(status: int, message: str, errors: list[dict] | None = None) -> dict:
    body = {"ok": False, "error": message, "status": status}
    if errors:
        body["errors"] = errors
    return body


# -- queries the store does not have --------------------------------------------------------------
def story_page(db: sqlite3.Connection, *, limit: int, offset: int, since: str | None = None,
               until: str | None = None, source: str | None = None, thread: int | None = None) -> tuple[list[dict], int]:
    """One page of stories, newest activity first, and how many match; only the page's members are read.

    `Store.stories` reads every story and article, which is too slow per request on a large archive.
    """
    where, args = story_filters(since, until, source, thread)
    total = db.execute(f"SELECT count(*) FROM stories s WHERE {where}", args).fetchone()[0]
    rows = db.execute(
        "SELECT s.id, s.thread_id, s.title, s.first_seen, s.last_seen FROM stories s"
        f" WHERE {where} ORDER BY coalesce(s.last_seen, '') DESC, s.id DESC LIMIT ? OFFSET ?",
        [*args, limit, offset]).fetchall()
    ids = [row["id"] for row in rows]
    members: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
    if ids:
        for art in db.execute(f"SELECT story_id, id, source, copy_of FROM articles WHERE story_id IN"
                              f" ({','.join('?' * len(ids))}) ORDER BY rowid", ids):
            members[art["story_id"]].append(art)
    return [{
        "id": row["id"], "thread": row["thread_id"], "title": row["title"],
        "size": len(members[row["id"]]), "copies": sum(1 for a in members[row["id"]] if a["copy_of"]),
        "article_ids": [a["id"] for a in members[row["id"]]],
        "sources": sorted({a["source"] for a in members[row["id"]] if a["source"]}),
        "first_seen": row["first_seen"], "last_seen": row["last_seen"],
    } for row in rows], total


def article_detail(store: Store, article_id: str) -> dict | None:
    """One article with its full display text, story, copies, join reason and annotations (made now
    when no report has read it yet: `rasd.annotations`)."""
    from .annotations import article_notes
    from .report import explain_join, with_failures

    row = store.db.execute(
        "SELECT a.rowid, a.id, a.source, a.url, a.title, a.text, a.author, a.published, a.date_source, a.origin,"
        " a.story_id, a.join_score, a.join_reason, c.id AS copy_of FROM articles a"
        " LEFT JOIN articles c ON c.rowid = a.copy_of WHERE a.id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    item = dict(row)
    rowid = item.pop("rowid")
    stored = item.pop("join_reason")
    notes = article_notes(store, [{"rowid": rowid, "text": item["text"], "published": item["published"]}])[rowid]
    item["join"] = with_failures(explain_join(json.loads(stored) if stored else None, item["title"], item["text"]), notes)
    item["copies"] = [r[0] for r in store.db.execute("SELECT id FROM articles WHERE copy_of = ? ORDER BY rowid", (rowid,))]
    item["annotations"] = notes
    return item


def has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (name,)).fetchone() is not None


def entity_page(db: sqlite3.Connection, *, limit: int, offset: int, type_: str | None = None,
                q: str | None = None) -> tuple[list[dict], int]:
    """One page of entities, most mentioned first, with their titles; needs the `entities` table.

    `Store.entities` reads every entity and mention, which is too slow per request on a large archive.
    """
    where, args = ["1"], []
    if type_:
        where.append("type = ?")
        args.append(type_)
    if q:
        where.append("name LIKE ? ESCAPE '\\'")
        args.append("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    clause = " AND ".join(where)
    total = db.execute(f"SELECT count(*) FROM entities WHERE {clause}", args).fetchone()[0]
    rows = db.execute(f"SELECT id, type, name, mentions FROM entities WHERE {clause}"
                      " ORDER BY mentions DESC, id LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
    titles = _entity_titles(db, [r["id"] for r in rows])
    return [dict(r) | {"titles": titles.get(r["id"], [])} for r in rows], total


def _entity_titles(db: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    """The titles (الوزير, اللواء, ...) written with each entity's mentions, most frequent first."""
    if not ids or not has_table(db, "mentions"):
        return {}
    counts: dict[int, dict[str, int]] = {}
    for row in db.execute(f"SELECT entity_id, titles FROM mentions WHERE titles IS NOT NULL AND entity_id IN"
                          f" ({','.join('?' * len(ids))})", ids):
        for title in json.loads(row[1]):
            per = counts.setdefault(row[0], {})
            per[title] = per.get(title, 0) + 1
    return {i: sorted(c, key=lambda t: -c[t]) for i, c in counts.items()}


def entity_detail(store: Store, entity_id: str) -> dict | None:
    """One entity with its spellings, titles and the stories that mention it."""
    try:
        key = int(entity_id)
    except ValueError:
        return None
    if hasattr(store, "entity"):
        return store.entity(key)
    row = store.db.execute("SELECT id, type, name, mentions FROM entities WHERE id = ?", (key,)).fetchone()
    return dict(row) | {"titles": _entity_titles(store.db, [key]).get(key, [])} if row else None


# -- search ---------------------------------------------------------------------------------------
def run_search(store: Store, query: str, **filters) -> dict:
    """`rasd.search.search` (spelling-tolerant, BM25 + recency); ValueErrors become 422 answers."""
    from .search import search

    try:
        return search(store, query, **filters)
    except ValueError as err:
        raise ApiError(422, str(err), [{"field": "q", "reason": str(err)}]) from None


# -- ingest ---------------------------------------------------------------------------------------
def parse_records(body: bytes) -> list[Article]:
    """The articles of an ingest request body; raises ApiError 400 (not JSON) or 422 (bad records).

    The body is one article object, a list of them, or `{"articles": [...]}`, with the fields
    `rasd ingest` reads from .json records. One bad record refuses the whole request, naming every
    bad record and why, so a client can fix and resend it (ingest is idempotent).
    """
    from .ingest import article_from_record, prepare

    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ApiError(400, f"request body is not UTF-8 text (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ApiError(400, f"request body is not JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    if isinstance(data, dict):
        data = data.get("articles", [data]) if "articles" in data else [data]
    if not isinstance(data, list):
        raise ApiError(400, "request body must be an article object, a list of them, or {\"articles\": [...]}")
    if not data:
        raise ApiError(422, "no articles in the request", [{"record": None, "reason": "empty list"}])
    articles, errors = [], []
    for index, record in enumerate(data):
        try:
            prepared = prepare(article_from_record(record, f"api#{index}"))
        except InputError as err:
            errors.append({"record": index, "reason": str(err)})
            continue
        if isinstance(prepared, Rejection):
            errors.append({"record": index, "reason": prepared.reason})
        else:
            articles.append(prepared)
    if errors:
        raise ApiError(422, f"{len(errors)} of {len(data)} record(s) cannot be ingested; nothing was stored", errors)
    return articles


class Backend:
    """The database behind the app: one query-only connection per worker thread, one writer for ingest."""

    def __init__(self, db_path: str, token: str | None = None, max_body_bytes: int = 5_000_000):
        path = Path(db_path)
        if not path.is_file():
            raise ApiConfigError(f"no database at {db_path}; create one with `rasd ingest FILES --db {db_path}`")
        try:
            Store(path).close()  # brings an older schema up to date once, before readers open it query-only
        except StoreError as err:
            raise ApiConfigError(str(err)) from None
        self.db_path = str(path)
        self.token = token or None
        self.max_body_bytes = max_body_bytes
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._pipeline = None

    def reader(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.db_path)
            store.db.execute("PRAGMA query_only = ON")
            store.cache_lock = self._write_lock  # a report's annotations are stored between ingests only
            self._local.store = store
        return store

    def token_ok(self, header: str | None) -> bool:
        scheme, _, given = (header or "").partition(" ")
        return (self.token is not None and scheme.lower() == "bearer"
                and hmac.compare_digest(given.strip().encode(), self.token.encode()))

    def _writer(self):
        """The ingest pipeline; rebuilt when another process wrote to the database since its last run."""
        from .pipeline import Pipeline

        if self._pipeline is not None and self._pipeline.stale():
            self._pipeline.store.close()
            self._pipeline = None
        if self._pipeline is None:  # from the engine snapshot `rasd ingest` saved, when the store is as it left it
            self._pipeline = Pipeline(Store(self.db_path), snapshot=snapshot_path(self.db_path), autosave=False)
        return self._pipeline

    def ingest(self, articles: list[Article]) -> dict:
        with self._write_lock:
            pipeline = self._writer()
            # decided in `decision_order`, as `rasd ingest` decides a pile; answered in the request's order
            rank = {id(article): k for k, article in enumerate(articles)}
            done: list[tuple[int, str, str]] = []
            summary = pipeline.ingest(decision_order(articles), command="api ingest",
                                      on_item=lambda item, outcome: done.append((rank[id(item)], item.id, outcome)))
            outcomes = [(i, o) for _, i, o in sorted(done)]
            db = pipeline.store.db
            stories = {r[0]: r[1] for r in db.execute(
                f"SELECT id, story_id FROM articles WHERE id IN ({','.join('?' * len(outcomes))})",
                [i for i, _ in outcomes])}
        return {"ingested": summary.ingested, "duplicates": summary.duplicates, "run": summary.run_id,
                "articles": [{"id": i, "status": o, "story_id": stories.get(i)} for i, o in outcomes]}

    def close(self) -> None:
        """On shutdown: save the engine for the next `rasd ingest` (not after each request: ~3 s on 30k
        articles), unless another process wrote since; then close the writer."""
        with self._write_lock:
            if self._pipeline is not None:
                if (failed := self._pipeline.save_snapshot()) is not None:
                    log.warning("%s", failed)
                self._pipeline.store.close()
                self._pipeline = None


# -- the app --------------------------------------------------------------------------------------
def _json_error(status: int, message: str, errors: list[dict] | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, errors), status_code=status, headers=headers)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return (getattr(request.app.state, "render_error", None) is not None and not path.startswith("/api")
            and not path.endswith(".json"))


def error_response(request: Request, status: int, message: str, errors: list[dict] | None = None,
                   headers: dict | None = None):
    """The error envelope, or the web UI's error page for an HTML page."""
    if _wants_html(request):
        return request.app.state.render_error(request, status, message, errors)
    return _json_error(status, message, errors, headers)


class SecurityHeaders:
    """ASGI middleware: strict CSP and friends on every response; unexpected errors become a 500 envelope."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in SECURITY_HEADERS}
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() not in names] + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = _json_error(500, "internal error; the server log has the details")
            await response(scope, receive, send_with_headers)


def _paging(limit: int, offset: int, total: int) -> dict:
    return {"limit": limit, "offset": offset, "total": total}


def _date_param(name: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise ApiError(422, f"{name}: {value!r} is not a date; use YYYY-MM-DD", [{"field": name, "reason": "not a date"}])
    return parsed[:10]


def _validation_errors(err: RequestValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body")) or "request",
             "reason": e.get("msg", "invalid")} for e in err.errors()]


def create_app(db_path: str, *, token: str | None = None, max_body_bytes: int = 5_000_000) -> FastAPI:
    """The rasd app over the database at `db_path`: the JSON API under /api and the web UI at /."""
    backend = Backend(db_path, token, max_body_bytes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await run_in_threadpool(backend.close)

    app = FastAPI(title="rasd", version=__version__, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  lifespan=lifespan,
                  description="Arabic news turned into stories: stories, threads, articles, entities, search, ingest. "
                              "Every answer is an envelope: {ok, data, meta} or {ok: false, error, status}.")
    app.state.backend = backend
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError):
        return error_response(request, err.status, err.message, err.errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, err: StarletteHTTPException):
        messages = {404: f"nothing at {request.url.path}",
                    405: f"{request.method} is not allowed on {request.url.path}"}
        message = messages.get(err.status_code, str(err.detail))
        return error_response(request, err.status_code, message, None, getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, err: RequestValidationError):
        errors = _validation_errors(err)
        message = "invalid request: " + "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return error_response(request, 422, message, errors)

    add_api_routes(app, backend)
    from .web import mount

    mount(app, backend)
    return app


LimitQ = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT}")
OffsetQ = Query(0, ge=0, description="items to skip")


def list_stories(backend: Backend, limit: int, offset: int, since: str | None, until: str | None,
                 source: str | None, thread: int | None) -> dict:
    since, until = _date_param("since", since), _date_param("until", until)
    items, total = story_page(backend.reader().db, limit=limit, offset=offset, since=since, until=until,
                              source=source or None, thread=thread)
    return envelope(items, _paging(limit, offset, total))


def get_story(backend: Backend, story_id: int) -> dict:
    from .report import story_report

    report = story_report(backend.reader(), story_id)
    if report is None:
        raise ApiError(404, f"no story {story_id}")
    return envelope(report)


def get_thread(backend: Backend, thread_id: int) -> dict:
    from .report import thread_report

    report = thread_report(backend.reader(), thread_id)
    if report is None:
        raise ApiError(404, f"no thread {thread_id}")
    return envelope(report)


def get_article(backend: Backend, article_id: str) -> dict:
    item = article_detail(backend.reader(), article_id)
    if item is None:
        raise ApiError(404, f"no article {article_id!r}")
    return envelope(item)


def _require_entities(backend: Backend) -> Store:
    store = backend.reader()
    if not has_table(store.db, "entities"):
        raise ApiError(404, "this database has no entity tables; ingest with a rasd that extracts entities")
    return store


def list_entities(backend: Backend, limit: int, offset: int, type_: str | None, q: str | None) -> dict:
    store = _require_entities(backend)
    items, total = entity_page(store.db, limit=limit, offset=offset, type_=type_ or None, q=q or None)
    return envelope(items, _paging(limit, offset, total))


def get_entity(backend: Backend, entity_id: str) -> dict:
    item = entity_detail(_require_entities(backend), entity_id)
    if item is None:
        raise ApiError(404, f"no entity {entity_id!r}")
    return envelope(item)


def do_search(backend: Backend, q: str, limit: int, offset: int, source: str | None, since: str | None,
              until: str | None, entity: str | None, story: int | None) -> dict:
    since, until = _date_param("since", since), _date_param("until", until)
    result = run_search(backend.reader(), q, source=source or None, since=since, until=until,
                        entity=entity or None, story=story, limit=limit, offset=offset)
    return envelope(result, _paging(limit, offset, result.get("total", len(result.get("results", [])))))


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body of {declared} bytes is over the limit of {limit} bytes; send fewer articles per request")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"request body is over the limit of {limit} bytes; send fewer articles per request")
        chunks.append(chunk)
    return b"".join(chunks)


def add_api_routes(app: FastAPI, backend: Backend) -> None:
    @app.get("/api/stories", summary="Stories, newest activity first")
    def api_stories(limit: int = LimitQ, offset: int = OffsetQ,
                    since: str | None = Query(None, description="active on or after this date (YYYY-MM-DD)"),
                    until: str | None = Query(None, description="began on or before this date"),
                    source: str | None = Query(None, description="with an article from this outlet"),
                    thread: int | None = Query(None, description="stories of this thread")):
        return list_stories(backend, limit, offset, since, until, source, thread)

    @app.get("/api/stories/{story_id}", summary="One story report")
    def api_story(story_id: int):
        return get_story(backend, story_id)

    @app.get("/api/threads/{thread_id}", summary="One thread: its stories, oldest first")
    def api_thread(thread_id: int):
        return get_thread(backend, thread_id)

    @app.get("/api/articles/{article_id:path}", summary="One article with its display text and annotations")
    def api_article(article_id: str):
        return get_article(backend, article_id)

    @app.get("/api/entities", summary="Entities, most mentioned first (databases with entity tables)")
    def api_entities(limit: int = LimitQ, offset: int = OffsetQ, type: str | None = None,
                     q: str | None = Query(None, description="name contains")):
        return list_entities(backend, limit, offset, type, q)

    @app.get("/api/entities/{entity_id}", summary="One entity and where it is mentioned")
    def api_entity(entity_id: str):
        return get_entity(backend, entity_id)

    @app.get("/api/search", summary="Search articles and stories")
    def api_search(q: str = Query(..., description="words to find; spelling variants of names match"),
                   limit: int = LimitQ, offset: int = OffsetQ, source: str | None = None,
                   since: str | None = None, until: str | None = None, entity: str | None = None,
                   story: int | None = None):
        return do_search(backend, q, limit, offset, source, since, until, entity, story)

    @app.post("/api/ingest", summary="Store articles (needs a configured token)",
              description="Body: one article object or a list (fields as `rasd ingest` reads from .json records). "
                          "Header `Authorization: Bearer <token>`.")
    async def api_ingest(request: Request):
        if backend.token is None:
            raise ApiError(403, "ingest is disabled: start the server with --token (or $RASD_TOKEN) to allow it")
        if not backend.token_ok(request.headers.get("authorization")):
            raise ApiError(401, "missing or wrong token; send the header `Authorization: Bearer <token>`")
        body = await read_body(request, backend.max_body_bytes)
        articles = await run_in_threadpool(parse_records, body)
        return envelope(await run_in_threadpool(backend.ingest, articles))
