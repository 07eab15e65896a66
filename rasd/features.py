"""What the story engine compares: stemmed TF-IDF vectors, rare proper tokens, numbers, time.

Stems come from the snowball `arabic` stemmer (PyStemmer) after a light fold that keeps `ة` (the
stemmer uses it to find suffixes) and a light strip of the clitics `و ف ب ك ل` + `ال`, which snowball
leaves on (`والمساعدة` and `المساعدة` must meet). Document frequencies are learned from SaudiNewsNet
by `scripts/train_idf.py` and ship as `data/idf.json.gz`; a word never seen there counts as rare.
"""
from __future__ import annotations

import gzip
import json
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import repeat
from operator import itemgetter

import numpy as np

from . import DATA_DIR
from .clean import clean_title
from .normalize import WORDS, arabic_stemmer, LETTER_MAP, matching_form, STEM_LETTER_MAP, fold_digits, fold_letters, fold_punctuation, fold_stem_letters, strip_marks, word_cache

__all__ = ["Features", "IdfTable", "article_features", "stem_tokens", "name_tokens", "cosine", "idf_table", "skeleton",
           "learned_places", "learned_place_words", "place_key", "title_words",
           "stem_idf", "standing_kind", "topic_vector", "TIME_WORDS"]

_STEM_MAP = str.maketrans(STEM_LETTER_MAP)  # for single words; whole texts go through fold_stem_letters
_NAME_MAP = str.maketrans(LETTER_MAP)
_WORD = re.compile(r"[^\W\d_]{2,}")
# a number not inside another (no digit, `.` or `,` before it); its first digit first and what precedes it
# looked behind, so the regex engine jumps from digit to digit (`(?<![\d.,])\d...` tried every character)
_NUMBER = re.compile(r"\d(?<![\d.,]\d)[\d,]*(?:\.\d+)?(?![\d])")
_CLITIC = re.compile(r"^(?:وال|فال|بال|كال|ولل|فلل|لل|ال)(?=\w{3,})")
_PLACE_CLITIC = re.compile(r"^(?:[وف]?[بك]?ال|[وف]?لل)(?=\w{2,})")  # to `ال`: الخرج is a town, خرج "went out"
_MAX_BODY_TOKENS = 400  # the lede carries the event; long tails add noise and cost
STOPWORDS = frozenset("""
في من على الى إلى عن مع ان أن إن الذي التي الذين اللذين هذا هذه ذلك تلك هو هي هم هن كان كانت يكون
تكون قد لقد لا لم لن ما ماذا كل بعض غير بين حتى اذا إذا او أو ثم كما لكن بل عند عندما خلال بعد قبل
منذ حول ضد نحو لدى أي اي وقال قال وقالت قالت واضاف وأضاف أضاف اضاف واكد وأكد أكد اكد وأشار واشار
أشار اشار وأوضح واوضح اوضح أوضح ذكر وذكر وذكرت أيضا ايضا وفي ومن وعلى والى وإلى وعن ومع وان وأن
وهو وهي وكان وكانت ولا ولم وما وقد فيما بينما انه أنه إنه انها أنها إنها لها له لهم منها منه عليها
عليه فيها فيه اليوم امس أمس يوم العام عام حيث وذلك الا إلا عبر دون جميع كافة سوف سيتم تم يتم وتم
""".split())


# Words that date an article rather than say what happened: every SPA item opens with a dateline
# (`بريدة 25 شوال 1436 هـ الموافق 10 اغسطس 2015 م واس`), and left in they make a day's wire
# items look alike. Checked with and without the article/clitic prefix.
TIME_WORDS = frozenset(w.translate(_STEM_MAP) for w in """
يناير فبراير أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر
كانون الثاني شباط آذار اذار نيسان أيار ايار حزيران تموز أيلول ايلول تشرين الأول الاول
محرم الآخر الاخر جمادى جمادي الأولى الاولى الآخرة الاخرة رجب شعبان رمضان شوال القعدة الحجة ذو ذي
السبت الأحد الاحد الاثنين الإثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة
الموافق موافق هـ واس يونا قنا كونا وام بنا سبأ
""".split())


