"""Article records out of HTML pages and RSS/Atom feeds.

HTML goes through trafilatura (main-text extraction, which drops navigation, footers and comment
threads) with htmldate-backed metadata for the publication date; feeds through feedparser. Both
return plain dicts with the same fields as the JSON inputs, so one code path builds `Article`s.
"""
from __future__ import annotations

import re

from .article import InputError

__all__ = ["html_record", "feed_records", "looks_like_feed", "looks_like_html", "html_to_text"]

_FEED = re.compile(r"<(?:rss|feed|rdf:RDF)\b", re.IGNORECASE)
_HTML = re.compile(r"<(?:!doctype html|html|head|body|article|div|p)\b", re.IGNORECASE)
_BLOCK = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr|/blockquote)\s*/?>", re.IGNORECASE)


def looks_like_feed(text: str) -> bool:
    return bool(_FEED.search(text[:2048]))


def looks_like_html(text: str) -> bool:
    return bool(_HTML.search(text[:4096]))


def html_to_text(fragment: str) -> str:
    """Plain text of a small HTML fragment (feed summaries), one line per block element."""
    import lxml.html

    if "<" not in fragment:
        return fragment
    fragment = _BLOCK.sub("\n", fragment)
    try:
        return lxml.html.fromstring(f"<div>{fragment}</div>").text_content()
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", fragment)


def html_record(html: str) -> dict:
    """The article in an HTML page: title, text, date, author, url and site name."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=False,
            favor_precision=True,
        )
    except (ValueError, TypeError) as err:  # lxml refuses some malformed documents outright
        raise InputError(f"cannot parse the HTML: {err}") from None
    doc = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else doc
    if not doc or not (doc.get("text") or "").strip():
        raise InputError("no article text found in the HTML page")
    return {
        "title": doc.get("title") or "",
        "text": doc["text"],
        "published": doc.get("date"),
        "date_source": "meta" if doc.get("date") else None,
        "author": doc.get("author"),
        "url": doc.get("url"),
        "source": doc.get("sitename") or doc.get("hostname"),
    }


def feed_records(text: str) -> list[dict]:
    """One record per feed entry; the entry's full content when present, else its summary."""
    import feedparser

    feed = feedparser.parse(text)
    if not feed.entries:
        why = getattr(feed, "bozo_exception", None)
        raise InputError(f"not a usable RSS/Atom feed: {why or 'it has no entries'}")
    site = feed.feed.get("title") or feed.feed.get("link")
    records = []
    for entry in feed.entries:
        body = ""
        if entry.get("content"):
            body = max((c.get("value", "") for c in entry.content), key=len)
        body = body or entry.get("summary", "")
        records.append({
            "id": entry.get("id") or entry.get("link"),
            "title": html_to_text(entry.get("title", "")),
            "text": html_to_text(body),
            "url": entry.get("link"),
            "published": entry.get("published") or entry.get("updated"),
            "author": entry.get("author"),
            "source": site,
        })
    return records
