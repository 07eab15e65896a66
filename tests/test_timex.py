"""Time expressions: pattern families on real Arabic phrasing, the seeds' must-shows, SaudiNewsNet excerpts."""
import json
from datetime import date
from pathlib import Path

import pytest

from rasd.ingest import read_paths
from rasd.timex import TimeSpan, TimexError, estimate_date, find_times, load_time_gold, score_times

from .conftest import SEEDS, run_rasd

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold" / "seeds-timex.jsonl"


@pytest.fixture(scope="module")
def seeds() -> dict:
    return {a.id: a for a in read_paths(SEEDS)}


def _values(text: str, base=None) -> list[tuple[str, str | None, str]]:
    return [(s.text, s.value, s.precision) for s in find_times(text, base)]


# One example (or more) per pattern family, base 2021-11-04 (a Thursday) unless said otherwise.
@pytest.mark.parametrize("text, expected", [
    # full dates, both month systems, dual forms, Eastern digits, ordinals, English, numeric, Hijri
    ("بحلول 31 ديسمبر/كانون الأول 2021.", [("31 ديسمبر/كانون الأول 2021", "2021-12-31", "day")]),
    ("الصادر في ٢٧ أيلول ٢٠٢٤ والذي", [("٢٧ أيلول ٢٠٢٤", "2024-09-27", "day")]),
    ("في 15 اغسطس 2015", [("15 اغسطس 2015", "2015-08-15", "day")]),
    ("في 15 أغسطس 2015", [("15 أغسطس 2015", "2015-08-15", "day")]),
    ("وقع في 12 آب 2020", [("12 آب 2020", "2020-08-12", "day")]),
    ("بحلول الأول من كانون الثاني، ستكون", [("الأول من كانون الثاني", "2022-01-01", "day")]),
    ("(@qassimalaraji) December 9, 2021", [("December 9, 2021", "2021-12-09", "day")]),
    ("وتاريخ 15 / 6 / 1436هـ ،", [("15 / 6 / 1436هـ", "2015-04-04", "day")]),
    ("الرياض 10 شوال 1436 هـ الموافق 26 يوليو 2015 م واس",
     [("10 شوال 1436 هـ", "2015-07-26", "day"), ("26 يوليو 2015 م", "2015-07-26", "day")]),
    ("يوم الخميس 4 نوفمبر 2021، الساعة 10:30 صباحاً", [("يوم الخميس 4 نوفمبر 2021، الساعة 10:30 صباحاً", "2021-11-04T10:30", "time")]),
    ("4 نوفمبر 2021, 4:44:29 م", [("4 نوفمبر 2021, 4:44:29 م", "2021-11-04T16:44:29", "time")]),
    # months
    ("وفي يوليو/تموز الماضي، أعلن", [("يوليو/تموز الماضي", "2021-07", "month")]),
    ("في سبتمبر/أيلول الماضي", [("سبتمبر/أيلول الماضي", "2021-09", "month")]),
    ("في أكتوبر (تشرين الأول) العام الماضي.", [("أكتوبر (تشرين الأول) العام الماضي", "2020-10", "month")]),
    ("تأجيل كأس الخليج إلى ديسمبر 2016.", [("ديسمبر 2016", "2016-12", "month")]),
    # years, and counts that are not years
    ("بعد خروجها منه، عام 2011، استنادا", [("عام 2011", "2011", "year")]),
    ("قوامها 2500 جندي في العراق منذ 2020.", [("2020", "2020", "year")]),
    ("وبدأت في 2014 في إطار جهود دولية", [("2014", "2014", "year")]),
    ("من بداية موسم 2017/2016 بعد", [("موسم 2017/2016", "2016/2017", "range")]),
    # day names, with and without الماضي/المقبل, and with relative days
    ("أعلنت بغداد، الخميس، إجلاء", [("الخميس", "2021-11-04", "day")]),
    ("وصل يوم الأحد إلى", [("يوم الأحد", "2021-10-31", "day")]),
    ("يجتمع الأحد المقبل", [("الأحد المقبل", "2021-11-07", "day")]),
    ("التقى الخميس الماضي", [("الخميس الماضي", "2021-10-28", "day")]),
    ("أنهت مساء أمس الأربعاء عملية", [("مساء أمس الأربعاء", "2021-11-03", "day")]),
    # relative days and periods
    ("قال أمس إن", [("أمس", "2021-11-03", "day")]),
    ("عقدت صباح اليوم برعاية", [("صباح اليوم", "2021-11-04", "day")]),
    ("يصل غداً إلى", [("غداً", "2021-11-05", "day")]),
    ("وافق على ذلك الأسبوع الماضي.", [("الأسبوع الماضي", "2021-W43", "week")]),
    ("تراجع الشهر الماضي", [("الشهر الماضي", "2021-10", "month")]),
    ("قبل نهاية العام الحالي بموجب", [("نهاية العام الحالي", "2021-12", "month")]),
    ("المقرر العمل بها مطلع العام المقبل.", [("مطلع العام المقبل", "2022-01", "month")]),
    ("التي بدأناها في العام الماضي", [("العام الماضي", "2020", "year")]),
    ("مطلع الشهر الحالي، مع", [("مطلع الشهر الحالي", "2021-11-01/2021-11-10", "range")]),
    # offsets and durations
    ("وصل منذ ثلاثة أيام", [("منذ ثلاثة أيام", "2021-11-01", "day")]),
    ("قبل أسبوعين", [("قبل أسبوعين", "2021-W42", "week")]),
    ("عليها بشكل مشترك خلال 24 شهرا القادمة\".", [("خلال 24 شهرا القادمة", "P24M", "duration")]),
    ("يستمر لمدة 22 يوما استعدادا", [("لمدة 22 يوما", "P22D", "duration")]),
    ("سيتنحى بعد عام من إعلان", [("بعد عام", "P1Y", "duration")]),
    # times of day
    ("في تمام الساعة 4:44 مساء", [("تمام الساعة 4:44 مساء", "2021-11-04T16:44", "time")]),
    ("4:44:29 م", [("4:44:29 م", "2021-11-04T16:44:29", "time")]),
])
def test_timex_pattern_families(text, expected):
    assert _values(text, "2021-11-04") == expected


