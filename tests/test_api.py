"""The JSON API and web pages, through a real `rasd serve` process on loopback over a real SQLite file."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from rasd.api import CSP, is_loopback

from .conftest import FIXTURES, RASD, SEEDS, run_rasd

TOKEN = "s3cret-token-for-tests"
# The seeds that name the coalition commander: 000, 001 and 004 write برينان, 002 writes برنين; 003 names nobody.
BRENNAN_SEEDS = {"000_4c55cc848c8012d4", "001_8151b30f98c663ec", "002_ae965bdf7bbc0df8", "004_e22f2b1fb8e0a533"}


# -- a real server -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`rasd serve` as a subprocess on a free loopback port; stopped (by its own pid) when done."""

    def __init__(self, db: Path, *args: str, env: dict | None = None):
        self.db, self.port = db, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        run_env = {k: v for k, v in os.environ.items() if k not in ("RASD_DB", "RASD_TOKEN")} | (env or {})
        self.proc = subprocess.Popen([str(RASD), "serve", "--db", str(db), "--port", str(self.port), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env)
        deadline = time.monotonic() + 120  # a readiness wait, not an assertion about speed
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"rasd serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("rasd serve did not start listening")
                time.sleep(0.2)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stderr.read()


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body bytes) of one HTTP request; error statuses are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def get_json(url: str, **kwargs):
    status, headers, body = call(url, **kwargs)
    return status, json.loads(body)


def seeded_db(folder: Path) -> Path:
    """A database with the five seeds ingested by the real CLI (connection closed, WAL folded in)."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    for path in SEEDS:
        shutil.copy(path, seeds / path.name)
    db = folder / "rasd.db"
    run_rasd("ingest", str(seeds), "--quiet", db=db, check=True)
    return db


def db_state(db: Path) -> tuple:
    """What a write would change: the main file's bytes and the row counts of the written tables."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "runs", "rejections", "stories"))
    finally:
        con.close()
    wal = Path(f"{db}-wal")
    return hashlib.sha256(db.read_bytes()).hexdigest(), wal.read_bytes() if wal.exists() else b"", counts


def new_record(n: int = 0) -> dict:
    """A SaudiNewsNet article from the fixture excerpt, as a client would POST it."""
    record = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))[n]
    return record


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    return seeded_db(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def server(base_db):
    srv = Server(base_db)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def writable(tmp_path_factory, base_db):
    """A second database (a copy of the seeded one) served with an ingest token from $RASD_TOKEN."""
    folder = tmp_path_factory.mktemp("api-write")
    db = folder / "rasd.db"
    shutil.copy(base_db, db)
    srv = Server(db, "--max-body", "0.05", env={"RASD_TOKEN": TOKEN})
    yield srv
    srv.stop()


def story_of(server: Server, article_id: str) -> dict:
    _, body = get_json(f"{server.url}/api/stories?limit=200")
    return next(s for s in body["data"] if article_id in s["article_ids"])


# -- reading -------------------------------------------------------------------------------------
def test_api_stories_envelope_and_seed_stories(server):
    status, body = get_json(f"{server.url}/api/stories")
    assert status == 200
    assert set(body) == {"ok", "data", "meta"} and body["ok"] is True
    assert body["meta"] == {"limit": 20, "offset": 0, "total": len(body["data"])}
    assert {aid for s in body["data"] for aid in s["article_ids"]} == {p.stem for p in SEEDS}
    first = body["data"][0]
    assert set(first) >= {"id", "thread", "title", "size", "article_ids", "sources", "first_seen", "last_seen"}
    dated = [s["last_seen"] for s in body["data"] if s["last_seen"]]
    assert dated == sorted(dated, reverse=True) and body["data"][0]["last_seen"]  # newest first, undated last


def test_api_stories_pagination_and_caps(server):
    _, whole = get_json(f"{server.url}/api/stories")
    total = whole["meta"]["total"]
    pages = []
    for offset in range(0, total, 2):
        status, body = get_json(f"{server.url}/api/stories?limit=2&offset={offset}")
        assert status == 200 and body["meta"] == {"limit": 2, "offset": offset, "total": total}
        pages += [s["id"] for s in body["data"]]
    assert pages == [s["id"] for s in whole["data"]]
    _, past = get_json(f"{server.url}/api/stories?limit=2&offset={total + 5}")
    assert past["data"] == [] and past["meta"]["total"] == total
    for bad in ("limit=201", "limit=0", "offset=-1", "limit=abc"):
        status, body = get_json(f"{server.url}/api/stories?{bad}")
        assert status == 422 and body["errors"][0]["field"] == bad.split("=")[0], bad


def test_api_stories_filters(server):
    _, dated = get_json(f"{server.url}/api/stories?since=2021-11-01&until=2021-11-30")
    assert dated["data"] and all(s["first_seen"].startswith("2021-11") for s in dated["data"])
    thread = dated["data"][0]["thread"]
    _, same_thread = get_json(f"{server.url}/api/stories?thread={thread}")
    assert {s["thread"] for s in same_thread["data"]} == {thread}
    _, none = get_json(f"{server.url}/api/stories?source=no-such-outlet")
    assert none["data"] == [] and none["meta"]["total"] == 0
    status, bad = get_json(f"{server.url}/api/stories?since=yesterday-ish")
    assert status == 422 and "since" in bad["error"]


def test_api_search_brennan_spelling_finds_seed_articles(server):
    status, body = get_json(f"{server.url}/api/search?q={quote('برنين')}")
    assert status == 200 and body["ok"] is True
    found = {r["id"] for r in body["data"]["results"]}
    assert found == BRENNAN_SEEDS  # برنين (002) and برينان (000, 001, 004); 003 does not name him
    for hit in body["data"]["results"]:
        assert hit["highlights"], hit["id"]
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end] in {"برنين", "برينان"}
    assert body["meta"]["total"] == len(found)
    seed_story = story_of(server, "002_ae965bdf7bbc0df8")["id"]
    assert seed_story in {s["id"] for s in body["data"]["stories"]}


