"""scripts/join_decisions.py: the kinds of join decision on a gold day, teacher-forced."""
import dataclasses
import importlib.util
from pathlib import Path

import pytest

from .conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("join_decisions", ROOT / "scripts" / "join_decisions.py")
join_decisions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(join_decisions)

GOLD = ROOT / "eval" / "gold" / "snn-2015-08-01-aljazirah-alwatan.jsonl"


@pytest.mark.skipif(not (SHARED / "data" / "saudinewsnet").exists(), reason="../shared/data not beside the repo")
def test_each_gold_article_gets_one_kind_and_a_cut_above_one_joins_nothing():
    from rasd.cluster import default_model

    sl = join_decisions.Slice(GOLD)
    model = default_model()
    kinds = join_decisions.decisions(sl, model)
    assert set(kinds) <= set(join_decisions.KINDS)
    # every gold article is decided once, but a copy of one already in its story (1 of the 341 here)
    assert 0.9 * len(sl.gold) <= sum(kinds.values()) <= len(sl.gold)
    assert kinds["join ok"] > 5 * kinds["wrong story"] and kinds["new ok"] > 10 * kinds["false join"]
    never = dataclasses.replace(model, cut=1.01)  # no story passes: the joins become "under cut"
    held = join_decisions.decisions(sl, never)
    assert held["join ok"] == held["wrong story"] == held["false join"] == 0
    assert held["under cut"] == kinds["under cut"] + kinds["join ok"] + kinds["wrong story"]
    assert held["new ok"] == kinds["new ok"] + kinds["false join"]
    assert held["not near"] == kinds["not near"] and held["not candidate"] == kinds["not candidate"]
