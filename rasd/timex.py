"""Arabic time expressions: find the spans, then give each an ISO value resolved against a base date.

rasd finds spans itself, with patterns built from the word lists in `data/timex.json`; nothing here
searches text with dateparser (its `search_dates` reads `2500` as a year and `جون`, John, as June).
Families, tried together and kept longest-first without overlaps:

* full dates: `31 ديسمبر/كانون الأول 2021`, `٢٧ أيلول ٢٠٢٤`, `الأول من كانون الثاني`, `December 9, 2021`,
  `26/7/2015`, Hijri `10 شوال 1436 هـ`, with an optional weekday before and a time of day after;
* months: `يوليو/تموز الماضي`, `شهر رمضان`, `نوفمبر 2021`; years: `عام 2021`, `في 2014` (never counts such
  as `2500 جندي` or `2020 منزلا`);
* day names: `الخميس`, `يوم الأحد`, `الخميس المقبل`, `اليوم الأحد`; relative days: `أمس`, `اليوم`, `غدا`,
  `مساء أمس`; periods: `الأسبوع المقبل`, `نهاية العام الحالي`, `مطلع العام المقبل`;
* offsets and durations: `منذ ثلاثة أيام`, `قبل أسبوعين`, `خلال 24 شهرا القادمة`; times: `الساعة 4:44 مساء`.

Matching runs on `fold_letters(fold_digits(text))`, which keeps every character in place, so offsets are
offsets into the display text. Relative expressions need a base (the publication date); without one
their value stays None. `estimate_date` guesses a base for an undated article from its own explicit dates.

Errors: `TimexError` (a ValueError) for a base that is not a date.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from . import DATA_DIR
from .normalize import fold_digits, fold_letters

__all__ = ["TimeSpan", "TimexError", "find_times", "estimate_date", "article_base", "load_time_gold", "score_times",
           "PRECISIONS"]

PRECISIONS = ("time", "day", "week", "month", "year", "range", "duration", "unknown")
_WEEKDAY_NAMES = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]


class TimexError(ValueError):
    """A base date that cannot be used."""


@dataclass(frozen=True)
class TimeSpan:
    """One time expression: character offsets into the text, its ISO value and how precise it is."""

    start: int
    end: int
    text: str
    value: str | None
    precision: str

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "value": self.value,
                "precision": self.precision}


@dataclass
class _Cand:
    start: int
    end: int
    value: str | None
    precision: str
    explicit: bool  # value does not depend on the base date
    family: str


# -- word lists and patterns ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads((DATA_DIR / "timex.json").read_text(encoding="utf-8"))


def _alt(words) -> str:
    """A regex alternation of words, longest first, spaces matching any run of spaces."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_NUM_BEFORE = r"(?<![\d.,/:٫٬])"