@pytest.mark.parametrize("query", ['"NEAR(', "*", "AND OR -", "title:x ^", "ـــ"])
def test_api_search_fts_syntax_is_text(server, query):
    status, body = get_json(f"{server.url}/api/search?q={quote(query)}")
    assert status == 200 and body["ok"] is True


def test_api_story_thread_article_detail(server):
    story = story_of(server, "000_4c55cc848c8012d4")
    status, body = get_json(f"{server.url}/api/stories/{story['id']}")
    assert status == 200 and body["meta"] == {}
    report = body["data"]
    assert report["id"] == story["id"] and {a["id"] for a in report["articles"]} == set(story["article_ids"])
    _, thread = get_json(f"{server.url}/api/threads/{report['thread']}")
    assert report["id"] in {s["id"] for s in thread["data"]["stories"]}
    _, article = get_json(f"{server.url}/api/articles/000_4c55cc848c8012d4")
    assert article["data"]["story_id"] == story["id"]
    assert "برينان" in article["data"]["text"] and len(article["data"]["text"]) > 500


def test_api_story_page_is_rtl_html_with_json_twin(server):
    story = story_of(server, "002_ae965bdf7bbc0df8")
    status, headers, body = call(f"{server.url}/stories/{story['id']}")
    html = body.decode("utf-8")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl">' in html
    assert story["title"] in html and 'href="/static/rasd.css"' in html
    for aid in story["article_ids"]:
        assert f"/articles/{aid}" in html
    _, twin = get_json(f"{server.url}/stories/{story['id']}.json")
    _, api = get_json(f"{server.url}/api/stories/{story['id']}")
    assert twin == api
    _, home = get_json(f"{server.url}/index.json?limit=3")
    _, listed = get_json(f"{server.url}/api/stories?limit=3")
    assert home == listed
    _, search_twin = get_json(f"{server.url}/search.json?q={quote('برنين')}")
    _, search_api = get_json(f"{server.url}/api/search?q={quote('برنين')}")
    assert search_twin == search_api


def test_api_web_pages_render(server):
    story = story_of(server, "003_46b68a0aea1ed22b")
    pages = ["/", "/?limit=2&offset=2", f"/threads/{story['thread']}", "/articles/003_46b68a0aea1ed22b",
             f"/search?q={quote('الأعرجي')}", "/search", "/entities"]
    for page in pages:
        status, headers, body = call(server.url + page)
        assert status == 200 and '<html lang="ar" dir="rtl">' in body.decode(), page


def test_api_openapi_schema_and_no_cdn_docs(server):
    status, schema = get_json(f"{server.url}/openapi.json")
    assert status == 200
    assert {"/api/stories", "/api/stories/{story_id}", "/api/search", "/api/ingest", "/api/articles/{article_id}"} <= set(schema["paths"])
    assert call(f"{server.url}/docs")[0] == 404 and call(f"{server.url}/redoc")[0] == 404


# -- errors --------------------------------------------------------------------------------------
ERRORS = [
    ("GET", "/api/stories/999999", None, 404),
    ("GET", "/api/threads/999999", None, 404),
    ("GET", "/api/articles/no-such-article", None, 404),
    ("GET", "/api/no/such/route", None, 404),
    ("GET", "/stories/999999.json", None, 404),
    ("DELETE", "/api/stories", None, 405),
    ("GET", "/api/ingest", None, 405),
    ("GET", "/api/stories?limit=100000", None, 422),
    ("GET", "/api/search", None, 422),
    ("GET", "/api/search?q=%20", None, 422),
    ("GET", "/api/stories/abc", None, 422),
    ("POST", "/api/ingest", b'{"title": "x"}', 403),
]


