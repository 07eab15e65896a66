"""Scores of rasd's story clustering against hand-made gold: B-cubed and pairwise precision/recall/F1.

Gold is JSONL, one `{"id": ..., "story": ...}` per line. Only articles present in both the gold and
the database are scored (the command reports how many gold ids were missing). B-cubed follows
Bagga & Baldwin 1998 (per-item precision/recall averaged over items); pairwise counts same-story pairs.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .article import InputError

__all__ = ["bcubed", "pairwise", "load_gold", "score_stories"]


def load_gold(path: str | Path) -> dict[str, str]:
    """{article id: gold story label}; raises InputError naming the line that is wrong."""
    gold: dict[str, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read gold file: {err}") from None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            article_id, story = str(record["id"]), str(record["story"])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise InputError(f"{path}:{lineno}: expected {{\"id\": ..., \"story\": ...}} ({err})") from None
        gold[article_id] = story
    if not gold:
        raise InputError(f"{path}: no gold lines")
    return gold


def _clusters(labels: dict[str, object]) -> dict[object, set[str]]:
    out: dict[object, set[str]] = defaultdict(set)
    for item, label in labels.items():
        out[label].add(item)
    return out


def bcubed(predicted: dict[str, object], gold: dict[str, object]) -> dict[str, float]:
    items = [i for i in gold if i in predicted]
    if not items:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    pred_c = _clusters({i: predicted[i] for i in items})
    gold_c = _clusters({i: gold[i] for i in items})
    precision = recall = 0.0
    for item in items:
        mine, truth = pred_c[predicted[item]], gold_c[gold[item]]
        overlap = len(mine & truth)
        precision += overlap / len(mine)
        recall += overlap / len(truth)
    precision, recall = precision / len(items), recall / len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def pairwise(predicted: dict[str, object], gold: dict[str, object]) -> dict[str, float]:
    items = [i for i in gold if i in predicted]

    def pairs(labels: dict[str, object]) -> set[tuple[str, str]]:
        out = set()
        for members in _clusters({i: labels[i] for i in items}).values():
            ordered = sorted(members)
            out.update((a, b) for n, a in enumerate(ordered) for b in ordered[n + 1:])
        return out

    pred_pairs, gold_pairs = pairs(predicted), pairs(gold)
    tp = len(pred_pairs & gold_pairs)
    precision = tp / len(pred_pairs) if pred_pairs else 1.0
    recall = tp / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def score_stories(predicted: dict[str, object], gold: dict[str, str]) -> dict:
    """The evaluation report: B-cubed, pairwise, and how much of the gold was scored."""
    scored = [i for i in gold if i in predicted]
    return {
        "gold_articles": len(gold), "scored": len(scored), "missing": len(gold) - len(scored),
        "gold_stories": len(set(gold[i] for i in scored)),
        "predicted_stories": len(set(predicted[i] for i in scored)),
        "bcubed": bcubed(predicted, gold), "pairwise": pairwise(predicted, gold),
    }
