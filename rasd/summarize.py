"""Cited extractive summaries of a story: the main facts once, each sentence naming who says it.

A story is several outlets (and wire copies) telling one event, so most sentences are said several
times in different words. `summarize` splits every article's display text into sentences
(`split_sentences`, offsets into the display text), drops boilerplate (bylines, share prompts, wire
datelines), and scores each sentence with a logistic model (`data/summarize_model.json`, trained
on EASC topics by `scripts/train_summarize.py`) over

- position: ledes carry the event, so earlier sentences (of their article, of their paragraph) count more,
- centrality: cosine of its stem TF-IDF vector (`rasd.features` stems and idf) to the story centroid,
  to its article's first sentence, and to the other sentences,
- length: fragments and run-ons are pushed down,

plus, by hand, the share of the story's other articles (copies included) that state nearly the same.
Sentences are then picked greedily by maximal marginal relevance (`MMR_LAMBDA`), never taking two
sentences whose cosine is `DUPLICATE_SIM` or more, and printed in reading order (article date, then
position). Each sentence cites the article it is taken from plus every article (copies included)
that has a sentence at cosine `SUPPORT_SIM` or more with it. A story of hundreds of articles is read
from each article's first sentences only (`SENTENCE_BUDGET`), or its report takes seconds. Copies (`copy_of` set) are never the
source of a sentence: they only add support. The headline is the title closest to the centroid.

`lead` and `textrank` are the baselines `rasd eval summaries` scores rasd against.

Errors: `SummarizeError` (a `ValueError`) when the input has no article or no usable sentence.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import DATA_DIR
from .clean import boilerplate_rule
from .features import TIME_WORDS, stem_idf, stem_tokens
from .normalize import matching_form, tokens

__all__ = ["SummarizeError", "split_sentences", "summarize", "rank_sentences", "lead", "textrank",
           "DEFAULT_SENTENCES", "DUPLICATE_SIM", "SUPPORT_SIM"]

DEFAULT_SENTENCES = 5
MIN_SENTENCES, MAX_SENTENCES = 1, 30
DUPLICATE_SIM = 0.5  # two sentences at this cosine or more say the same thing: keep one
SUPPORT_SIM = 0.45  # an article "states" a sentence when one of its sentences is this close
MIN_WORDS = 4  # shorter "sentences" are labels, captions or datelines
# A story of hundreds of articles (an attack's aftermath: 300 on SaudiNewsNet) has thousands of sentences, and
# their pairwise similarities cost seconds: each article then gives its first SENTENCE_BUDGET / articles
# sentences (never fewer than MIN_PER_ARTICLE), where its news is. Stories under ~70 articles are untouched.
SENTENCE_BUDGET = 1000
MIN_PER_ARTICLE = 2
_CHARS_PER_SENTENCE = 1000  # a capped article is split this far per sentence it may give

# Sentence score: a logistic model over FEATURES learned from EASC by scripts/train_summarize.py
# (trained on topics only, cross-validated over topics; data/summarize_model.json), plus SUPPORT_WEIGHT
# times the share of other articles that state the sentence (EASC is single-document, so the
# support weight is set by hand: agreement across outlets is the multi-document signal).
FEATURES = ("inv_position", "rel_position", "centrality", "length", "too_long", "first", "sim_first", "degree",
            "paragraph_first", "paragraph_inv_position", "log_position", "position_capped", "top3")
SUPPORT_WEIGHT = 0.3
MMR_LAMBDA = 1.0  # cross-validation on EASC preferred pure scores; the DUPLICATE_SIM cut still applies


class SummarizeError(ValueError):
    """The articles given cannot be summarized (none, or nothing left but boilerplate)."""


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    data = json.loads((DATA_DIR / "summarize.json").read_text("utf-8"))
    agencies = "|".join(re.escape(a) for a in sorted(data["agencies"], key=len, reverse=True))
    return {
        "abbreviations": frozenset(data["abbreviations"]),
        "skip": [re.compile(p) for p in data["skip"]],
        "agency_end": re.compile(rf"[\s(\-–—/]*(?:{agencies})[\s)\-–—/]*$"),
    }


# A sentence ends at . ! ? ؟ … (with any closing quotes/brackets) followed by space, a letter or the
# end, or at a line break. A period between digits (2.5) is never an end.
_END = re.compile(r"[.!?؟…]+[\"'»”’)\]]*(?=\s|$|[^\W\d_])|\n")
_LAST_WORD = re.compile(r"([^\W_]+(?:\.[^\W_]+)*)\.$")
_TRIM = " \t\r\n\u00a0\u200f\u200e-–—•·*▪►■●"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of display `text`; `text[start:end]` is the sentence.

    Arabic news ends sentences with `.` `؟` `!` or a line break, sometimes with no space after the
    period (`التاسعة.فجاءت`). Abbreviations (`د.`) and decimals (`2.5`) do not end a sentence.
    Spans are trimmed of surrounding space and bullets.
    """
    abbreviations = _lexicon()["abbreviations"]
    spans, start = [], 0
    for match in _END.finditer(text):
        end = match.end()
        if match.group() != "\n":
            last = _LAST_WORD.search(text, start, match.start() + 1)
            if last and matching_form(last.group(1)) in abbreviations and end < len(text):
                continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s] in _TRIM:
            s += 1
        while e > s and text[e - 1] in " \t\r\n\u00a0":
            e -= 1
        if e > s and any(c.isalnum() for c in text[s:e]):
            out.append((s, e))
    return out