@pytest.mark.parametrize("method,path,body,status", ERRORS)
def test_api_error_envelope(server, method, path, body, status):
    got, headers, raw = call(server.url + path, method=method, body=body, headers={"Content-Type": "application/json"})
    assert got == status
    answer = json.loads(raw)
    assert set(answer) - {"errors"} == {"ok", "error", "status"}
    assert answer["ok"] is False and answer["status"] == status and answer["error"].strip()
    assert headers["content-security-policy"] == CSP


def test_api_web_error_is_html_page(server):
    status, headers, body = call(f"{server.url}/stories/999999")
    assert status == 404 and headers["content-type"].startswith("text/html") and 'dir="rtl"' in body.decode()
    assert call(f"{server.url}/no-such-page")[0] == 404


def test_api_security_headers_everywhere(server):
    for path in ("/", "/stories/1", "/static/rasd.css", "/api/stories", "/openapi.json", "/nothing-here"):
        _, headers, _ = call(server.url + path)
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer", path


def test_api_internal_error_envelope(tmp_path, base_db):
    db = tmp_path / "broken.db"
    shutil.copy(base_db, db)
    srv = Server(db)
    try:
        con = sqlite3.connect(db)
        con.execute("DROP TABLE stories")  # a damaged database under a running server
        con.close()
        status, headers, raw = call(f"{srv.url}/api/threads/1")
        body = json.loads(raw)
        assert status == 500 and body == {"ok": False, "error": body["error"], "status": 500}
        assert "stories" not in body["error"] and headers["content-security-policy"] == CSP
    finally:
        log = srv.stop()
    assert "no such table" in log  # the details go to the server log, not to the client


# -- ingest --------------------------------------------------------------------------------------
def test_api_ingest_refused_without_token_db_unchanged(server, base_db):
    before = db_state(base_db)
    payload = json.dumps(new_record(0), ensure_ascii=False).encode()
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}):
        status, body = get_json(f"{server.url}/api/ingest", method="POST", body=payload,
                                headers={"Content-Type": "application/json", **headers})
        assert status == 403 and "--token" in body["error"]
    assert call(f"{server.url}/api/ingest", method="POST", body=b"[]")[0] == 403
    assert db_state(base_db) == before


def test_api_ingest_with_token(writable):
    url = f"{writable.url}/api/ingest"
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    record = new_record(1)
    before = db_state(writable.db)[2]
    payload = json.dumps(record, ensure_ascii=False).encode()
    assert get_json(url, method="POST", body=payload)[0] == 401
    assert get_json(url, method="POST", body=payload, headers={"Authorization": "Bearer wrong"})[0] == 401

    status, body = get_json(url, method="POST", body=b'{"title": ', headers=auth)
    assert status == 400 and "not JSON" in body["error"]
    english = {"title": "Weather", "text": "Rain is expected over London tomorrow, the forecasters said on Monday."}
    bad = [record, {"title": ["عنوان"], "text": "نص"}, {"author": "x"}, "text", english]
    status, body = get_json(url, method="POST", body=json.dumps(bad, ensure_ascii=False).encode(), headers=auth)
    assert status == 422 and [e["record"] for e in body["errors"]] == [1, 2, 3, 4]
    reasons = [e["reason"] for e in body["errors"]]
    assert "'title'" in reasons[0] and "no article text" in reasons[1] and "not Arabic" in reasons[3]
    assert db_state(writable.db)[2] == before  # nothing stored
    status, body = get_json(url, method="POST", body=b"[" + b" " * 60_000 + b"]", headers=auth)
    assert status == 413 and "limit" in body["error"]

    status, body = get_json(url, method="POST", body=payload, headers=auth)
    assert status == 200 and body["ok"] is True
    assert body["data"]["ingested"] == 1 and body["data"]["duplicates"] == 0
    stored = body["data"]["articles"][0]
    assert stored["status"] == "stored" and stored["story_id"]
    _, article = get_json(f"{writable.url}/api/articles/{quote(stored['id'], safe='')}")
    assert article["data"]["title"].startswith(record["title"].strip()[:20]) and article["data"]["source"] == record["source"]
    _, listed = get_json(f"{writable.url}/api/stories?source={record['source']}")
    assert stored["id"] in {aid for s in listed["data"] for aid in s["article_ids"]}
    status, again = get_json(url, method="POST", body=payload, headers=auth)
    assert status == 200 and again["data"]["ingested"] == 0 and again["data"]["duplicates"] == 1