@dataclass
class Features:
    """One article's comparison signals (all keys in folded form)."""

    title: dict[str, float]
    body: dict[str, float]
    names: dict[str, float]  # rare proper tokens -> idf
    numbers: list[str]
    time: float | None  # days since the epoch, None when the article has no date
    lede: dict[str, float] = field(default_factory=dict)  # title + opening sentences: where the event is
    stems: frozenset[str] = field(default_factory=frozenset, compare=False)  # every stem read; not stored
    standing: str | None = None  # "press review", "cartoon" or "news brief" (`standing_kind`), else None
    report: bool = False  # a market's or the weather's report of the day (`is_day_report`)
    counts: tuple[tuple[str, float], ...] = field(default=(), compare=False)  # see title_counts; not stored
    # stems of the headline's words that name a place whose stem alone does not (`learned_place_words`: بريدة's
    # stem is البريد's, التركية's ترك "left"); empty in features stored before they were read (stems' places only)
    places: frozenset[str] = frozenset()
    # the headline's stems and the text's first `LEDE_STEMS`, every one (`lede` keeps the 40 strongest, and drops
    # a common "terrorist" from a long opening): where an incident is looked up (`cluster`); not stored
    opening: frozenset[str] = field(default=frozenset(), compare=False)
    topic: np.ndarray | None = field(default=None, compare=False, repr=False)  # see topic_vector; not stored

    def to_json(self) -> dict:
        return {"t": self.title, "b": self.body, "n": self.names, "d": self.numbers, "time": self.time,
                "l": self.lede} | ({"s": self.standing} if self.standing else {}) | ({"r": 1} if self.report else {}) \
            | ({"p": sorted(self.places)} if self.places else {})

    def intern(self) -> "Features":
        """Share key strings with every other article's (`sys.intern`): kept stories hold each stem once,
        not one copy per article decoded or unpickled (~2M strings on a 30k-article store)."""
        def shared(vec: dict[str, float]) -> dict[str, float]:
            return dict(zip(map(sys.intern, vec), vec.values()))

        self.title, self.body, self.lede, self.names = map(shared, (self.title, self.body, self.lede, self.names))
        self.numbers = list(map(sys.intern, self.numbers))
        self.places = frozenset(map(sys.intern, self.places))
        return self

    @classmethod
    def from_json(cls, data: dict) -> "Features":
        return cls(data["t"], data["b"], data["n"], data["d"], data["time"], data.get("l") or data["t"],
                   standing=data.get("s"), report=bool(data.get("r")), places=frozenset(data.get("p", ())))


@dataclass
class IdfTable:
    docs: int
    stems: dict[str, int] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)

    def stem_idf(self, stem: str) -> float:
        return math.log((self.docs + 1) / (self.stems.get(stem, 0) + 1)) + 1.0

    def word_idf(self, word: str) -> float:
        return math.log((self.docs + 1) / (self.words.get(word, 0) + 1)) + 1.0


@lru_cache(maxsize=1)
def idf_table() -> IdfTable:
    """The shipped document-frequency table (empty, so every word is equally rare, if missing)."""
    path = DATA_DIR / "idf.json.gz"
    if not path.is_file():
        return IdfTable(docs=1)
    data = json.loads(gzip.decompress(path.read_bytes()))
    return IdfTable(docs=data["docs"], stems=data["stems"], words=data["words"])


def _light(text: str) -> str:
    return fold_punctuation(fold_digits(strip_marks(unicodedata.normalize("NFKC", text))))


@word_cache(WORDS)
def _stem(word: str) -> str | None:
    bare = _CLITIC.sub("", word)
    if word in STOPWORDS or word in TIME_WORDS or bare in TIME_WORDS or "ال" + bare in TIME_WORDS:
        return None
    stem = arabic_stemmer().stemWord(bare)
    return stem.translate(_NAME_MAP) if len(stem) >= 2 else None


def _folded_words(light: str) -> list[str]:
    """The words of a `_light` text as the stemmer reads them: stem letters folded, clitics still on."""
    return _WORD.findall(fold_stem_letters(light).casefold())


