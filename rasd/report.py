"""Story and thread reports: one JSON-able dict per report, and its plain-text rendering.

The dict is the contract (the CLI's `--json` and later the API return it as is); the text view is
rendered from the dict only, so the two can never disagree.
"""
from __future__ import annotations

from .annotations import article_notes, failed_text
from .incidents import as_written
from .normalize import matching_form
from .numbers import Quantity, compare_numbers
from .quotes import Quote, group_quotes, merge_repeats, speaker_key
from .store import Store
from .summarize import SummarizeError, summarize
from .timeline import build_timeline

__all__ = ["story_report", "thread_report", "render_story", "render_thread", "render_stories", "explain_join",
           "with_failures"]

_SNIPPET = 160


def _article_entry(row: dict, notes: dict | None = None) -> dict:
    text = " ".join(row["text"].split())
    return {
        "id": row["id"], "source": row["source"], "title": row["title"], "published": row["published"],
        "date_source": row["date_source"], "url": row["url"], "origin": row["origin"],
        "author": row["author"], "copy_of": row["copy_of"],
        "snippet": text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else ""),
        "join": with_failures(explain_join(row["join_reason"], row["title"], row["text"]), notes),
    }


def with_failures(join: dict | None, notes: dict | None) -> dict | None:
    """The join reason with the annotation stages that failed on the article: at ingest (in the stored
    reason already) and when a report first annotated it (`rasd.annotations`)."""
    known = (join or {}).get("annotation_failed", [])
    later = [text for item in (notes or {}).get("failed", []) if (text := failed_text(item)) not in known]
    return dict(join or {}) | {"annotation_failed": known + later} if later else join


def explain_join(join: dict | None, title: str | None, text: str) -> dict | None:
    """A stored join reason as reports show it: an incident's stems also as the article writes them (`written`)."""
    via = join and join.get("incident")
    if not via:
        return join
    written = {part: as_written(via[part], title or "", text) for part in ("words", "where")}
    return join | {"incident": via | {"written": written}}


def _speaker_entity(spans: list[tuple[int, int, int, str]], quote: dict) -> tuple[int, str] | None:
    """The entity whose mention the quote's speaker was resolved through (same offsets, or overlapping)."""
    start, end = quote.get("speaker_start"), quote.get("speaker_end")
    if start is None or end is None:
        return None
    best = None
    for m_start, m_end, entity_id, name in spans:
        overlap = min(end, m_end) - max(start, m_start)
        if overlap > 0 and (best is None or overlap > best[0]):
            best = (overlap, entity_id, name)
    return (best[1], best[2]) if best else None


def analysis(store: Store, rows: list[dict], sentences: int = 5, notes: dict | None = None) -> dict:
    """Summary, timeline, quotes and numbers of stored articles (one story, or a whole thread).

    Built at read time from the originals' annotations (`rasd.annotations.article_notes`, or `notes`
    when the caller read them). Copies are cited by the summary but give no quotes, numbers or events
    of their own: a reprint is not a second source.
    """
    if notes is None:
        notes = article_notes(store, [row for row in rows if not row["copy_of"]])
    spans = store.entity_spans([row["rowid"] for row in rows if not row["copy_of"]])
    docs = [{"id": r["id"], "title": r["title"], "text": r["text"], "source": r["source"],
             "published": r["published"], "copy_of": r["copy_of"]} for r in rows]
    try:
        summary = summarize(docs, sentences=sentences)
    except SummarizeError:
        summary = None
    originals = [r for r in rows if not r["copy_of"]]
    timeline = build_timeline([d for d in docs if not d["copy_of"]],
                              {r["id"]: notes[r["rowid"]]["times"] for r in originals if "times" in notes[r["rowid"]]})
    quotes, said = [], []
    for row in originals:
        for item in notes[row["rowid"]].get("quotes", []):
            entity = _speaker_entity(spans[row["rowid"]], item)
            quote = Quote(**item)
            said.append((row["id"], quote, entity))
            quotes.append({"speaker": entity[1] if entity else quote.speaker, "entity": entity[0] if entity else None,
                           "cue": quote.cue, "text": quote.text, "direct": quote.direct,
                           "article_id": row["id"], "start": quote.start, "end": quote.end})
    entity_of = {id(q): e for _, q, e in said}
    entity_at = {(a, q.start): e for a, q, e in said}
    by_speaker = group_quotes([(a, q) for a, q, _ in said],
                              key=lambda q: f"entity:{entity_of[id(q)][0]}" if entity_of[id(q)] else speaker_key(q))
    merged: dict[str, dict] = {}
    for group in by_speaker:
        entity = entity_at.get((group["quotes"][0]["article_id"], group["quotes"][0]["start"]))
        group["entity"] = entity[0] if entity else None
        if entity:
            group["speaker"] = entity[1]
        # a speaker found through an entity in one article and by name alone in another is one speaker
        name = matching_form(group["speaker"]) if group["speaker"] else None
        if name in merged:
            merged[name]["quotes"] += group["quotes"]
            merged[name]["entity"] = merged[name]["entity"] or group["entity"]
        else:
            merged[name or f"-{len(merged)}"] = group
    for group in merged.values():  # groups joined above may repeat each other's statements
        group["quotes"] = merge_repeats(group["quotes"])
    by_speaker = sorted(merged.values(), key=lambda g: (g["speaker"] is None, -len(g["quotes"])))
    numbers = compare_numbers([(r["id"], r["source"], Quantity(**n))
                               for r in originals for n in notes[r["rowid"]].get("numbers", [])])
    return {"summary": summary, "timeline": timeline, "quotes": quotes, "quotes_by_speaker": by_speaker,
            "numbers": numbers}


