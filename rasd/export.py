"""Exports of stories with their articles and annotations: JSONL, CSV, Markdown and standalone HTML.

Everything is rendered from `rasd.report.story_report` dicts, the one contract for a story, so an
export says exactly what `rasd story --json` and the API say. Sections that later stages add to the
report (`summary`, `timeline`, `quotes`, `numbers`, `entities`) are rendered when present and left
out when absent, so older databases still export.

* `jsonl`: one story report per line.
* `csv`: one row per article (story id and title, then the article's fields).
* `md`: the report an analyst mails to a colleague.
* `html`: a standalone right-to-left page (`<html lang="ar" dir="rtl">`). Article text is untrusted:
  every value is escaped with `html.escape`, the page has no scripts and a CSP that allows none.

Errors: `ExportError` (a `ValueError`) for an unknown format or a story id that is not in the database.
"""
from __future__ import annotations

import csv
import io
import json
from html import escape
from typing import TYPE_CHECKING

from .report import story_report
from .search import check_date

if TYPE_CHECKING:
    from .store import Store

__all__ = ["ExportError", "FORMATS", "CSV_FIELDS", "collect_reports", "render", "export"]

FORMATS = ("jsonl", "csv", "md", "html")
CSV_FIELDS = ("story_id", "story_title", "thread", "article_id", "source", "published", "date_source", "title",
              "url", "author", "copy_of", "decision", "join_score", "snippet")


class ExportError(ValueError):
    """An export that cannot be made: unknown format or story id."""


def collect_reports(store: "Store", story_ids: list[int] | None = None, *, since: str | None = None,
                    until: str | None = None, source: str | None = None) -> list[dict]:
    """Story reports for the given ids (in that order), else for every story the filters keep, newest first."""
    if story_ids:
        reports = []
        for story_id in story_ids:
            report = story_report(store, story_id)
            if report is None:
                raise ExportError(f"no story {story_id} in {store.path}; list them with `rasd stories`")
            reports.append(report)
        return reports
    try:
        since, until = check_date("since", since), check_date("until", until)
    except ValueError as err:
        raise ExportError(str(err)) from None
    return [story_report(store, s["id"]) for s in store.stories(since=since, until=until, source=source)]


def render(reports: list[dict], fmt: str) -> str:
    """The reports in format `fmt` (one of `FORMATS`)."""
    renderers = {"jsonl": to_jsonl, "csv": to_csv, "md": to_markdown, "html": to_html}
    if fmt not in renderers:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return renderers[fmt](reports)