_NUM_AFTER = r"(?![\d]|[.,/:٫٬]\d|\s*[%٪])"
_MARKS = re.compile("[\u064b-\u0652\u0640]*")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    d = _data()
    months = _alt(list(d["months"]) + list(d["months_strict"]))
    hijri = _alt(d["hijri_months"])
    weekdays = _alt(d["weekdays"])
    mods = _alt(d["modifiers"])
    ords = _alt(d["ordinals"])
    parts = _alt(d["day_parts"])
    positions = _alt(d["period_positions"])
    units = _alt(d["units"])
    numwords = _alt(d["numbers"])
    en = _alt(d["months_en"])
    day = rf"(?:ال\u0640?)?(?P<day>\d{{1,2}}){_NUM_AFTER}|(?P<ord>{ords})\s+من"
    wd_prefix = rf"(?:(?:يوم\s+)?(?P<wd>{weekdays})\s*[،,]?\s*(?:الموافق\s+)?)?"
    time = (r"(?:الساعه\s+)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
            r"(?:\s*(?P<ampm>صباحا|مساء|ظهرا|عصرا|ليلا|فجرا|ص|م|am|pm|AM|PM)(?![^\W\d_]))?"
            r"|الساعه\s+(?:(?P<h2>\d{1,2})" + _NUM_AFTER + rf"|(?P<hw>{_alt(d['hours'])}){_NOT_LETTER_AFTER}"
            rf"(?:\s+(?P<frac>{_alt(d['hour_fractions'])}){_NOT_LETTER_AFTER})?)"
            r"(?:\s+(?P<ampm2>صباحا|مساء|ظهرا|عصرا|ليلا|فجرا)(?![^\W\d_]))?")
    raw = {
        "date": (rf"(?:(?P<pos>{positions})\s+)?{wd_prefix}(?:(?:{day})\s*(?:من\s+)?)?(?P<shahr>شهر\s+)?"
                 rf"(?P<mon>{months})(?:\s*[/\-–]\s*(?P<mon2>{months})|\s*\(\s*(?P<mon3>{months})\s*\)|\s+(?P<mon4>{months}))?{_NOT_LETTER_AFTER}"
                 rf"(?:\s*[،,]?\s*(?:من\s+)?(?:(?:عام|العام|سنه)\s+)?{_NUM_BEFORE}(?P<year>\d{{4}}){_NUM_AFTER}"
                 rf"(?:\s*م{_NOT_LETTER_AFTER})?"
                 rf"|\s+(?:(?:من\s+)?(?:هذا\s+)?(?:العام|عام|السنه)\s+(?P<ymod>{mods})|(?P<mod>{mods})){_NOT_LETTER_AFTER})?"),
        "hijri": (rf"{wd_prefix}(?:(?:{day})\s*(?:من\s+)?)?(?P<shahr>شهر\s+)?(?P<mon>{hijri}){_NOT_LETTER_AFTER}"
                  rf"(?:\s*[،,]?\s*(?:(?:عام|العام|سنه)\s+)?(?P<year>1[34]\d\d){_NUM_AFTER}"
                  rf"(?:\s*(?:ه\u0640?|هجريه|هجري){_NOT_LETTER_AFTER})?"
                  rf"|\s+(?P<mod>{mods}){_NOT_LETTER_AFTER})?"),
        "english": (rf"(?P<mon>{en})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b"
                    rf"|\b(?P<day2>\d{{1,2}})\s+(?P<mon2>{en})\.?,?\s+(?P<year2>\d{{4}})\b"),
        "numeric": (rf"{_NUM_BEFORE}(?:(?P<d>\d{{1,2}})(?:[.-]|\s*/\s*)(?P<m>\d{{1,2}})(?:[.-]|\s*/\s*)(?P<y>\d{{4}})"
                    rf"|(?P<y2>\d{{4}})-(?P<m2>\d{{1,2}})-(?P<d2>\d{{1,2}})){_NUM_AFTER}"
                    rf"(?:\s*(?P<hs>ه\u0640?|هجري|م){_NOT_LETTER_AFTER})?"),
        "weekday": (rf"(?:(?P<part0>{parts})\s+)?(?:(?P<rel>اليوم|امس|الامس|غدا)(?:\s*(?P<paren>\()\s*|\s+))?"
                    rf"(?:(?P<part>{parts})\s+)?(?:(?P<yawm>يوم)\s+)?"
                    rf"(?P<wd>{weekdays}){_NOT_LETTER_AFTER}(?:\s+(?P<mod>{mods}){_NOT_LETTER_AFTER})?(?(paren)\s*\))"),
        "relday": (rf"(?:(?P<part>{parts})\s+)?(?:يوم\s+)?(?P<rel>{_alt(d['relative_days'])}){_NOT_LETTER_AFTER}"),
        "period": (rf"(?:(?P<pos>{positions})\s+)?(?P<this>(?:هذا|هذه)\s+)?(?P<per>{_alt(d['period_words'])})"
                   rf"{_NOT_LETTER_AFTER}(?:\s+(?P<mod>{mods}){_NOT_LETTER_AFTER})?"),
        "offset": (rf"(?P<sig>منذ|قبل|بعد|خلال|طوال|طيله|لمده|مده|في\s+غضون|علي\s+مدي|علي\s+مدار)\s+"
                   rf"(?:(?:ال\u0640?)?(?P<num>\d{{1,3}}|{numwords}){_NOT_LETTER_AFTER}\s+)?"
                   rf"(?P<al>ال)?(?P<unit>{units}){_NOT_LETTER_AFTER}"
                   rf"(?:\s+(?:ال\u0640?)?(?P<num2>\d{{1,3}}){_NUM_AFTER})?"
                   rf"(?:\s+(?P<mod>{mods}){_NOT_LETTER_AFTER})?"),
        "year": (rf"(?:(?P<cue>{_alt(d['year_cues'])})\s+)?{_NUM_BEFORE}(?P<y>\d{{4}})"
                 rf"(?:\s*[/-]\s*(?P<y2>\d{{4}}))?{_NUM_AFTER}(?:\s*(?P<suffix>م|ه\u0640?|هجري){_NOT_LETTER_AFTER})?"),
        "time": rf"(?:تمام\s+)?(?:{time})",
    }
    flags = {"english": re.IGNORECASE}
    # No lookbehind in front: a pattern that starts with its words lets `re` skip most positions fast;
    # the left edge is checked afterwards (`_left_ok`).
    return {name: re.compile("(?P<core>" + body + ")", flags.get(name, 0)) for name, body in raw.items()}