def _is_dateline(words: list[str]) -> bool:
    """`بريدة 25 شوال 1436 هـ الموافق 10 اغسطس 2015 م واس`: mostly date words, no news."""
    if len(words) > 16:
        return False
    datey = sum(1 for w in words if w.isdigit() or w in TIME_WORDS or w in {"م", "ه", "هـ"})
    return datey >= 3 and datey >= 0.4 * len(words)


def is_boilerplate(sentence: str) -> bool:
    """Bylines, share/follow prompts, photo credits, datelines and fragments are not summary material."""
    if boilerplate_rule(sentence):
        return True
    folded = matching_form(sentence)
    words = tokens(folded)
    if len(words) < MIN_WORDS or _is_dateline(words):
        return True
    lexicon = _lexicon()
    if len(words) <= 12 and lexicon["agency_end"].search(folded) and any(w.isdigit() for w in words):
        return True
    return any(p.search(folded) for p in lexicon["skip"])


@dataclass
class _Sentence:
    article: int  # index into the articles list
    position: int  # index among the article's kept sentences
    start: int
    end: int
    text: str
    words: int
    paragraph_start: bool  # first sentence of a line of the display text


def _vectors(texts: list[str]) -> np.ndarray:
    """Row-normalised stem TF-IDF vectors (dense; stories have at most a few thousand sentences)."""
    bags = [stem_tokens(t) for t in texts]
    vocab: dict[str, int] = {}
    for bag in bags:
        for stem in bag:
            vocab.setdefault(stem, len(vocab))
    matrix = np.zeros((len(texts), max(1, len(vocab))), dtype=np.float32)
    for row, bag in enumerate(bags):
        counts: dict[int, int] = {}
        for stem in bag:
            counts[vocab[stem]] = counts.get(vocab[stem], 0) + 1
        for stem in set(bag):
            col = vocab[stem]
            matrix[row, col] = (1.0 + math.log(counts[col])) * stem_idf(stem)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _candidates(articles: list[dict], per_article: int | None = None) -> list[_Sentence]:
    """The articles' kept sentences, at most `per_article` of each (its first), in order."""
    out = []
    for index, article in enumerate(articles):
        text = article["text"]
        # a capped article is split only as far as its first sentences can reach (a cut one is dropped)
        cut = len(text) if per_article is None else min(len(text), per_article * _CHARS_PER_SENTENCE)
        spans = split_sentences(text[:cut])
        if cut < len(text) and spans:
            spans.pop()
        position = 0
        for start, end in spans:
            if position == per_article:
                break
            sentence = text[start:end]
            if is_boilerplate(sentence):
                continue
            words = len(tokens(matching_form(sentence)))
            paragraph = start == 0 or "\n" in text[max(0, start - 3):start]
            out.append(_Sentence(index, position, start, end, sentence, words, paragraph))
            position += 1
    return out


def _check(articles: list[dict]) -> None:
    if not articles:
        raise SummarizeError("no articles to summarize")
    for n, article in enumerate(articles):
        if not isinstance(article, dict) or "id" not in article or not isinstance(article.get("text"), str):
            raise SummarizeError(f"article {n} needs an 'id' and a display 'text' string")


def sentence_features(sents: list[_Sentence], sims: np.ndarray, centrality: np.ndarray) -> np.ndarray:
    """One row of FEATURES per sentence; positions and paragraphs count within the sentence's article."""
    n = len(sents)
    counts: dict[int, int] = {}
    first: dict[int, int] = {}
    for k, s in enumerate(sents):
        counts[s.article] = counts.get(s.article, 0) + 1
        first.setdefault(s.article, k)
    degree = (sims.sum(axis=1) - 1.0) / max(1, n - 1)
    rows, in_paragraph = [], 0
    for k, s in enumerate(sents):
        in_paragraph = 0 if s.paragraph_start else in_paragraph + 1
        p = s.position
        rows.append([1.0 / (1.0 + p), p / counts[s.article], float(centrality[k]), min(s.words, 60) / 40.0,
                     float(s.words > 60), float(p == 0), float(sims[k, first[s.article]]), float(degree[k]),
                     float(s.paragraph_start), 1.0 / (1.0 + in_paragraph), math.log1p(p), min(p, 10) / 10.0,
                     float(p < 3)])
    return np.array(rows, dtype=np.float64).reshape(n, len(FEATURES))