def export(store: "Store", fmt: str, story_ids: list[int] | None = None, **filters) -> str:
    """Collect and render in one call (the format is checked before any story is read)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return render(collect_reports(store, story_ids, **filters), fmt)


# -- jsonl and csv --------------------------------------------------------------------------------
def to_jsonl(reports: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in reports)


def _csv_row(report: dict, art: dict) -> dict:
    join = art.get("join") or {}
    return {"story_id": report["id"], "story_title": report["title"], "thread": report.get("thread"),
            "article_id": art["id"], "source": art.get("source"), "published": art.get("published"),
            "date_source": art.get("date_source"), "title": art.get("title"), "url": art.get("url"),
            "author": art.get("author"), "copy_of": art.get("copy_of"), "decision": join.get("decision"),
            "join_score": join.get("score"), "snippet": art.get("snippet")}


def to_csv(reports: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for report in reports:
        for art in report["articles"]:
            writer.writerow(_csv_row(report, art))
    return out.getvalue()


# -- shared helpers -------------------------------------------------------------------------------
def _date(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else "date unknown"


def _ids(ids) -> str:
    return ", ".join(str(i) for i in ids or [])


def _entity_label(entity: dict) -> str:
    titles = " ".join(entity.get("titles") or [])
    return (f"{titles} " if titles else "") + str(entity.get("name", ""))


# -- markdown -------------------------------------------------------------------------------------
def _md(text) -> str:
    """One-line Markdown-safe text: no newlines, table pipes and markup characters escaped."""
    text = " ".join(str(text if text is not None else "").split())
    for ch in "\\`*[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]


def _md_sections(report: dict) -> list[str]:
    lines: list[str] = []
    summary = report.get("summary")
    if summary and summary.get("sentences"):
        lines += ["", "### Summary", ""]
        lines += [f"- {_md(s.get('text'))} [{_md(_ids(s.get('article_ids')))}]" for s in summary["sentences"]]
    if report.get("timeline"):
        lines += ["", "### Timeline", ""]
        lines += _md_table(["date", "what", "articles"],
                           [[t.get("date"), t.get("text"), _ids(t.get("article_ids"))] for t in report["timeline"]])
    if report.get("quotes"):
        lines += ["", "### Quotes", ""]
        for group in report["quotes"]:
            lines.append(f"**{_md(group.get('speaker'))}**")
            lines += [f"- «{_md(q.get('text'))}» [{_md(q.get('article_id'))}]" for q in group.get("quotes", [])]
            lines.append("")
    if report.get("numbers"):
        lines += ["", "### Numbers", ""]
        lines += _md_table(["value", "unit", "status", "reported values", "articles"],
                           [[n.get("value"), n.get("unit"), n.get("status"),
                             "; ".join(f"{v.get('value')} ({_ids(v.get('article_ids'))})" for v in n.get("values") or []),
                             _ids(n.get("article_ids"))] for n in report["numbers"]])
    if report.get("entities"):
        lines += ["", "### Entities", ""]
        lines += [f"- {_md(_entity_label(e))} ({_md(e.get('type'))}, {e.get('mentions', 0)} mentions)"
                  for e in report["entities"]]
    return lines


def _md_story(report: dict) -> list[str]:
    head = report.get("summary", {}).get("headline") if report.get("summary") else None
    lines = [f"## Story {report['id']}: {_md(head or report['title'])}", "",
             f"{report['size']} article(s), {report.get('copies', 0)} copies; sources: "
             f"{_md(', '.join(report['sources']) or 'not given')}; "
             f"{_date(report.get('first_seen'))} → {_date(report.get('last_seen'))}; thread {report.get('thread')}"]
    lines += _md_sections(report)
    lines += ["", "### Articles", ""]
    for art in report["articles"]:
        copy = f" (copy of {_md(art['copy_of'])})" if art.get("copy_of") else ""
        title = _md(art.get("title"))
        link = f"[{title}](<{art['url']}>)" if art.get("url") and ">" not in art["url"] else title
        lines.append(f"- **{_md(art['id'])}** · {_md(art.get('source') or 'outlet unknown')} · "
                     f"{_date(art.get('published'))}{copy}: {link}")
    return lines


def to_markdown(reports: list[dict]) -> str:
    lines = [f"# rasd stories ({len(reports)})", ""]
    for report in reports:
        lines += _md_story(report) + [""]
    return "\n".join(lines).rstrip() + "\n"


# -- html -----------------------------------------------------------------------------------------
_CSS = """body{font-family:"Noto Naskh Arabic","Amiri","Noto Sans Arabic","Segoe UI",Tahoma,sans-serif;
max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.7;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:start}
.meta,.cite{color:#666;font-size:.9em}.conflicting{background:#fde8e8}.agreed{background:#e8f6e8}
section.story{border-top:2px solid #444;margin-top:2rem}"""


def _h(value) -> str:
    return escape(str(value if value is not None else ""), quote=True)


def _html_table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = "".join(f'<tr class="{_h(classes[i]) if classes else ""}">' + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                   for i, row in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_sections(report: dict) -> list[str]:
    parts: list[str] = []
    summary = report.get("summary")
    if summary and summary.get("sentences"):
        items = "".join(f'<li>{_h(s.get("text"))} <span class="cite">[{_h(_ids(s.get("article_ids")))}]</span></li>'
                        for s in summary["sentences"])
        parts.append(f"<h3>الملخص</h3><ul>{items}</ul>")
    if report.get("timeline"):
        parts.append("<h3>التسلسل الزمني</h3>" + _html_table(
            ["التاريخ", "الحدث", "المقالات"],
            [[_h(t.get("date")), _h(t.get("text")), _h(_ids(t.get("article_ids")))] for t in report["timeline"]]))
    if report.get("quotes"):
        blocks = []
        for group in report["quotes"]:
            quotes = "".join(f'<li><q>{_h(q.get("text"))}</q> <span class="cite">[{_h(q.get("article_id"))}]</span></li>'
                             for q in group.get("quotes", []))
            blocks.append(f"<h4>{_h(group.get('speaker'))}</h4><ul>{quotes}</ul>")
        parts.append("<h3>التصريحات</h3>" + "".join(blocks))
    if report.get("numbers"):
        numbers = report["numbers"]
        parts.append("<h3>الأرقام</h3>" + _html_table(
            ["القيمة", "الوحدة", "الحالة", "القيم المنشورة", "المقالات"],
            [[_h(n.get("value")), _h(n.get("unit")), _h(n.get("status")),
              _h("; ".join(f"{v.get('value')} ({_ids(v.get('article_ids'))})" for v in n.get("values") or [])),
              _h(_ids(n.get("article_ids")))] for n in numbers],
            [str(n.get("status") or "") for n in numbers]))
    if report.get("entities"):
        items = "".join(f"<li>{_h(_entity_label(e))} <span class=\"meta\">({_h(e.get('type'))}، "
                        f"{_h(e.get('mentions', 0))})</span></li>" for e in report["entities"])
        parts.append(f"<h3>الأعلام</h3><ul>{items}</ul>")
    return parts


def _html_article(art: dict) -> str:
    title = _h(art.get("title"))
    url = art.get("url") or ""
    if url.startswith(("http://", "https://")):
        title = f'<a href="{_h(url)}" rel="noopener noreferrer">{title}</a>'
    copy = f" · نسخة من {_h(art['copy_of'])}" if art.get("copy_of") else ""
    return (f'<li><span class="meta">{_h(art["id"])} · {_h(art.get("source") or "مصدر غير معروف")} · '
            f"{_h(_date(art.get('published')))}{copy}</span><br>{title}<br>{_h(art.get('snippet'))}</li>")


def _html_story(report: dict) -> str:
    head = report.get("summary", {}).get("headline") if report.get("summary") else None
    meta = (f"{report['size']} مقالة، {report.get('copies', 0)} نسخة؛ المصادر: {', '.join(report['sources']) or '—'}؛ "
            f"{_date(report.get('first_seen'))} ← {_date(report.get('last_seen'))}")
    articles = "".join(_html_article(a) for a in report["articles"])
    return (f'<section class="story" id="story-{_h(report["id"])}"><h2>{_h(head or report["title"])}</h2>'
            f'<p class="meta">القصة {_h(report["id"])} · السلسلة {_h(report.get("thread"))} · {_h(meta)}</p>'
            + "".join(_html_sections(report)) + f"<h3>المقالات</h3><ul>{articles}</ul></section>")


def to_html(reports: list[dict]) -> str:
    stories = "\n".join(_html_story(r) for r in reports) or "<p>لا توجد قصص.</p>"
    return ('<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>رصد: {len(reports)} قصة</title>'
            f"<style>{_CSS}</style></head>\n<body><h1>رصد — {len(reports)} قصة</h1>\n{stories}\n</body></html>\n")