@lru_cache(maxsize=1)
def _anchors() -> dict[str, re.Pattern | None]:
    """Per family, the words it cannot match without; the family's pattern runs only around them.

    These alternations start with a literal, so `re` finds them fast; the full patterns, which start with
    optional parts, are slow to try at every position of a long article. A word the pattern needs whole
    (no letter after it) is anchored whole too: `اب` (Levantine August) is inside ten words of an average
    article, and each opened a stretch the date pattern was tried on (half the stage's time).
    """
    d = _data()

    def whole(words) -> re.Pattern:
        return re.compile(f"(?:{_alt(words)}){_NOT_LETTER_AFTER}")
    return {
        "date": whole(list(d["months"]) + list(d["months_strict"])),
        "hijri": whole(d["hijri_months"]),
        "english": re.compile(r"[A-Za-z]{3}"),
        "numeric": re.compile(r"\d(?:[.\-]|\s*/)"),  # its day or year is followed by `.`, `-` or `/`
        "weekday": whole(d["weekdays"]),
        "relday": whole(d["relative_days"]),
        "period": whole(d["period_words"]),
        "offset": None,
        "year": re.compile(r"\d{4}"),
        "time": re.compile(r"\d:\d|الساعه"),
    }


_REACH_LEFT, _REACH_RIGHT = 48, 40  # how far a match may extend around its anchor word, in characters


def _windows(folded: str, anchor: re.Pattern | None) -> list[tuple[int, int]]:
    """Merged stretches of the text around the anchor words, cut at spaces."""
    if anchor is None:
        return [(0, len(folded))]
    spans: list[tuple[int, int]] = []
    for m in anchor.finditer(folded):
        lo = folded.rfind(" ", 0, max(0, m.start() - _REACH_LEFT)) + 1
        hi = folded.find(" ", min(len(folded), m.end() + _REACH_RIGHT))
        hi = len(folded) if hi < 0 else hi
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


_LEFT = re.compile(r"(?:^|[^\w]|(?<![^\W\d_])[وف]?[بلك]|(?<![^\W\d_])[وف])$")


def _left_ok(folded: str, start: int) -> bool:
    """The match starts a word, or follows only the clitics و ف ب ل ك (والخميس, بالأمس)."""
    return start == 0 or _LEFT.search(folded, max(0, start - 3), start) is not None


# -- base dates and calendar helpers -----------------------------------------------------------

def _as_base(base: date | datetime | str | None) -> datetime | None:
    if base is None or isinstance(base, datetime):
        return base
    if isinstance(base, date):
        return datetime(base.year, base.month, base.day)
    if isinstance(base, str):
        text = fold_digits(base.strip())
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise TimexError(f"base {base!r} is not an ISO date (use YYYY-MM-DD)") from None
        return value.replace(tzinfo=None)
    raise TimexError(f"base must be a date, a datetime or an ISO string, not {type(base).__name__}")


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    index = y * 12 + (m - 1) + n
    return index // 12, index % 12 + 1


def _week(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso[0]}-W{iso[1]:02d}"


def _month_near(month: int, base: datetime, mod: int | None) -> tuple[int, int]:
    """The year of `month` meant relative to base: past with الماضي, next with المقبل, else the nearest."""
    if mod is not None and mod < 0:  # الماضي, and قبل الماضي a year further back
        return (base.year if month < base.month else base.year - 1) + mod + 1, month
    if mod == 1:
        return (base.year if month > base.month else base.year + 1), month
    if mod == 0:
        return base.year, month
    options = [(abs((y * 12 + month) - (base.year * 12 + base.month)), -y, y) for y in (base.year - 1, base.year, base.year + 1)]
    return min(options)[2], month


def _hijri_range(year: int, month: int) -> str | None:
    from hijridate import Hijri

    try:
        first = Hijri(year, month, 1)
        return f"{first.to_gregorian().isoformat()}/{Hijri(year, month, first.month_length()).to_gregorian().isoformat()}"
    except (ValueError, OverflowError):
        return None


def _hijri_day(year: int, month: int, day: int) -> str | None:
    from hijridate import Hijri

    try:
        return Hijri(year, month, day).to_gregorian().isoformat()
    except (ValueError, OverflowError):
        return None


def _hijri_of(day: datetime) -> tuple[int, int]:
    from hijridate import Gregorian

    try:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
    except (ValueError, OverflowError):
        return 0, 0
    return h.year, h.month


# -- family handlers: (match, folded text, raw text, base) -> candidate or None ----------------

def _mod(m: re.Match) -> int | None:
    return _data()["modifiers"][re.sub(r"\s+", " ", m.group("mod"))] if m.group("mod") else None


def _month_number(name: str, raw: str) -> tuple[int | None, bool]:
    """(month number, strict) for a folded month name; madda-only names need their written آ."""
    d = _data()
    name = re.sub(r"\s+", " ", name)
    if name in d["madda_only"] and not raw.startswith("آ"):
        return None, False
    if name in d["months"]:
        return d["months"][name], False
    return d["months_strict"].get(name), True