def _stems_of(light: str, limit: int | None = None) -> list[str]:
    words = _folded_words(light)
    if limit:
        words = words[:limit]
    return list(filter(None, map(_stem, words)))  # stopwords and short stems (None) dropped


@lru_cache(maxsize=1)
def _places_table() -> dict:
    """`data/places.json` (`scripts/train_places.py`), read once; empty when it does not ship."""
    path = DATA_DIR / "places.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@lru_cache(maxsize=1)
def learned_places() -> frozenset[str]:
    """Stems of the places `scripts/train_places.py` learnt from SaudiNewsNet (Saudi regions and towns, mostly):
    the story engine's place test and the entity rules' (a town the tagger typed MISC)."""
    return frozenset(_places_table().get("stems", ()))


@lru_cache(maxsize=1)
def learned_place_words() -> frozenset[str]:
    """Towns `scripts/train_places.py` learnt as whole words (`place_key`), where the stem is a common word's."""
    return frozenset(_places_table().get("words", ()))


def place_key(word: str) -> str:
    """A folded word (`title_words`) as place words are learned and looked up: `وبالخرج`, `للخرج` -> `الخرج`."""
    return _PLACE_CLITIC.sub("ال", word)


def title_words(text: str) -> list[str]:
    """The folded words of a text as the stemmer reads them (clitics still on)."""
    return _folded_words(_light(text))


def _place_word_stems(light_title: str) -> frozenset[str]:
    """Stems of a headline's words that are learned place words, with `و ب ل ف` before a bare one (`ببريدة`)."""
    words = learned_place_words()
    found = set()
    for word in _folded_words(light_title):
        key = place_key(word)
        if key in words or (key[0] in "وبلف" and key[1:] in words):
            found.add(_stem(word))
    found.discard(None)
    return frozenset(found)


def stem_tokens(text: str, limit: int | None = None) -> list[str]:
    """Stems of the content words of `text`, in order."""
    return _stems_of(_light(text), limit)


def _name_words(light: str) -> list[str]:
    """The folded words names are looked for in, clitics still on."""
    return _WORD.findall(fold_letters(light).casefold())


def _names_of(light: str) -> list[str]:
    return [_CLITIC.sub("", w) for w in _name_words(light) if w not in STOPWORDS]


def name_tokens(text: str) -> list[str]:
    """Folded words with their article/clitic prefix removed: the units proper names are matched on."""
    return _names_of(_light(text))


def _tfidf(stems: list[str], idf: IdfTable, keep: int) -> dict[str, float]:
    counts = Counter(stems)  # counted in C, in first-seen order like a dict filled by hand
    # most stems occur once: (1.0 + log 1) * idf is idf exactly, without the log and the product
    weights = {s: stem_idf(s) if c == 1 else (1.0 + math.log(c)) * stem_idf(s) for s, c in counts.items()}
    if len(weights) > keep:
        weights = dict(sorted(weights.items(), key=itemgetter(1), reverse=True)[:keep])  # ties: first seen first
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {s: round(w / norm, 4) for s, w in weights.items()}


@word_cache(WORDS)
def stem_idf(stem: str) -> float:
    """Inverse document frequency of a stem in the shipped table (cached)."""
    return idf_table().stem_idf(stem)


_PREFIXES = ("", "ل", "ب", "س", "و", "ف", "ك", "لل", "وس", "ول", "وب")
_SUFFIXES = ("", "ها", "هم", "هما", "كم", "نا", "ه", "ي", "ين", "ون", "ان", "ات", "تين", "تان", "يه")
_VOWELS = str.maketrans("", "", "اويىه")


def skeleton(word: str) -> str:
    """A name's consonant skeleton, so transliteration variants meet: برينان / برنين -> برنن."""
    return word[0] + word[1:].translate(_VOWELS)


