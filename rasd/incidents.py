"""Incident keys: what lets a flood of reactions to one happening find each other.

After the Abha mosque bombing (6 August 2015) SaudiNewsNet carries dozens of articles a day that
report no news of their own: a university president, a Jordanian fatwa office, the Kuwaiti parliament
condemn "the terrorist bombing that targeted the emergency forces' mosque in Asir"; victims' families
bury their dead; officials visit the injured. Each headline's subject is the *reactor*, and a body
cosine of 0.1-0.3 with any other reaction keeps them apart, one story each, while the gold (and an
analyst) puts the happening and its aftermath in one story.

What they share is how they refer to the happening: an incident word (`تفجير`, `هجوم`, `اعتداء`,
`حريق`, ...) and where it happened, a place (`عسير`, `أبها`) or a site (`مسجد`), in the headline or the
opening sentences. An *incident key* is such a pair of stems; so is a site and a place named together
(`مسجد` + `عسير`), counted only from articles that also name an incident (`incident_keys`). One key in
a handful of articles within a day or so (`HOT_COUNT`) marks a happening the press is reacting to; two
accidents somewhere are rarely written up three times. The story engine (`cluster.StoryEngine.decide`)
uses a hot key where its model would open a new story, or would join one whose members carry the key
less often than the hub's: the article joins the candidate story whose members carry the key most
often, the incident's hub (the more probable one on a tie); a hub that is not among the article's candidates
(the index returns the 24 stories sharing most words with it) is looked up by the key (`StoryEngine._hubs`).

Cross-validated on the five gold days (leave one day out, join model retrained each time, real
pipeline), mean B-cubed F1 0.926 -> 0.937 on the gold slices and 0.925 -> 0.937 on whole days; the
three days after the bombing gain 0.01-0.03 each, the others nothing. Keys of the place alone (any
incident word) did as well on the slices but worse on whole days (0.931): more articles, more false
joins. Joining the most probable sharer rather than the hub: whole days 0.935.

Days after the attack the first reactions of a day still open stories of their own: nothing decided that
day carries a key yet. An ingest run therefore counts the keys of the articles it has read ahead
(`IncidentCounts.expect`, `pipeline.AHEAD`). A key that many articles of the day carry that way
(`cluster.VERY_HOT`, where the place is no country) is the day's dominant happening: hot from the day's
first article, and where no sharer is joined at the usual floor its hub needs a lower one. Reading ahead
alone changes nothing (0.9507 against 0.9508 on the slices); with the very hot keys 0.9522, the six days of
and after the bombing +0.004 on slices and +0.005 on whole days, every other day unchanged.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .features import stem_tokens
from .normalize import strip_marks

__all__ = ["IncidentCounts", "incident_keys", "incident_stems", "site_stems", "as_written", "HOT_COUNT"]

# Incidents whose aftermath outlasts the day: violence, explosions, fires. Not `حادث` (every traffic
# accident, each its own story) nor `عملية` (an operation of any kind).
INCIDENT_WORDS = """تفجير التفجير انفجار الانفجار هجوم الهجوم اعتداء الاعتداء جريمة الجريمة الإرهابي الإرهابية
إرهابي حريق الحريق اغتيال قصف انتحاري الانتحاري مفجر""".split()
# Where an incident happens when the text names no town: the kind of building hit. Not `جامع` (a mosque):
# its stem is the university's (`جامعة`), and every university condemning the bombing had "the mosque" key.
SITE_WORDS = "مسجد المسجد كنيسة سفارة فندق سوق مطار".split()
HOT_COUNT = 3  # articles with the key within a day of the article (not counting it) make it hot
WINDOW_DAYS = 1
_WORD = re.compile(r"[^\W\d_]{2,}")
_OPENING = 1200  # characters of the text `as_written` reads: the keys come from the headline and opening


def _stems(words: list[str]) -> frozenset[str]:
    return frozenset(stem for word in words for stem in stem_tokens(word))


@lru_cache(maxsize=1)
def incident_stems() -> frozenset[str]:
    return _stems(INCIDENT_WORDS)


@lru_cache(maxsize=1)
def site_stems() -> frozenset[str]:
    return _stems(SITE_WORDS)


def incident_keys(lede, places: frozenset[str], lookup: bool = False) -> frozenset[tuple[str, str]]:
    """(incident stem, place or site stem) pairs of the stems in `lede` (headline + opening sentences), and
    (site stem, place stem) pairs where an incident word is there too or the keys are for `lookup`.

    Half the reactions to the Abha bombing that missed its story name where it happened ("the martyrs of
    the Emergency Forces mosque in Asir") without an incident word. The site-and-place key lets them find
    it; it is counted (made hot, stored on stories) only from articles that name an incident, so a
    mosque's everyday news (the Grand Mosque in Makkah) never makes it hot. Shipped model, eighteen gold
    days: B-cubed F1 on the slices of and after the bombing +0.003 to +0.015, the other slices unchanged;
    whole days mean +0.0013 (08-11 -0.004: two pieces opening on the mosque in Asir that the gold keeps
    apart). As `lookup` keys, a site's pairs are returned with no incident word in `lede`; the story
    report then names the site among the incident's words."""
    kinds, sites = incident_stems(), site_stems()
    incidents = [t for t in lede if t in kinds]
    if not incidents and not lookup:
        return frozenset()
    here = [t for t in lede if t in sites]
    towns = [t for t in lede if t in places and t not in kinds and t not in sites]
    keys = {(i, w) for i in incidents for w in here + towns}
    return frozenset(keys | {(site, town) for site in here for town in towns})


@lru_cache(maxsize=65536)
def _word_stems(word: str) -> tuple[str, ...]:
    return tuple(stem_tokens(word))


def as_written(stems: list[str], title: str, text: str) -> list[str]:
    """Each stem as the article first writes it (`عسير` -> `بعسير`, `ابه` -> `أبها`), for an analyst;
    the stem itself where no word of the headline or opening has it."""
    found: dict[str, str] = {}
    for word in _WORD.findall(f"{title} {text[:_OPENING]}"):
        for stem in _word_stems(word):
            if stem in stems and stem not in found:
                found[stem] = strip_marks(word)
        if len(found) == len(stems):
            break
    return [found.get(stem, stem) for stem in stems]


class IncidentCounts:
    """How many articles carried each incident key, per day; undated articles count on every day.

    `days` holds the articles decided so far (`observe`); `ahead` those an ingest run has read but not yet
    decided (`expect`, taken back with `step` -1 just before the article is decided), counted on their own
    day only, so that a day's counts do not depend on whether the next day came in the same run.
    """

    def __init__(self) -> None:
        self.days: dict[int | None, dict[tuple[str, str], int]] = {}
        self.seen: set = set()
        self.ahead: dict[int | None, dict[tuple[str, str], int]] = {}

    def observe(self, key, keys: frozenset[tuple[str, str]], time: float | None) -> None:
        """Count an article's keys once (`key`: its row id)."""
        if not keys or key in self.seen:
            return
        self.seen.add(key)
        counts = self.days.setdefault(None if time is None else int(time), {})
        for k in keys:
            counts[k] = counts.get(k, 0) + 1

    def expect(self, keys: frozenset[tuple[str, str]], time: float | None, step: int = 1) -> None:
        """Count the keys of an article read ahead of the one being decided (`step` -1 takes them back)."""
        if not keys:
            return
        day = None if time is None else int(time)
        counts = self.ahead.setdefault(day, {})
        for k in keys:
            n = counts.get(k, 0) + step
            if n > 0:
                counts[k] = n
            else:
                counts.pop(k, None)
        if not counts:
            del self.ahead[day]

    def count(self, keys: frozenset[tuple[str, str]], time: float | None,
              ahead: bool = True) -> dict[tuple[str, str], int]:
        """Each key's articles: decided within `WINDOW_DAYS` of `time`, and (`ahead`) read ahead on its day."""
        if time is None:
            tables = list(self.days.values()) + (list(self.ahead.values()) if ahead else [])
        else:
            day = int(time)
            tables = [self.days[d] for d in (*range(day - WINDOW_DAYS, day + WINDOW_DAYS + 1), None) if d in self.days]
            tables += [self.ahead[d] for d in (day, None) if d in self.ahead] if ahead else []
        return {k: sum(counts.get(k, 0) for counts in tables) for k in keys}

    def hot(self, keys: frozenset[tuple[str, str]], time: float | None) -> frozenset[tuple[str, str]]:
        """The keys at least `HOT_COUNT` other articles decided carry (`count`)."""
        if not keys:
            return frozenset()
        return frozenset(k for k, n in self.count(keys, time, ahead=False).items() if n >= HOT_COUNT)