@pytest.mark.parametrize("text", [
    "قائد قوات عمليات العزم الصلب في العراق اللواء جون برينان",   # جون is John, not June
    "نشرت 2500 عسكري في العراق من بين 3500 عنصر",                  # counts, not years
    "قوامها 2500 جندي في العراق",
    "بلغ عدد المنازل 2020 منزلا",                                  # a count in the year range
    "قال الأمين العام للأمم المتحدة",                               # العام = general
    "عين اليوم – الطائف",                                         # عين اليوم, the outlet
    "انتهت المباراة 3:1 لصالح الهلال",                            # a score, not a time
    "زار رمضان عبدالله والده",                                      # رمضان, a name
    "سيارة نيسان جديدة",                                            # نيسان, the car maker
    "قال أب الضحية",                                                # أب, father (آب is August)
])
def test_timex_not_times(text):
    assert find_times(text, "2021-11-04") == []


def test_timex_offsets_are_display_offsets_with_eastern_digits_and_marks():
    text = "قال غداً إنه سيصل في ٦ تشرين الثاني ٢٠٢٥"
    for span in find_times(text, "2025-11-01"):
        assert text[span.start:span.end] == span.text
    assert [s.text for s in find_times(text, "2025-11-01")] == ["غداً", "٦ تشرين الثاني ٢٠٢٥"]


def test_timex_relative_without_base_has_no_value():
    found = find_times("أعلن الخميس الماضي، أمس، في يوليو الماضي ونهاية العام أن 31 ديسمبر 2021 موعد")
    assert [(s.text, s.value) for s in found] == [
        ("الخميس الماضي", None), ("أمس", None), ("يوليو الماضي", None), ("نهاية العام", None),
        ("31 ديسمبر 2021", "2021-12-31")]


@pytest.mark.parametrize("base", ["2021-13-01", "yesterday", "", 20211104])
def test_timex_bad_base_is_a_value_error(base):
    with pytest.raises(TimexError, match="base"):
        find_times("الخميس", base)


def test_timex_base_forms_agree():
    from datetime import datetime
    spans = [find_times("الخميس", b)[0].value for b in ("2021-11-05", date(2021, 11, 5), datetime(2021, 11, 5, 9, 30))]
    assert spans == ["2021-11-04"] * 3