def test_api_ingested_text_is_escaped_in_pages(writable):
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    record = new_record(2)
    record = {**record, "url": record["url"] + "&xss=1",
              "title": "<script>alert(1)</script> " + record["title"], "id": "xss-1"}
    status, body = get_json(f"{writable.url}/api/ingest", method="POST",
                            body=json.dumps([record], ensure_ascii=False).encode(), headers=auth)
    assert status == 200 and body["data"]["articles"][0]["status"] == "stored"
    for page in ("/articles/xss-1", f"/stories/{body['data']['articles'][0]['story_id']}", f"/search?q={quote('alert script')}"):
        status, _, raw = call(writable.url + page)
        html = raw.decode()
        assert status == 200 and "<script>" not in html, page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in call(writable.url + "/articles/xss-1")[2].decode()


# -- the command ---------------------------------------------------------------------------------
def test_api_serve_missing_db_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere.db"
    proc = run_rasd("serve", db=missing)
    assert proc.returncode == 1 and f"no database at {missing}" in proc.stderr and "rasd ingest" in proc.stderr
    assert not missing.exists()


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                           ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                           ("example.org", False)])
def test_api_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_api_ingest_decides_in_time_order_answers_in_request_order(writable):
    """One outlet's batch of a day is decided in time order (as `rasd ingest` decides a pile); the answer keeps the request's order."""
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    batch = [dict(new_record(n), id=f"order-{n}") for n in (8, 6, 7)]  # 18:52:55, 18:52:49, 18:52:52
    status, body = get_json(f"{writable.url}/api/ingest", method="POST",
                            body=json.dumps(batch, ensure_ascii=False).encode(), headers=auth)
    assert status == 200 and [a["id"] for a in body["data"]["articles"]] == ["order-8", "order-6", "order-7"]
    assert all(a["status"] == "stored" and a["story_id"] for a in body["data"]["articles"])
    con = sqlite3.connect(f"file:{writable.db}?mode=ro", uri=True)
    try:
        stored = [r[0] for r in con.execute("SELECT id FROM articles WHERE id LIKE 'order-%' ORDER BY rowid")]
    finally:
        con.close()
    assert stored == ["order-6", "order-7", "order-8"]


def post_records(server: Server, records: list[dict]) -> dict:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status, body = get_json(f"{server.url}/api/ingest", method="POST",
                            body=json.dumps(records, ensure_ascii=False).encode(), headers=auth)
    assert status == 200, body
    return body["data"]


def generation(db: Path) -> tuple:
    from rasd.store import Store

    store = Store(db)
    try:
        return store.generation()
    finally:
        store.close()


def test_api_saves_engine_snapshot_when_it_stops(tmp_path, base_db):
    """The server loads the snapshot `rasd ingest` left and saves its own on shutdown, so the next CLI run need not replay."""
    from rasd.snapshot import snapshot_path, usable

    db = tmp_path / "rasd.db"
    shutil.copy(base_db, db)
    shutil.copy(snapshot_path(base_db), snapshot_path(db))
    assert usable(snapshot_path(db), generation(db))
    srv = Server(db, env={"RASD_TOKEN": TOKEN})
    try:
        post_records(srv, [new_record(2), new_record(3)])
        assert not usable(snapshot_path(db), generation(db))  # not rewritten after each request
    finally:
        srv.stop()
    assert usable(snapshot_path(db), generation(db))
    # the next CLI run from the server's snapshot decides as one that replays the store
    replayed = tmp_path / "replayed.db"
    shutil.copy(db, replayed)
    record = tmp_path / "next.json"
    record.write_text(json.dumps([new_record(4)], ensure_ascii=False), encoding="utf-8")
    for target in (db, replayed):
        run_rasd("ingest", str(record), "--quiet", db=target, check=True)
    stories = [json.loads(run_rasd("stories", "--json", "--limit", "200", db=target, check=True).stdout)
               for target in (db, replayed)]
    assert stories[0] == stories[1]


def test_api_does_not_save_snapshot_over_another_writer(tmp_path, base_db):
    from rasd.snapshot import snapshot_path, usable

    db = tmp_path / "rasd.db"
    shutil.copy(base_db, db)
    srv = Server(db, env={"RASD_TOKEN": TOKEN})
    try:
        post_records(srv, [new_record(2)])
        record = tmp_path / "cli.json"
        record.write_text(json.dumps([new_record(3)], ensure_ascii=False), encoding="utf-8")
        run_rasd("ingest", str(record), "--quiet", db=db, check=True)  # the CLI's run saves its snapshot
        saved = snapshot_path(db).read_bytes()
    finally:
        stderr = srv.stop()
    assert "another process wrote" in stderr
    assert snapshot_path(db).read_bytes() == saved and usable(snapshot_path(db), generation(db))
