"""Full-text search over articles and stories: spelling-tolerant, ranked by BM25 and recency.

Each article is indexed (table `search_fts`, schema migration 4) under three keys per word, in a
title and a body column each:

* the **word** in matching form (`الأعرجي` and `الاعرجي`, `الدولى` and `الدولي` meet);
* its snowball **stem** after stripping the article/clitic prefix (`المساعدة` and `والمساعدة` meet);
* its consonant **skeleton** (`rasd.features.skeleton`), so transliterations of one name meet:
  `برينان` and `برنين` both become `برنن`. Skeletons shorter than 3 letters are not kept (too many
  words share them).

A query word matches a document when any of its three keys does; all query words must match (when
none does, any may, and the result says `"match": "any"`). The query is never handed to FTS5 as
written: it is cut into words and each key is quoted, so FTS5 syntax (`"`, `*`, `NEAR(`, `AND`,
`-`, `:`, `^`) and junk are just text. Stopwords are dropped; a query of stopwords only finds nothing.

Score (higher is better)::

    relevance = -bm25(search_fts, 6, 2, 3, 1, 1.5, 0.5)   # word > stem > skeleton; title > body
    score     = relevance * (1 + 0.5 / (1 + age_days / 30))

where `age_days` is how much older the article is than the newest dated article in the database
(archives are searched long after the fact, so "now" is the archive's newest day, not the clock).
A fresh article gets up to 1.5x, one a month older 1.25x; undated articles get no boost.

Snippets and highlights are in DISPLAY text: the article's words are re-read from `articles.text`
with their offsets and keyed the same way, so `text[start:end]` is the word as written.

Errors: `SearchError` (a `ValueError`) names the bad input: empty query, bad date, bad limit, an
entity filter on a database without entity annotations.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from .features import STOPWORDS, skeleton
from .normalize import STEM_LETTER_MAP, arabic_stemmer, fold_digits, fold_punctuation, fold_stem_letters, strip_marks, word_cache

if TYPE_CHECKING:
    from .store import Store

__all__ = ["SearchError", "search", "check_date", "entity_ids", "snippet", "matched_spans", "index_columns",
           "query_terms", "match_expression", "Term", "WEIGHTS", "RECENCY_BOOST", "RECENCY_DAYS"]

# bm25 column weights, in the column order of `search_fts`.
WEIGHTS = (6.0, 2.0, 3.0, 1.0, 1.5, 0.5)  # title, body, title_stem, body_stem, title_skel, body_skel
RECENCY_BOOST = 0.5
RECENCY_DAYS = 30.0
MAX_TERMS = 12  # words of a query that are used; the rest of a pasted page is ignored
MAX_QUERY_CHARS = 2000
SNIPPET_CHARS = 220
_SCAN_CHARS = 20000  # how far into an article snippets look for matches

_STEM_MAP = str.maketrans(STEM_LETTER_MAP)
_TEH = str.maketrans({"ة": "ه", "ۃ": "ه"})
_WORD = re.compile(r"[^\W_]+")
# A display word: letters/digits with any diacritics and tatweel inside it.
_WORD_CHAR = "(?:[^\\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])"
_DISPLAY_WORD = re.compile(_WORD_CHAR + "+")
_CLITIC = re.compile(r"^(?:وال|فال|بال|كال|ولل|فلل|لل|ال)(?=\w{3,})")
_STOP = frozenset(w.translate(_STEM_MAP).translate(_TEH).casefold() for w in STOPWORDS)


class SearchError(ValueError):
    """A search request that cannot be run; the message names the input and the reason."""


# The three index keys of one query word: (word, stem, skeleton or None).
Term = tuple[str, str, "str | None"]


def _light(text: str) -> str:
    """Marks, digits and punctuation folded, letters left for the stemmer (it reads `ة`)."""
    return fold_stem_letters(fold_punctuation(fold_digits(strip_marks(unicodedata.normalize("NFKC", text))))).casefold()


@word_cache(300_000)
def word_keys(light_word: str) -> tuple[str, str, str | None] | None:
    """(word, stem, skeleton) of one lightly folded word, or None for a stopword."""
    word = light_word.translate(_TEH)
    if word in _STOP:
        return None
    bare = _CLITIC.sub("", light_word)
    stem = arabic_stemmer().stemWord(bare).translate(_TEH) if not bare.isdigit() else bare
    skel = None
    bare_folded = bare.translate(_TEH)
    if bare_folded.isalpha():
        skel = skeleton(bare_folded)
        if len(skel) < 3:
            skel = None
    return word, stem or word, skel


def _keys_of(text: str) -> list[tuple[str, str, str | None]]:
    return list(filter(None, map(word_keys, _WORD.findall(_light(text)))))  # stopwords (None) dropped, in C


def _key_columns(keys: list[tuple[str, str, str | None]]) -> tuple[str, str, str]:
    """Words, stems and skeletons (the short ones left out), each space-separated."""
    if not keys:
        return "", "", ""
    words, stems, skeletons = zip(*keys)
    return " ".join(words), " ".join(stems), " ".join(filter(None, skeletons))


def index_columns(title: str, text: str) -> tuple[str, str, str, str, str, str]:
    """The six `search_fts` column values of one article (space-separated keys)."""
    (tw, ts, tk), (bw, bs, bk) = _key_columns(_keys_of(title)), _key_columns(_keys_of(text))
    return tw, bw, ts, bs, tk, bk


def query_terms(query: str) -> list[Term]:
    """The distinct query words' keys, stopwords dropped, at most `MAX_TERMS`."""
    seen, terms = set(), []
    for keys in _keys_of(query[:MAX_QUERY_CHARS]):
        if keys[0] in seen:
            continue
        seen.add(keys[0])
        terms.append(keys)
        if len(terms) == MAX_TERMS:
            break
    return terms