def _is_name(word: str, threshold: float, common: float) -> float:
    """The word's idf when it is a rare proper-like token, else 0.

    A word is a name when it is rare and is not an inflection of a common word: `لتمكينها`
    (`تمكين` + clitics) and `سينهي` are rare spellings of common words, `برينان` is rare either way.
    """
    idf = idf_table()
    if len(word) < 3 or idf.words.get(word, 0) >= threshold:
        return 0.0
    for prefix in _PREFIXES:
        if prefix and not word.startswith(prefix):
            continue
        core = word[len(prefix):]
        for suffix in _SUFFIXES:
            if suffix and not core.endswith(suffix):
                continue
            base = core[: len(core) - len(suffix)] if suffix else core
            if len(base) < 3 or (not prefix and not suffix):
                continue
            for form in (base, base[:-1] + "ه" if base.endswith("ت") else base):
                if idf.words.get(form, 0) >= common:
                    return 0.0
    stem = _stem(word)
    if stem is not None and idf.stems.get(stem, 0) >= common * 2:
        return 0.0
    return round(idf.word_idf(word), 3)


_NAME_ENTRIES: dict[tuple[float, float], Callable[[str], tuple[str, float] | None]] = {}


def _name_entry(word: str, threshold: float, common: float) -> tuple[str, float] | None:
    """(skeleton, idf) of one of `_name_words` when, its clitic cut, it is a name (`_is_name`)
    with a skeleton of 3+ letters; None for a stopword or any other word."""
    if word in STOPWORDS:
        return None
    bare = _CLITIC.sub("", word)
    if (weight := _is_name(bare, threshold, common)) and len(key := skeleton(bare)) >= 3:
        return key, weight
    return None


def _name_entries(threshold: float, common: float) -> Callable[[str], tuple[str, float] | None]:
    """`_name_entry` with these cuts, cached per word (the cuts are the same for every article): an
    article's ~500 words looked up in C, not each through a Python call or two."""
    entry = _NAME_ENTRIES.get((threshold, common))
    if entry is None:
        entry = word_cache(WORDS)(partial(_name_entry, threshold=threshold, common=common))
        _NAME_ENTRIES[threshold, common] = entry
    return entry


# Standing items: a newspaper's daily cartoon, a press review (`اهتمامات الصحف المغربية`), a news brief
# (`موجز دوليات`). Each covers several happenings or none, so it is a story of its own (the task's
# granularity: "a multi-topic item ... is a story of its own"), and the story engine neither joins one
# nor lets another article join it. Known by how the headline opens, once `clean.clean_title` has cut a
# wire's desk label (`عام / `); matched on the folded headline, so `الصحافة`/`الصحافه` are one spelling.
_STANDING = tuple((kind, re.compile(rf"^(?:{pattern})(?![^\W\d_])")) for kind, pattern in (
    ("press review", r"اهتمامات الصحف|(?:ابرز |اهم )?عناوين الصحف|جوله في الصحف|جوله في الصحافه|جوله الصحافه"
                     r"|قراءه في الصحف"),
    ("cartoon", r"(?:ال)?كاريكاتير|(?:ال)?كاريكاتور"),
    ("news brief", r"موجز|اخبار متفرقه|متفرقات"),
))
# A round-up of several stock markets ("تباين أداء الأسهم الخليجية", "بورصات الخليج تواصل تراجعاتها"): a multi-topic
# item, so a story of its own (on the gold days, all are), and not one that a single market's close joins (08-10:
# the Kuwaiti and the Qatari closes had joined the Gulf round-up). Stocks only: "النفط ... في الأسواق العالمية" is
# oil's report of the day.
_ROUNDUP = re.compile(r"(?<![^\W\d_])(?:ال)?(?:اسهم|بورصات|اسواق المال|اسواق الاسهم) (?:ال)?(?:خليجيه|عربيه|عالميه|خليج)"
                      r"(?![^\W\d_])")


