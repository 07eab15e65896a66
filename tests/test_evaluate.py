import pytest

from rasd.evaluate import bcubed, pairwise, score_stories


def test_evaluate_perfect_and_all_in_one():
    gold = {"a": 1, "b": 1, "c": 2, "d": 3}
    assert bcubed(gold, gold)["f1"] == 1.0 and pairwise(gold, gold)["f1"] == 1.0
    lumped = bcubed({k: 0 for k in gold}, gold)
    assert lumped["recall"] == 1.0
    # precision: a,b -> 2/4 each; c,d -> 1/4 each
    assert lumped["precision"] == pytest.approx((0.5 + 0.5 + 0.25 + 0.25) / 4)


def test_evaluate_split_story_hurts_recall_only():
    gold = {"a": "x", "b": "x", "c": "x", "d": "y"}
    pred = {"a": 1, "b": 1, "c": 2, "d": 3}
    b = bcubed(pred, gold)
    assert b["precision"] == 1.0
    assert b["recall"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    p = pairwise(pred, gold)
    assert p["precision"] == 1.0 and p["recall"] == pytest.approx(1 / 3)


def test_evaluate_reports_missing_ids():
    result = score_stories({"a": 1}, {"a": "x", "b": "y"})
    assert result["scored"] == 1 and result["missing"] == 1
