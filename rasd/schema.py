"""rasd's SQLite schema: every table in one place, as numbered migrations applied in order.

A migration is never edited once released; a change to the schema is a new numbered entry. The
`migrations` table records what a database file has had applied, so an old `rasd.db` is brought up
to date when a newer rasd opens it.
"""
from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial", """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    ingested INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE threads (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    thread_id INTEGER NOT NULL REFERENCES threads(id),
    title TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    created_at TEXT NOT NULL,
    thread_score REAL,
    thread_reason TEXT
);
CREATE INDEX stories_thread ON stories(thread_id);
CREATE INDEX stories_last_seen ON stories(last_seen);
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT,
    url TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    raw TEXT,
    author TEXT,
    published TEXT,
    date_source TEXT,
    origin TEXT,
    content_hash TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    ingested_at TEXT NOT NULL,
    story_id INTEGER REFERENCES stories(id),
    copy_of INTEGER REFERENCES articles(rowid),
    join_score REAL,
    join_reason TEXT,
    features TEXT
);
CREATE UNIQUE INDEX articles_url ON articles(url) WHERE url IS NOT NULL;
CREATE UNIQUE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_source ON articles(source);
CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE rejections (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""),
    (2, "annotations", """
CREATE TABLE annotations (
    article_rowid INTEGER NOT NULL REFERENCES articles(rowid),
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (article_rowid, kind)
) WITHOUT ROWID;
"""),
    # Entities (rasd/entities.py): canonical entities and the mentions that name them. `name` is the
    # display spelling, `key` the folded name key (or `alias:...` for a curated alias group).
    (3, "entities", """
CREATE TABLE entities (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    mentions INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX entities_key ON entities(key);
CREATE INDEX entities_name ON entities(name);
CREATE TABLE mentions (
    id INTEGER PRIMARY KEY,
    article_rowid INTEGER NOT NULL REFERENCES articles(rowid),
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    titles TEXT,
    role TEXT
);
CREATE INDEX mentions_article ON mentions(article_rowid);
CREATE INDEX mentions_entity ON mentions(entity_id);
"""),
    # Search (rasd/search.py): each word of an article under three keys (matching form, stem, consonant
    # skeleton), title and body apart. Contentless: the display text stays in `articles`. A database that
    # already has articles is backfilled by `Store.reindex_search()` right after this migration.
    (4, "search_index", """
CREATE VIRTUAL TABLE search_fts USING fts5(title, body, title_stem, body_stem, title_skel, body_skel,
    content = '', tokenize = 'unicode61 remove_diacritics 0');
"""),
    # The matching-form index of migration 1 (`articles_fts`) is no longer read: search uses `search_fts`.
    # It took a fifth of the database (152 of 722 MB on SaudiNewsNet) and a write per article.
    (5, "drop_articles_fts", """
DROP TABLE IF EXISTS articles_fts;
"""),
]