def _quote(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


def _term_match(term: Term) -> str:
    parts = [f"{{title body}} : {_quote(term[0])}", f"{{title_stem body_stem}} : {_quote(term[1])}"]
    if term[2]:
        parts.append(f"{{title_skel body_skel}} : {_quote(term[2])}")
    return "(" + " OR ".join(parts) + ")"


def match_expression(terms: list[Term], every: bool = True) -> str:
    """The FTS5 MATCH string for `terms`: every key quoted, so no user text is FTS syntax."""
    return (" AND " if every else " OR ").join(_term_match(t) for t in terms)


def check_date(name: str, value: str | None) -> str | None:
    """`value` when it is an ISO date or datetime (or None); else a SearchError naming `name`."""
    if value is None or value == "":
        return None
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        raise SearchError(f"{name} {value!r} is not an ISO date; use YYYY-MM-DD") from None
    return str(value)


def _check_paging(limit: int, offset: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= 500:
        raise SearchError(f"limit {limit!r} must be a whole number from 1 to 500")
    if not isinstance(offset, int) or offset < 0:
        raise SearchError(f"offset {offset!r} must be a whole number, 0 or more")


# -- snippets -------------------------------------------------------------------------------------
def matched_spans(text: str, terms: list[Term], scan: int = _SCAN_CHARS) -> list[tuple[int, int, int]]:
    """(start, end, term index) of every display word of `text` that matches a query term.

    Each distinct word is keyed once; the matching ones are then found in one regex pass.
    """
    lookups = ({t[0]: i for i, t in enumerate(terms)}, {t[1]: i for i, t in enumerate(terms)},
               {t[2]: i for i, t in enumerate(terms) if t[2]})
    window = text[:scan]
    found = {}
    for token in set(_DISPLAY_WORD.findall(window)):
        hit = _term_of(token, lookups)
        if hit is not None:
            found[token] = hit
    if not found:
        return []
    words = "|".join(re.escape(t) for t in sorted(found, key=len, reverse=True))
    pattern = re.compile(f"(?<!{_WORD_CHAR})(?:{words})(?!{_WORD_CHAR})")
    return [(m.start(), m.end(), found[m.group()]) for m in pattern.finditer(window)]


def _term_of(token: str, lookups: tuple[dict, dict, dict]) -> int | None:
    """Index of the query term a display token matches by word, stem or skeleton, or None."""
    by_word, by_stem, by_skel = lookups
    for keys in _display_keys(token):
        hit = by_word.get(keys[0])
        if hit is None:
            hit = by_stem.get(keys[1])
        if hit is None and keys[2]:
            hit = by_skel.get(keys[2])
        if hit is not None:
            return hit
    return None


@word_cache(300_000)
def _display_keys(token: str) -> tuple[tuple[str, str, str | None], ...]:
    """The keys of the words in one display token (usually one; NFKC can split ligatures)."""
    return tuple(_keys_of(token))


def _window(spans: list[tuple[int, int, int]], size: int) -> int:
    """Start of the `size`-character window that covers the most distinct terms (earliest wins)."""
    best, best_start = -1, 0
    spans = spans[:200]  # a word repeated hundreds of times: the first ones are as good a place
    for i, (start, _, _) in enumerate(spans):
        covered = {term for s, e, term in spans[i:] if e <= start + size}
        if len(covered) > best:
            best, best_start = len(covered), start
    return best_start


def snippet(text: str, terms: list[Term], size: int = SNIPPET_CHARS) -> tuple[str, list[list[int]]]:
    """An excerpt of display `text` around its best matches, and the matched words' [start, end] in it."""
    spans = matched_spans(text, terms)
    start = 0
    if spans:
        anchor = _window(spans, size)
        start = max(0, anchor - size // 5)
        if start:  # begin at a word boundary
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start + size // 2, end)
        end = space if space > 0 else end
    prefix = "…" if start > 0 else ""
    body = re.sub(r"\s", " ", text[start:end])
    shift = len(prefix) - start
    marks = [[s + shift, e + shift] for s, e, _ in spans if s >= start and e <= end]
    return prefix + body + ("…" if end < len(text) else ""), marks


# -- the search -----------------------------------------------------------------------------------
def search(store: "Store", query: str, *, source: str | None = None, since: str | None = None,
           until: str | None = None, entity: str | None = None, story: int | None = None,
           limit: int = 20, offset: int = 0) -> dict:
    """Articles matching `query` (best first, paged) and the stories they belong to."""
    if not isinstance(query, str) or not query.strip():
        raise SearchError("query is empty; give at least one word to search for")
    since, until = check_date("since", since), check_date("until", until)
    if since and until and since[:10] > until[:10]:  # else "no articles match", as if the words were wrong
        raise SearchError(f"since {since} is after until {until}: no article can be published in between")
    _check_paging(limit, offset)
    filters = {"source": source or None, "since": since, "until": until, "story": story,
               "entities": entity_ids(store, entity) if entity else None}
    result = {"query": query, "total": 0, "limit": limit, "offset": offset, "match": "all",
              "results": [], "stories": []}
    terms = query_terms(query)
    if not terms:
        return result
    hits = store.search_index(match_expression(terms), WEIGHTS, RECENCY_BOOST, RECENCY_DAYS, **filters)
    if not hits and len(terms) > 1:
        hits = store.search_index(match_expression(terms, every=False), WEIGHTS, RECENCY_BOOST, RECENCY_DAYS, **filters)
        result["match"] = "any"
    result["total"] = len(hits)
    page = hits[offset:offset + limit]
    rows = store.articles_by_rowid([h[0] for h in page])
    for rowid, story_id, score in page:
        row = rows[rowid]
        text, marks = snippet(row["text"], terms)
        result["results"].append({
            "id": row["id"], "story_id": story_id, "title": row["title"], "source": row["source"],
            "published": row["published"], "score": round(score, 4), "snippet": text, "highlights": marks,
            "title_highlights": [[s, e] for s, e, _ in matched_spans(row["title"], terms)],
        })
    result["stories"] = _stories_of(store, hits)
    return result


def _stories_of(store: "Store", hits: list[tuple[int, int | None, float]], keep: int = 10) -> list[dict]:
    """The stories of all hits, ranked by their best hit, then by how many hits they have."""
    best: dict[int, float] = {}
    count: dict[int, int] = {}
    for _, story_id, score in hits:
        if story_id is None:
            continue
        count[story_id] = count.get(story_id, 0) + 1
        best.setdefault(story_id, score)  # hits come best first
    ranked = sorted(best, key=lambda s: (-best[s], -count[s], s))[:keep]
    info = store.story_rows(ranked)
    return [{"id": s, "title": info[s]["title"], "size": info[s]["size"], "hits": count[s]}
            for s in ranked if s in info]


def entity_ids(store: "Store", entity: str | int) -> list[int]:
    """The entities an `--entity` value names: an id, or every entity a spelling may be (`rasd.entities`)."""
    if not store.has_entity_annotations():
        raise SearchError(f"entity filter needs entity annotations: {store.path} has no entity mentions "
                          f"(articles ingested before rasd annotated entities have none; ingest them again)")
    text = str(entity).strip()
    if text.isdigit():
        return [int(text)]
    from .entities import find_entities

    ids = find_entities(store, text)
    if not ids:
        raise SearchError(f"entity {text!r} is not in {store.path}; list entities with `rasd entities`")
    return ids
