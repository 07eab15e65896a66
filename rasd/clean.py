"""Remove scraped site boilerplate from article text without touching the article's sentences.

Scrapers keep weather widgets, view counters, "copied to clipboard" notices, share/print links,
lone dates, bullets and wire markers (`// انتهى //`) between the sentences. The patterns live in
`data/boilerplate.json` (learned from the seeds and SaudiNewsNet) so that they can grow without
code changes. A rule drops a line only when it matches the *whole* line, so a sentence that merely
mentions a date or a number stays; only script residue that never belongs to prose (`inline`: the empty
JavaScript comment left by an e-mail protection) is cut from inside a line. Lone date lines are returned
too: they are the byline date that ingest falls back on when the input carries no publication date.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache


from . import DATA_DIR
from .normalize import matching_form

__all__ = ["Cleaned", "boilerplate_rule", "clean_text", "clean_title"]


@dataclass
class Cleaned:
    text: str
    removed: list[tuple[str, str]] = field(default_factory=list)  # (rule name, line as written)

    def lines_of(self, rule: str) -> list[str]:
        return [line for name, line in self.removed if name == rule]


@dataclass(frozen=True)
class _Rules:
    bullet: re.Pattern
    line: tuple[tuple[str, re.Pattern], ...]
    prefix: tuple[tuple[str, re.Pattern], ...]
    inline: tuple[tuple[str, re.Pattern, re.Pattern], ...]  # (name, the residue, it with the space before it)
    tail: tuple[tuple[str, re.Pattern], ...]
    title_prefix: tuple[tuple[str, re.Pattern], ...]
    # the line rules as one alternation: a line that fully matches none of them (nearly every line) is
    # known in two calls, not 24; None when a rule has groups (a back-reference would change meaning)
    any_line: re.Pattern | None = None


def _any_of(rules: tuple[tuple[str, re.Pattern], ...], flags: int) -> re.Pattern | None:
    """One pattern that fully matches a text exactly when one of `rules` does."""
    if not rules or any(pattern.groups for _, pattern in rules):
        return None
    return re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in rules), flags)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = json.loads((DATA_DIR / "boilerplate.json").read_text("utf-8"))

    def compile_all(kind: str, flags: int = 0) -> tuple[tuple[str, re.Pattern], ...]:
        return tuple((r["name"], re.compile(r["pattern"], flags)) for r in data[kind])

    line = compile_all("line", re.IGNORECASE)
    return _Rules(
        bullet=re.compile(data["bullet"]),
        line=line,
        prefix=tuple((n, re.compile("^" + p.pattern)) for n, p in compile_all("prefix")),
        inline=tuple((n, p, re.compile(rf"\s*(?:{p.pattern})")) for n, p in compile_all("inline")),
        tail=compile_all("tail"),
        title_prefix=tuple((n, re.compile("^" + p.pattern)) for n, p in compile_all("title_prefix")),
        any_line=_any_of(line, re.IGNORECASE),
    )


def boilerplate_rule(line: str) -> str | None:
    """Name of the rule that makes `line` boilerplate, or None when it is article text."""
    rules = _rules()
    stripped = line.strip()
    if not stripped:
        return None
    body = rules.bullet.sub("", stripped, count=1)
    if not body:
        return "lone_bullet"
    if rules.any_line is not None and not rules.any_line.fullmatch(body) and not rules.any_line.fullmatch(stripped):
        return None
    for name, pattern in rules.line:
        if pattern.fullmatch(body) or pattern.fullmatch(stripped):
            return name
    return None


def clean_text(text: str, title: str | None = None) -> Cleaned:
    """Drop boilerplate lines, repeated title lines and trailing tag lists, and cut script residue inside a
    line (`inline` rules); keep the rest as written."""
    rules = _rules()
    removed: list[tuple[str, str]] = []
    kept: list[str] = []
    title_key = matching_form(title) if title else None
    previous_key = None
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        for name, pattern in rules.prefix:
            cut = pattern.sub("", line, count=1)
            if cut != line:
                removed.append((name, line[: len(line) - len(cut)]))
                line = cut.strip()
        for name, probe, residue in rules.inline:
            if probe.search(line):  # a scan for the residue's first character: `residue` begins with spaces
                removed += [(name, piece) for piece in residue.findall(line)]
                line = residue.sub("", line).strip()
        rule = boilerplate_rule(line) if line else "empty"
        if rule:
            removed.append((rule, line))
            continue
        key = matching_form(line)
        if key == previous_key or (title_key and key == title_key):
            removed.append(("repeated_line", line))
            continue
        previous_key = key
        kept.append(line)
    body = "\n".join(kept)
    for name, pattern in rules.tail:
        match = pattern.search(body)
        if match:
            removed.append((name, match.group(0).strip()))
            body = body[: match.start()].rstrip()
    return Cleaned(body, removed)


def clean_title(title: str) -> str:
    """A headline without wire desk labels (`عام / `) and surrounding space."""
    title = " ".join(title.split())
    for _, pattern in _rules().title_prefix:
        title = pattern.sub("", title, count=1)
    return title

