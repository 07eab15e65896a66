"""Story and thread reports: one JSON-able dict per report, and its plain-text rendering.

The dict is the contract (the CLI's `--json` and later the API return it as is); the text view is
rendered from the dict only, so the two can never disagree.
"""
from __future__ import annotations

from .store import Store

__all__ = ["story_report", "thread_report", "render_story", "render_thread", "render_stories"]

_SNIPPET = 160


def _article_entry(row: dict) -> dict:
    text = " ".join(row["text"].split())
    return {
        "id": row["id"], "source": row["source"], "title": row["title"], "published": row["published"],
        "date_source": row["date_source"], "url": row["url"], "origin": row["origin"],
        "author": row["author"], "copy_of": row["copy_of"],
        "snippet": text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else ""),
        "join": row["join_reason"],
    }


def story_report(store: Store, story_id: int) -> dict | None:
    """Everything rasd knows about one story, or None when there is no such story."""
    story = store.story(story_id)
    if story is None:
        return None
    articles = [_article_entry(row) for row in story["articles"]]
    return {
        "id": story["id"], "thread": story["thread_id"], "title": story["title"],
        "size": len(articles), "copies": sum(1 for a in articles if a["copy_of"]),
        "sources": sorted({a["source"] for a in articles if a["source"]}),
        "first_seen": story["first_seen"], "last_seen": story["last_seen"],
        "thread_link": story["thread_reason"], "articles": articles,
        "entities": store.story_entities(story_id),
    }


def thread_report(store: Store, thread_id: int) -> dict | None:
    stories = store.stories(thread=thread_id)
    if not stories:
        return None
    reports = [story_report(store, s["id"]) for s in sorted(stories, key=lambda s: (s["first_seen"] or "9999", s["id"]))]
    return {
        "thread": thread_id, "stories": reports,
        "size": sum(r["size"] for r in reports),
        "sources": sorted({src for r in reports for src in r["sources"]}),
        "first_seen": min((r["first_seen"] for r in reports if r["first_seen"]), default=None),
        "last_seen": max((r["last_seen"] for r in reports if r["last_seen"]), default=None),
    }


def _date(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else "date unknown"


def render_story(report: dict, indent: str = "") -> str:
    lines = [
        f"{indent}Story {report['id']} (thread {report['thread']}): {report['title']}",
        f"{indent}  {report['size']} article(s)"
        + (f", {report['copies']} copy/copies" if report["copies"] else "")
        + f"; sources: {', '.join(report['sources']) or 'not given'}"
        + f"; {_date(report['first_seen'])} → {_date(report['last_seen'])}",
    ]
    named = [e for e in report.get("entities", []) if e["mentions"] > 1 or e["type"] == "PER"][:8]
    if named:
        lines.append(f"{indent}  who/what: " + "; ".join(
            f"{e['name']} ({e['type']}, {e['mentions']}"
            + (f", {e['roles'][0]}" if e["roles"] else f", {e['titles'][0]}" if e["titles"] else "") + ")"
            for e in named))
    for art in report["articles"]:
        outlet = art["source"] or "outlet unknown"
        mark = f" [copy of {art['copy_of']}]" if art["copy_of"] else ""
        lines.append(f"{indent}  • {art['id']} | {outlet} | {_date(art['published'])}{mark}")
        lines.append(f"{indent}    {art['title']}")
        join = art["join"] or {}
        if join.get("decision") == "joined":
            signals = ", ".join(f"{k} {v}" for k, v in join.get("signals", {}).items())
            lines.append(f"{indent}    joined with score {join.get('score')} ({signals})")
    return "\n".join(lines)


def render_thread(report: dict) -> str:
    head = (f"Thread {report['thread']}: {len(report['stories'])} stories, {report['size']} articles, "
            f"{_date(report['first_seen'])} → {_date(report['last_seen'])}")
    return "\n\n".join([head] + [render_story(story, "  ") for story in report["stories"]])


def render_stories(stories: list[dict]) -> str:
    if not stories:
        return "No stories."
    lines = []
    for s in stories:
        sources = ",".join(s["sources"]) or "-"
        lines.append(f"{s['id']:>6}  thread {s['thread']:<6} {len(s['article_ids']):>3} art  {sources:<24} "
                     f"{_date(s['first_seen'])} → {_date(s['last_seen'])}  {s['title']}")
    return "\n".join(lines)