# Social-page notices: an office's Eid greetings party for its staff, a family receiving condolences, a
# wedding ("أفراح آل ... و..." heads the wedding column; "يحتفل بزواجه", "في القفص الذهبي") or a birth. Each
# is its own happening ("two happenings of the same kind are two stories"), but they are worded alike and
# differ only in the office or family, so by content they would glue together (17 offices' Eid parties in
# one story on 2015-07-22, three weddings on 2015-08-07, two grooms "... عريساً" on 2015-07-21). Found
# anywhere in the folded headline; a martyr's family receiving condolences is left to the engine (an attack's
# aftermath), and so is an emir receiving Eid well-wishers (one happening several outlets report).
_NOTICE = re.compile(
    r"حفل(?:ات)? (?:ال)?معايد|احتفالات (?:ال)?معايد|(?<![^\W\d_])[يت]عايد(?:ون|ان)? منسوبي|معايده (?:ال)?(?:دوائر|جهات)"
    r"|(?:(?:يتقبل|يتلق|يستقبل)(?:ون|ان)|تتقبل|تتلقي|تستقبل) (?:ال)?(?:عزاء|تعازي|مواسين|معزين)"
    r"|^(?:انتهاء )?عزاء (?:ال|اسره|عائله|ابناء) |^افراح (?!العيد|الوطن)"
    r"|(?<![^\W\d_])[وف]?[يت]حتف(?:ل|ي)?(?:ون|ان)? ب(?:زفاف|زواج|عقد قران|قران|خطوبه|تخرج)|القفص الذهبي"
    r"|(?<![^\W\d_])[يت]رزق(?:ان)? ب"
    r"|^\D*(?<![^\W\d_])عريسا(?![^\W\d_])(?!\s*و)"  # "فواز العنزي عريساً": a groom; not "26 عريساً وعروسا", a group wedding
)
_MARTYR = re.compile(r"شهيد|شهداء|استشهاد")
# ...or a headline that names only the office ("«التقاعد»", "شركات «العثيم»") or greets ("وزارة الصحة تهنئ
# منسوبيها") over a lede that opens with the office holding its Eid party ("أقامت المؤسسة ... حفل معايدة"):
# after Eid al-Fitr 2015 the social pages ran dozens, which glued together by content (six in one story on
# 07-23). A minister's news told at his ministry's party ("قال وزير الحج ... خلال حفل المعايدة", or a headline
# of its own: "الدخيّل يؤكد على جاهزية المدارس") is left to the engine.
_NOTICE_LEDE = re.compile(r"^(?:\S+ ){0,6}?(?:[اي]?قام|[اتي]?قامت|نظم|نظمت|[يت]نظم|[يت]قيم) (?:\S+ ){0,10}?حفل(?:ات)? (?:ال)?معايد")
_GREETING = re.compile(r"(?<![^\W\d_])(?:بال|ال)?عيد(?![^\W\d_])|تهنئ|تهان|[يت]عايد|معايد|[يت]حتف")
_NOTICE_TITLE_WORDS = 4


def folded_title(title: str) -> str:
    """A headline as the headline rules read it: wire desk label cut (`clean_title`), matching form."""
    return matching_form(clean_title(title))


def standing_kind(title: str, folded: str | None = None, text: str | None = None) -> str | None:
    """The kind of standing item a headline opens (`_STANDING`) or is (a market round-up, `_ROUNDUP`; a social
    notice, `_NOTICE`, or `_NOTICE_LEDE` under an office's name or a greeting when `text` is given), or None
    for an article about a happening; `folded`: `folded_title(title)` when the caller has it."""
    folded = folded_title(title) if folded is None else folded
    kind = next((kind for kind, pattern in _STANDING if pattern.match(folded)), None)
    if kind is None and _ROUNDUP.search(folded):
        kind = "market round-up"
    if kind is None and not _MARTYR.search(folded):
        if _NOTICE.search(folded) or (text and _notice_lede(folded, text)):
            kind = "social notice"
    return kind


def _notice_lede(folded: str, text: str) -> bool:
    """Whether the article's opening is an office's Eid party under a headline that names only the office
    or greets (`_NOTICE_LEDE`)."""
    if len(folded.split()) > _NOTICE_TITLE_WORDS and not _GREETING.search(folded):
        return False
    return bool(_NOTICE_LEDE.search(matching_form(text[:300])))  # spaces folded and trimmed