@lru_cache(maxsize=1)
def load_model() -> dict:
    """The shipped sentence scorer: {"features", "weights", "bias", ...}."""
    path = DATA_DIR / "summarize_model.json"
    try:
        model = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise SummarizeError(f"cannot load the sentence scorer {path}: {err}; reinstall rasd or run "
                             "scripts/train_summarize.py") from None
    if tuple(model.get("features", ())) != FEATURES:
        raise SummarizeError(f"{path} was trained for features {model.get('features')}, rasd uses {list(FEATURES)}; "
                             "run scripts/train_summarize.py")
    return model


def _scores(sents: list[_Sentence], sims: np.ndarray, centrality: np.ndarray, support: np.ndarray, model: dict | None = None) -> np.ndarray:
    model = model or load_model()
    features = sentence_features(sents, sims, centrality)
    learned = 1.0 / (1.0 + np.exp(-(features @ np.array(model["weights"]) + model["bias"])))
    return learned + SUPPORT_WEIGHT * support


def _select(scores: np.ndarray, sims: np.ndarray, eligible: np.ndarray, limit: int | None,
            budget: int | None = None, words: list[int] | None = None) -> list[int]:
    """Greedy MMR: best score minus redundancy with what is already picked; near-duplicates never."""
    picked: list[int] = []
    total = 0
    available = eligible.copy()
    while available.any():
        if limit is not None and len(picked) >= limit:
            break
        if budget is not None and total >= budget:
            break
        redundancy = sims[:, picked].max(axis=1) if picked else np.zeros(len(scores))
        mmr = MMR_LAMBDA * scores - (1 - MMR_LAMBDA) * redundancy
        mmr[~available] = -np.inf
        best = int(np.argmax(mmr))
        picked.append(best)
        total += words[best] if words else 0
        available &= sims[best] < DUPLICATE_SIM
        available[best] = False
    return picked


def single_document(text: str) -> tuple[list[_Sentence], np.ndarray, np.ndarray]:
    """Candidate sentences of one text, their cosine matrix and their centrality."""
    sents = _candidates([{"id": "doc", "text": text}])
    vectors = _vectors([s.text for s in sents])
    sims = vectors @ vectors.T
    doc = vectors.sum(axis=0)
    return sents, sims, vectors @ (doc / (np.linalg.norm(doc) or 1.0))


def rank_sentences(text: str, limit: int | None = None, budget: int | None = None,
                   model: dict | None = None) -> list[tuple[int, int]]:
    """rasd's single-document pick, in pick order: spans of `text` (at most `limit` sentences or
    until `budget` words are reached). Used by the EASC evaluation."""
    sents, sims, centrality = single_document(text)
    if not sents:
        return []
    scores = _scores(sents, sims, centrality, np.zeros(len(sents)), model)
    picked = _select(scores, sims, np.ones(len(sents), dtype=bool), limit, budget, [s.words for s in sents])
    return [(sents[i].start, sents[i].end) for i in picked]


def lead(text: str, limit: int | None = 3, budget: int | None = None) -> list[tuple[int, int]]:
    """LEAD baseline: the first sentences, in order (the first 3 by default)."""
    spans = [(s, e) for s, e in split_sentences(text) if tokens(matching_form(text[s:e]))]
    return _take(text, spans, limit, budget)


def _take(text: str, ordered: list[tuple[int, int]], limit: int | None, budget: int | None) -> list[tuple[int, int]]:
    out, total = [], 0
    for span in ordered:
        if (limit is not None and len(out) >= limit) or (budget is not None and total >= budget):
            break
        out.append(span)
        total += len(tokens(matching_form(text[span[0]:span[1]])))
    return out


def textrank(text: str, limit: int | None = 3, budget: int | None = None, damping: float = 0.85) -> list[tuple[int, int]]:
    """TextRank baseline (Mihalcea & Tarau 2004): PageRank over sentences linked by shared stems,
    similarity |Si ∩ Sj| / (log|Si| + log|Sj|); sentences in rank order."""
    spans = [(s, e) for s, e in split_sentences(text) if tokens(matching_form(text[s:e]))]
    if not spans:
        return []
    bags = [set(stem_tokens(text[s:e])) for s, e in spans]
    n = len(spans)
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(bags[i] & bags[j])
            if shared and len(bags[i]) > 1 and len(bags[j]) > 1:
                weights[i, j] = weights[j, i] = shared / (math.log(len(bags[i])) + math.log(len(bags[j])))
    out_sum = weights.sum(axis=1, keepdims=True)
    out_sum[out_sum == 0] = 1.0
    transition = (weights / out_sum).T
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        new = (1 - damping) / n + damping * transition @ rank
        if np.abs(new - rank).sum() < 1e-8:
            rank = new
            break
        rank = new
    order = sorted(range(n), key=lambda i: (-rank[i], i))
    return _take(text, [spans[i] for i in order], limit, budget)


