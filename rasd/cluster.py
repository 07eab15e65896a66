"""The story engine: for each incoming article, copy or not, which story (event), which thread.

In the spirit of Miranda et al. 2018 (Multilingual Clustering of Streaming News), every article is
compared with the *candidate* stories an inverted index returns (never a scan of all stories) on
several signals: TF-IDF cosine of stemmed title and body against the story's centroids, closeness
in a topic space learned from SaudiNewsNet (`features.topic_vector`: an event's aftermath shares
topics more than words), shared rare proper tokens (names), shared numbers, and time distance with
decay. A logistic model learned from hand-labelled SaudiNewsNet days (`scripts/train_join.py`,
shipped as `data/join_model.json`) turns the signals into the probability that the article belongs
to the story; the article joins the most probable story when that probability passes the model's
learned cut, else it opens a new story -- unless it shares a *hot incident key* (`incidents`: "bombing"
+ "Asir", in a handful of articles within a day) with a candidate story: reactions to one happening
are far apart by content, each headline naming its reactor, and join that way. A standing item (a
press review, a cartoon, a news brief: `features.standing_kind`) is a story of its own, joined only by
its copies; a day's report (a market's close, a price, the forecast: `features.is_day_report`) joins only
a story begun within about a day (`REPORT_SPAN_DAYS`): the next session's close is another story.

Stories are linked into *threads* (the same long-running matter, months or years apart) when a new
story shares several rare names and enough vocabulary with an older story of any age.

Stories never change ids and articles never move: later articles can only join or open stories,
so ingesting day by day gives the same stories as ingesting at once (up to input order).
Articles without a date are compared on content alone (the time signal is neutral), and never
expire from the candidate index.

Memory: a story days past its window is packed (`StoryState.freeze`: its term counts and centroids
as tuples and arrays) once the latest article is `FREEZE_AFTER_DAYS` beyond it; only an undated or
late article can still reach it, and `candidates` unpacks what it returns, exactly, so decisions do
not change. On a 30k-article store the engine loads in ~90 MB less.
"""
from __future__ import annotations

import heapq
import json
import math
import sys
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, product, repeat
from operator import itemgetter

import numpy as np

from . import DATA_DIR
from .dates import day_number
from .dedupe import CopyIndex, decode, pack, shingles, signature
from .features import (Features, article_features, cosine, folded_title, idf_table, learned_places, standing_kind,
                       stem_idf, title_counts, topic_rank, topic_vector)
from .incidents import IncidentCounts, incident_keys, incident_stems

__all__ = ["Decision", "JoinModel", "StoryEngine", "StoryState", "SIGNALS", "day_number"]

SIGNALS = ("body", "title", "title_body", "lede", "max_body", "max_lede", "title_cover", "core", "anchor",
           "burst_cover", "burst_article", "burst_mass", "title_miss", "story_miss", "names", "numbers", "time", "undated", "size",
           "topic", "max_topic")
# A day's report (`features.is_day_report`: a market's close, a price, the forecast) joins only a story begun at
# most this long before it. Print outlets' reports of a session carry the next evening's time in SaudiNewsNet,
# up to ~25 h after its first web report. On the gold's dated reports, all eighteen slices in one run
# (`scripts/eval_dev.py --reports`), B-cubed F1: no rule 0.697; 1.0 / 1.1 / 1.25 days 0.893 / 0.918 / 0.918
# (the report articles alone: 0.731; 0.850 / 0.876 / 0.875). 1.0 splits 07-27's print reports of the 07-26
# close from it; 1.25 starts letting the next session's reports in (precision 0.981 -> 0.957). No day's own
# slice or whole-day score changes.
REPORT_SPAN_DAYS = 1.1
EVENT_WINDOW_DAYS = 4.0  # a story takes no new article more than this many days after its last one
STORY_SPAN_DAYS = 6.0  # ...nor more than this many after its first: a happening and its aftermath "within days";
# without it a daily template (a market's close, the weather, the royal court's audiences) grew for weeks
MAX_CANDIDATES = 24
ANCHORS = 8  # a story's event words: the stems most of its members' ledes share, rarest first
MEMBER_VECTORS = 8  # a story keeps its first and latest members' vectors for single-link signals
MEMBER_FLOOR = 0.3  # join only through a member this close (max_body or max_lede); cross-validated on 3 gold days
_INDEX_BODY_TERMS = 12
FREEZE_AFTER_DAYS = 2.0  # a story is packed (`StoryState.freeze`) once the latest article is this far past its window
_FROZEN_NAMES, _FROZEN_BODY = 6, 8  # where a packed story keeps its names' keys and its body's keys, weights next
_TITLE_WORDS = 16  # a story's title terms kept as a Bloom filter of 16 x 64 bits, two bits a term (`_title_bits`)
_MAX_DF_SHARE = 0.05  # terms in more than 5% of documents are too common to find candidates by
INCIDENT_FLOOR = 0.02  # the least join probability through a shared hot incident key (`_incident_join`)
# ...and through a key this many articles of the day carry (`IncidentCounts.count`, read-ahead included) where
# the place is no country (`country_stems`): the day's dominant happening, whose reactions are farther apart by
# content than any model cut allows ("terrorism" + "Iraq" is every day's news, not one happening)
VERY_HOT = 8
VERY_HOT_FLOOR = 0.005
# A story of `BYPASS_SIZE` articles or more is joined past the member floor where the model is this sure of it
# and no story passes the floor and cut (`StoryEngine._past_floor`); 1.0 turns it off, to measure what it does
FLOOR_BYPASS = 0.95
BYPASS_SIZE = 5
BYPASS_CLOSE = 0.05  # ...and some kept member is at least this close (most floored stories share next to nothing)
# A social notice (an Eid party, a wedding, a condolence reception) is a story of its own, except the same notice
# printed by another outlet: one of the day before or the day itself whose text is this close (`_notice_twin`)
NOTICE_TWIN = 0.85
HUB_LOOKUP = True  # see `StoryEngine._hubs`; off only to measure what it does
HUB_CARRIES = 3  # ...among the stories whose members carry one of those keys at least this often
HUBS = 3  # the stories carrying an article's hot incident keys most that it is compared with besides its candidates
# Such a key's hub began the day before at the earliest (`_of_the_day`): an older story carrying the key is an
# earlier happening of the kind (read ahead, the Kuwait mosque bombing's trial, begun 08-03, took in the Abha
# bombing of 08-06 when the days were ingested together)


def _of_the_day(story: "StoryState", time: float | None) -> bool:
    """Whether a story began the day before `time` or later (or either is undated)."""
    return time is None or story.first is None or int(story.first) >= int(time) - 1


_ANCHORS_IN_NUMPY = 64  # lede words from which a story's anchors are picked in arrays (`_top_anchors`)


def _top_anchors(lede_df: dict[str, int], absorbed: int) -> dict[str, float]:
    """`StoryState.anchors` of a big story in arrays: a story of hundreds of members has thousands of lede
    words, scored again each time it grows. The same weights ((n / absorbed) x idf, each rounding as in
    Python) and the same picks in the same order: every word scoring above the `ANCHORS`-th score, then
    those tied with it in insertion order, as `heapq.nlargest` keeps ties."""
    terms = list(lede_df)
    scores = np.fromiter(lede_df.values(), np.float64, len(terms)) / absorbed
    scores *= np.fromiter(map(stem_idf, terms), np.float64, len(terms))
    kth = np.partition(scores, len(scores) - ANCHORS)[len(scores) - ANCHORS]
    picked = np.flatnonzero(scores >= kth)
    picked = picked[np.argsort(-scores[picked], kind="stable")][:ANCHORS]
    return {terms[i]: float(scores[i]) for i in picked.tolist()}


def _weight(item: tuple[str, float]) -> float:
    """A (term, weight) pair's weight: `heapq.nlargest(k, items, key=_weight)` is `sorted(...)[:k]`, ties kept
    in insertion order, without sorting a big story's thousands of terms."""
    return item[1]


_STEM_IDS: dict[str, int] = {}  # stem -> column of the packed member vectors, shared by every engine here
_STEM_IDS_LOCK = threading.Lock()  # two engines growing it at once must not give two stems one id


