"""CoNLL token files and entity scores as conlleval computes them.

A CoNLL file has one token per line (first whitespace-separated column; for gold, the BIO tag in the
last column) and a blank line between sentences. ANERcorp writes persons as `PERS`; it is read as
`PER`. Scores count exact spans: a predicted entity is correct only when its type, first and last
token all match a gold entity (conlleval semantics, including `I-X` after `O` opening an entity).
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

from .article import InputError

__all__ = ["ConllError", "decode", "read_blocks", "read_gold", "split_dev", "chunks", "score", "TAG"]

TAG = re.compile(r"^(?:O|[BI]-[A-Z]+)$")
_ALIASES = {"PERS": "PER"}


class ConllError(InputError):
    """A CoNLL file that cannot be read; the message names the file and line."""


def _tag(raw: str) -> str:
    if raw == "O":
        return raw
    prefix, kind = raw.split("-", 1)
    return f"{prefix}-{_ALIASES.get(kind, kind)}"


def decode(data: bytes, source: str) -> list[str]:
    """The lines of a UTF-8 CoNLL file (a BOM is dropped); an undecodable byte names its line."""
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ConllError(f"{source}:{line}: not UTF-8 text ({err.reason}); save the file as UTF-8") from None


def read_blocks(lines: Iterable[str]) -> Iterator[list[list[str]] | None]:
    """Sentences as lists of column lists, and `None` for each blank line, in file order."""
    sentence: list[list[str]] = []
    for line in lines:
        columns = line.split()
        if columns:
            sentence.append(columns)
            continue
        if sentence:
            yield sentence
            sentence = []
        yield None
    if sentence:
        yield sentence


def read_gold(lines: list[str], source: str) -> list[tuple[list[str], list[str]]]:
    """(tokens, gold tags) per sentence; the tag is the last column and must be `O`, `B-X` or `I-X`."""
    for lineno, line in enumerate(lines, start=1):
        columns = line.split()
        if columns and (len(columns) < 2 or not TAG.match(columns[-1])):
            raise ConllError(f"{source}:{lineno}: expected `token ... TAG` with TAG O, B-TYPE or I-TYPE, "
                             f"got {line.strip()!r}")
    return [([c[0] for c in block], [_tag(c[-1]) for c in block]) for block in read_blocks(lines) if block]


def split_dev(sentences: list, fraction: float = 0.1) -> tuple[list, list]:
    """(train, dev): dev is the last `fraction` of the sentences, in order (ANERcorp splits sequentially)."""
    cut = len(sentences) - round(len(sentences) * fraction)
    return sentences[:cut], sentences[cut:]


def chunks(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first token, end token exclusive) of each entity in a BIO tag sequence."""
    found = []
    start, kind = None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, this = tag.partition("-")
        opens = prefix == "B" or (prefix == "I" and this != kind)
        if start is not None and (prefix == "O" or opens):
            found.append((kind, start, i))
            start, kind = None, None
        if opens:
            start, kind = i, this
    return found


def _prf(correct: int, gold: int, predicted: int) -> dict:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold": gold, "predicted": predicted, "correct": correct}


def score(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """Per-type and micro precision/recall/F1 of predicted BIO tags against gold, by exact span."""
    counts: dict[str, list[int]] = {}
    tokens = right = 0
    for gold_tags, pred_tags in zip(gold, predicted, strict=True):
        tokens += len(gold_tags)
        right += sum(g == p for g, p in zip(gold_tags, pred_tags))
        gold_spans, pred_spans = set(chunks(gold_tags)), set(chunks(pred_tags))
        for spans, slot in ((gold_spans, 1), (pred_spans, 2)):
            for kind, _, _ in spans:
                counts.setdefault(kind, [0, 0, 0])[slot] += 1
        for kind, _, _ in gold_spans & pred_spans:
            counts[kind][0] += 1
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {
        "sentences": len(gold), "tokens": tokens, "accuracy": right / tokens if tokens else 0.0,
        "types": {kind: _prf(*counts[kind]) for kind in sorted(counts)},
        "micro": _prf(*total),
    }
