"""The Arabic web UI: server-rendered pages (Jinja2, autoescaped), right to left, no scripts, no build step.

Pages: `/` (stories, newest first), `/stories/{id}`, `/threads/{id}`, `/articles/{id}`, `/entities`,
`/entities/{id}`, `/search?q=`. Every page has a JSON twin: the same path with `.json` (`/` → `/index.json`)
returns the API's envelope with the same data, so what a page shows can be scripted without scraping.

All article text is untrusted: templates autoescape everything, and search highlights are built by
escaping the text first and only then wrapping the highlight ranges in `<mark>`. The app's CSP forbids
scripts and inline styles, so the timeline chart is inline SVG drawn from presentation attributes and
the stylesheet is `/static/rasd.css`.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from . import api

__all__ = ["highlight", "mount", "timeline_chart", "render"]

HERE = Path(__file__).parent
TYPE_NAMES = {"PER": "أشخاص", "ORG": "منظمات", "LOC": "أماكن", "MISC": "أخرى"}
STATUS_NAMES = {"agreed": "متفق عليه", "conflicting": "متعارض", "single": "مصدر واحد"}

_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)


def highlight(text: str | None, ranges) -> Markup:
    """`text` escaped, with each [start, end) of `ranges` wrapped in <mark>; bad or overlapping ranges are skipped."""
    text = text or ""
    out, pos = [], 0
    for start, end in sorted((int(r[0]), int(r[1])) for r in ranges or () if len(r) >= 2):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        out += [escape(text[pos:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def web_url(value: str | None) -> str | None:
    """An article's URL when it is a web address; anything else (javascript:, data:) is not linked."""
    return value if isinstance(value, str) and value.lower().startswith(("http://", "https://")) else None


def short_date(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else ""


def _day(value: str | None) -> date | None:
    """The first day a (partial) ISO date can mean: `2021` → 2021-01-01, `2021-11` → 2021-11-01,
    `2021-W45` → that week's Monday, a range `2021-11-01/2021-11-30` → its start."""
    if not value:
        return None
    head = str(value).split("/", 1)[0].split("T", 1)[0]
    try:
        if "-W" in head:
            year, week = head.split("-W", 1)
            return date.fromisocalendar(int(year), int(week[:2]), 1)
        parts = head.split("-")
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1] else 1
        day = int(parts[2]) if len(parts) > 2 and parts[2] else 1
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def timeline_chart(events: list[dict], width: int = 900, pad: int = 40) -> dict | None:
    """Positions for an SVG timeline: a dated axis, earliest on the right (Arabic reading order).

    Returns {"width", "height", "axis_y", "ticks": [{"x", "label"}], "points": [{"x", "y", "n", "date"}]}
    or None when no event has a usable date. Events on the same day are stacked.
    """
    dated = [(i, _day(e.get("date"))) for i, e in enumerate(events)]
    dated = [(i, d) for i, d in dated if d is not None]
    if not dated:
        return None
    first, last = min(d for _, d in dated), max(d for _, d in dated)
    span = max((last - first).days, 1)
    inner = width - 2 * pad

    def x_of(d: date) -> float:
        if first == last:
            return width / 2
        return round(width - pad - inner * (d - first).days / span, 1)

    stacks: dict[float, int] = {}
    points = []
    for index, d in dated:
        x = x_of(d)
        level = stacks.get(x, 0)
        stacks[x] = level + 1
        points.append({"x": x, "level": level, "n": index + 1, "date": events[index].get("date")})
    top = max(stacks.values())
    axis_y = 30 + 26 * top
    for p in points:
        p["y"] = axis_y - 22 - 26 * p["level"]
    return {"width": width, "height": axis_y + 36, "axis_y": axis_y, "ticks": _ticks(first, last, x_of),
            "points": points, "left": pad, "right": width - pad}