# A day's report: a stock market's close (`الأسهم`, `المؤشر`, `تاسي`, a bourse), oil's or gold's price, the
# weather forecast. Each session's or day's report is one happening ("one market's report for the day"),
# worded like the next day's, so the story engine lets such an article join only a story begun within about
# a day of it (`cluster.REPORT_SPAN_DAYS`): over the 18 SaudiNewsNet days, without it, a week of Saudi closes
# (and Gulf and US ones) made one 77-article story and the oil and gold prices 40-60 each. Matched as whole
# words of the folded headline. Oil and gold only with a word of price or movement (not "ISIS sells oil",
# "a pipeline attack stops oil"), `الذهب` only with its article (`ذهب` went, `الذهبية` golden: medals, an
# operation's name), `مؤشر` not as "a sign of" (`مؤشر على`).
_W = r"(?<![^\W\d_])(?:[وفب]?ال|لل|[وف])?"  # a word's start, with its article or conjunction
_REPORT = re.compile(
    _W + r"(?:اسهم|تاسي|بورصه|بورصات|بورصتا|برنت|اونصه|اوقيه|طقس|ارصاد)(?![^\W\d_])"
    + r"|" + _W + r"مؤشر(?![^\W\d_])(?! علي)"
    + r"|(?<![^\W\d_])(?:ال)?سوق .*(?:(?<![^\W\d_])[يت]غلق|نقطه)(?![^\W\d_])")  # a market's close: "السوق يغلق ..."
_COMMODITY = re.compile(r"(?<![^\W\d_])(?:[وفب]?ال|لل|[وف])?نفط(?![^\W\d_])|(?<![^\W\d_])(?:[وفب]?ال|لل)ذهب(?![^\W\d_])")
_PRICE = re.compile(r"(?<![^\W\d_])[وفبل]?(?:ال)?(?:سعر|اسعار|دولار|دولارا|برميل|[يت](?:رتفع|تراجع|هبط|نخفض|كسب|خسر|صعد|ستقر"
                    r"|واصل|تعافي|قترب|تجه|سجل)|ارتفاع|تراجع|هبوط|انخفاض|خسائر|خساره|مكاسب|صعود|استقرار|ادني|اعلي"
                    r"|مستوي|مستويات|تعاملات|تداولات|العقود)(?![^\W\d_])")


def is_day_report(title: str, folded: str | None = None) -> bool:
    """Whether a headline is a market's or the weather's report of the day (`_REPORT`; `_COMMODITY` with
    `_PRICE`)."""
    folded = folded_title(title) if folded is None else folded
    return _REPORT.search(folded) is not None or (_COMMODITY.search(folded) is not None
                                                  and _PRICE.search(folded) is not None)


# What a headline counts: "إنقاذ 35 شخصًا" -> (شخص, 35), "تعالج 932 لاجئاً" -> (لاجي, 932), "تسجل تراجعاً بـ 76 نقطة"
# -> (نقطه, 76): a number and the word after it, that word cut to four letters (a crude stem: `شخصا`/`شخصًا`,
# `لاجئا`/`لاجئين`). Two headlines counting the same thing differently are two happenings of one kind (a fire
# where 35 were rescued and one where 15 were; 19 and 23 coalition strikes; the 08-10 and 08-11 closes):
# `cluster.count_clash`. Years, dates and function words after a number are not counts, nor is anything in a
# headline about a toll (`_TOLL`).
_COUNT = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)[\s\"»«)]*(?:ال)?([^\W\d_]{3,})")
_NOT_COUNTED = frozenset("علي الي عن منذ خلال بعد قبل حتي".split())
# A toll is updated as news comes in ("13 قتيلا في غرق مركب" and later "ارتفاع قتلى غرق مركب إلى 21"; 12 then 27
# killed in a jet's crash): a headline about the dead or the injured counts nothing here.
_TOLL = re.compile(r"(?<![^\W\d_])[وفبل]?(?:ال)?(?:قتل|قتيل|مقتل|مصرع|وفا|توفي|اصاب|مصاب|جرح|جريح|ضحايا|ضحيه|حصيل"
                   r"|شهدا|شهيد|استشهاد|غرق|يصرع|يصيب)")


