"""Per-article annotations for reports: time expressions, quotes with speakers, reported numbers.

Only story and thread reports (and the API's article view) read them, and a report cites originals
only (a copy is not a second source), so they are made when a report first asks for an article, not at
ingest: at ingest they were a third of a worker's time per article (SaudiNewsNet, 2 workers), spent
on every copy and on articles nobody opens. What a report makes is stored with the article
(`Store.cache_annotations`) so the next report reads it; where the store cannot take it just then
(a query-only connection, or another writer holding the database) it is kept in the `Store` object's
memory instead (`MEMO_ARTICLES`), for that process's next reports.

Quotes need the article's entity mentions (a speaker is resolved through them): they are the mentions
stored at ingest, with their entity's type. Articles stored by an older rasd (annotated at ingest)
keep what was stored.
"""
from __future__ import annotations

from .entities import EntityMention
from .numbers import find_numbers
from .quotes import find_quotes
from .store import Store
from .timex import find_times

__all__ = ["KINDS", "annotate", "article_notes", "failed_text", "failure_record", "stage"]

KINDS = ("times", "quotes", "numbers")  # made together: an article with "times" stored has all three
MEMO_ARTICLES = 4096  # articles' annotations a `Store` keeps in memory when it could not store them


def stage(name: str, failures: list[str] | None, fn, *args, fallback=None):
    """`fn(*args)`, or `fallback` with "annotation failed: <name>: <error>" added to `failures`
    (without `failures`, the error is raised)."""
    try:
        return fn(*args)
    except Exception as err:  # noqa: BLE001 - one stage's bug on one article must not stop the run
        if failures is None:
            raise
        failures.append(f"annotation failed: {name}: {type(err).__name__}: {err}"[:500])
        return fallback


def annotate(text: str, published: str | None, mentions: list,
             failures: list[str] | None = None) -> dict[str, list[dict]]:
    """Time expressions (valued against the article's date), quotes with speakers (resolved through its
    entity `mentions`) and reported numbers (dates excluded) of one article's display text.

    A stage that raises leaves its list empty and says so in `failures` (when given; else it raises).
    """
    times = stage("timex", failures, find_times, text, published, fallback=[])
    quotes = stage("quotes", failures, find_quotes, text, mentions, fallback=[])
    numbers = stage("numbers", failures, lambda: find_numbers(text, exclude=[(t.start, t.end) for t in times]),
                    fallback=[])
    return {"times": [t.to_json() for t in times], "quotes": [q.to_json() for q in quotes],
            "numbers": [n.to_json() for n in numbers]}


def failed_text(item: dict) -> str:
    """A stored failure (`{"stage", "error"}`) as the join reason and the ingest warnings word it."""
    return f"annotation failed: {item['stage']}: {item['error']}"


def failure_record(failure: str) -> dict:
    """"annotation failed: <stage>: <error>" as stored in an article's `failed` annotations."""
    _, stage_name, error = failure.split(": ", 2)
    return {"stage": stage_name, "error": error}


def article_notes(store: Store, rows: list[dict]) -> dict[int, dict[str, list[dict]]]:
    """{rowid: {kind: [annotation, ...]}} of stored articles (`rowid`, `text`, `published` of each row),
    the time expressions, quotes and numbers of those that have none yet made now (see the module's
    docstring). A stage that fails on an article leaves its list empty and adds
    `{"stage", "error"}` to the article's `failed` list, as at ingest."""
    rowids = [row["rowid"] for row in rows]
    notes = store.annotations(rowids)
    memo = store.annotation_memo
    todo = []
    for row in rows:
        rowid = row["rowid"]
        if all(kind in notes[rowid] for kind in KINDS):
            continue
        if rowid in memo:
            notes[rowid] = memo[rowid]
        else:
            todo.append(row)
    if not todo:
        return notes
    mentions = store.article_mentions([row["rowid"] for row in todo])
    made: dict[int, dict[str, list[dict]]] = {}
    for row in todo:
        rowid, failures = row["rowid"], []
        found = [EntityMention(*mention) for mention in mentions[rowid]]
        made[rowid] = annotate(row["text"], row["published"], found, failures)
        if failures:
            made[rowid]["failed"] = notes[rowid].get("failed", []) + [failure_record(f) for f in failures]
        notes[rowid] = notes[rowid] | made[rowid]
    if not store.cache_annotations(made):
        for rowid in made:
            memo[rowid] = notes[rowid]
            memo.move_to_end(rowid)
        while len(memo) > MEMO_ARTICLES:
            memo.popitem(last=False)
    return notes

