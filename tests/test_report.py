"""The story and thread reports on the seeds: summary, timeline, quotes by speaker, numbers (issue 5's must-shows)."""
from __future__ import annotations

import pytest

from rasd.normalize import matching_form

from .conftest import SEED_IDS, rasd_json, run_rasd


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory):
    from rasd import DEMO_DIR

    db = tmp_path_factory.mktemp("report") / "seeds.db"
    run_rasd("ingest", str(DEMO_DIR), db=db, check=True)
    return db


@pytest.fixture(scope="module")
def thread(seeds_db):
    stories = rasd_json("stories", db=seeds_db)
    threads = {s["thread"] for s in stories}
    assert len(threads) == 1
    return rasd_json("thread", str(threads.pop()), db=seeds_db)


def test_report_thread_timeline_in_order_from_2021_07(thread):
    timeline = thread["timeline"]
    dates = [e["date"] for e in timeline]
    assert dates == sorted(dates, key=lambda d: (d[:4], d))  # chronological (a year sorts before its months)
    dated = {e["date"] for e in timeline}
    for expected in ("2021-07", "2021-11-04", "2021-12-09", "2021-12-31", "2024-09-27", "2025-11-06"):
        assert expected in dated, expected
    later = [e for e in timeline if e["date"] >= "2021-07"]
    assert len(later) >= 6
    for event in timeline:
        assert event["text"] and set(event["article_ids"]) <= set(SEED_IDS)
        assert event["precision"] in {"day", "month", "year", "week", "range", "time"}


def test_report_thread_numbers_2500_troops_agreed_by_three(thread):
    troops = [row for row in thread["numbers"] if row["value"] == 2500]
    assert troops and troops[0]["status"] == "agreed"
    assert len(troops[0]["article_ids"]) == 3
    values = {row["value"] for row in thread["numbers"]}
    assert {2100, 3500} <= values


@pytest.mark.parametrize("speaker", ["برينان", "الأعرجي", "الشمري", "ماكنزي", "غودفري", "سعد معن"])
def test_report_thread_quotes_attributed_to(thread, speaker):
    key = matching_form(speaker)
    groups = [g for g in thread["quotes_by_speaker"] if g["speaker"] and key in matching_form(g["speaker"])]
    assert groups, [g["speaker"] for g in thread["quotes_by_speaker"]]
    flat = [q for q in thread["quotes"] if q["speaker"] and key in matching_form(q["speaker"])]
    assert flat and all(q["article_id"] in SEED_IDS and q["end"] > q["start"] for q in flat)


def test_report_brennan_quotes_from_both_spellings_grouped(thread):
    brennan = [g for g in thread["quotes_by_speaker"] if g["speaker"] and "برينان" in g["speaker"]]
    assert len(brennan) == 1
    assert {"000_4c55cc848c8012d4", "002_ae965bdf7bbc0df8"} <= {q["article_id"] for q in brennan[0]["quotes"]}


def test_report_statement_speakers_are_institutions(thread):
    orgs = [g for g in thread["quotes_by_speaker"] if g.get("speaker_type") == "ORG"]
    assert any("التحالف" in g["speaker"] for g in orgs)
    assert any("خلية" in g["speaker"] or "العمليات المشتركة" in g["speaker"] for g in orgs)


def test_report_story_summary_cites_its_articles(seeds_db, thread):
    story = next(s for s in thread["stories"] if "000_4c55cc848c8012d4" in [a["id"] for a in s["articles"]])
    report = rasd_json("story", str(story["id"]), db=seeds_db)
    members = {a["id"] for a in report["articles"]}
    assert 1 <= len(report["summary"]["sentences"]) <= 6
    for sentence in report["summary"]["sentences"]:
        assert sentence["article_ids"] and set(sentence["article_ids"]) <= members
    assert report["summary"]["headline"] in {a["title"] for a in report["articles"]}
    assert {"timeline", "quotes", "numbers", "entities"} <= set(report)


def test_report_undated_seed_gets_a_marked_estimate(thread):
    articles = {a["id"]: a for s in thread["stories"] for a in s["articles"]}
    seed002 = articles["002_ae965bdf7bbc0df8"]
    assert seed002["published"] == "2021-12-09" and seed002["date_source"] == "estimated"


def test_report_text_view_has_the_sections(seeds_db, thread):
    out = run_rasd("thread", str(thread["thread"]), db=seeds_db, check=True).stdout
    for heading in ("Summary", "Timeline", "Who said what", "Numbers"):
        assert heading in out


def test_report_one_statement_in_two_outlets_is_listed_once(thread):
    """Biden's announcement is quoted by 001 and 004 with other quotation marks and one word more (`في
    العراق`): one entry citing both, not two."""
    biden = [g for g in thread["quotes_by_speaker"] if g["speaker"] and "بايدن" in g["speaker"]]
    assert len(biden) == 1
    entries = [q for q in biden[0]["quotes"] if "مهمتها القتالية" in q["text"]]
    assert len(entries) == 1
    assert set(entries[0]["article_ids"]) == {"001_8151b30f98c663ec", "004_e22f2b1fb8e0a533"}
    assert entries[0]["article_id"] == entries[0]["article_ids"][0]


def test_merge_repeats_keeps_different_statements_apart():
    from rasd.quotes import merge_repeats

    # two outlets' versions of the Kuwaiti cabinet's statement after the Abha bombing (SaudiNewsNet 2015-08-07),
    # and another statement of the same speaker
    quotes = [
        {"article_id": "a", "text": "هذه الجريمة البشعة التي تأتي استمراراً لمسلسل الاٍرهاب البغيض الذي يسعى خائباً"
                                    " للنيل من أمن وأمان دول الخليج والمنطقة سيكون مآله وبفضل ووعي وتكاتف الشعوب"
                                    " الخليجية الفشل والاندحار"},
        {"article_id": "b", "text": "هذه الجريمة البشعة تأتي استمرارًا لمسلسل الإرهاب البغيض الذي يسعى خائبًا للنيل"
                                    " من أمن وأمان دول الخليج والمنطقة، وسيكون مآله، وبفضل ووعي وتكاتف الشعوب"
                                    " الخليجية، الفشل والاندحار"},
        {"article_id": "b", "text": "وقوف دولة الكويت الكامل إلى جانب المملكة العربية السعودية وتأييدها لجميع"
                                    " الإجراءات التي تتخذها للحفاظ على أمنها واستقرارها"},
    ]
    merged = merge_repeats(quotes)
    assert [q["article_ids"] for q in merged] == [["a", "b"], ["b"]]
    assert merge_repeats(merged) == merged  # merging again changes nothing