def _title_bits(term: str) -> tuple[int, int, int, int]:
    """(word, bit, word, bit) of a title term in a story's Bloom filter (`StoryEngine._titles`): from CRC-32,
    the same in every process, as the filters are saved with the engine. Not cached: a cache of every
    headline word held ~15 MB by the end of the corpus, for a hash that costs well under a microsecond."""
    h = zlib.crc32(term.encode())
    return (h >> 6) % _TITLE_WORDS, 1 << (h & 63), (h >> 16) % _TITLE_WORDS, 1 << ((h >> 10) & 63)


def _with_row(array: np.ndarray, sid: int, fill) -> np.ndarray:
    """A by-story-id array with a row for `sid`: grown to twice its length (or to `sid`) with `fill` rows."""
    if sid < len(array):
        return array
    grow = max(sid + 1, 2 * len(array)) - len(array)
    return np.concatenate((array, np.full((grow, *array.shape[1:]), fill, array.dtype)))


def packed(vec: dict[str, float], grow: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A sparse vector as (stem ids, weights) arrays sorted by id: ~12 bytes a term, not a dict entry's ~100.
    Stems no member has had are left out unless `grow` (they cannot match one). New stems get ids in the
    vector's order, so an engine rebuilt from the store numbers them as the one that ingested them did."""
    ids, count = _STEM_IDS, len(vec)
    if grow:
        with _STEM_IDS_LOCK:
            for term in vec:
                if term not in ids:
                    ids[term] = len(ids)
        found = np.fromiter(map(ids.__getitem__, vec), np.int32, count)
        weights = np.fromiter(vec.values(), np.float64, count)
    else:
        found = np.fromiter(map(ids.get, vec, repeat(-1)), np.int32, count)
        known = found >= 0
        found, weights = found[known], np.fromiter(vec.values(), np.float64, count)[known]
    order = np.argsort(found, kind="stable")
    return found[order], weights[order]


class Members:
    """A story's kept members' sparse vectors (unit length), packed end to end with each one's length."""

    __slots__ = ("ids", "weights", "lengths")

    def __init__(self) -> None:
        self.ids = np.empty(0, np.int32)
        self.weights = np.empty(0, np.float64)
        self.lengths: list[int] = []

    @property
    def count(self) -> int:
        return len(self.lengths)

    def add(self, vec: dict[str, float]) -> None:
        ids, weights = packed(vec, grow=True)
        self.ids = np.concatenate((self.ids, ids))
        self.weights = np.concatenate((self.weights, weights))
        self.lengths.append(len(ids))

    def drop(self, k: int) -> None:
        start = sum(self.lengths[:k])
        end = start + self.lengths.pop(k)
        self.ids = np.concatenate((self.ids[:start], self.ids[end:]))
        self.weights = np.concatenate((self.weights[:start], self.weights[end:]))


_SCRATCH = threading.local()  # per thread: a by-stem-id array, zero but for the article `_max_dots` reads


def _dense(size: int) -> np.ndarray:
    """A zero array of at least `size` by-stem-id weights (grown as stems get ids; ~8 bytes a stem)."""
    dense = getattr(_SCRATCH, "dense", None)
    if dense is None or len(dense) < size:
        dense = _SCRATCH.dense = np.zeros(max(size, 2 * len(dense) if dense is not None else size))
    return dense


def _max_dots(article: tuple[np.ndarray, np.ndarray], groups: list[Members]) -> np.ndarray:
    """Per group, the largest dot product of the article's packed vector with one of its members (0 if none).

    The article's weights are spread into a by-stem-id array and the members' ids read from it: one
    gather, where a sorted search of every member term in the article's terms was a tenth of the
    ingesting process (the products, and so the sums, are the same)."""
    ids, weights = article
    if not len(ids):
        return np.zeros(len(groups))
    counts = [max(1, g.count) for g in groups]  # a memberless group gets one empty row
    lengths = list(chain.from_iterable(g.lengths or (0,) for g in groups))  # hundreds of members, joined in C
    member_ids = np.concatenate([g.ids for g in groups])
    dense = _dense(len(_STEM_IDS))
    dense[ids] = weights
    try:
        products = dense[member_ids] * np.concatenate([g.weights for g in groups])
    finally:
        dense[ids] = 0.0
    rows = np.repeat(np.arange(len(lengths)), lengths)
    dots = np.bincount(rows, weights=products, minlength=len(lengths))
    starts = np.cumsum([0, *counts[:-1]])
    return np.maximum.reduceat(dots, starts)


class Burst:
    """Which stems are bursting: in many more recent articles than their background share predicts.

    An event's own words (`تفجير`, `عسير`, `الطوارئ` the days after the Abha bombing) burst; a daily
    template's words (`البورصة`, `تغلق`) do not, however often they occur. Counts are kept per day
    over each article's stored stems, so they are the same whether days arrive together or apart.
    """

    def __init__(self, window_days: int = 1, min_count: int = 3):
        self.window = window_days
        self.min_count = min_count
        self.counts: dict[int | None, dict[str, int]] = {}
        self.docs: dict[int | None, int] = {}
        self.seen: set = set()
        self.total = 0
        self._cache: dict = {}
        table = idf_table()
        self._df, self._n = table.stems, table.docs + 1

    def observe(self, key, feats: Features) -> None:
        """Count an article's stems once (`key`: its row id), into its day and the open windows."""
        if key in self.seen:
            return
        self.seen.add(key)
        day = None if feats.time is None else int(feats.time)
        terms = feats.body.keys() | feats.lede.keys()
        targets = [self.counts.setdefault(day, {})]
        for around, (merged, docs) in self._cache.items():
            if around is None or day is None or abs(around - day) <= self.window:
                targets.append(merged)
                docs[0] += 1
        for counts in targets:
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
        self.docs[day] = self.docs.get(day, 0) + 1
        self.total += 1

    def _window(self, time: float | None) -> tuple[dict[str, int], int]:
        """Summed counts and documents of the days around `time` (all days when undated). Kept
        exact: `observe` adds each new article to every window it falls in."""
        day = None if time is None else int(time)
        cached = self._cache.get(day)
        if cached is not None:
            return cached[0], cached[1][0]
        days = list(self.counts) if day is None else [
            d for d in [*range(day - self.window, day + self.window + 1), None] if d in self.counts]
        merged: dict[str, int] = {}
        for d in days:
            for term, n in self.counts[d].items():
                merged[term] = merged.get(term, 0) + n
        if len(self._cache) >= 16:
            self._cache.clear()
        self._cache[day] = (merged, [sum(self.docs[d] for d in days)])
        return merged, self._cache[day][1][0]

    def weights(self, terms, time: float | None) -> dict[str, float]:
        """Burst weight (log of observed over expected recent count) of each bursting term."""
        counts, docs = self._window(time)
        scale = docs / self._n
        out = {}
        # names bound once: asked for every candidate story of every article (its anchors change with the counts)
        count_of, df_of, least, log = counts.get, self._df.get, self.min_count, math.log
        for term in terms:
            count = count_of(term, 0)
            if count < least:
                continue
            weight = log(count / (scale * (df_of(term, 0) + 1) + 1.0))
            if weight > 0.5:
                out[term] = weight
        return out


@dataclass
class StoryState:
    """A story's running centroids and indexes, rebuilt from the store at start-up."""

    id: int
    thread: int
    title: dict[str, float] = field(default_factory=dict)
    body: dict[str, float] = field(default_factory=dict)
    lede: dict[str, float] = field(default_factory=dict)
    df: dict[str, int] = field(default_factory=dict)  # stem -> how many members' body vectors have it
    # the first and latest members' body and lede vectors, packed, and topic vectors (float16) as rows
    member_body: Members = field(default_factory=lambda: Members())
    member_lede: Members = field(default_factory=lambda: Members())
    member_topics: np.ndarray | None = None
    topic: np.ndarray | None = None  # sum of the members' topic vectors, None until one has one
    topic_norm: float = 0.0
    names: dict[str, float] = field(default_factory=dict)
    numbers: set[str] = field(default_factory=set)
    size: int = 0
    first: float | None = None
    last: float | None = None
    title_norm: float = 1.0
    body_norm: float = 1.0
    lede_norm: float = 1.0
    indexed: set[str] = field(default_factory=set)
    lede_df: dict[str, int] = field(default_factory=dict)  # stem -> how many members' ledes have it
    window: tuple[float, float] | None = None  # when it may take new articles; None (always) while undated
    absorbed: int = 0  # members that are not copies
    seed_places: frozenset[str] = frozenset()  # places the founding member's title names: where it happened
    seed_counts: tuple[tuple[str, float], ...] = ()  # what the founding member's title counts (`count_clash`)
    incidents: dict[tuple[str, str], int] | None = None  # its members' incident keys (`incidents`), None if none
    standing: bool = False  # opened by a standing item (`features.standing_kind`): joined by its copies only
    _anchors: tuple[int, dict[str, float]] = (0, {})
    _burst: tuple[tuple, dict[str, float]] = ((), {})
    _pool: tuple[int, dict[str, float]] = (-1, {})
    _rare: tuple[int, dict[str, float], float] = (-1, {}, 0.0)  # see `rare_title`
    _frozen: tuple | None = None  # see `freeze`

    def freeze(self) -> None:
        """Pack what only joining the story needs (term counts, body and lede centroids, names, numbers,
        index keys) into tuples and arrays, ~4x smaller than dicts and sets: most stories of a long
        archive are past their window. The title stays: thread links look old stories up by it.
        `thaw` gives back equal dicts in the same order, so nothing decided changes."""
        if self._frozen is not None:
            return
        parts = []
        for values, kind in ((self.df, np.int32), (self.lede_df, np.int32), (self.lede, np.float64),
                             (self.names, np.float64), (self.body, np.float64)):
            parts += (tuple(values), np.fromiter(values.values(), kind, len(values)))
        self._frozen = (*parts, tuple(self.numbers), tuple(self.indexed))  # names' keys at `_FROZEN_NAMES`
        self.df = self.lede_df = self.lede = self.names = self.body = self.numbers = self.indexed = None
        self._anchors, self._burst, self._pool = StoryState._anchors, StoryState._burst, StoryState._pool
        self._rare = StoryState._rare

    def thaw(self) -> bool:
        """Unpack what `freeze` packed; True when it was frozen."""
        if self._frozen is None:
            return False
        df, df_n, lede_df, lede_n, lede, lede_w, names, names_w, _, _, numbers, indexed = self._frozen
        self.df, self.lede_df = dict(zip(df, df_n.tolist())), dict(zip(lede_df, lede_n.tolist()))
        self.lede, self.names = dict(zip(lede, lede_w.tolist())), dict(zip(names, names_w.tolist()))
        self.body = self.body_vector()
        self.numbers, self.indexed, self._frozen = set(numbers), set(indexed), None
        return True

    def body_vector(self) -> dict[str, float]:
        """The body centroid, frozen or not (unpacked for the moment when frozen)."""
        if self._frozen is None:
            return self.body
        return dict(zip(self._frozen[_FROZEN_BODY], self._frozen[_FROZEN_BODY + 1].tolist()))

    def anchors(self) -> dict[str, float]:
        """The story's event words with weights (share of member ledes x idf), cached per size."""
        if self._anchors[0] != self.absorbed:
            if len(self.lede_df) < _ANCHORS_IN_NUMPY:
                scored = {t: (n / self.absorbed) * stem_idf(t) for t, n in self.lede_df.items()}
                self._anchors = (self.absorbed, dict(heapq.nlargest(ANCHORS, scored.items(), key=_weight)))
            else:
                self._anchors = (self.absorbed, _top_anchors(self.lede_df, self.absorbed))
        return self._anchors[1]

    def rare_title(self) -> tuple[dict[str, float], float]:
        """The title centroid's rare words (place, party, name) with their idf, and their sum (`_missing`), cached
        per size: every candidate story's are read for each article it is compared with."""
        if self._rare[0] != self.absorbed:
            self._rare = (self.absorbed, *_rare_words(self.title))
        return self._rare[1], self._rare[2]

    def burst_anchors(self, burst: Burst, time: float | None) -> dict[str, float]:
        """The story's bursting lede words (share x burst weight), cached until the story or the counts change."""
        key = (self.absorbed, None if time is None else int(time), burst.total)
        if self._burst[0] != key:
            if self._pool[0] != self.absorbed:  # the lede words most members share: where anchors come from
                top = heapq.nlargest(40, self.lede_df.items(), key=_weight)
                self._pool = (self.absorbed, {t: n / max(1, self.absorbed) for t, n in top})
            shares = self._pool[1]
            weighted = ((t, w * shares[t]) for t, w in burst.weights(shares, time).items())
            self._burst = (key, dict(heapq.nlargest(ANCHORS, weighted, key=_weight)))
        return self._burst[1]

    def absorb(self, feats: Features, keep: int = 150) -> None:
        for vec_name in ("title", "body", "lede"):
            vec = getattr(self, vec_name)
            get = vec.get
            for term, weight in getattr(feats, vec_name).items():
                vec[term] = get(term, 0.0) + weight
            if len(vec) > keep:
                vec = dict(sorted(vec.items(), key=itemgetter(1), reverse=True)[:keep])
                setattr(self, vec_name, vec)
        self.title_norm = math.sqrt(sum([w * w for w in self.title.values()])) or 1.0
        self.body_norm = math.sqrt(sum([w * w for w in self.body.values()])) or 1.0
        self.lede_norm = math.sqrt(sum([w * w for w in self.lede.values()])) or 1.0
        for counts, terms in ((self.df, feats.body), (self.lede_df, feats.lede)):
            get = counts.get
            for term in terms:
                counts[term] = get(term, 0) + 1
        if not self.absorbed:
            self.seed_places = title_places(feats)
            self.seed_counts = feats.counts
        self.absorbed += 1
        topic = topic_vector(feats)
        # members' copies in half precision (8 per story over a 30k-article archive is ~30 MB in float32);
        # a member without one is a zero row, which can be no story's closest
        row = np.zeros((1, topic_rank()), np.float16) if topic is None else topic.astype(np.float16)[None]
        if self.member_body.count >= MEMBER_VECTORS:  # keep the first half, roll the latest half
            self.member_body.drop(MEMBER_VECTORS // 2)
            self.member_lede.drop(MEMBER_VECTORS // 2)
            self.member_topics = np.delete(self.member_topics, MEMBER_VECTORS // 2, axis=0)
        self.member_body.add(feats.body)
        self.member_lede.add(feats.lede)
        self.member_topics = row if self.member_topics is None else np.vstack((self.member_topics, row))
        if topic is not None:
            self.topic = topic.copy() if self.topic is None else self.topic + topic
            self.topic_norm = float(np.linalg.norm(self.topic))
        self.names.update(feats.names)
        self.numbers.update(feats.numbers)
        self.size += 1
        if feats.time is not None:
            self.first = feats.time if self.first is None else min(self.first, feats.time)
            self.last = feats.time if self.last is None else max(self.last, feats.time)
            self.window = (self.first - EVENT_WINDOW_DAYS, min(self.last + EVENT_WINDOW_DAYS, self.first + STORY_SPAN_DAYS))


_RARE_IDF = 6.0
PLACE_GATE = True  # see `place_clash`; off only to measure what it does


@lru_cache(maxsize=1)
def place_stems() -> frozenset[str]:
    """Stems of country and place names: the NER gazetteer's, with adjective forms (مصر, المصرية),
    and those learned from SaudiNewsNet (`places.json`).

    A stem the snowball stemmer shares with common words (الفيوم -> يوم, بوسطن -> وسط) is left out:
    it would make every headline with that word name a place.
    """
    return frozenset(learned_places()) | _gazetteer_stems(("CTRY", "LOC+"))


@lru_cache(maxsize=1)
def country_stems() -> frozenset[str]:
    """Stems of country names (`place_stems` of the gazetteer's countries): a country is where many
    happenings are, a town, a region or a site where one is (`VERY_HOT`)."""
    return _gazetteer_stems(("CTRY",))


def _gazetteer_stems(kinds: tuple[str, ...]) -> frozenset[str]:
    """Stems of the gazetteer's names tagged with one of `kinds`, and of their adjective forms."""
    from .features import _light, _stems_of
    from .ner import LEXICON_PATH, read_json_gz

    counts = idf_table()
    out = set()
    for word, tags in read_json_gz(LEXICON_PATH)["gazetteer"].items():
        if not any(kind in tags for kind in kinds) or word.startswith(("وال", "بال", "فال", "كال", "لل")):
            continue
        base = word[2:] if word.startswith("ال") else word
        word_df = counts.words.get(base, 0)
        for form in (word, "ال" + base + "ية", "ال" + base + "ي"):
            out.update(stem for stem in _stems_of(_light(form))
                       if len(stem) >= 3 and word_df >= 0.2 * counts.stems.get(stem, 0))
    return frozenset(out)


def headline(members: list[tuple[str, dict[str, float]]]) -> str | None:
    """The title of the member whose headline the other members' headlines share most: (title, title
    vector) of each member in order, the earliest on a tie; None when no two titles share a word.

    A story is first titled by its first article, which may be a column or a side-story: read ahead, the
    Abha bombing's story over the whole corpus opened with a piece on blood donors. The member titles
    closest to all the others (sum of title cosines) name the happening as most outlets do.
    """
    total: dict[str, float] = {}
    for _, vector in members:
        for term, weight in vector.items():
            total[term] = total.get(term, 0.0) + weight
    best, best_score = None, 1e-6
    for title, vector in members:
        score = sum([weight * (total[term] - weight) for term, weight in vector.items()])
        if score > best_score + 1e-6 and title.strip():
            best, best_score = title.strip(), score
    return best


def title_places(feats: Features) -> frozenset[str]:
    """The places a headline names: its stems that are places', and its learned town words' (`Features.places`)."""
    places = place_stems()
    return frozenset(t for t in feats.title if t in places) | feats.places


def place_clash(feats: Features, story: StoryState, mine: frozenset[str] | None = None) -> bool:
    """Whether the article is the same kind of happening somewhere else than the story's.

    True when its headline and the story's founding headline both name places, none in common, the
    article never mentions the story's places and no member mentions the article's: Qatar's and
    Bahrain's market closes, national-day cables to Chad and to Ecuador. A reaction from abroad that
    names where the happening was is not split off by it; one that names neither (Turkey condemning
    "the bombing of the emergency forces' mosque" in a story begun by "... in Asir") is: a missed
    join, rarer on the dev days than the false joins the test prevents. With the places learned from
    SaudiNewsNet (regions and towns), rain on Taif and rain on Umluj are two stories too. `mine` is
    `title_places(feats)` when the caller has it already.
    """
    mine = title_places(feats) if mine is None else mine
    theirs = story.seed_places
    return bool(mine and theirs and not mine & theirs and not any(t in feats.stems for t in theirs)
                and not any(t in story.df for t in mine))


COUNT_GATE = True  # see `count_clash`; off only to measure what it does


def count_clash(mine: tuple[tuple[str, float], ...], theirs: tuple[tuple[str, float], ...]) -> bool:
    """Whether two headlines count the same thing differently (`features.title_counts`): a fire where 35
    were rescued and one where 15 were, 158 and 932 refugees treated, a close of +135 points and one of -76.

    True when they count some word in common and every such word's numbers differ by more than 5% (363,000
    and "360,000" Yemenis whose status was settled are one figure rounded) and less than 20 times (a close
    "up 13 points" and one "above 8,800 points": a change and a level). On the 18 gold slices, pairs of
    headlines that clash so are in different gold stories 395 times of 397."""
    if not mine or not theirs:
        return False
    common = {w for w, _ in mine} & {w for w, _ in theirs}
    return bool(common) and all(_differ(x, y) for w in common  # every number of a word against every other's
                                for x in (n for v, n in mine if v == w) for y in (n for v, n in theirs if v == w))


def _differ(x: float, y: float) -> bool:
    lo, hi = sorted((x, y))
    return hi > lo * 1.05 and (lo == 0 or hi < lo * 20)


def _rare_words(title: dict[str, float]) -> tuple[dict[str, float], float]:
    """A title's rare words (place, party, name) with their idf, and the idf sum."""
    words = {t: idf for t in title if (idf := stem_idf(t)) >= _RARE_IDF}
    return words, sum(words.values())


def _missing(title: dict[str, float], present, rare: tuple[dict[str, float], float] | None = None) -> float:
    """Share of a title's rare words (place, party, name) the other side lacks: same template, other subject.
    `rare`: `_rare_words(title)`, when the caller has them (`StoryState.rare_title`)."""
    words, mass = _rare_words(title) if rare is None else rare
    return sum(w for t, w in words.items() if not present(t)) / mass if mass else 0.0


@dataclass
class ArticleBurst:
    """An article's bursting words with their weights, and the eight strongest in its lede."""

    words: dict[str, float]
    lede: dict[str, float]


def article_burst(feats: Features, burst: Burst) -> ArticleBurst:
    """Computed once per article, then compared with every candidate story."""
    words = burst.weights(feats.stems or (feats.body.keys() | feats.lede.keys()), feats.time)
    lede = sorted(((t, w) for t, w in words.items() if t in feats.lede), key=itemgetter(1), reverse=True)[:8]
    return ArticleBurst(words, dict(lede))


def burst_signals(feats: Features, story: StoryState, burst: Burst | None,
                  mine: ArticleBurst | None = None) -> dict[str, float]:
    """Does the article share the story's bursting (event) words, and the story the article's?"""
    if burst is None:
        return {"burst_cover": 0.0, "burst_article": 0.0, "burst_mass": 0.0}
    if mine is None:
        mine = article_burst(feats, burst)
    top = mine.lede
    top_mass = sum(top.values())
    article = sum(w for t, w in top.items() if t in story.lede_df or t in story.df) / top_mass if top_mass else 0.0
    anchors = story.burst_anchors(burst, feats.time)
    mass = sum(anchors.values())
    cover = sum(w for t, w in anchors.items() if t in mine.words) / mass if mass else 0.0
    return {"burst_cover": cover, "burst_article": article, "burst_mass": min(1.0, top_mass / 20.0)}


_BURST_SIGNALS = ("burst_cover", "burst_article", "burst_mass")


def closeness(feats: Features, stories: list[StoryState]) -> list[tuple[float, float]]:
    """Per story, the body and lede cosine of the article with the member it is closest to (single link).

    All candidates' kept members in one numpy pass: ~400 sparse cosines per article were the engine's
    largest cost as dict walks.
    """
    if not stories:
        return []
    body = _max_dots(packed(feats.body), [story.member_body for story in stories])
    lede = _max_dots(packed(feats.lede), [story.member_lede for story in stories])
    return list(zip(body.tolist(), lede.tolist()))


def topic_closeness(feats: Features, story: StoryState) -> tuple[float, float]:
    """Cosine of the article's topic vector with the story's topic centroid and with its closest member."""
    mine = topic_vector(feats)
    if mine is None or story.topic is None:
        return 0.0, 0.0
    centroid = float(mine @ story.topic) / story.topic_norm if story.topic_norm else 0.0
    closest = float((story.member_topics @ mine).max())
    return max(0.0, centroid), max(0.0, closest)


def signals(feats: Features, story: StoryState, burst: Burst | None = None,
            mine: ArticleBurst | None = None, close: tuple[float, float] | None = None) -> dict[str, float]:
    """How alike an article and a story are, one number per signal (all in [0, 1])."""
    shared_names = [w for w in feats.names if w in story.names]
    name_mass = sum(feats.names.values())
    if shared_names and name_mass:
        names = sum(feats.names[w] for w in shared_names) / min(name_mass, sum(story.names.values()))
    else:
        names = 0.0
    numbers = 0.0
    if feats.numbers and story.numbers:
        numbers = len(story.numbers.intersection(feats.numbers)) / min(len(feats.numbers), len(story.numbers))
    undated = feats.time is None or story.last is None
    if undated:
        time = 1.0  # compared on content alone, as if close in time
    else:
        gap = max(0.0, story.first - feats.time, feats.time - story.last)
        time = math.exp(-gap / 1.5)
    max_body, max_lede = close or closeness(feats, [story])[0]
    body_mass = sum(feats.body.values())
    size = story.size or 1
    core = sum(w * story.df[t] for t, w in feats.body.items() if t in story.df) / size
    anchors = story.anchors()
    anchor_mass = sum(anchors.values())
    anchor = sum(w for t, w in anchors.items() if t in feats.stems) / anchor_mass if anchor_mass else 0.0
    title_mass = sum(feats.title.values())
    # covered by the story's strongest title and lede terms (bounded: a big story must not cover every title)
    covered = sum(w for t, w in feats.title.items() if t in story.lede or t in story.title)
    topic, max_topic = topic_closeness(feats, story)
    return {
        "body": cosine(feats.body, story.body, story.body_norm),
        "title": cosine(feats.title, story.title, story.title_norm),
        "title_body": cosine(feats.title, story.body, story.body_norm),
        "lede": cosine(feats.lede, story.lede, story.lede_norm),
        "max_body": max_body,
        "max_lede": max_lede,
        "title_cover": covered / title_mass if title_mass else 0.0,
        "core": core / body_mass if body_mass else 0.0,
        "anchor": anchor,
        "title_miss": _missing(feats.title, lambda t: t in story.lede_df or t in story.df),
        "story_miss": _missing(story.title, feats.stems.__contains__, story.rare_title()) if feats.stems else 0.0,
        "names": min(1.0, names),
        "numbers": min(1.0, numbers),
        "time": time,
        "undated": 1.0 if undated else 0.0,
        "size": min(1.0, math.log1p(story.size) / 4.0),
        "topic": topic,
        "max_topic": max_topic,
    } | burst_signals(feats, story, burst, mine)


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass
class JoinModel:
    """Logistic model: P(article belongs to story | signals), with the cut learned on dev gold."""

    weights: dict[str, float]
    bias: float
    cut: float = 0.5
    interactions: tuple[tuple[str, str], ...] = ()
    # `_split`'s terms by the signals left free: computed once per model
    _splits: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def vector(self, sig: dict[str, float]) -> dict[str, float]:
        values = dict(sig)
        for a, b in self.interactions:
            values[f"{a}*{b}"] = sig[a] * sig[b]
        return values

    def probability(self, sig: dict[str, float]) -> float:
        values = self.vector(sig)
        return _logistic(self.bias + sum(w * values.get(name, 0.0) for name, w in self.weights.items()))

    def best_case(self, sig: dict[str, float], free: tuple[str, ...]) -> float:
        """The highest probability `sig` reaches whatever values in [0, 1] its `free` signals take: a logit
        linear in each signal, with pairwise products, is highest at a corner of the box, and only the terms
        naming a free signal differ from corner to corner."""
        fixed_terms, varying = self._split(free)
        z = self.bias
        for weight, a, b in fixed_terms:
            z += weight * sig.get(a, 0.0) * (sig.get(b, 0.0) if b else 1.0)
        best = -math.inf
        for corner in product((0.0, 1.0), repeat=len(free)):
            point = dict(zip(free, corner))
            total = z
            for weight, a, b in varying:
                total += weight * point.get(a, sig.get(a, 0.0)) * (point.get(b, sig.get(b, 0.0)) if b else 1.0)
            best = max(best, total)
        return _logistic(best)

    def _split(self, free: tuple[str, ...]) -> tuple[list, list]:
        """The model's terms as (weight, signal, other signal or None): those naming none of `free`, those
        naming one."""
        if free not in self._splits:
            terms = [(weight, *name.split("*"), None)[:3] for name, weight in self.weights.items()]
            self._splits[free] = ([t for t in terms if t[1] not in free and t[2] not in free],
                                  [t for t in terms if t[1] in free or t[2] in free])
        return self._splits[free]

    def contributions(self, sig: dict[str, float]) -> dict[str, float]:
        """How much each signal pushed the score up (its weight x value, interactions split evenly)."""
        values = self.vector(sig)
        out = {name: 0.0 for name in sig}
        for name, weight in self.weights.items():
            parts = name.split("*")
            for part in parts:
                if part in out:
                    out[part] += weight * values.get(name, 0.0) / len(parts)
        return out

    def to_json(self) -> dict:
        return {"weights": self.weights, "bias": self.bias, "cut": self.cut,
                "interactions": [list(p) for p in self.interactions]}

    @classmethod
    def from_json(cls, data: dict) -> "JoinModel":
        return cls(data["weights"], data["bias"], data.get("cut", 0.5),
                   tuple(tuple(p) for p in data.get("interactions", ())))


@lru_cache(maxsize=1)
def default_model() -> JoinModel:
    path = DATA_DIR / "join_model.json"
    if path.is_file():
        return JoinModel.from_json(json.loads(path.read_text("utf-8")))
    # Untrained fallback: content similarity dominates, time gates.
    return JoinModel({"body": 9.0, "title": 3.0, "names": 2.0, "time": 2.0}, bias=-7.0)


@dataclass
class Decision:
    """What the engine decided for one article, and why (stored as the article's join reason)."""

    story: int | None  # None: open a new story
    score: float
    reason: dict
    copy_of: int | None = None
    thread: int | None = None


class StoryEngine:
    """Online story clustering with persistent, incremental state (see module docstring)."""

    def __init__(self, model: JoinModel | None = None, thread_min_names: int = 2, thread_min_body: float = 0.25):
        self.model = model or default_model()
        self.thread_min_names = thread_min_names
        self.thread_min_body = thread_min_body
        self.member_floor = MEMBER_FLOOR
        self.stories: dict[int, StoryState] = {}
        self.event_index: dict[str, list[int]] = {}
        self.name_index: dict[str, list[int]] = {}
        self.copies = CopyIndex()
        self.burst = Burst()
        self.incidents = IncidentCounts()
        self.incident_index: dict[tuple[str, str], list[int]] = {}  # incident key -> stories whose members carry it
        self.copy_story: dict[int, tuple[int, str]] = {}  # article rowid -> (story id, article id)
        self.canonical: dict[int, int] = {}
        # each story's window by story id (-inf, inf while it has none), for filtering candidates in one pass
        self._window_lo = np.full(1024, -np.inf)
        self._window_hi = np.full(1024, np.inf)
        # each story's title terms as a Bloom filter by story id (a term never leaves it, trimmed or not): the
        # headline test of `thread_for` reads the stories that may share a headline word, not all it found
        self._titles = np.zeros((1024, _TITLE_WORDS), np.uint64)
        self._latest = -math.inf  # the latest article time registered
        self._closing: list[tuple[float, int]] = []  # (window end, story id) of unfrozen dated stories, a heap
        self.notices: dict[int | None, list[tuple[int, dict[str, float]]]] = {}  # day -> social notices' (story, body)
        table = idf_table()
        self._common = {s for s, df in table.stems.items() if df > _MAX_DF_SHARE * table.docs}

    # -- features -----------------------------------------------------------------------------
    def features(self, title: str, text: str, published: str | None,
                 folded: str | None = None) -> tuple[Features, str | None]:
        """The article's features and packed MinHash signature (None when too short to compare);
        `folded`: `matching_form(text)`, when the caller has it already."""
        feats = article_features(title, text, day_number(published))
        shingle_set = shingles(text, folded=folded)
        sig = pack(signature(text, shingle_set=shingle_set)) if len(shingle_set) >= self.copies.min_shingles else None
        return feats, sig

    # -- candidates ---------------------------------------------------------------------------
    def _index_story(self, story: StoryState, feats: Features) -> None:
        common = self._common
        top = sorted(feats.body.items(), key=itemgetter(1), reverse=True)  # stable: ties in insertion order
        for term in [t for t, _ in top if t not in common][:_INDEX_BODY_TERMS] + list(feats.title):
            if term not in story.indexed and term not in common:
                story.indexed.add(term)
                self.event_index.setdefault(term, []).append(story.id)
        for name in feats.names:
            key = "n:" + name
            if key not in story.indexed:
                story.indexed.add(sys.intern(key))  # one string for every story that has the name
                self.name_index.setdefault(name, []).append(story.id)

    def candidates(self, feats: Features) -> list[StoryState]:
        """Stories sharing index terms with the article and within the event window."""
        hits: Counter[int] = Counter()  # story id -> index terms and names shared (counted in C)
        top = sorted(feats.body.items(), key=itemgetter(1), reverse=True)
        terms = [t for t, _ in top if t not in self._common][:_INDEX_BODY_TERMS * 2] + list(feats.title)
        for term in set(terms):
            postings = self.event_index.get(term)
            if not postings:
                continue
            self._prune(postings, feats.time)
            hits.update(postings)
        long_names = []
        for name in feats.names:
            postings = self.name_index.get(name, ())
            if len(postings) < 50:
                hits.update(postings)
            else:  # a common name only adds weight to stories already found, looked up per story
                long_names.append(name)
        stories, time = self.stories, feats.time
        if time is None:  # only live stories can be returned (`StoryState.window`)
            live = hits
        else:  # hundreds of hits, most of them past their window: tested together
            ids = np.fromiter(hits, np.int64, len(hits))
            keep = (self._window_lo[ids] <= time) & (time <= self._window_hi[ids])
            live = {sid: hits[sid] for sid in ids[keep].tolist()}
        for sid in live if long_names else ():
            story = stories[sid]  # frozen only if the article is undated or days older than the latest
            names = story.names if story._frozen is None else story._frozen[_FROZEN_NAMES]
            live[sid] += sum(map(names.__contains__, long_names))  # the common names it has, counted in C
        ranked = heapq.nsmallest(MAX_CANDIDATES, live.items(), key=lambda kv: (-kv[1], kv[0]))
        return [self._thawed(stories[sid]) for sid, _ in ranked]

    def _thawed(self, story: StoryState) -> StoryState:
        """The story unpacked, to be packed again when the latest article next moves on."""
        if story.thaw() and story.window is not None:
            heapq.heappush(self._closing, (story.window[1], story.id))
        return story

    def _prune(self, postings: list[int], time: float | None) -> None:
        """Drop from a long posting list (over 64) the stories past their window for good."""
        if time is not None and len(postings) > 64:
            postings[:] = [sid for sid in postings if not self._expired(self.stories[sid], time)]

    @staticmethod
    def _expired(story: StoryState, time: float) -> bool:
        """Past its window for good (articles arrive roughly in time order)."""
        return story.window is not None and time > story.window[1]

    # -- decisions ----------------------------------------------------------------------------
    def decide(self, feats: Features, sig: str | None,
               oracle: Callable[[list[tuple[StoryState, dict]]], int | None] | None = None) -> Decision:
        """Copy of an earlier article, member of an existing story, or a new story."""
        if sig is not None:
            found = self.copies.find(decode(sig))
            if found is not None:
                rowid, jaccard = found
                canonical = self.canonical.get(rowid, rowid)
                story_id, original = self.copy_story[canonical]
                return Decision(story_id, round(jaccard, 3),
                                {"decision": "copy", "copy_of": original, "jaccard": round(jaccard, 3)},
                                copy_of=canonical)
        if feats.standing:  # a press review, cartoon, brief or social notice is a story of its own (`_notice_twin`)
            twin = self._notice_twin(feats) if feats.standing == "social notice" else None
            if twin is not None:
                story_id, close = twin
                return Decision(story_id, close, {"decision": "joined", "score": close, "standing": feats.standing,
                                                  "twin": close})
            return Decision(None, 1.0, {"decision": "new", "standing": feats.standing})
        candidates = found = self.candidates(feats)
        # Single-link guard: a story is joined only through a member the article is individually close
        # to, so a big story's broad centroid cannot keep swallowing loosely related items (snowballing).
        # Full signals are computed for those stories alone; training (`oracle`) scores every candidate.
        close = dict(zip((story.id for story in candidates), closeness(feats, candidates)))
        indexed = len(close)  # the index's candidates (an incident's hub looked up by key is added to `close`)
        kept_out: dict[str, int] = {}  # close stories the gates kept the article out of, by gate (`_gates`)
        floored: list[StoryState] = []  # candidates no member of which is close enough (`_past_floor`)
        if oracle is None:
            near: list[StoryState] = []
            for story in candidates:  # one pass: those close enough, and the others
                (near if max(close[story.id]) >= self.member_floor else floored).append(story)
            candidates, kept_out = self._gates(feats, near)
        mine = article_burst(feats, self.burst) if candidates else None
        scored = []
        for story in candidates:
            sig_values = signals(feats, story, self.burst, mine, close[story.id])
            scored.append((story, sig_values, self.model.probability(sig_values)))
        scored.sort(key=lambda item: (-item[2], item[0].id))
        if oracle is not None:
            chosen = oracle([(s, v) for s, v, _ in scored])
            best = next((item for item in scored if item[0].id == chosen), None)
        else:
            best = scored[0] if scored and scored[0][2] >= self.model.cut else None
        runner_up = round(scored[1][2], 3) if len(scored) > 1 else None
        via = None  # the hot incident keys an article joins through (`_incident_hub`)
        if oracle is None:
            best, via = self._incident_hub(feats, found, close, scored, mine, best)
        past_floor = None
        if best is None and floored:
            best = past_floor = self._past_floor(feats, floored, close, mine)
        if best is None:
            top = scored[0] if scored else None
            reason = {"decision": "new", "candidates": indexed, "close": len(scored),
                      "best_story": top[0].id if top else None, "best_score": round(top[2], 3) if top else None}
            return Decision(None, 1.0 - (top[2] if top else 0.0), reason | kept_out)
        story, values, prob = best
        pushes = self.model.contributions(values)
        top_signals = {k: round(values[k], 3) for k, push in sorted(pushes.items(), key=lambda kv: -kv[1])[:4]
                       if push > 0}
        reason = {"decision": "joined", "score": round(prob, 3), "signals": top_signals,
                  "candidates": indexed, "close": len(scored), "runner_up": runner_up}
        if best is past_floor:
            reason["past_floor"] = True
        if via:
            reason["incident"] = {"words": sorted({kind for kind, _ in via}), "where": sorted({where for _, where in via})}
            if prob < INCIDENT_FLOOR:  # under the usual floor: through the day's dominant happening (`VERY_HOT`)
                reason["incident"]["dominant"] = True
        return Decision(story.id, prob, reason | kept_out)

    def _notice_twin(self, feats: Features) -> tuple[int, float] | None:
        """(story, body cosine) of the social notice of the day or the day before that the article's text is
        `NOTICE_TWIN` close to, the closest; None where there is none.

        Each ministry's Eid party, each family's wedding is a happening of its own, worded like every other
        (the headlines of two Eid parties share 0.5-0.8 of their terms), so a notice is a story of its own.
        But two outlets print one notice ("the Justice ministry holds an Eid party for its staff"), rewritten
        past what the copy detector takes: on the eighteen gold slices the pairs of notices in one gold story
        have body cosines 0.86-0.90, the closest pair in two (two weddings in one family) 0.80."""
        day = None if feats.time is None else int(feats.time)
        days = (None,) if day is None else (day - 1, day, None)
        best = None
        for sid, body in chain.from_iterable(self.notices.get(d, ()) for d in days):
            close = cosine(feats.body, body)
            if close >= NOTICE_TWIN and (best is None or close > best[1]):
                best = (sid, round(close, 3))
        return best

    @staticmethod
    def _gates(feats: Features, stories: list[StoryState]) -> tuple[list[StoryState], dict[str, int]]:
        """(the stories the article may join, how many each gate kept it out of): a day's report meets no
        story begun on an earlier day, the same kind of happening in another place is another story
        (`place_clash`), as is a headline counting what the story's first counts, differently (`count_clash`)."""
        other_day = elsewhere = other_count = 0
        if feats.report and feats.time is not None:
            kept = [story for story in stories if story.first is None or feats.time - story.first <= REPORT_SPAN_DAYS]
            other_day, stories = len(stories) - len(kept), kept
        here = title_places(feats) if PLACE_GATE else None
        if here:
            kept = [story for story in stories if not place_clash(feats, story, here)]
            elsewhere, stories = len(stories) - len(kept), kept
        if feats.counts and COUNT_GATE:
            kept = [story for story in stories if not count_clash(feats.counts, story.seed_counts)]
            other_count, stories = len(stories) - len(kept), kept
        return stories, {key: n for key, n in (("other_place", elsewhere), ("other_day", other_day),
                                               ("other_count", other_count)) if n}

    def _past_floor(self, feats: Features, floored: list[StoryState], close: dict[int, tuple[float, float]],
                    mine: ArticleBurst | None) -> tuple | None:
        """(story, signals, probability) of the most probable story of `BYPASS_SIZE` articles or more that no
        kept member is close to (the member floor), where the model gives it `FLOOR_BYPASS` or more and the
        gates let the article in; None otherwise. Only where no story passes the floor and the cut.

        A story keeps the vectors of its first and latest members only (`MEMBER_VECTORS`), and a reaction,
        a background piece or a follow-up is often closest to one in between, or to none in words while its
        names, anchors and topic are the story's: the Russian condolences on "the attack in Abha" had a
        0.90 join probability to the bombing's story of 18 articles and no member at 0.3. Eighteen gold
        days, whole days: mean 0.9519 -> 0.9528, seven days up (08-07 +0.008: reactions; 07-27 +0.002: the
        Yemeni truce; 08-04 +0.002: the Anad air base retaken), none down; slices: 08-07 +0.0001, every
        other unchanged. At 0.9: whole days +0.0008, but four days down (two Houthi battles in two
        provinces, a Super Cup preview and a national team's scouting); at 0.8: slices 08-06 -0.003.

        Scored only where a kept member is `BYPASS_CLOSE` close at least: on the whole days of 07-27, 08-07
        and 08-08 that leaves out 1,827 of 2,703 floored stories of 5+, none of which the bound below let
        near 0.95 (the closest that did: 0.08); every gold slice and whole day decided as before."""
        if FLOOR_BYPASS >= 1.0:
            return None
        big = [story for story in floored if story.size >= BYPASS_SIZE and max(close[story.id]) >= BYPASS_CLOSE]
        best = None
        for story in self._gates(feats, big)[0]:
            # most of them are far from it: the burst signals (half the cost) only where they could tip it
            values = signals(feats, story, None, None, close[story.id])
            if self.model.best_case(values, _BURST_SIGNALS) < FLOOR_BYPASS:
                continue
            mine = mine or article_burst(feats, self.burst)
            values |= burst_signals(feats, story, self.burst, mine)
            prob = self.model.probability(values)
            if prob >= FLOOR_BYPASS and (best is None or prob > best[2]):
                best = (story, values, prob)
        return best

    def _incident_hub(self, feats: Features, found: list[StoryState], close: dict[int, tuple[float, float]],
                      scored: list[tuple], mine: ArticleBurst | None, best: tuple | None) -> tuple[tuple | None, frozenset]:
        """(the story to join, hot incident keys it is joined through) given the model's choice `best`.

        Where the model would open a story, the incident's hub (`_incident_join`). Where it joins one whose
        members carry the article's hot keys less often than the hub's do, the hub: on the day after an
        attack the first reactions open small stories of their own (the Justice minister's condemnation in
        three outlets, the emir at the scene) before a key is hot, and later reactions that resemble one of
        them joined it rather than the attack's story. Cross-validated on eight gold days (join model
        retrained per fold), B-cubed F1 +0.003 on slices and +0.004 on whole days a fold on average; the
        day after the bombing +0.008 / +0.021."""
        hub, via = self._incident_join(feats, found, close, scored, mine, lenient=best is None)
        if best is None:
            return hub, via
        if hub is not None and hub[0].id != best[0].id:
            carried = best[0].incidents or {}
            if sum(hub[0].incidents.get(key, 0) for key in via) > sum(carried.get(key, 0) for key in via):
                return hub, via
        return best, frozenset()

    def _incident_join(self, feats: Features, found: list[StoryState], close: dict[int, tuple[float, float]],
                       scored: list[tuple], mine: ArticleBurst | None,
                       lenient: bool = False) -> tuple[tuple | None, frozenset]:
        """((story, signals, probability), keys shared) of the candidate whose members carry the article's hot
        incident keys (`incidents`) most often, the incident's hub (ties: the more probable), among those at
        least `INCIDENT_FLOOR` probable; (None, ()) when none. The floor and place tests are not applied: a
        reaction is far from every other reaction by content, and often from abroad. `scored` and `mine`:
        what `decide` already computed, reused.

        A key `VERY_HOT` articles of the day carry, read-ahead ones included, is hot from the day's first
        article on; with `lenient` (the model would open a story) such a key's hub needs only to be
        `VERY_HOT_FLOOR` probable: the day's dominant happening.

        The article's keys are read in its whole opening (`Features.opening`), not only in the lede's 40
        strongest stems, which leave out a common "terrorism" from a long opening (a column that begins
        "terrorism looms ... the emergency forces in Asir"); and a key whose place is a country is never hot,
        as it was never very hot: with more keys read, "terrorism" + "Saudi Arabia" or "Iraq" made a hub of
        Maliki's remarks, the Iraqi army's offensive and the Interior ministry's arrests. Both together:
        slices mean 0.9528 -> 0.9531 (08-06, 08-07 +0.003, 08-09 +0.001, 08-10 +0.002; 07-22 -0.0015, a
        join through "terrorism" + "Saudi Arabia" the gold also makes), whole days 0.9510 -> 0.9519 (seven
        up to +0.007, 07-31 -0.0003, 08-04 -0.002, 08-11 -0.001); each alone did less."""
        countries = country_stems()
        keys = frozenset(key for key in incident_keys(feats.opening or feats.lede, place_stems(), lookup=True)
                         if key[1] not in countries)
        if not keys:
            return None, frozenset()
        decided = self.incidents.hot(keys, feats.time)
        very = {key for key, n in self.incidents.count(keys, feats.time).items() if n >= VERY_HOT}
        hot = decided | very
        if not hot:
            return None, frozenset()
        early = very - decided  # hot only as the day's dominant happening: its hub is of the day (`_of_the_day`)
        if HUB_LOOKUP:  # the hub itself, where the index ranked it below the article's other candidates
            found = found + self._hubs(feats, hot, found, close)
        sharing: dict[int, list[StoryState]] = {}  # times its members carry the keys -> candidates
        for story in found:
            if story.incidents and not hot.isdisjoint(story.incidents):
                if COUNT_GATE and count_clash(feats.counts, story.seed_counts):  # another fire, counted differently
                    continue
                if early and decided.isdisjoint(story.incidents) and not _of_the_day(story, feats.time):
                    continue
                sharing.setdefault(sum(story.incidents.get(key, 0) for key in hot), []).append(story)
        known = {item[0].id: item for item in scored}
        # the usual floor first: a very hot key lowers it only where no sharer would be joined at it
        for floor in (INCIDENT_FLOOR, VERY_HOT_FLOOR) if lenient and very else (INCIDENT_FLOOR,):
            for count in sorted(sharing, reverse=True):  # signals only for the stories that could win
                best = None
                for story in sharing[count]:
                    if floor < INCIDENT_FLOOR and not _of_the_day(story, feats.time):
                        continue
                    item = known.get(story.id)
                    if item is None:
                        mine = mine or article_burst(feats, self.burst)
                        values = signals(feats, story, self.burst, mine, close[story.id])
                        item = known[story.id] = (story, values, self.model.probability(values))
                    if item[2] >= floor and (best is None or item[2] > best[2]):
                        best = item
                if best is not None:
                    return best, hot & best[0].incidents.keys()
        return None, frozenset()

    def _hubs(self, feats: Features, hot: frozenset[tuple[str, str]], found: list[StoryState],
              close: dict[int, tuple[float, float]]) -> list[StoryState]:
        """The live stories not in `found` whose members carry the `hot` incident keys most, `HUBS` at most;
        their closeness is added to `close`.

        Candidates are the stories sharing the most index terms with the article, 24 at most; a reaction
        that words the happening its own way shares more with two dozen other stories of the day than with
        the incident's hub, and opened a story of its own although its key was hot. Looked up by key
        (`incident_index`), by the keys that name an incident (not a site and a town: "the two holy mosques'
        workers" met the bombing's hub by `(مسجد, عامل)`) in a place that is no country, among stories that
        carry such a key `HUB_CARRIES` times (twice: 08-10's whole day -0.011, a story's two "terrorism" +
        somewhere members are no hub). Slices: 08-07 +0.003, every other unchanged; whole days: 07-24
        +0.001, 08-07 +0.003, every other unchanged; 08-10 and 08-11 together 0.925 -> 0.924 (a piece on
        anonymous SIM cards, whose opening names the Asir bomber's, joins the bombing; the gold keeps it
        apart)."""
        have = {story.id for story in found}
        carried: Counter[int] = Counter()
        time = feats.time
        kinds = incident_stems()
        for key in hot:
            if key[0] not in kinds:  # a site and a town
                continue
            postings = self.incident_index.get(key, [])
            self._prune(postings, time)
            for sid in postings:
                n = self.stories[sid].incidents[key]
                live = time is None or self._window_lo[sid] <= time <= self._window_hi[sid]
                if n >= HUB_CARRIES and live and sid not in have:
                    carried[sid] += n
        hubs = [self._thawed(self.stories[sid])
                for sid, _ in heapq.nsmallest(HUBS, carried.items(), key=lambda kv: (-kv[1], kv[0]))]
        close.update(zip((story.id for story in hubs), closeness(feats, hubs)))
        return hubs

    def thread_for(self, feats: Features) -> tuple[int, float, dict] | None:
        """(thread id, score, reason) of the older story this new story continues, if any.

        Looked for among stories of any age that share rare names with the new story, or share its
        indexed vocabulary; a link needs several shared names and enough body similarity, or a
        clearly similar headline with some body similarity. A standing item (a press review, a cartoon)
        continues nothing: yesterday's cartoon has the same headline.
        """
        if feats.standing:
            return None
        counts: Counter[int] = Counter()  # story id -> names shared, in first-seen order
        for name in feats.names:
            counts.update(self.name_index.get(name, ())[-200:])
        for term in feats.title:
            postings = self.event_index.get(term, ())
            for sid in postings[-50:] if len(postings) <= 400 else ():
                counts.setdefault(sid, 0)
        best, stories, least = None, self.stories, self.thread_min_names
        headline = feats.title.keys()
        # most stories are found by one name and share no headline word: they could pass neither test
        # (`.keys()`: against a view, `isdisjoint` walks the smaller side; against a dict, all of it)
        maybe = self._may_share_title(counts, headline).tolist()
        found = [(sid, shared) for (sid, shared), may in zip(counts.items(), maybe)
                 if shared >= least or (may and not headline.isdisjoint(stories[sid].title.keys()))]
        for sid, shared in found:
            story = stories[sid]
            body = cosine(feats.body, story.body_vector(), story.body_norm) if shared >= least else None
            if body is not None and body >= self.thread_min_body:
                score = body + 0.05 * min(shared, 6)
            else:  # the headline test first: cheaper, and it rules out most stories found by a title word
                title = cosine(feats.title, story.title, story.title_norm)
                if title < 0.45:
                    continue
                if body is None:
                    body = cosine(feats.body, story.body_vector(), story.body_norm)
                if body < 0.18:
                    continue
                score = body + 0.5 * title
            if best is None or score > best[1]:
                best = (story.thread, score, {"story": sid, "shared_names": shared, "body": round(body, 3)})
        return best

    def _may_share_title(self, sids, headline) -> np.ndarray:
        """Per story id, False where its title surely shares no term with `headline` (the Bloom filters, in
        one pass: a late archive's article finds ~550 stories by its names, in memory all over)."""
        rows = self._titles[np.fromiter(sids, np.int64, len(sids))]
        may = np.zeros(len(rows), bool)
        for term in headline:
            word, bit, word2, bit2 = _title_bits(term)
            may |= ((rows[:, word] & bit) != 0) & ((rows[:, word2] & bit2) != 0)
        return may

    # -- state --------------------------------------------------------------------------------
    def expect(self, feats: Features) -> frozenset[tuple[str, str]]:
        """Count the incident keys of an article read but not yet decided; returned, for the reader to take
        them back (`IncidentCounts.expect` with `step` -1) just before the article is decided.

        An ingest run reads ahead (`pipeline.AHEAD`): the first reactions of a day to its dominant
        happening then find each other before enough of them are decided to make a key hot."""
        keys = incident_keys(feats.lede, place_stems())
        self.incidents.expect(keys, feats.time)
        return keys

    def register(self, rowid: int, article_id: str, story_id: int, thread_id: int, feats: Features,
                 sig: str | None, copy_of: int | None) -> None:
        """Record an article's final placement in the in-memory state."""
        story = self.stories.get(story_id)
        if story is None:
            story = self.stories[story_id] = StoryState(story_id, thread_id, standing=bool(feats.standing))
        if copy_of is None:
            feats.intern()
            self.burst.observe(rowid, feats)
            story.thaw()  # packed, it is pushed again just below
            story.absorb(feats)
            self._note_window(story)
            self._note_title(story_id, feats.title)
            if not story.standing:  # out of the index, it is neither a candidate nor a thread to continue
                self._index_story(story, feats)
            elif feats.standing == "social notice" and story.size == 1:  # its twin in another outlet may come
                self._note_notice(story_id, feats)
            keys = incident_keys(feats.lede, place_stems())
            if keys:
                self.incidents.observe(rowid, keys, feats.time)
                story.incidents = story.incidents or {}
                for key in keys:
                    if key not in story.incidents:
                        self.incident_index.setdefault(key, []).append(story_id)
                    story.incidents[key] = story.incidents.get(key, 0) + 1
            self.copy_story[rowid] = (story_id, article_id)
            if story.window is not None:
                heapq.heappush(self._closing, (story.window[1], story_id))
            if feats.time is not None and feats.time > self._latest:
                self._latest = feats.time
                self._freeze_closed()
        else:
            self.canonical[rowid] = copy_of
            story.size += 1
        if sig is not None:
            self.copies.add(rowid, decode(sig))

    def _freeze_closed(self) -> None:
        """Pack the stories whose window closed more than `FREEZE_AFTER_DAYS` before the latest article:
        only an article that much older, or undated, can still be compared with them."""
        limit, closing = self._latest - FREEZE_AFTER_DAYS, self._closing
        while closing and closing[0][0] < limit:
            _, sid = heapq.heappop(closing)
            story = self.stories[sid]
            if story.window[1] < limit:  # else its window moved on, and was pushed again when it did
                story.freeze()

    def _note_notice(self, sid: int, feats: Features) -> None:
        """Keep a social notice's text for `_notice_twin`, two days of them (articles come roughly in order)."""
        day = None if feats.time is None else int(feats.time)
        self.notices.setdefault(day, []).append((sid, feats.body))
        for old in [d for d in self.notices if d is not None and day is not None and d < day - 1]:
            del self.notices[old]

    def _note_title(self, sid: int, title: dict[str, float]) -> None:
        """Add a member's headline terms to the story's Bloom filter (`_may_share_title`)."""
        self._titles = _with_row(self._titles, sid, 0)
        row = self._titles[sid]
        for term in title:
            word, bit, word2, bit2 = _title_bits(term)
            row[word] |= bit
            row[word2] |= bit2

    def _note_window(self, story: StoryState) -> None:
        """Keep `story.window` in the arrays `candidates` filters by."""
        sid = story.id
        self._window_lo = _with_row(self._window_lo, sid, -np.inf)
        self._window_hi = _with_row(self._window_hi, sid, np.inf)
        self._window_lo[sid], self._window_hi[sid] = story.window or (-np.inf, np.inf)

    def load(self, rows) -> None:
        """Rebuild the state from stored rows (rowid, id, story_id, thread_id, copy_of, features, title).

        Features stored before standing items were marked have no `"s"`: a press review in such a store
        is read from its headline (`standing_kind`) as it is on ingest, so that a store continued with new
        days decides as one built afresh (without it, old reviews stayed candidates for new articles)."""
        for row in rows:
            if row["story_id"] is None or not row["features"]:
                continue
            data = json.loads(row["features"])
            feats = Features.from_json(data)
            if row["title"]:
                folded = folded_title(row["title"])
                if "s" not in data:
                    feats.standing = standing_kind(row["title"], folded)
                feats.counts = title_counts(row["title"], folded)  # not stored: the founding headline's (`count_clash`)
            self.register(row["rowid"], row["id"], row["story_id"], row["thread_id"], feats, data.get("m"),
                          row["copy_of"])
