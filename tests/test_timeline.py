"""Per-story timelines on the five seeds (one story, five outlets, 2021 → 2025) and on SaudiNewsNet excerpts."""
from datetime import date

import pytest

from rasd.ingest import read_paths
from rasd.timeline import EVENT_WORDS, build_timeline
from rasd.timex import find_times

from .conftest import SEEDS


@pytest.fixture(scope="module")
def seed_articles() -> list[dict]:
    return [{"id": a.id, "text": a.text, "title": a.title, "source": f"outlet-{a.id[:3]}", "published": a.published}
            for a in read_paths(SEEDS)]


@pytest.fixture(scope="module")
def seed_timeline(seed_articles) -> list[dict]:
    return build_timeline(seed_articles)


def _first(timeline: list[dict], day: str) -> dict:
    return next(e for e in timeline if e["date"] == day)


def test_timeline_seeds_span_2021_07_to_2025_in_order(seed_timeline):
    dates = [e["date"] for e in seed_timeline]
    must = ["2021-07", "2021-11-04", "2021-12-09", "2021-12-31", "2024-09-27", "2025-11-06"]
    positions = [dates.index(d) for d in must]
    assert positions == sorted(positions)
    assert len(seed_timeline) >= 6
    assert dates[-1] >= "2025-11-06"   # seed 003's handover: a Sunday after 6 Nov 2025, estimated


def test_timeline_seeds_events_say_what_happened(seed_timeline):
    assert "2100 شحنة" in _first(seed_timeline, "2021-11-04")["text"]
    assert "بايدن" in _first(seed_timeline, "2021-07")["text"]
    assert "٢٧ أيلول ٢٠٢٤" in _first(seed_timeline, "2024-09-27")["text"]
    assert "البيان المشترك" in _first(seed_timeline, "2025-11-06")["text"]
    for event in seed_timeline:
        assert 3 <= len(event["text"].split()) <= EVENT_WORDS


def test_timeline_seeds_merge_across_outlets(seed_timeline):
    deadline = _first(seed_timeline, "2021-12-31")
    assert set(deadline["article_ids"]) == {"001_8151b30f98c663ec", "002_ae965bdf7bbc0df8"}
    assert len(deadline["sources"]) == 2 and len(deadline["mentions"]) == 3
    assert len([e for e in seed_timeline if e["date"] == "2021-12-31"]) == 1


def test_timeline_marks_dates_resting_on_an_estimate(seed_timeline):
    combat_end = _first(seed_timeline, "2021-12-09")
    assert combat_end["article_ids"] == ["002_ae965bdf7bbc0df8"] and combat_end["estimated"] is True
    assert _first(seed_timeline, "2024-09-27")["estimated"] is False  # written out in full
    assert _first(seed_timeline, "2021-11-04")["estimated"] is False  # seed 001 has a byline date


def test_timeline_coarser_precision_sorts_first(seed_timeline):
    order = [(e["date"], e["precision"]) for e in seed_timeline]
    assert order.index(("2021-12", "month")) < order.index(("2021-12-09", "day"))
    assert order[0] == ("2011", "year")


def test_timeline_skips_unresolvable_relative_spans(seed_articles):
    undated = [a for a in seed_articles if a["id"].startswith("000")]
    assert build_timeline(undated) == []   # only الخميس, اليوم, نهاية العام: no date to resolve them against


def test_timeline_uses_given_spans(seed_articles):
    article = next(a for a in seed_articles if a["id"].startswith("001"))
    spans = find_times(article["text"], article["published"])
    as_json = [s.to_json() for s in spans if s.value == "2021-11-04"]
    timeline = build_timeline([article], {article["id"]: as_json})
    assert [e["date"] for e in timeline] == ["2021-11-04"]
    assert build_timeline([article], {article["id"]: []}) == []


def test_timeline_skips_datelines_and_bare_today():
    article = {"id": "was-1", "source": "3alyoum", "title": "", "published": "2015-08-03T17:00:00",
               "text": "إسلام آباد 18 شوال 1436 هـ الموافق 03 اغسطس 2015 م واس\n"
                       " لقي خمسة مسلحين من العناصر الإرهابية مصرعهم باشتباكات مع قوات الأمن الباكستانية اليوم "
                       "في مقاطعة وزيرستان شمال غرب باكستان.\nاليوم.\nوكانت الاشتباكات قد بدأت عام 2014 في المنطقة."}
    timeline = build_timeline([article])
    assert [(e["date"], e["precision"]) for e in timeline] == [("2014", "year"), ("2015-08-03", "day")]
    assert timeline[1]["text"].startswith("لقي خمسة مسلحين")


def test_timeline_keeps_different_happenings_of_one_day_apart():
    one = {"id": "a", "source": "sabq", "title": "", "published": "2015-08-03",
           "text": "افتتح أمير منطقة الرياض أمس معرض الكتاب الدولي في مركز المعارض بحضور عدد من المسؤولين."}
    two = {"id": "b", "source": "okaz", "title": "", "published": "2015-08-03",
           "text": "فاز الهلال على النصر أمس بهدفين دون مقابل في المباراة التي أقيمت على ملعب الملك فهد."}
    three = {"id": "c", "source": "alyaum", "title": "", "published": "2015-08-03",
             "text": "وافتتح أمير الرياض أمس معرض الكتاب الدولي بمشاركة أكثر من 900 دار نشر."}
    timeline = build_timeline([one, two, three])
    assert [sorted(e["article_ids"]) for e in timeline] == [["a", "c"], ["b"]]
    assert {e["date"] for e in timeline} == {date(2015, 8, 2).isoformat()}


def test_timeline_article_without_id_is_an_error():
    with pytest.raises(ValueError, match="no 'id'"):
        build_timeline([{"text": "أمس"}])