def summarize(articles: list[dict], sentences: int = DEFAULT_SENTENCES) -> dict:
    """The cited extractive summary of one story (or of one article).

    `articles`: dicts with "id", "title", "text" (display text), "source", "published" and optionally
    "copy_of". Returns {"headline", "headline_article", "sentences": [{"text", "article_id", "start",
    "end", "article_ids"}]}, sentences in reading order, offsets into that article's "text".
    """
    if not isinstance(sentences, int) or not MIN_SENTENCES <= sentences <= MAX_SENTENCES:
        raise SummarizeError(f"sentences must be a whole number from {MIN_SENTENCES} to {MAX_SENTENCES}, not {sentences!r}")
    _check(articles)
    sents = _candidates(articles, max(MIN_PER_ARTICLE, SENTENCE_BUDGET // len(articles)))
    originals = [i for i, a in enumerate(articles) if not a.get("copy_of")] or list(range(len(articles)))
    source_ok = set(originals)
    eligible = np.array([s.article in source_ok for s in sents], dtype=bool)
    if not eligible.any():
        names = ", ".join(str(a["id"]) for a in articles[:5])
        raise SummarizeError(f"nothing to summarize in {len(articles)} article(s) ({names}): "
                             "no sentence is left after removing boilerplate")
    titles = [(i, a.get("title") or "") for i, a in enumerate(articles) if (a.get("title") or "").strip()]
    vectors = _vectors([s.text for s in sents] + [t for _, t in titles])
    sent_vecs, title_vecs = vectors[: len(sents)], vectors[len(sents):]
    sims = sent_vecs @ sent_vecs.T

    # Each original article weighs the same in the centroid, however long it is.
    by_article = np.array([s.article for s in sents])
    centroid = np.zeros(vectors.shape[1], dtype=np.float32)
    for index in originals:
        rows = sent_vecs[by_article == index]
        if len(rows):
            doc = rows.sum(axis=0)
            centroid += doc / (np.linalg.norm(doc) or 1.0)
    centroid /= np.linalg.norm(centroid) or 1.0
    centrality = sent_vecs @ centroid

    # Support: which articles (copies too) have a sentence close to each sentence.
    stating = _stating(sims, by_article, len(articles))
    others = max(1, len(articles) - 1)
    support = np.array([(len(stating[i]) - 1) / others for i in range(len(sents))])

    scores = _scores(sents, sims, centrality, support)
    picked = _select(scores, sims, eligible, sentences)
    order = sorted(picked, key=lambda i: (_date_key(articles[sents[i].article]), sents[i].article, sents[i].start))
    out = []
    for i in order:
        s = sents[i]
        cited = sorted(stating[i] - {s.article}, key=lambda a: (_date_key(articles[a]), a))
        out.append({"text": s.text, "article_id": articles[s.article]["id"], "start": s.start, "end": s.end,
                    "article_ids": [articles[s.article]["id"]] + [articles[a]["id"] for a in cited]})
    headline, headline_article = _pick_headline(articles, titles, title_vecs, centroid, out)
    return {"headline": headline, "headline_article": headline_article, "sentences": out}


def _stating(sims: np.ndarray, by_article: np.ndarray, count: int) -> list[set[int]]:
    """For each sentence, the set of articles with a sentence at SUPPORT_SIM or more (its own included)."""
    close = sims >= SUPPORT_SIM
    out = []
    for i in range(len(sims)):
        out.append(set(by_article[close[i]].tolist()) | {int(by_article[i])})
    return out


def _date_key(article: dict) -> str:
    return str(article.get("published") or "9999")


def _pick_headline(articles, titles, title_vecs, centroid, picked) -> tuple[str, object]:
    """The title closest to the story centroid (ties: the one most other titles agree with)."""
    if not titles:
        first = picked[0]
        return first["text"], first["article_id"]
    closeness = title_vecs @ centroid
    agreement = (title_vecs @ title_vecs.T >= DUPLICATE_SIM).sum(axis=1)
    original = np.array([0.0 if articles[i].get("copy_of") else 0.01 for i, _ in titles])
    best = int(np.argmax(closeness + 0.01 * agreement + original))
    index, title = titles[best]
    return title, articles[index]["id"]