def test_timex_span_to_json():
    span = find_times("في 31 ديسمبر 2021")[0]
    assert isinstance(span, TimeSpan)
    assert span.to_json() == {"start": 3, "end": 17, "text": "31 ديسمبر 2021", "value": "2021-12-31", "precision": "day"}


# -- the seeds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("article, written, value", [
    ("001_8151b30f98c663ec", "يوليو/تموز الماضي", "2021-07"),             # the July 2021 announcement
    ("001_8151b30f98c663ec", "الخميس", "2021-11-04"),                        # the 4 Nov 2021 shipments
    ("002_ae965bdf7bbc0df8", "الخميس", "2021-12-09"),                        # end of the combat role
    ("001_8151b30f98c663ec", "31 ديسمبر/كانون الأول 2021", "2021-12-31"),    # the deadline
    ("002_ae965bdf7bbc0df8", "31 ديسمبر 2021", "2021-12-31"),
    ("003_46b68a0aea1ed22b", "٢٧ أيلول ٢٠٢٤", "2024-09-27"),                 # the government statement
    ("003_46b68a0aea1ed22b", "٦ تشرين الثاني ٢٠٢٥", "2025-11-06"),           # the joint statement
])
def test_timex_seed_dates(seeds, article, written, value):
    from rasd.timex import article_base

    a = seeds[article]
    base, _ = article_base(a.text, a.title, a.published)
    found = {(s.text, s.value) for s in find_times(a.text, base)}
    assert (written, value) in found


def test_timex_seed_002_thursday_resolves_through_the_estimate(seeds):
    """Seed 002 has no publication date; its embedded tweet is dated December 9, 2021, a Thursday."""
    a = seeds["002_ae965bdf7bbc0df8"]
    assert a.published is None
    estimate = estimate_date(a.text, a.title)
    assert estimate is not None and estimate[0] == date(2021, 12, 9)
    assert "estimate" in estimate[1]
    thursdays = [s for s in find_times(a.text, estimate[0]) if s.text == "الخميس"]
    assert len(thursdays) == 4 and {s.value for s in thursdays} == {"2021-12-09"}


def test_timex_seed_001_uses_its_byline(seeds):
    a = seeds["001_8151b30f98c663ec"]
    assert a.published.startswith("2021-11-04")
    assert find_times(a.text, a.published)[0].value == "2021-11-04"


def test_timex_estimate_skips_deadlines_and_gives_none_without_full_dates(seeds):
    assert estimate_date(seeds["000_4c55cc848c8012d4"].text) is None      # only الخميس, اليوم, نهاية العام
    assert estimate_date("لن تكون هناك قوات بحلول 31 ديسمبر 2021.") is None
    day, reason = estimate_date("قال الوزير في 3 مارس 2020 إن الاجتماع سيعقد.")
    assert day == date(2020, 3, 3) and "estimate" in reason


def test_timex_estimate_with_weekday_after_latest_date(seeds):
    """Seed 003: the latest date is Thursday 6 Nov 2025 and it says اليوم الأحد: the next Sunday, a lower bound."""
    day, reason = estimate_date(seeds["003_46b68a0aea1ed22b"].text)
    assert day == date(2025, 11, 9) and "lower bound" in reason


# -- SaudiNewsNet excerpts (2015) -----------------------------------------------------------------