def _ticks(first: date, last: date, x_of) -> list[dict]:
    """Year ticks for long spans, month ticks for short ones, always the two ends."""
    days = (last - first).days
    marks: list[date] = []
    if days > 2 * 365:
        marks = [date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
        label = lambda d: str(d.year)  # noqa: E731
    elif days > 60:
        y, m = first.year, first.month
        while True:
            m += 1
            y, m = (y + 1, 1) if m > 12 else (y, m)
            if date(y, m, 1) > last:
                break
            marks.append(date(y, m, 1))
        label = lambda d: f"{d.year}-{d.month:02d}"  # noqa: E731
    else:
        label = lambda d: d.isoformat()  # noqa: E731
    ticks = [{"x": x_of(d), "label": label(d), "end": False} for d in marks]
    ends = [first] if first == last else [first, last]
    return ticks + [{"x": x_of(d), "label": d.isoformat(), "end": True} for d in ends]


_env.globals.update(short_date=short_date, web_url=web_url, highlight=highlight, STATUS_NAMES=STATUS_NAMES)


def render(name: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _split(ref: str) -> tuple[str, bool]:
    """(`12`, True) for `12.json`: the id and whether the JSON twin was asked for."""
    return (ref[:-5], True) if ref.endswith(".json") else (ref, False)


def _int_id(ref: str, what: str) -> int:
    try:
        return int(ref)
    except ValueError:
        raise api.ApiError(404, f"no {what} {ref!r}: {what} ids are numbers") from None


def _page_links(request: Request, meta: dict) -> dict:
    """Links to the previous and next page, keeping every other query parameter."""
    params = dict(request.query_params)
    limit, offset, total = meta["limit"], meta["offset"], meta["total"]

    def link(new_offset: int) -> str:
        return "?" + urlencode({**params, "offset": new_offset, "limit": limit})

    return {"prev": link(max(0, offset - limit)) if offset > 0 else None,
            "next": link(offset + limit) if offset + limit < total else None,
            "first": offset + 1 if total else 0, "last": min(offset + limit, total), "total": total}


def quote_groups(report: dict) -> list[dict]:
    """Quotes by speaker: the report's `quotes_by_speaker`, its `quotes` when already grouped, else grouped here.

    The brief's contract is `quotes: [{speaker, quotes: [...]}]`; reports that list quotes flat (each with
    its own `speaker` and `entity`) are grouped in order of first appearance, unknown speakers last.
    """
    if report.get("quotes_by_speaker"):
        return report["quotes_by_speaker"]
    items = report.get("quotes") or []
    if all(isinstance(q, dict) and "quotes" in q for q in items):
        return items
    groups: dict[tuple, dict] = {}
    for quote in items:
        key = (quote.get("entity"), quote.get("speaker")) if quote.get("entity") is None else (quote["entity"],)
        group = groups.setdefault(key, {"speaker": quote.get("speaker"), "entity": quote.get("entity"), "quotes": []})
        group["quotes"].append(quote)
    return sorted(groups.values(), key=lambda g: g["speaker"] is None)


def story_view(report: dict) -> dict:
    """What the story page needs beyond the report: article numbers for citations, chart positions."""
    numbers = {a["id"]: i + 1 for i, a in enumerate(report.get("articles", []))}
    entities: dict[str, list[dict]] = {}
    for entity in report.get("entities") or []:
        entities.setdefault(entity.get("type") or "MISC", []).append(entity)
    return {"cite": numbers, "quote_groups": quote_groups(report), "chart": timeline_chart(report["timeline"]) if report.get("timeline") else None,
            "entity_groups": [(TYPE_NAMES.get(t, t), entities[t]) for t in sorted(entities, key=lambda t: list(TYPE_NAMES).index(t) if t in TYPE_NAMES else 9)]}


def mount(app: FastAPI, backend: api.Backend) -> None:
    """Add the web pages, their JSON twins, the stylesheet and the HTML error page to `app`."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render_error(request: Request, status: int, message: str, errors: list[dict] | None):
        return render("error.html", status, status_code=status, message=message, errors=errors or [])

    app.state.render_error = render_error

    def twin(payload: dict, as_json: bool, template: str, request: Request, **extra):
        if as_json:
            return JSONResponse(payload)
        return render(template, data=payload["data"], meta=payload.get("meta", {}), request=request,
                      query=dict(request.query_params), **extra)

    @app.get("/", include_in_schema=False)
    @app.get("/index.json", include_in_schema=False)
    def home(request: Request, limit: int = Query(50, ge=1, le=api.MAX_LIMIT), offset: int = Query(0, ge=0),
             since: str | None = None, until: str | None = None, source: str | None = None, thread: int | None = None):
        payload = api.list_stories(backend, limit, offset, since, until, source, thread)
        return twin(payload, request.url.path.endswith(".json"), "stories.html", request,
                    pages=_page_links(request, payload["meta"]))

    @app.get("/stories/{ref}", include_in_schema=False)
    def story(request: Request, ref: str):
        story_id, as_json = _split(ref)
        payload = api.get_story(backend, _int_id(story_id, "story"))
        return twin(payload, as_json, "story.html", request, view=story_view(payload["data"]))

    @app.get("/threads/{ref}", include_in_schema=False)
    def thread(request: Request, ref: str):
        thread_id, as_json = _split(ref)
        payload = api.get_thread(backend, _int_id(thread_id, "thread"))
        return twin(payload, as_json, "thread.html", request)

    @app.get("/articles/{ref:path}", include_in_schema=False)
    def article(request: Request, ref: str):
        article_id, as_json = _split(ref)
        payload = api.get_article(backend, article_id)
        return twin(payload, as_json, "article.html", request)

    @app.get("/entities", include_in_schema=False)
    @app.get("/entities.json", include_in_schema=False)
    def entities(request: Request, limit: int = Query(100, ge=1, le=api.MAX_LIMIT), offset: int = Query(0, ge=0),
                 type: str | None = None, q: str | None = None):
        payload = api.list_entities(backend, limit, offset, type, q)
        return twin(payload, request.url.path.endswith(".json"), "entities.html", request,
                    pages=_page_links(request, payload["meta"]), type_names=TYPE_NAMES)

    @app.get("/entities/{ref}", include_in_schema=False)
    def entity(request: Request, ref: str):
        entity_id, as_json = _split(ref)
        payload = api.get_entity(backend, entity_id)
        return twin(payload, as_json, "entity.html", request, type_names=TYPE_NAMES)

    @app.get("/search", include_in_schema=False)
    @app.get("/search.json", include_in_schema=False)
    def search(request: Request, q: str = "", limit: int = Query(20, ge=1, le=api.MAX_LIMIT),
               offset: int = Query(0, ge=0), source: str | None = None, since: str | None = None,
               until: str | None = None, entity: str | None = None, story: int | None = None):
        as_json = request.url.path.endswith(".json")
        if not q.strip() and not as_json:
            return render("search.html", data=None, meta={}, request=request, query=dict(request.query_params))
        payload = api.do_search(backend, q, limit, offset, source, since, until, entity, story)
        return twin(payload, as_json, "search.html", request, pages=_page_links(request, payload["meta"]))
