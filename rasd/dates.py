"""Publication dates from whatever the input gives: ISO stamps, feed dates, Arabic bylines.

Inputs carry dates as `2015-08-10 18:52:49`, RFC 2822 feed stamps, or Arabic byline text such as
`4 نوفمبر 2021, 4:44:29 م` or `٦ تشرين الثاني ٢٠٢٥` (Egyptian/Gulf and Levantine month names).
ISO stamps take a fast path; everything else goes to dateparser with the `ar-IQ` locale (which
knows both month systems) and English; Hijri dates (`26 شوال 1436 هـ`) are converted with
hijridate. Dates are returned as ISO 8601 strings in the time zone they were written in.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from .normalize import fold_digits, fold_letters

__all__ = ["parse_date", "pick_byline_date", "day_number"]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_HIJRI_MONTHS = {
    "محرم": 1, "صفر": 2, "ربيع الاول": 3, "ربيع الثاني": 4, "ربيع الاخر": 4, "جمادي الاولي": 5,
    "جمادي الاول": 5, "جمادي الثانيه": 6, "جمادي الاخره": 6, "جمادي الاخر": 6, "رجب": 7, "شعبان": 8,
    "رمضان": 9, "شوال": 10, "ذو القعده": 11, "ذي القعده": 11, "ذو الحجه": 12, "ذي الحجه": 12,
}
_HIJRI = re.compile(
    r"(\d{1,2})\s+(" + "|".join(sorted(_HIJRI_MONTHS, key=len, reverse=True)) + r")\s+(1[34]\d\d)\s*(?:هـ|ه)?"
)
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])")  # year first: always year-month-day
_SETTINGS = {"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False, "DATE_ORDER": "DMY",
             "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month", "year"]}
_EARLIEST, _LATEST = date(1900, 1, 1), date(2100, 1, 1)


def _format(value: datetime, has_time: bool) -> str:
    value = value.replace(tzinfo=None, microsecond=0)
    return value.isoformat() if has_time else value.date().isoformat()


def _valid_ymd(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _hijri(text: str) -> str | None:
    match = _HIJRI.search(fold_letters(text))
    if not match:
        return None
    from hijridate import Hijri

    day, month, year = int(match.group(1)), _HIJRI_MONTHS[match.group(2)], int(match.group(3))
    try:
        return Hijri(year, month, day).to_gregorian().isoformat()
    except (ValueError, OverflowError):
        return None


@lru_cache(maxsize=4096)
def parse_date(text: str | int | float | None) -> str | None:
    """ISO 8601 form of a date written in `text`, or None when there is no full date in it."""
    if text is None or text == "":
        return None
    if isinstance(text, (int, float)):
        try:
            return datetime.utcfromtimestamp(float(text)).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    text = fold_digits(str(text)).strip()
    if (ymd := _YMD.match(text)) and not _valid_ymd(*map(int, ymd.groups())):
        return None  # `2015-13-01` is no date (dateparser would read it as 13 January)
    if _ISO.fullmatch(text):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is not None:
            return _format(value, len(text) > 10)
    if re.search(r"\d{4}\s*(?:هـ|ه)\b|شوال|رمضان|شعبان|محرم|رجب|القعد|الحج", text):
        hijri = _hijri(text)
        gregorian = re.search(r"(?:الموافق|الموافق ل)\s*(.+?)(?:م\b|$)", text)
        if gregorian and (parsed := _dateparser(gregorian.group(1))):
            return parsed
        if hijri:
            return hijri
    return _dateparser(text)


def _dateparser(text: str) -> str | None:
    import dateparser

    try:
        value = dateparser.parse(text, locales=["ar-IQ", "en"], settings=_SETTINGS)
    except (ValueError, OverflowError, TypeError):
        return None
    if value is None or not (_EARLIEST <= value.date() < _LATEST):
        return None
    return _format(_this_century(value, text), bool(_HAS_TIME.search(text)))


def _this_century(value: datetime, text: str) -> datetime:
    """A two-digit year read a century back only because the stamp is a little ahead of this clock.

    dateparser, preferring the past, reads `Sun, 06 Dec 26 10:00:00 +0000` as 1926 when this machine's
    clock is not yet at 10:00 UTC that day: a site east of it that writes its local time as GMT, minutes ago.
    """
    if re.search(r"(?<![\d+-])\d{4}(?!\d)", text) or value.year > date.today().year - 50:  # not `+0300`
        return value
    try:
        later = value.replace(year=value.year + 100)
    except ValueError:  # 29 February
        return value
    return later if later.date() <= date.today() + timedelta(days=2) else value


def pick_byline_date(lines: list[str]) -> str | None:
    """The article's own date among lone date lines a scraper kept.

    Pages often show today's date in a header widget next to the article's byline date; the byline
    is the one with a time of day, or else the earliest (a widget shows the later scraping day).
    """
    parsed = [(p, bool(_HAS_TIME.search(fold_digits(line)))) for line in lines if (p := parse_date(line))]
    if not parsed:
        return None
    timed = [p for p, has_time in parsed if has_time]
    return min(timed) if timed else min(p for p, _ in parsed)


def day_number(published: str | None) -> float | None:
    """Days since 1970-01-01 of an ISO date or datetime (as `parse_date` writes them; one without a zone
    read as UTC), None when unknown."""
    if not published:
        return None
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return None
    return value.timestamp() / 86400.0 if value.tzinfo else (value - datetime(1970, 1, 1)).total_seconds() / 86400.0
