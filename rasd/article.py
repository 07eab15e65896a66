"""The records that flow through rasd's per-article stages.

An `Article` carries its *display text* exactly as it will be shown (boilerplate removed, characters
as written). Every later annotation is a character offset into `Article.text`; the folded matching
form (`rasd.normalize`) is only for keys, matching and search and is never used for offsets.

Anything that cannot become an article becomes a `Rejection` with a reason naming the input.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    """One news article as ingested: identity, provenance and display text."""

    id: str
    title: str
    text: str
    source: str | None = None
    url: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 (date or datetime), None when unknown
    date_source: str | None = None  # where `published` came from: "input", "meta", "byline", ...
    id_source: str = "input"  # "input" when the input gave the id, else "path", "url" or "content"
    origin: str = ""  # file (and line / member) the article was read from
    raw: str = ""  # text as it came in, before boilerplate removal
    annotations: dict = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        """Title and body, as matched and indexed."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Rejection:
    """An input (file, line, archive member or record) that could not be ingested, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class InputError(ValueError):
    """Raised by readers for input that cannot be used; turned into a `Rejection` by ingest."""