def title_counts(title: str, folded: str | None = None) -> tuple[tuple[str, float], ...]:
    """(word, number) for each number the headline counts something with (`_COUNT`)."""
    folded = folded_title(title) if folded is None else folded
    if _TOLL.search(folded):
        return ()
    out = []
    for number, word in _COUNT.findall(folded):
        if re.fullmatch(r"(?:19|20|14)\d\d", number) or word in _NOT_COUNTED or word in TIME_WORDS:
            continue
        # 1,100 is a thousand and a hundred; 1,5 (an Arabic decimal comma) one and a half
        number = number.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number) else number.replace(",", ".")
        try:
            value = float(number)
        except ValueError:
            continue
        out.append(((word[:-1] if word.endswith("ا") and len(word) > 3 else word)[:4], value))  # شخصًا = شخص
    return tuple(out)


_TEXT_CHARS = 6000  # the engine reads no further (400 stems, names and numbers from the first 3000)
LEDE_STEMS = 50


def article_features(title: str, text: str, time: float | None, rare_below: float = 0.002) -> Features:
    """All comparison signals of one article; `rare_below` is the document share under which a word is a name."""
    idf = idf_table()
    light_title, light_text = _light(title), _light(text[:_TEXT_CHARS])
    folded = folded_title(title)  # for the headline rules: standing item, day's report, counts
    body_stems = _stems_of(light_text, _MAX_BODY_TOKENS)
    title_stems = _stems_of(light_title)
    threshold = max(2, rare_below * idf.docs)
    words = _name_words(f"{light_title}\n{light_text[:3000]}")
    names = dict(filter(None, map(_name_entries(threshold, 2.5 * threshold), words)))  # a later word's weight wins
    numbers = sorted({n.replace(",", "") for n in _NUMBER.findall(f"{light_title} {light_text[:3000]}")
                      if len(n.replace(",", "")) >= 2})
    return Features(
        title=_tfidf(title_stems, idf, 30),
        body=_tfidf(title_stems + body_stems, idf, 80),
        names=names,
        numbers=numbers[:40],
        time=time,
        lede=_tfidf(title_stems * 2 + body_stems[:LEDE_STEMS], idf, 40),
        stems=frozenset(title_stems + body_stems),
        opening=frozenset(title_stems + body_stems[:LEDE_STEMS]),
        standing=standing_kind(title, folded, text),
        report=is_day_report(title, folded),
        counts=title_counts(title, folded),
        places=_place_word_stems(light_title),
    )


@lru_cache(maxsize=1)
def _topic_space() -> tuple[dict[str, int], np.ndarray, np.ndarray] | None:
    """The shipped topic space (`scripts/train_topics.py`): stem index, int8 term vectors, scales."""
    path = DATA_DIR / "topics.npz"
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        index = {term: i for i, term in enumerate(data["terms"].tolist())}
        return index, data["vectors"], data["scale"]


def topic_rank() -> int:
    """Dimensions of the topic space (1 when none ships: every topic vector is then None)."""
    space = _topic_space()
    return 1 if space is None else space[1].shape[1]


def topic_vector(feats: Features) -> np.ndarray | None:
    """The article's body weights projected into the topic space, unit length; cached on `feats`.

    None when no topic space ships or none of its stems are known. Computed where it is needed
    (the story engine), not stored: it follows from the stored body weights.
    """
    if feats.topic is None:
        space = _topic_space()
        if space is None:
            return None
        index, vectors, scale = space
        body, count = feats.body, len(feats.body)
        rows = np.fromiter(map(index.get, body, repeat(-1)), np.intp, count)  # -1: a stem the space lacks
        known = rows >= 0
        if not known.any():
            return None
        weights = np.fromiter(body.values(), np.float32, count)[known]
        vector = (weights @ vectors[rows[known]].astype(np.float32)) * scale
        norm = float(np.linalg.norm(vector))
        if not norm:
            return None
        feats.topic = vector / norm
    return feats.topic


def cosine(a: dict[str, float], b: dict[str, float], b_norm: float | None = None) -> float:
    """Cosine of two sparse vectors (`a` assumed unit length unless stated).

    Walks the smaller vector in its own (insertion) order: a set of shared keys would sum in hash
    order, so the same input gave scores differing in the last digit from one run to the next.
    """
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum([w * large[k] for k, w in small.items() if k in large])
    if not dot:
        return 0.0
    if b_norm is None:
        return dot
    return dot / b_norm
