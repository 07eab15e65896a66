"""ROUGE on Arabic, and the EASC evaluation of rasd's summaries against LEAD and TextRank.

`rouge-score`'s default tokenizer keeps only [a-z0-9] and so drops every Arabic word; here it gets
an Arabic tokenizer: words of the matching form (`rasd.normalize`: alef/yeh/teh-marbuta folded,
diacritics dropped), optionally snowball-stemmed (PyStemmer `arabic`). The human EASC extracts
are themselves folded (`الاعظم` for `الأعظم`), so folding is needed for a fair match.

EASC (`TopicN/Articles/*.txt` + `TopicN/MTurk/*`, five human extracts per article) is read with
`rasd.decode` (UTF-8 with or without BOM, UTF-16, Windows-1256). Policy, the same for every system:

- length: by default a word budget per article, the mean word count of its human extracts; each
  system adds sentences in its own order until it reaches the budget and the scored text is cut at
  the budget (ROUGE-1.5.5 `-l`); picked sentences are shown in reading order. With `sentences=N`, every system gives exactly N sentences, uncut.
- references: each summary is scored against each of the 5 extracts and the 5 scores are averaged
  (not the max); topic scores are averaged over articles (macro average).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from statistics import mean

from .article import InputError
from .decode import decode_bytes
from .normalize import matching_form, tokens

__all__ = ["ArabicTokenizer", "EascArticle", "load_easc", "rouge_scores", "evaluate_summaries", "SYSTEMS",
           "ROUGE_TYPES"]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
SYSTEMS = ("rasd", "lead", "textrank")


class ArabicTokenizer:
    """rouge-score tokenizer: folded Arabic words (and digits), snowball-stemmed when `stem`."""

    def __init__(self, stem: bool = False):
        self.stem = stem
        self._stemmer = None
        if stem:
            import Stemmer

            self._stemmer = Stemmer.Stemmer("arabic")

    def tokenize(self, text: str) -> list[str]:
        words = tokens(matching_form(text))
        return self._stemmer.stemWords(words) if self._stemmer else words


@lru_cache(maxsize=2)
def _scorer(stem: bool):
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=ArabicTokenizer(stem))


def rouge_scores(summary: str, references: list[str], stem: bool = False) -> dict[str, dict[str, float]]:
    """ROUGE-1/2/L precision, recall and F1 of `summary`, averaged over `references`."""
    scorer = _scorer(stem)
    per_ref = [scorer.score(ref, summary) for ref in references]
    return {kind: {"precision": mean(s[kind].precision for s in per_ref),
                   "recall": mean(s[kind].recall for s in per_ref),
                   "f1": mean(s[kind].fmeasure for s in per_ref)} for kind in ROUGE_TYPES}


@dataclass
class EascArticle:
    topic: str
    name: str
    text: str
    references: list[str]

    @property
    def budget(self) -> int:
        """Mean word count of the human extracts: the length every system is held to."""
        return round(mean(len(tokens(matching_form(r))) for r in self.references))


def _read(path: Path) -> str:
    try:
        return decode_bytes(path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n")
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    except InputError as err:
        raise InputError(f"{path}: {err}") from None


def load_easc(directory: str | Path) -> list[EascArticle]:
    """Every article of an EASC-shaped folder with its human extracts; InputError says what is missing."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory (expected EASC's TopicN/Articles and TopicN/MTurk folders)")
    topics = sorted((p for p in root.iterdir() if p.is_dir() and (p / "Articles").is_dir()), key=lambda p: p.name)
    if not topics:
        raise InputError(f"{root}: no TopicN/Articles folders; point at the EASC root folder")
    out = []
    for topic in topics:
        refs_dir = topic / "MTurk"
        refs = [_read(p) for p in sorted(refs_dir.iterdir()) if p.is_file()] if refs_dir.is_dir() else []
        refs = [r for r in refs if tokens(matching_form(r))]
        if not refs:
            raise InputError(f"{topic}: no human extracts in {refs_dir.name}/")
        for path in sorted(p for p in (topic / "Articles").iterdir() if p.is_file() and not p.name.startswith(".")):
            text = _read(path).strip()
            if not tokens(matching_form(text)):
                raise InputError(f"{path}: article is empty")
            out.append(EascArticle(topic.name, path.name, text, refs))
    return out


def system_summary(system: str, article: EascArticle, sentences: int | None = None, model: dict | None = None) -> str:
    """The text `system` extracts from the article under the length policy of the module docstring
    (`model`: a sentence scorer for rasd other than the shipped one, for training)."""
    from .summarize import lead, rank_sentences, textrank

    limit, budget = (sentences, None) if sentences else (None, article.budget)
    if system == "rasd":
        spans = rank_sentences(article.text, limit=limit, budget=budget, model=model)
    else:
        spans = {"lead": lead, "textrank": textrank}[system](article.text, limit=limit, budget=budget)
    spans = sorted(spans)  # shown in reading order
    text = " ".join(article.text[s:e] for s, e in spans)  # shown in reading order
    if budget is not None:
        words = text.split()
        kept, count = [], 0
        for word in words:  # cut at the budget counted in scorer tokens
            count += len(tokens(matching_form(word)))
            if count > budget:
                break
            kept.append(word)
        text = " ".join(kept)
    return text


def evaluate_summaries(articles: list[EascArticle], sentences: int | None = None, stem: bool = False) -> dict:
    """Mean ROUGE-1/2/L (P/R/F1) of rasd, LEAD and TextRank over `articles`."""
    totals: dict[str, list[dict]] = {name: [] for name in SYSTEMS}
    per_article = []
    for article in articles:
        row = {"topic": article.topic, "article": article.name}
        for name in SYSTEMS:
            scores = rouge_scores(system_summary(name, article, sentences), article.references, stem)
            totals[name].append(scores)
            row[name] = {k: round(v["f1"], 4) for k, v in scores.items()}
        per_article.append(row)
    systems = {name: {kind: {m: round(mean(s[kind][m] for s in rows), 4) for m in ("precision", "recall", "f1")}
                      for kind in ROUGE_TYPES} for name, rows in totals.items()}
    return {
        "articles": len(articles), "topics": len({a.topic for a in articles}),
        "length": f"{sentences} sentences" if sentences else "word budget = mean length of the human extracts",
        "references": "mean of per-reference scores", "tokens": "folded words" + (", snowball-stemmed" if stem else ""),
        "systems": systems, "per_article": per_article,
    }