@pytest.mark.parametrize("text, base, expected", [
    ("إسلام آباد 18 شوال 1436 هـ الموافق 03 اغسطس 2015 م واس\n لقي خمسة مسلحين مصرعهم اليوم في مقاطعة وزيرستان",
     "2015-08-03", [("18 شوال 1436 هـ", "2015-08-03", "day"), ("03 اغسطس 2015 م", "2015-08-03", "day"),
                    ("اليوم", "2015-08-03", "day")]),
    ("ارتفاع الأرقام القياسية لأسعار المستهلكين بمعدل 3.54% في حزيران/يونيو الماضي مقارنة بنفس الفترة من العام الماضي.",
     "2015-07-26", [("حزيران/يونيو الماضي", "2015-06", "month"), ("العام الماضي", "2014", "year")]),
    ("خامسة في رئاسة الفيفا يوم 29 مايو أيار الماضي في زوريخ", "2015-08-03",
     [("29 مايو أيار الماضي", "2015-05-29", "day")]),
    ("تنظم غرفة الشرقية في الـ28 من شهر ذي الحجة القادم معرض وظائف 2015", "2015-07-26",
     [("الـ28 من شهر ذي الحجة القادم", "2015-10-11", "day"), ("2015", "2015", "year")]),
    ("قتل 48 مصليا اجتمعوا لصلاة المغرب خلال شهر رمضان.", "2015-07-26", [("شهر رمضان", "2015-06-18/2015-07-16", "range")]),
    ("وتستمر فترة التقديم عشرة أيام، تبدأ من يوم 29 شعبان", "2015-07-26", []),
    ("منذ تأسيسها في 16 رمضان عام 1395هـ (1975م) وعلى مدى", "2015-08-03",
     [("16 رمضان عام 1395هـ", "1975-09-21", "day"), ("1975م", "1975", "year")]),
    ("قرعة التصفيات المؤهلة لنهائيات كأس العالم 2018 لكرة القدم، التي أجريت أمس في", "2015-07-26",
     [("أمس", "2015-07-25", "day")]),
])
def test_timex_saudinewsnet_excerpts(text, base, expected):
    assert _values(text, base) == expected


# -- gold and the CLI ---------------------------------------------------------------------------

def test_timex_gold_offsets_match_display_text(seeds):
    gold = load_time_gold(GOLD)
    assert set(gold) == set(seeds)
    for article, spans in gold.items():
        for span in spans:
            assert seeds[article].text[span["start"]:span["end"]] == span["text"]


def test_timex_score_counts_misses_and_extras():
    gold = {"a": [{"start": 0, "end": 6, "text": "الخميس", "value": "2021-11-04", "precision": "day"},
                  {"start": 10, "end": 14, "text": "2014", "value": "2014", "precision": "year"}]}
    predicted = {"a": [{"start": 0, "end": 6, "text": "الخميس", "value": "2021-11-05", "precision": "day"},
                       {"start": 20, "end": 25, "text": "أمس", "value": None, "precision": "day"}]}
    result = score_times(predicted, gold)
    assert result["exact"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert result["value_accuracy"] == 0.0 and len(result["misses"]) == 1 and len(result["false_alarms"]) == 1


def test_timex_gold_file_errors_name_the_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"article": "a", "text": "x", "start": 0, "end": 1, "value": null, "precision": "day"}\n{"article": 1}\n',
                    encoding="utf-8")
    with pytest.raises(TimexError, match=":2:"):
        load_time_gold(path)


def test_timex_cli_dates_json():
    text = "أعلنت بغداد، الخميس، إجلاء 2100 شحنة في 31 ديسمبر/كانون الأول 2021"
    proc = run_rasd("dates", text, "--base", "2021-11-04", "--json", check=True)
    start = text.index("31")
    assert json.loads(proc.stdout) == [
        {"start": 13, "end": 19, "text": "الخميس", "value": "2021-11-04", "precision": "day"},
        {"start": start, "end": len(text), "text": "31 ديسمبر/كانون الأول 2021", "value": "2021-12-31", "precision": "day"}]


def test_timex_cli_dates_stdin_and_bad_base():
    proc = run_rasd("dates", "-", "--base", "2021-11-04", input="في يوليو/تموز الماضي", check=True)
    assert "2021-07" in proc.stdout
    bad = run_rasd("dates", "الخميس", "--base", "2021-13-01")
    assert bad.returncode == 2 and "--base" in bad.stderr and "2021-13-01" in bad.stderr


def test_timex_cli_eval_dates_needs_ingested_articles(db):
    from rasd.store import Store

    proc = run_rasd("eval", "dates", str(GOLD), db=db)  # no database there: none is made
    assert proc.returncode == 1 and f"no database at {db}" in proc.stderr and not Path(db).exists()
    Store(db).close()  # a database without the gold's articles
    proc = run_rasd("eval", "dates", str(GOLD), db=db)
    assert proc.returncode == 1 and "ingest them first" in proc.stderr


def test_timex_estimate_ignores_a_time_of_day_alone():
    # SaudiNewsNet-style undated text whose only explicit expression is a clock time: no date, no crash
    assert estimate_date("وأقلعت الطائرة عند الساعة 10:00 صباحا من مطار الملك خالد") is None
