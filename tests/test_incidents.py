"""Incident keys: reactions to one happening (the Abha mosque bombing, SaudiNewsNet 2015-08-09) meet."""
from __future__ import annotations

import json
import re
import zipfile

import pytest

from rasd import incidents
from rasd.cluster import StoryEngine, place_stems
from rasd.features import article_features
from rasd.incidents import HOT_COUNT, IncidentCounts, incident_keys

from .conftest import SHARED, place_records

DAY = SHARED / "data" / "saudinewsnet" / "2015-08-09.zip"


def _keys(title: str, text: str) -> set[tuple[str, str]]:
    return set(incident_keys(article_features(title, text, None).lede, place_stems()))


def test_incident_keys_pair_the_happening_with_where_it_happened():
    turkey = _keys("تركيا تدين التفجير الإرهابي الذي   استهدف مسجد قوات الطوارئ",
                   "أعربت تركيا عن إدانتها للتفجير الإرهابي الذي استهدف مسجد قوات الطوارئ بمدينة أبها، "
                   "وأسفر عن سقوط عدد من الشهداء والجرحى.")
    visit = _keys("أمين عسير يزور رجال الأمن المصابين في التفجير الإرهابي",
                  "زار أمين منطقة عسير رجال الأمن المصابين في التفجير الإرهابي الذي استهدف مسجد قوات الطوارئ")
    assert turkey & visit  # the bombing of the mosque: both name it
    assert {where for _, where in turkey} >= {"مسجد"} and len({kind for kind, _ in turkey}) >= 1
    # a traffic accident, a match and an incident word with no place or site carry no key
    assert not _keys("وفاة شخصين في حادث مروري", "توفي شخصان وأصيب ثلاثة في حادث مروري على طريق الرياض")
    assert not _keys("النصر يفوز على الهلال", "فاز فريق النصر على الهلال في مباراة السوبر في لندن")
    assert not _keys("هجوم على الحكومة", "شن نواب هجوما على الحكومة بسبب الموازنة")


def test_a_key_is_hot_after_enough_articles_within_a_day():
    counts, key = IncidentCounts(), frozenset({("تفجير", "عسير")})
    day = 16656.0  # 2015-08-09
    for rowid in range(1, HOT_COUNT):
        counts.observe(rowid, key, day + rowid / 100)
    counts.observe(1, key, day)  # the same article again (a restart reloading it) counts once
    assert not counts.hot(key, day + 0.5)
    counts.observe(HOT_COUNT, key, day - 1.0)  # the day before is within the window
    assert counts.hot(key, day + 0.5) == key
    assert not counts.hot(key, day + 3.0)  # three days on, the key has gone cold
    assert counts.hot(key, None) == key  # an undated article is compared with every day


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_condemnations_of_one_bombing_join_through_its_incident_key(monkeypatch):
    """14 headlines of 2015-08-09 from six outlets condemning the Asir bombing or visiting its injured:
    with incident keys they fall into fewer stories, and the joins say which key they shared."""
    with zipfile.ZipFile(DAY) as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    reacting = re.compile("يدين|يستنكر|تستنكر|تدين|يزور|يدينون|يستنكرون")
    seen, chosen = set(), []
    for r in records:
        if "عسير" in r["title"] and reacting.search(r["title"]) and r["url"] not in seen:
            seen.add(r["url"])
            chosen.append(r)
    assert len(chosen) >= 10

    def run() -> tuple[int, list[dict]]:
        placed = place_records(StoryEngine(), chosen)
        return len({story for story, _, _ in placed}), [decision.reason for _, decision, _ in placed]

    with_keys, reasons = run()
    joined = [r for r in reasons if "incident" in r]
    assert joined and all(r["decision"] == "joined" for r in joined)
    assert any("عسير" in r["incident"] or "مسجد" in r["incident"] for r in joined)
    monkeypatch.setattr(incidents, "HOT_COUNT", 10_000)  # no key is ever hot
    without, reasons = run()
    assert not any("incident" in r for r in reasons)
    assert with_keys < without