def _day_of(m: re.Match) -> int | None:
    if m.group("day"):
        return int(m.group("day"))
    if m.group("ord"):
        return _data()["ordinals"][re.sub(r"\s+", " ", m.group("ord"))]
    return None


_PREP_BEFORE = re.compile(r"(?:^|[\s،,(])(?:[وف]?(?:في|خلال|منذ|حتي|بحلول|قبل|بعد|شهر|مطلع|مستهل|اواخر|اوائل|منتصف|اواسط|نهايه|بدايه|ختام))\s+$")


def _date(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    month, strict = _month_number(m.group("mon"), raw[m.start("mon"):m.end("mon")])
    if month is None:
        return None
    for group in ("mon2", "mon3", "mon4"):
        if m.group(group):
            second, _ = _month_number(m.group(group), raw[m.start(group):m.end(group)])
            if second != month:
                return None
    day, year, mod = _day_of(m), m.group("year"), _mod(m)
    if strict and not (day and year):
        return None
    if day is None and year is None and mod is None and not m.group("ymod") and not m.group("shahr") and not m.group("pos") \
            and not _PREP_BEFORE.search(folded[max(0, m.start("core") - 30):m.start("core")]):
        return None  # a bare month name (تموز, مايو) with nothing around it that says it is a date
    start = m.start("core")
    if m.group("pos") and day is not None:
        start = m.start("core") + len(m.group("pos")) + (len(folded[m.end("pos"):]) - len(folded[m.end("pos"):].lstrip()))
    y = int(year) if year else None
    if y is not None and not 1800 <= y <= 2200:
        return None
    explicit = y is not None
    if y is None and base is not None and m.group("ymod"):
        y = base.year + _data()["modifiers"][m.group("ymod")]
    elif y is None and base is not None:
        if day is not None and mod is None:
            y = min((abs((date(c, month, 1) - base.date()).days), c) for c in (base.year - 1, base.year, base.year + 1))[1]
        else:
            y, month = _month_near(month, base, mod)
    if day is not None:
        value = _iso(y, month, day) if y else None
        if y and value is None:
            return None
        return _Cand(start, m.end("core"), value, "day", explicit, "date")
    if m.group("pos") and y:
        return _Cand(m.start("core"), m.end("core"), _part_of_month(y, month, _data()["period_positions"][m.group("pos")]),
                     "range", explicit, "date")
    return _Cand(m.start("core"), m.end("core"), f"{y:04d}-{month:02d}" if y else None, "month", explicit, "date")


def _part_of_month(y: int, month: int, where: str) -> str:
    last = (date(*_add_months(y, month, 1), 1) - timedelta(days=1)).day
    first, end = {"start": (1, 10), "mid": (11, 20), "end": (21, last)}[where]
    return f"{y:04d}-{month:02d}-{first:02d}/{y:04d}-{month:02d}-{end:02d}"


def _hijri(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    name = re.sub(r"\s+", " ", m.group("mon"))
    month = _data()["hijri_months"][name]
    day, year, mod = _day_of(m), m.group("year"), _mod(m)
    if not (year or m.group("shahr") or (day and mod is not None)):
        return None  # رجب, رمضان and صفر are also names and words: only with a year or شهر
    if day is None and year is None and mod is None and name in ("صفر",):
        return None
    y = int(year) if year else None
    explicit = y is not None
    if y is None and base is not None:
        hy, hm = _hijri_of(base)
        if not hy:
            return None
        if mod is not None and mod < 0:
            y = (hy - 1 if month >= hm else hy) + mod + 1
        elif mod == 1:
            y = hy + 1 if month <= hm else hy
        elif mod == 0:
            y = hy
        else:  # the nearest such month
            y = min((abs((c * 12 + month) - (hy * 12 + hm)), -c, c) for c in (hy - 1, hy, hy + 1))[2]
    if day is not None:
        return _Cand(m.start("core"), m.end("core"), _hijri_day(y, month, day) if y else None, "day", explicit, "hijri")
    return _Cand(m.start("core"), m.end("core"), _hijri_range(y, month) if y else None, "range", explicit, "hijri")


def _english(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    table = _data()["months_en"]
    mon, day, year = (m.group("mon"), m.group("day"), m.group("year")) if m.group("mon") else \
        (m.group("mon2"), m.group("day2"), m.group("year2"))
    value = _iso(int(year), table[mon.lower()], int(day))
    return _Cand(m.start("core"), m.end("core"), value, "day", True, "english") if value else None


def _numeric(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    if m.group("y"):
        y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    else:
        y, mo, d = int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))
    hijri = (m.group("hs") or "").startswith("ه") or 1300 <= y <= 1500
    value = _hijri_day(y, mo, d) if hijri else (_iso(y, mo, d) if 1800 <= y <= 2200 else None)
    return _Cand(m.start("core"), m.end("core"), value, "day", True, "numeric") if value else None


def _weekday(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    target = _data()["weekdays"][m.group("wd")]
    mod = _mod(m)
    if base is None:
        return _Cand(m.start("core"), m.end("core"), None, "day", False, "weekday")
    day = base.date()
    if m.group("rel"):
        shifted = day + timedelta(days=_data()["relative_days"][m.group("rel")])
        if shifted.weekday() == target:
            return _Cand(m.start("core"), m.end("core"), shifted.isoformat(), "day", False, "weekday")
    back = (day.weekday() - target) % 7
    if mod == 1:
        resolved = day + timedelta(days=(target - day.weekday()) % 7 or 7)
    elif mod is not None and mod < 0:
        resolved = day - timedelta(days=(back or 7) + 7 * (-mod - 1))
    else:
        resolved = day - timedelta(days=back)
    return _Cand(m.start("core"), m.end("core"), resolved.isoformat(), "day", False, "weekday")


def _relday(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    d = _data()
    rel = re.sub(r"\s+", " ", m.group("rel"))
    if rel in ("غد", "الغد") and not m.group("part"):
        return None  # الغد is also a newspaper and a party; bare غد only with مساء/صباح
    if rel == "اليوم" and not m.group("part"):
        before = folded[max(0, m.start("core") - 12):m.start("core")].split()
        after = folded[m.end("core"):m.end("core") + 14].split()
        if (before and before[-1].strip('"“«(') in d["not_today_before"]) or \
                (after and after[0].strip('"”».,،') in d["not_today_after"]):
            return None
        if raw[m.start("core") - 1:m.start("core")] in "\"“«" and raw[m.end("core"):m.end("core") + 1] in "\"”»":
            return None  # «اليوم», the newspaper
    value = (base.date() + timedelta(days=d["relative_days"][rel])).isoformat() if base else None
    return _Cand(m.start("core"), m.end("core"), value, "day", False, "relday")


def _period(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    per = _data()["period_words"][m.group("per")]
    mod, pos = _mod(m), m.group("pos")
    if mod is None and not pos and not m.group("this"):
        return None  # العام alone is "general" (الأمين العام); الشهر alone is not a date
    if m.group("per") == "السنه" and mod is not None and m.group("mod") in ("الماضي", "المقبل", "القادم", "الحالي", "الجاري"):
        return None  # السنة takes feminine modifiers; a masculine one belongs to another noun
    where = _data()["period_positions"].get(re.sub(r"\s+", " ", pos)) if pos else None
    kind = ("month" if where else "year") if per == "year" else ("range" if where else per) if per == "month" else per
    if base is None:
        return _Cand(m.start("core"), m.end("core"), None, kind, False, "period")
    shift = mod or 0
    if per == "year":
        y = base.year + shift
        if where:
            month = {"start": 1, "mid": 6, "end": 12}[where]
            return _Cand(m.start("core"), m.end("core"), f"{y:04d}-{month:02d}", "month", False, "period")
        return _Cand(m.start("core"), m.end("core"), f"{y:04d}", "year", False, "period")
    if per == "month":
        y, mo = _add_months(base.year, base.month, shift)
        if where:
            return _Cand(m.start("core"), m.end("core"), _part_of_month(y, mo, where), "range", False, "period")
        return _Cand(m.start("core"), m.end("core"), f"{y:04d}-{mo:02d}", "month", False, "period")
    day = base.date() + timedelta(weeks=shift)
    return _Cand(m.start("core"), m.end("core"), _week(day), "week", False, "period")


_UNIT_ISO = {"D": "D", "W": "W", "M": "M", "Y": "Y", "H": "H", "MIN": "M", "DEC": "Y"}


def _offset(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    d = _data()
    unit = d["units"][m.group("unit")]
    number = m.group("num") or m.group("num2")
    if unit.endswith("2"):
        n, unit = 2, unit[:-1]
    elif number:
        n = int(number) if number.isdigit() else d["numbers"].get(re.sub(r"\s+", " ", number))
    elif m.group("unit") in ("يوم", "اسبوع", "شهر", "عام", "سنه", "ساعه", "دقيقه", "عقد") and not m.group("al"):
        n = 1
    else:
        n = None
    if not n:
        return None  # منذ سنوات, خلال الأيام المقبلة: vague, no value to give
    if unit == "DEC":
        n, unit = n * 10, "Y"
    sig = re.sub(r"\s+", " ", m.group("sig"))
    start, end = m.start("core"), m.end("core")
    after = _extend_marks(folded, end)
    relative_to_event = re.match(r"\s+من\s", folded[after:after + 4]) is not None  # بعد عام من إعلان ...
    if sig in ("منذ", "قبل", "بعد") and _mod(m) is None and not relative_to_event:
        sign = 1 if sig == "بعد" else -1
        if base is None:
            return _Cand(start, end, None, "unknown", False, "offset")
        if unit in ("H", "MIN"):
            return _Cand(start, end, base.date().isoformat(), "day", False, "offset")
        if unit == "D":
            return _Cand(start, end, (base.date() + timedelta(days=sign * n)).isoformat(), "day", False, "offset")
        if unit == "W":
            return _Cand(start, end, _week(base.date() + timedelta(weeks=sign * n)), "week", False, "offset")
        if unit == "M":
            y, mo = _add_months(base.year, base.month, sign * n)
            return _Cand(start, end, f"{y:04d}-{mo:02d}", "month", False, "offset")
        return _Cand(start, end, f"{base.year + sign * n:04d}", "year", False, "offset")
    if sig in ("قبل", "بعد") and not relative_to_event:
        return None  # قبل الأيام الماضية ...: not an offset we can read
    iso = f"PT{n}{_UNIT_ISO[unit]}" if unit in ("H", "MIN") else f"P{n}{_UNIT_ISO[unit]}"
    return _Cand(start, end, iso, "duration", True, "offset")


_YEAR_FOLLOW_OK = {"في", "الي", "حتي", "من", "عن", "علي", "مع", "عندما", "حين", "بعد", "قبل", "ضد", "كما", "حيث",
                   "اذ", "بين", "ثم", "لم", "لن", "قد", "اي", "او", "وهو", "وهي", "اثر", "عقب", "خلال", "لكن"}
_COUNT_BEFORE = {"نحو", "حوالي", "قرابه", "بلغ", "بلغت", "اكثر", "اقل", "رقم", "عدد", "اجمالي", "بواقع", "مجموع"}


def _year(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    y = int(m.group("y"))
    suffix = m.group("suffix") or ""
    before = folded[max(0, m.start("core") - 24):m.start("core")].split()
    prev = before[-1] if before else ""
    prev_bare = re.sub(r"^[وفبل]", "", prev) if len(prev) > 3 else prev
    if suffix.startswith("ه") or suffix == "هجري":
        if not 1300 <= y <= 1500:
            return None
        first, last = _hijri_range(y, 1), _hijri_range(y, 12)
        value = f"{first.split('/')[0]}/{last.split('/')[1]}" if first and last else None
        return _Cand(m.start("core"), m.end("core"), value, "range", True, "year")
    if not 1900 <= y <= 2100:
        return None
    y2 = int(m.group("y2")) if m.group("y2") else None
    if y2 is not None and not (1900 <= y2 <= 2100 and abs(y2 - y) <= 30):
        return None
    if not (m.group("cue") or suffix):
        if prev in _COUNT_BEFORE or (len(before) > 1 and before[-2] in ("اكثر", "اقل") and prev == "من"):
            return None
        after = folded[m.end("core"):m.end("core") + 20]
        word = re.match(r"\s*([^\W\d_]+)", after)
        signal = prev in _data()["year_signals"] or prev_bare in _data()["year_signals"]
        if word and not after.lstrip()[:1] in "،,.;:)(\"" and m.group("y2") is None:
            follow = word.group(1)
            if not (signal and (follow in _YEAR_FOLLOW_OK or follow.startswith(("ال", "و", "ف")))):
                return None  # 2500 جندي, 2020 منزلا: a count, not a year
    value = f"{min(y, y2)}/{max(y, y2)}" if y2 else f"{y:04d}"
    return _Cand(m.start("core"), m.end("core"), value, "range" if y2 else "year", True, "year")


def _time(m: re.Match, folded: str, raw: str, base: datetime | None) -> _Cand | None:
    d = _data()
    if m.group("hw"):
        hour = d["hours"][re.sub(r"\s+", " ", m.group("hw"))]
        minute = d["hour_fractions"][re.sub(r"\s+", " ", m.group("frac"))] if m.group("frac") else 0
        if minute < 0:
            hour, minute = (hour - 1) % 12 or 12, 60 + minute
    else:
        hour = int(m.group("h") or m.group("h2"))
        minute = int(m.group("mi") or 0)
    second = int(m.group("s")) if m.group("s") else None
    ampm = m.group("ampm") or m.group("ampm2") or ""
    if m.group("h") and not (ampm or folded[max(0, m.start("core") - 8):m.start("core")].rstrip().endswith("الساعه")):
        if not re.search(r"[،,]\s*$", folded[max(0, m.start("core") - 3):m.start("core")]):
            return None  # 3:1 scores and verse numbers: a bare h:mm needs الساعة, ص/م or to follow a date
    if ampm == "ليلا" and hour == 12:
        hour = 0  # الثانية عشرة ليلا: midnight
    elif ampm.lower() in ("م", "مساء", "عصرا", "ليلا", "pm") and hour < 12 and not (ampm == "ليلا" and hour < 5):
        hour += 12
    if ampm.lower() in ("ص", "صباحا", "فجرا", "am") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or (second is not None and second > 59):
        return None
    clock = f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second is not None else "")
    value = f"{base.date().isoformat()}T{clock}" if base else f"T{clock}"
    return _Cand(m.start("core"), m.end("core"), value, "time", base is None, "time")


_HANDLERS = {"date": _date, "hijri": _hijri, "english": _english, "numeric": _numeric, "weekday": _weekday,
             "relday": _relday, "period": _period, "offset": _offset, "year": _year, "time": _time}
_FAMILY_RANK = {name: i for i, name in enumerate(_HANDLERS)}
_DATE_TIME_GAP = re.compile(r"\s*[،,\-–]?\s*(?:في\s+)?(?:تمام\s+)?$")


# -- finding -----------------------------------------------------------------------------------

def _candidates(text: str, base: datetime | None) -> list[_Cand]:
    folded = fold_letters(fold_digits(text))
    found: list[_Cand] = []
    for name, pattern in _patterns().items():
        handler = _HANDLERS[name]
        for lo, hi in _windows(folded, _anchors()[name]):
            for match in pattern.finditer(folded, lo, hi):
                if not _left_ok(folded, match.start()):
                    continue
                cand = handler(match, folded, text, base)
                if cand is not None and cand.end > cand.start:
                    found.append(cand)
    found.sort(key=lambda c: (-(c.end - c.start), _FAMILY_RANK[c.family], c.start))
    kept: list[_Cand] = []
    taken = bytearray(len(text) + 1)
    for cand in found:
        if not any(taken[cand.start:cand.end]):
            kept.append(cand)
            taken[cand.start:cand.end] = b"\x01" * (cand.end - cand.start)
    kept.sort(key=lambda c: c.start)
    return _join_times(kept, folded)


def _join_times(cands: list[_Cand], folded: str) -> list[_Cand]:
    """A day followed by its time of day (`4 نوفمبر 2021, 4:44:29 م`) becomes one time span."""
    out: list[_Cand] = []
    for cand in cands:
        prev = out[-1] if out else None
        if (cand.family == "time" and prev is not None and prev.precision == "day"
                and _DATE_TIME_GAP.fullmatch(folded[prev.end:cand.start])):
            clock = cand.value.split("T", 1)[1] if cand.value else None
            value = f"{prev.value}T{clock}" if prev.value and clock else None
            out[-1] = _Cand(prev.start, cand.end, value, "time", prev.explicit, prev.family)
        else:
            out.append(cand)
    return out


def _extend_marks(text: str, end: int) -> int:
    """Take trailing diacritics (tanween in غداً, صباحاً) into the span."""
    return _MARKS.match(text, end).end()


def _spans(text: str, cands: list[_Cand]) -> list[TimeSpan]:
    out = []
    for c in cands:
        end = _extend_marks(text, c.end)
        out.append(TimeSpan(c.start, end, text[c.start:end], c.value, c.precision))
    return out


def find_times(text: str, base: date | datetime | str | None = None) -> list[TimeSpan]:
    """Time expressions in `text`, in order, valued against `base` (the article's publication date).

    Relative expressions (`الخميس`, `أمس`, `الشهر الماضي`) get `value=None` when there is no base.
    """
    if not isinstance(text, str):
        raise TimexError(f"text must be a string, not {type(text).__name__}")
    return _spans(text, _candidates(text, _as_base(base)))


# -- publication date estimate -----------------------------------------------------------------

_FUTURE_BEFORE = re.compile(r"(?:بحلول|قبل|حتي|موعد|الموعد|المحدد|المقرر|المزمع|المرتقب|المقبل)(?:\s+\S+){0,2}\s*$")


_FULL_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # a time of day alone ("T10:00") dates nothing


def estimate_date(text: str, title: str = "") -> tuple[date, str] | None:
    """A publication date for an undated article, guessed from its own explicit dates, with the reason.

    Takes the latest explicitly written day that is not a deadline (`بحلول 31 ديسمبر 2021`); when the
    article names a weekday (`الخميس`, `اليوم الأحد`), a dated day on that weekday is preferred, and
    otherwise the first such weekday after the latest date is taken. None when the article writes no
    full date at all: a month or a year alone is too coarse to resolve `الخميس` against.
    """
    full = f"{title}\n{text}" if title else text
    folded = fold_letters(fold_digits(full))
    cands = _candidates(full, None)
    days = []
    for c in cands:
        if c.explicit and c.value and c.precision in ("day", "time") and _FULL_DAY.match(c.value):
            if _FUTURE_BEFORE.search(folded[max(0, c.start - 40):c.start]):
                continue
            days.append((date.fromisoformat(c.value[:10]), full[c.start:c.end]))
    if not days:
        return None
    weekdays = {_data()["weekdays"][m.group("wd")] for m in _patterns()["weekday"].finditer(folded)
                if not m.group("mod")}
    on_weekday = [d for d in days if d[0].weekday() in weekdays]
    if on_weekday:
        day, written = max(on_weekday)
        return day, (f"estimated: no publication date; latest explicit date in the text on a weekday it names "
                     f"({_WEEKDAY_NAMES[day.weekday()]}): {written!r}")
    latest, written = max(days)
    if weekdays:
        step = min((wd - latest.weekday()) % 7 or 7 for wd in weekdays)
        day = latest + timedelta(days=step)
        return day, (f"estimated: no publication date; first {_WEEKDAY_NAMES[day.weekday()]} (named in the text) "
                     f"after its latest explicit date {written!r} — a lower bound")
    return latest, f"estimated: no publication date; latest explicit date in the text: {written!r}"


# -- article bases and evaluation --------------------------------------------------------------

def article_base(text: str, title: str = "", published: str | None = None) -> tuple[str | None, str | None]:
    """(base date for the article's relative expressions, reason when it is an estimate).

    The publication date when there is one; else `estimate_date` of the content; else (None, None).
    """
    if published:
        return published, None
    estimate = estimate_date(text, title)
    if estimate is None:
        return None, None
    return estimate[0].isoformat(), estimate[1]


def load_time_gold(path) -> dict[str, list[dict]]:
    """Gold spans by article id from JSONL lines `{"article", "text", "start", "end", "value", "precision"}`."""
    from pathlib import Path

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise TimexError(f"{path}: cannot read gold file: {err}") from None
    gold: dict[str, list[dict]] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            item = {"start": int(record["start"]), "end": int(record["end"]), "text": str(record["text"]),
                    "value": record.get("value"), "precision": str(record["precision"])}
            gold.setdefault(str(record["article"]), []).append(item)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            raise TimexError(f"{path}:{lineno}: expected {{\"article\", \"text\", \"start\", \"end\", \"value\", "
                             f"\"precision\"}} ({err!r})") from None
    if not gold:
        raise TimexError(f"{path}: no gold lines")
    return gold


def _prf(hits_p: int, predicted: int, hits_r: int, gold: int) -> dict:
    p = hits_p / predicted if predicted else 0.0
    r = hits_r / gold if gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def score_times(predicted: dict[str, list[dict]], gold: dict[str, list[dict]]) -> dict:
    """Span precision/recall/F1 (exact offsets, and overlap matched one-to-one) and value accuracy.

    Value accuracy is over overlap-matched pairs: equal ISO values (None equals None, for relative
    expressions an article gives no date for); `resolved_value_accuracy` only counts gold spans with a value.
    """
    n_gold = sum(len(v) for v in gold.values())
    n_pred = sum(len(predicted.get(a, [])) for a in gold)
    exact = values = resolved = resolved_ok = precisions = 0
    matched = 0
    misses, false_alarms, wrong_values = [], [], []
    for article, gold_spans in gold.items():
        pred = list(predicted.get(article, []))
        exact += len({(g["start"], g["end"]) for g in gold_spans} & {(p["start"], p["end"]) for p in pred})
        free = list(pred)
        for g in sorted(gold_spans, key=lambda s: s["start"]):
            best = max((p for p in free if p["start"] < g["end"] and g["start"] < p["end"]),
                       key=lambda p: min(p["end"], g["end"]) - max(p["start"], g["start"]), default=None)
            if best is None:
                misses.append({"article": article, **g})
                continue
            free.remove(best)
            matched += 1
            values += best["value"] == g["value"]
            precisions += best["precision"] == g["precision"]
            if g["value"] is not None:
                resolved += 1
                resolved_ok += best["value"] == g["value"]
            if best["value"] != g["value"]:
                wrong_values.append({"article": article, "text": g["text"], "gold": g["value"], "found": best["value"]})
        false_alarms.extend({"article": article, **p} for p in free)
    return {
        "articles": len(gold), "gold": n_gold, "predicted": n_pred, "matched": matched,
        "exact": _prf(exact, n_pred, exact, n_gold), "overlap": _prf(matched, n_pred, matched, n_gold),
        "value_accuracy": round(values / matched, 4) if matched else 0.0,
        "resolved_value_accuracy": round(resolved_ok / resolved, 4) if resolved else 0.0,
        "precision_accuracy": round(precisions / matched, 4) if matched else 0.0,
        "misses": misses, "false_alarms": false_alarms, "wrong_values": wrong_values,
    }