def story_report(store: Store, story_id: int) -> dict | None:
    """Everything rasd knows about one story, or None when there is no such story."""
    story = store.story(story_id)
    if story is None:
        return None
    notes = article_notes(store, [row for row in story["articles"] if not row["copy_of"]])
    articles = [_article_entry(row, notes.get(row["rowid"])) for row in story["articles"]]
    return {
        "id": story["id"], "thread": story["thread_id"], "title": story["title"],
        "size": len(articles), "copies": sum(1 for a in articles if a["copy_of"]),
        "sources": sorted({a["source"] for a in articles if a["source"]}),
        "first_seen": story["first_seen"], "last_seen": story["last_seen"],
        "thread_link": story["thread_reason"], "articles": articles,
        "entities": store.story_entities(story_id),
    } | analysis(store, story["articles"], notes=notes)


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
    } | analysis(store, [row for r in reports for row in store.story_articles(r["id"])])


def _date(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else "date unknown"


def _cite(ids: list[str]) -> str:
    return "[" + ", ".join(ids) + "]"


def render_analysis(report: dict, indent: str = "") -> list[str]:
    """Summary, timeline, quotes by speaker and the numbers table, as text lines."""
    lines = []
    summary = report.get("summary")
    if summary:
        lines.append(f"{indent}  Summary — {summary['headline']}")
        lines += [f"{indent}    {i}. {s['text']} {_cite(s['article_ids'])}" for i, s in enumerate(summary["sentences"], 1)]
    if report.get("timeline"):
        lines.append(f"{indent}  Timeline")
        for event in report["timeline"]:
            mark = " (estimated date)" if event.get("estimated") else ""
            lines.append(f"{indent}    {event['date']:<10} {event['text']} {_cite(event['article_ids'])}{mark}")
    if report.get("quotes_by_speaker"):
        lines.append(f"{indent}  Who said what")
        for group in report["quotes_by_speaker"]:
            lines.append(f"{indent}    {group['speaker'] or 'speaker unknown'}:")
            for q in group["quotes"]:
                text = q["text"] if len(q["text"]) <= 200 else q["text"][:200] + "…"
                lines.append(f"{indent}      {'«' + text + '»' if q['direct'] else text} ({q['cue']}) "
                             f"{_cite(q.get('article_ids') or [q['article_id']])}")
    if report.get("numbers"):
        lines.append(f"{indent}  Numbers")
        for row in report["numbers"]:
            if row["status"] == "conflicting":
                told = "; ".join(f"{v['value']:,} {_cite(v['article_ids'])}" for v in row["values"])
                lines.append(f"{indent}    conflicting  {row['counts']}: {told}")
            else:
                lines.append(f"{indent}    {row['status']:<12} {row['value']:,} {row['counts']}"
                             f"{' ' + row['unit'] if row['unit'] else ''} {_cite(row['article_ids'])}")
    return lines


def render_story(report: dict, indent: str = "", analysis: bool = True) -> str:
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
    if analysis:
        lines += render_analysis(report, indent)
    lines.append(f"{indent}  Articles")
    for art in report["articles"]:
        outlet = art["source"] or "outlet unknown"
        mark = f" [copy of {art['copy_of']}]" if art["copy_of"] else ""
        lines.append(f"{indent}  • {art['id']} | {outlet} | {_date(art['published'])}{mark}")
        lines.append(f"{indent}    {art['title']}")
        join = art["join"] or {}
        if join.get("decision") == "joined":
            signals = ", ".join(f"{k} {v}" for k, v in join.get("signals", {}).items())
            via = join.get("incident")
            shown = via and via.get("written", via)
            where = f"; through the incident at {', '.join(shown['where'])} ({', '.join(shown['words'])})" if via else ""
            if via and via.get("dominant"):
                where += ", the day's dominant happening"
            if join.get("past_floor"):
                where += "; no member close in words, the story as a whole very likely"
            if join.get("twin"):
                lines.append(f"{indent}    joined: the same {join.get('standing', 'notice')} printed by another outlet "
                             f"(text cosine {join['twin']})")
            else:
                lines.append(f"{indent}    joined with score {join.get('score')} ({signals}{where})")
        elif join.get("standing"):
            lines.append(f"{indent}    a {join['standing']}: a story of its own")
        if join.get("other_count"):
            lines.append(f"{indent}    kept out of {join['other_count']} story(ies) whose first headline counts the same "
                         f"thing differently")
        if join.get("other_day"):
            lines.append(f"{indent}    a day's report (a market, the weather): kept out of {join['other_day']} "
                         f"story(ies) begun on an earlier day")
    return "\n".join(lines)


def render_thread(report: dict) -> str:
    head = (f"Thread {report['thread']}: {len(report['stories'])} stories, {report['size']} articles, "
            f"{_date(report['first_seen'])} → {_date(report['last_seen'])}")
    return "\n\n".join(["\n".join([head, *render_analysis(report)])]
                       + [render_story(story, "  ", analysis=False) for story in report["stories"]])


def render_stories(stories: list[dict]) -> str:
    if not stories:
        return "No stories."
    lines = []
    for s in stories:
        sources = ",".join(s["sources"]) or "-"
        lines.append(f"{s['id']:>6}  thread {s['thread']:<6} {len(s['article_ids']):>3} art  {sources:<24} "
                     f"{_date(s['first_seen'])} → {_date(s['last_seen'])}  {s['title']}")
    return "\n".join(lines)
