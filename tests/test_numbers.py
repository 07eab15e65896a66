"""Reported quantities and the cross-source numbers table (rasd/numbers.py)."""
import pytest

from rasd import DEMO_DIR
from rasd.ingest import read_paths
from rasd.numbers import NumbersError, Quantity, compare_numbers, find_numbers

from .conftest import rasd_json


@pytest.fixture(scope="module")
def seed_items():
    return [(a.id, a.source, q) for a in read_paths([DEMO_DIR]) for q in find_numbers(a.text)]


def test_numbers_seed_must_shows(seed_items):
    rows = compare_numbers(seed_items)
    troops = [r for r in rows if r["value"] == 2500]
    assert len(troops) == 1 and troops[0]["status"] == "agreed" and len(troops[0]["article_ids"]) == 3
    shipments = [r for r in rows if r["value"] == 2100]
    assert shipments and shipments[0]["counts"] == "شحنة"
    coalition = [r for r in rows if r["value"] == 3500]
    assert coalition and coalition[0]["counts"] == "عنصر" and coalition[0]["key"] != troops[0]["key"]


def test_numbers_seed_skips_years_and_dates(seed_items):
    assert {q.value for _, _, q in seed_items} == {2100, 2500, 3500}


@pytest.mark.parametrize("text, value, unit, counts", [
    ("ألفان وخمسمائة جندي", 2500, None, "جندي"),
    ("نشر 3 آلاف شخص", 3000, None, "شخص"),
    ("بقيمة 1.5 مليون دولار", 1_500_000, "USD", ""),
    ("ارتفعت بنسبة 15 في المائة", 15, "percent", ""),
    ("خمسة وعشرون قتيلا", 25, None, "قتيلا"),
    ("٢٥٠٠ جندي", 2500, None, "جندي"),
    ("2,500 جندي", 2500, None, "جندي"),
    ("عدد المشتغلين البالغ نحو 4,78 ملايين مشتغل", 4_780_000, None, "مشتغل"),
    # SaudiNewsNet 2015-08-02 (aawsat, aleqtisadiya, okaz)
    ("ما خلف 39 قتيلا و40 جريحا جلهم من السياح الأجانب", 40, None, "جريحا"),
    ("فيما قام قيادي آخر بنهب 200 مليون ريال يمني من الخزينة ذاتها", 200_000_000, "YER", ""),
    ("عندما تتجاوز عشرة آلاف يورو (11 ألف دولار).", 10_000, "EUR", ""),
    ("عن تجهيز مليوني جرعة للقاح الحمى المخية", 2_000_000, None, "جرعة"),
])
def test_numbers_values_units_counts(text, value, unit, counts):
    found = [q for q in find_numbers(text) if q.value == value]
    assert found, find_numbers(text)
    q = found[0]
    assert (q.unit, q.counts) == (unit, counts) and text[q.start:q.end] == q.text


@pytest.mark.parametrize("text", [
    "في عام 2015 أعلنت الوزارة", "بحلول 31 ديسمبر 2021.", "وبدأت في 2014 في إطار جهود", "الساعة 10:30 صباحا",
    "القرار 2254 الصادر", "اتصل على 0555123456", "خلال 24 شهرا القادمة", "منذ ثلاثة أيام", "كل واحد منهم",
    "يوم الاثنين", "بعد شنها آلاف الغارات الجوية", "في 10/8/2015",
])
def test_numbers_not_quantities(text):
    assert find_numbers(text) == []


def test_numbers_year_and_count_side_by_side():
    found = find_numbers("في عام 2015 نشرت 2500 جندي")
    assert [q.value for q in found] == [2500]


def test_numbers_exclude_spans():
    text = "نشرت 2500 جندي"
    assert find_numbers(text, exclude=[(5, 9)]) == []


def _q(value, counts, key):
    return Quantity(0, 1, "x", value, None, counts, key)


def test_numbers_conflict_between_sources():
    rows = compare_numbers([("a", "sabq", _q(10, "قتيلا", "killed")), ("b", "okaz", _q(12, "قتلى", "killed")),
                            ("c", "was", _q(10, "قتلى", "killed"))])
    assert len(rows) == 1 and rows[0]["status"] == "conflicting" and rows[0]["value"] == 10
    assert [v["value"] for v in rows[0]["values"]] == [10, 12]


def test_numbers_same_outlet_counts_once():
    rows = compare_numbers([("a", "sabq", _q(10, "شحنة", "shipment")), ("b", "sabq", _q(10, "شحنة", "shipment"))])
    assert rows[0]["status"] == "single"
    rows = compare_numbers([("a", "sabq", _q(10, "شحنة", "shipment")), ("a", "sabq", _q(7, "شحنة", "shipment"))])
    assert sorted(r["status"] for r in rows) == ["single", "single"]


def test_numbers_bad_input():
    with pytest.raises(NumbersError, match="Quantity"):
        compare_numbers([("a", None, 5)])
    with pytest.raises(NumbersError, match="str"):
        find_numbers(None)


def test_numbers_cli_table(seed_dir):
    result = rasd_json("numbers", str(seed_dir))
    agreed = [r for r in result["numbers"] if r["status"] == "agreed"]
    assert agreed[0]["value"] == 2500 and len(agreed[0]["sources"]) == 3
