"""Per-story timelines: dated events from the articles' time expressions, merged across outlets, in order.

Each resolved time expression of an article is a candidate event; its text is the sentence (or the clause
of a long sentence, at most ~30 words) that holds it, from the display text. Not events: datelines and
publication stamps (`إسلام آباد 18 شوال 1436 هـ الموافق 03 اغسطس 2015 م واس`), a time expression with
next to no words around it, durations, and relative expressions that cannot be resolved (an undated
article whose date cannot be estimated). Mentions of one date are one event within an article, and
across articles when their wording is similar. Events are ordered by the start of their period, a
coarser one (2021) before a finer one inside it (2021-07, 2021-07-05).
"""
from __future__ import annotations

import re
from datetime import date

from .normalize import matching_form
from .timex import TimeSpan, article_base, find_times

__all__ = ["build_timeline", "EVENT_WORDS"]

EVENT_WORDS = 30  # longest event text, in words
_RANK = {"year": 0, "range": 1, "month": 2, "week": 3, "day": 4, "time": 5}
_SENTENCE_END = re.compile(r"[.!?؟\n]+|\.\s")
_CLAUSE_BREAK = re.compile(r"[،,؛;:]\s*|\s[-–]\s")
_WORD = re.compile(r"[^\W_]+")
_STOP = set(matching_form(
    "في من على علي إلى الى أن ان إن عن مع التي الذي الذين هذا هذه ذلك تلك كان كانت قد لم لن ما لا كما وقد"
    " بين حتى حول عند بعد قبل خلال منذ أو او ثم هو هي هم وفي وقال قال اليوم أمس الخميس العام الماضي"
).split())


def _start_of(value: str) -> date:
    """The first day of the period an ISO value names (year, month, week, day, range)."""
    head = value.split("/", 1)[0].split("T", 1)[0]
    if "-W" in head:
        year, week = head.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    parts = [int(p) for p in head.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _as_span(item) -> TimeSpan:
    return item if isinstance(item, TimeSpan) else TimeSpan(**{k: item[k] for k in ("start", "end", "text", "value", "precision")})


def _bounds(text: str, start: int, end: int, pattern: re.Pattern) -> tuple[int, int]:
    left = max((m.end() for m in pattern.finditer(text, 0, start)), default=0)
    match = pattern.search(text, end)
    return left, match.start() if match else len(text)


def _event_text(text: str, span: TimeSpan) -> str:
    """The sentence holding the span; for a long one, the clauses around it (12+ words), at most EVENT_WORDS."""
    left, right = _bounds(text, span.start, span.end, _SENTENCE_END)
    sentence = text[left:right]
    if len(sentence.split()) > EVENT_WORDS * 2 // 3:
        c_left, c_right = _bounds(sentence, span.start - left, span.end - left, _CLAUSE_BREAK)
        while len(sentence[c_left:c_right].split()) < 12 and (c_left > 0 or c_right < len(sentence)):
            grown = (max((m.end() for m in _CLAUSE_BREAK.finditer(sentence, 0, max(0, c_left - 2))), default=0),
                     (m.start() if (m := _CLAUSE_BREAK.search(sentence, c_right + 1)) else len(sentence)))
            if grown == (c_left, c_right):
                break
            c_left, c_right = grown
        words = sentence[c_left:c_right].split()
        if len(words) > EVENT_WORDS:
            before = len(sentence[c_left:span.start - left].split())
            first = max(0, min(before - EVENT_WORDS // 3, len(words) - EVENT_WORDS))
            words = words[first:first + EVENT_WORDS]
        sentence = " ".join(words)
    return " ".join(sentence.split()).strip(" \"“”«»'،,")


def _is_stamp(text: str, span: TimeSpan, spans: list[TimeSpan]) -> bool:
    """A dateline or a lone date line: its line says little besides dates."""
    left, right = _bounds(text, span.start, span.end, re.compile(r"\n"))
    line = text[left:right]
    others = line
    for s in spans:
        if left <= s.start and s.end <= right:
            others = others.replace(s.text, " ")
    words = _WORD.findall(others)
    first_line = not text[:left].strip()
    return len(words) <= 5 and (first_line or "." not in line or "الموافق" in line)


def _thin(text: str, span: TimeSpan) -> bool:
    """Next to no content around the span (a bare `اليوم`)."""
    left, right = _bounds(text, span.start, span.end, _SENTENCE_END)
    rest = text[left:span.start] + " " + text[span.end:right]
    return len(_WORD.findall(rest)) < 3


def _relative(span: TimeSpan) -> bool:
    """Whether the span's value rests on the base date (`الخميس`, not `31 ديسمبر 2021`)."""
    alone = find_times(span.text)
    return not alone or alone[0].value is None


def _keywords(sentence: str) -> set[str]:
    words = set()
    for word in matching_form(sentence).split():
        word = re.sub(r"^(?:وال|بال|لل|فال|ال|و)", "", word)
        if len(word) > 2 and word not in _STOP and not word.isdigit():
            words.add(word)
    return words


def _similar(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.3


def _article_events(article: dict, found: list[TimeSpan], estimated: bool) -> list[dict]:
    text = article.get("text") or ""
    events = []
    for span in found:
        if span.value is None or span.precision not in _RANK:
            continue
        if _is_stamp(text, span, found) or _thin(text, span):
            continue
        relative = estimated and _relative(span)
        sentence = _event_text(text, span)
        events.append({"date": span.value, "precision": span.precision, "text": sentence,
                       "article_ids": [article["id"]], "sources": [article["source"]] if article.get("source") else [],
                       "estimated": bool(relative),
                       "mentions": [{"article_id": article["id"], "start": span.start, "end": span.end}],
                       "_words": _keywords(sentence)})
    return events


def _merge(into: dict, event: dict) -> None:
    for key in ("article_ids", "sources"):
        into[key] += [v for v in event[key] if v not in into[key]]
    into["mentions"] += event["mentions"]
    into["estimated"] = into["estimated"] and event["estimated"]
    into["_words"] |= event["_words"]


def build_timeline(articles: list[dict], spans: dict[str, list[TimeSpan]] | None = None) -> list[dict]:
    """Dated events of a set of articles (a story or a thread), merged across outlets, oldest first.

    `articles`: dicts with `id`, `text` (display text), `title`, `source`, `published` (ISO or None).
    `spans`: `find_times` results by article id (TimeSpans or their JSON); computed when missing, for an
    undated article against `estimate_date`. Each event: `date`, `precision`, `text`, `article_ids`,
    `sources`, `estimated` (its date rests on an estimated publication date) and `mentions` (offsets).
    """
    spans = spans or {}
    grouped: dict[tuple[str, str], list[dict]] = {}
    for order, article in enumerate(articles):
        if "id" not in article:
            raise ValueError(f"article {order} has no 'id'")
        text = article.get("text") or ""
        base, reason = article_base(text, article.get("title") or "", article.get("published"))
        given = spans.get(article["id"])
        found = [_as_span(s) for s in given] if given is not None else find_times(text, base)
        for event in _article_events(article, found, estimated=reason is not None):
            same = grouped.setdefault((event["date"], event["precision"]), [])
            home = next((e for e in same if set(e["article_ids"]) & set(event["article_ids"])
                         or _similar(e["_words"], event["_words"])), None)
            if home is None:
                event["_order"] = (order, event["mentions"][0]["start"])
                same.append(event)
            else:
                _merge(home, event)
    events = [e for group in grouped.values() for e in group]
    events.sort(key=lambda e: (_start_of(e["date"]), _RANK[e["precision"]], e["_order"]))
    for event in events:
        del event["_words"], event["_order"]
    return events
