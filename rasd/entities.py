"""Entity mentions with titles and roles, and canonical entities: one entity per real person whatever the spelling.

Mentions. `annotate_mentions` runs the CRF (`rasd.ner.find_mentions`) and repairs what it gets
wrong in predictable ways: a title tagged inside a name (`اللواء جون برينان` → titles `اللواء`), a
conjunction or preposition glued to the first word (`وبغداد`, `لداعش`), a name cut after a Latin
initial (`جون دبليو` + `برنين`), a name ended at `بن` (`عبدالله بن` + `مساعد`) or before a rare family name
(`عبدالله بن عبدالعزيز` + `الربيعة`). It then adds what the CRF missed inside the same article: names
from the curated alias list (`rasd/data/entity_aliases.json`), bare surnames of people the
article names in full (`برنين` after `جون دبليو برنين`), and two or three name-like words right
after a rank or honorific (`الفريق أول كينيث ماكنزي`). A name in construct after an institution's head
is the institution (`مستشفى الملك خالد` ORG, `مطار الملك خالد` LOC), a dotted acronym one name (`بي.بي.سي`),
a Saudi town the CRF typed MISC a place (`تبوك`). Ranks and honorifics right before a name
become its `titles`; a function phrase before it (`مستشار الأمن القومي العراقي`) or after it behind a
comma becomes its `role` (word lists in `rasd/data/titles.json`). Offsets are into the display text.

The merge rule (whether a mention is an existing entity), used both by the resolver and by
`rasd eval entities`:

* Types must be equal. A name in an alias group is that group's entity.
* Name keys: each word in the matching form, clitic `و/ب/ل/ف` and the article `ال` set aside,
  `عبد/أبو` joined to the next word; a transliterated Latin initial (`دبليو`) counts only against
  another middle name, never against a missing one. Two words
  match when equal, or when their consonant skeletons (long vowels `ا و ي`, final `ة/ه`, hamza forms
  dropped) are equal and at least 4 letters long (Arabic names built on one 3-letter root are
  different names: `العمري`/`العامري`, `الجبير`/`الجبوري`), neither alone ends in `ي`/`ة` (`منصور`/
  `منصوري`), and the two spellings are not both common Arabic words (wordfreq Zipf ≥ 4: `محمد`/
  `محمود`), nor a compound `عبد...`/`أبو...`; so `برينان`/`برنين` and `ماكنزي`/`ماكينزي` are one
  name transliterated twice.
* Two full names (two words or more) are one person when first and last words match and, where
  both give a middle word, those match too; or when the shorter (3 words or more) is an ordered
  part of the longer with the same first word (`محمد بن سلمان` ⊂ `محمد بن سلمان آل سعود`); a shorter name
  ending in a lineage (`X بن Y`, Y the father) must begin the longer, which goes on only with more lineage
  (`بن`, `آل`), not a family name (`عبدالله بن عبدالعزيز`, the late king, is not `عبدالله بن عبدالعزيز الربيعة`).
  So `جون برينان` = `جون دبليو برنين`, but `برينان` ≠ `بايدن` and `جورج دبليو بوش` ≠ `جورج هربرت بوش`.
  A full name joins an entity when the rule makes it one person with one of the entity's full names,
  and two people with none of its names of three words or more that start with the same word:
  `محمد عبد العزيز` fits both `محمد بن نايف بن عبدالعزيز` and `محمد بن سلمان بن عبدالعزيز`, yet no
  entity holds both.
* A one-word person mention (`برنين`, `الاعرجي`) is the person of the same article, else of the
  same story, whose surname matches (the last word, unless a father's or a dynasty's name: `سلمان` of
  `محمد بن سلمان`, `سعود` of `آل سعود`); after a title it may also be the one lineage name there that
  begins with it (`الملك سلمان`); failing that, the one person of the archive with that surname (spelled
  alike) who has 80% of the mentions of all who have it, 30 at least (`أوباما`: `باراك أوباما`); failing
  that, the one-word entity with that word (spelled alike; by skeleton only when that entity is already
  in the story).
  When a full name arrives in a story that already has a one-word entity for its surname, that
  story's one-word mentions move to the full name, so the result does not depend on which came first.
* Other types: all words match, in order, a trailing `الدولي`/`الدولية` left out when two words remain. A MISC
  mention (the CRF's catch-all) is the place or organisation of its name when there is one (not a currency).

Display name: the most frequent spelling among the full names (two words or more), ties broken by wordfreq's Arabic
frequencies (`برينان` before `برنين`).

Errors: `EntityError` (a ValueError) for unusable input such as a malformed gold file.
"""
from __future__ import annotations

import json
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path
from sys import intern

from . import DATA_DIR
from .normalize import WORDS, matching_form, matching_word, word_cache
from .features import learned_places, stem_tokens
from .numbers import currency_words

__all__ = ["EntityMention", "EntityError", "EntityResolver", "PendingEntities", "alias_key", "annotate_mentions",
           "find_entities",
           "commonness", "name_words", "same_word",
           "same_entity", "display_name", "load_variant_pairs", "score_variants"]

TITLES_PATH = DATA_DIR / "titles.json"
ALIASES_PATH = DATA_DIR / "entity_aliases.json"
TYPES = ("PER", "ORG", "LOC", "MISC")
MIN_SKELETON = 4  # Arabic names share 3-consonant roots (عمري/عامري, جبير/جبوري): short skeletons must match exactly
COMMON_ZIPF = 4.0  # both spellings at least this frequent: two different words, not one name spelled twice
ROLE_WINDOW = 10  # most words from a role head to the name
NAME_WORDS = 3  # most words taken as a name the tagger missed after a title
# a bare surname away from any full name is the one person who has it `_KNOWN_SHARE` of the time (`_best_known`)
_KNOWN_MIN_MENTIONS, _KNOWN_SHARE, _KNOWN_MAX_PEOPLE = 30, 0.8, 40
FAMILY_ZIPF = 3.8  # an `ال` word rarer than this after `X بن Y` is a family name (`الربيعة` 2.9; `الرئيس` 5.7)
_OPEN_QUOTES = {'"', "“", "«", "'", "”", "„"}
_COMMAS = {"،", ","}
_LETTER = re.compile(r"[^\W\d_]")
# `بي.بي`: an acronym written with dots. The dot first, its letters looked behind: the regex engine then jumps
# from dot to dot instead of trying the letter class at every character (1.5 us an article, not 50)
_DOTTED = re.compile(r"\.(?<=[^\W\d_]{2}\.)[^\W\d_]{2}")
# Latin letters' names in Arabic script (folded): the parts of a dotted acronym, all but its last (`سي.بي.اس.نيوز`)
_LETTER_NAMES = frozenset(matching_word(w) for w in """اي ايه آي أي إي إيه بي سي دي إف اف جي جيه إتش اتش إتش
    كي كيه إل ال إم ام إن ان أو او كيو آر ار إس اس تي يو في دبليو إكس اكس واي زد زي""".split())
_INTERNATIONAL = frozenset({"الدولي", "الدوليه"})  # folded
_SKELETON_DROP = re.compile("[اويءئؤ]|ه$")


class EntityError(ValueError):
    """Input for entity evaluation or lookup that cannot be used."""


@dataclass(frozen=True)
class EntityMention:
    """A named-entity mention; `text == source[start:end]`. Titles and role are display text too."""

    start: int
    end: int
    type: str
    text: str
    titles: tuple[str, ...] = ()
    role: str | None = None

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "type": self.type, "text": self.text,
                "titles": list(self.titles), "role": self.role}


# -- word lists ----------------------------------------------------------------------------------

def _fold_words(phrase: str) -> tuple[str, ...]:
    return tuple(matching_form(phrase).split())


@dataclass
class Lexicons:
    """The word lists of titles.json and entity_aliases.json in the matching form."""

    titles: set[tuple[str, ...]]
    roles: set[tuple[str, ...]]
    role_prefixes: set[tuple[str, ...]]
    stops: set[str]
    initials: set[str]
    aliases: dict[tuple[str, ...], tuple[str, str]]  # folded name words -> (type, group key)
    spellings: dict[str, str]
    longest: int = 4
    alias_starts: frozenset[str] = frozenset()  # first words of `aliases`
    title_starts: frozenset[str] = frozenset()  # first words of `titles`
    formulae: frozenset[tuple[str, ...]] = frozenset()  # `الله`, `رضي الله`: no person, alone or after a name


@lru_cache(maxsize=1)
def lexicons() -> Lexicons:
    def read(path: Path) -> dict:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise EntityError(f"cannot read {path}: {err}") from None

    titles, aliases = read(TITLES_PATH), read(ALIASES_PATH)
    alias_map: dict[tuple[str, ...], tuple[str, str]] = {}
    for group in aliases["groups"]:
        key = "alias:" + matching_form(group["names"][0])
        for name in group["names"]:
            alias_map[_fold_words(name)] = (group["type"], key)
            alias_map[name_words(name, group["type"], aliases.get("spellings", {}))] = (group["type"], key)
    sets = {name: {_fold_words(p) for p in titles[name]} for name in ("titles", "roles", "role_prefixes")}
    longest = max(len(p) for s in [*sets.values(), alias_map] for p in s)
    return Lexicons(sets["titles"], sets["roles"], sets["role_prefixes"],
                    {matching_form(w) for w in titles["stops"]}, {matching_form(w) for w in titles["initials"]},
                    alias_map, aliases.get("spellings", {}), longest, frozenset(k[0] for k in alias_map if k),
                    frozenset(p[0] for p in sets["titles"] if p), frozenset(map(_fold_words, titles["formulae"])))


# -- name keys -----------------------------------------------------------------------------------

class _ArabicFrequencies:
    """wordfreq's Arabic word list as sorted 64-bit hashes and their frequency bands (~6 MB).

    `wordfreq.zipf_frequency` keeps the 620k-word list as Python strings and a dict of them: ~70 MB
    in every ingest worker, for a look-up that only needs each word's band. Keys hash the UTF-8 bytes
    (`hash(str)` hashes the internal form, where `'a_'` and `'\u5f61'` collide); two words sharing a
    64-bit hash is a ~1e-8 chance a process (the hash is salted per process).
    """

    def __init__(self):
        import gzip

        import msgpack
        import numpy as np
        from wordfreq import available_languages

        keys, bands = array("q"), array("i")
        # read_cBpack's format, read a band at a time: the whole list at once left ~35 MB of freed
        # but unreturned heap behind it
        with gzip.open(available_languages("best")["ar"], "rb") as infile:
            unpacker = msgpack.Unpacker(infile, raw=False)
            count = unpacker.read_array_header()
            header = unpacker.unpack()
            if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
                raise ValueError(f"wordfreq's Arabic list has an unexpected header: {header!r}")
            for band in range(count - 1):
                words = unpacker.unpack()
                keys.extend(hash(w.encode("utf-8", "surrogatepass")) for w in words)
                bands.extend([band] * len(words))
        order = np.argsort(np.frombuffer(keys, np.int64), kind="stable")
        self._keys = np.frombuffer(keys, np.int64)[order]
        self._bands = np.frombuffer(bands, np.int32)[order]

    def frequency(self, token: str) -> float | None:
        """The word list's frequency of one token (as `get_frequency_dict` gives it), None if absent."""
        key = hash(token.encode("utf-8", "surrogatepass"))
        at = int(self._keys.searchsorted(key))
        if at == len(self._keys) or self._keys[at] != key:
            return None
        return 10 ** (-int(self._bands[at]) / 100)  # wordfreq's `cB_to_freq`


@lru_cache(maxsize=1)
def _frequencies() -> _ArabicFrequencies:
    return _ArabicFrequencies()


@word_cache(WORDS)
def zipf(word: str) -> float:
    """`wordfreq.zipf_frequency(word, "ar")`, step for step, on the compact word list."""
    import math

    from wordfreq import lossy_tokenize
    from wordfreq.numbers import digit_freq, smash_numbers

    minimum = 10 ** 0 / 1e9  # `zipf_to_freq(0)`, zipf_frequency's default floor
    tokens = lossy_tokenize(word, "ar")
    freq = minimum
    if tokens:
        table, one_over = _frequencies(), 0.0
        for token in tokens:
            smashed = smash_numbers(token)
            found = table.frequency(smashed)
            if found is None:
                break
            if smashed != token:
                found *= digit_freq(token)
            one_over += 1.0 / found
        else:
            unrounded = max(1.0 / one_over, minimum)
            freq = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


@word_cache(WORDS)
def _may_start_alias(folded: str) -> bool:
    """Whether an alias of the list may start at this folded word (a clitic stripped or not)."""
    first, starts = _strip_clitic(folded), lexicons().alias_starts
    return first in starts or first[1:] in starts


@word_cache(WORDS)
def _strip_clitic(word: str) -> str:
    """`والعراق` → `العراق`, `للعراق` → `العراق`, `وبغداد` → `بغداد` (only when a 3+ letter word is left)."""
    if word.startswith("لل") and len(word) > 4:
        return "ال" + word[2:]
    for prefix in ("وبال", "وال", "بال", "فال", "كال", "ولل"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return "ال" + word[len(prefix):] if prefix != "ولل" else "ال" + word[3:]
    return word


def _surname_keys(word: str) -> tuple[str, str | None]:
    """The surname a folded word may be: without clitic and article, and (a 5+ letter word after a
    one-letter clitic) without its first letter and the article; None where there is no second.
    Both are endings of `word` (`_strip_clitic` leaves 3+ letters after the `ال` that `_bare` drops)."""
    return _bare(_strip_clitic(word)), _bare(word[1:]) if len(word) > 4 and word[0] in "وبلف" else None


def _bare(word: str) -> str:
    """A name word without the article: `الأعرجي` and `اعرجي` compare equal."""
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


@word_cache(WORDS)
def skeleton(word: str) -> str:
    """Consonants of a folded name word: `برينان` and `برنين` → `برنن`."""
    word = _bare(word)
    for run, to in lexicons().spellings.items():
        word = word.replace(run, to)
    return _SKELETON_DROP.sub("", word)


def name_words(name: str, kind: str = "PER", spellings: dict[str, str] | None = None) -> tuple[str, ...]:
    """The folded words of a name that identify it (see the module docstring). An organisation's or a place's
    trailing `الدولي`/`الدولية` is not one of them when two words are left: `مطار الملك خالد الدولي` is `مطار
    الملك خالد`, `منظمة العفو الدولية` is `منظمة العفو`; `البنك الدولي` is not `البنك`."""
    words = _name_words(name) if spellings is None else _name_words_with(name, spellings)
    if kind != "PER" and len(words) >= 3 and words[-1] in _INTERNATIONAL:
        return words[:-1]
    return words


@word_cache(WORDS)
def _name_words(name: str) -> tuple[str, ...]:
    return _name_words_with(name, lexicons().spellings)


def _name_words_with(name: str, spellings: dict[str, str]) -> tuple[str, ...]:
    text = matching_form(name)
    for run, to in spellings.items():
        text = text.replace(run, to)
    words = [w for w in re.split(r"[\s\-_.]+", text) if w and _LETTER.search(w)]
    if words:
        words[0] = _strip_clitic(words[0])
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] in ("عبد", "ابو", "ابي", "ابا"):
            joined[-1] += word
        else:
            joined.append(word)
    return tuple(joined)


@lru_cache(maxsize=500_000)
def same_word(a: str, b: str) -> bool:
    """Two folded name words spell one name (see the module docstring)."""
    if a == b or _bare(a) == _bare(b):
        return True
    if a.startswith(("عبد", "ابو")) or b.startswith(("عبد", "ابو")):  # `عبدالله`/`عبدالاله`: the second half is the name
        return False
    sa, sb = skeleton(a), skeleton(b)
    if sa != sb or len(sa) < MIN_SKELETON:
        return False
    if a.endswith(("ي", "ه")) != b.endswith(("ي", "ه")):  # a nisba or feminine ending makes another name
        return False
    return not (zipf(a) >= COMMON_ZIPF and zipf(b) >= COMMON_ZIPF)


def _ordered_part(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    i = 0
    for word in long:
        if i < len(short) and same_word(short[i], word):
            i += 1
    return i == len(short)


def same_full_name(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two names of two words or more are one person."""
    if not same_word(a[0], b[0]):
        return False
    if same_word(a[-1], b[-1]):
        mid_a, mid_b = a[1:-1], b[1:-1]
        if mid_a and mid_b:
            return len(mid_a) == len(mid_b) and all(same_word(x, y) for x, y in zip(mid_a, mid_b))
        return True
    short, long = sorted((a, b), key=len)
    if not 3 <= len(short) < len(long):
        return False
    if short[-2] in _NAME_LINKS:
        # `X بن Y` names X's father: the longer name starts with it and goes on with more lineage (`بن Z`,
        # `آل Z`), not a family name: `عبدالله بن عبدالعزيز` (the late king) is not `عبدالله بن عبدالعزيز
        # الربيعة`, and `محمد بن عبدالعزيز` not `محمد بن سلمان بن عبدالعزيز` (Abdulaziz the grandfather)
        rest = long[len(short)]
        return _same_words(short, long[:len(short)]) and (rest in _NAME_LINKS or rest == "ال")
    return _ordered_part(short, long)


def _surname(words: tuple[str, ...]) -> str | None:
    """The word of a full name a person is called by alone (`برنين` of `جون دبليو برنين`): its last, unless
    that is a father's name (`سلمان` of `محمد بن سلمان`) or a dynasty's (`سعود` of `... آل سعود`)."""
    if len(words) < 2 or words[-2] in _NAME_LINKS or words[-2] == "ال":
        return None
    return words[-1]


def _by_surname(word: str, full: tuple[str, ...]) -> bool:
    """Whether a one-word mention may be the person of `full`, as its surname."""
    last = _surname(full)
    return last is not None and same_word(word, last)


def _by_given_name(word: str, full: tuple[str, ...]) -> bool:
    """Whether a one-word mention after a title may be the person of a lineage name, as its given name:
    how Saudi news names a king, a prince or a minister after the first mention (`الملك سلمان`)."""
    return len(full) > 2 and same_word(word, full[0]) and not _NAME_LINKS.isdisjoint(full)


@lru_cache(maxsize=WORDS)
def alias_key(name: str, kind: str) -> str | None:
    """The alias group `name` belongs to, when it is in entity_aliases.json with this type."""
    found = lexicons().aliases.get(name_words(name, kind)) or lexicons().aliases.get(_fold_words(name))
    return found[1] if found and found[0] == kind else None


def same_entity(a: str, b: str, kind: str) -> bool:
    """The merge rule on two names of one type, as if they met in one story."""
    ka, kb = alias_key(a, kind), alias_key(b, kind)
    if ka or kb:
        if ka and kb:
            return ka == kb
    wa, wb = name_words(a, kind), name_words(b, kind)
    if not wa or not wb:
        return False
    if kind != "PER":
        return len(wa) == len(wb) and all(same_word(x, y) for x, y in zip(wa, wb))
    if len(wa) == 1 and len(wb) == 1:
        return same_word(wa[0], wb[0])
    if len(wa) == 1 or len(wb) == 1:
        (word,), full = sorted((wa, wb), key=len)
        return _by_surname(word, full)
    return same_full_name(wa, wb)


def display_name(counts: Counter, kind: str = "PER") -> str:
    """The most frequent spelling among the fullest names; ties go to the more common Arabic spelling."""
    if not counts:
        return ""
    full = [n for n in counts if len(name_words(n, kind)) >= 2 and counts[n] > 0]
    pool = full if kind == "PER" and full else [n for n in counts if counts[n] > 0] or list(counts)
    top = max(counts[n] for n in pool)
    tied = [n for n in pool if counts[n] == top]  # one, in 98% of the calls an ingest makes
    if len(tied) == 1:
        return tied[0]
    return max(tied, key=lambda name: (commonness(name), -len(name), name))


@word_cache(WORDS)
def commonness(name: str) -> float:
    """Mean wordfreq Zipf frequency of a spelling's folded words (display-name ties).

    Asked only for spellings tied for the most mentions (`display_name`): ~2% of the names an ingest
    run chooses (wordfreq's first look-up of a word is slow, so each spelling's value is kept).
    """
    words = matching_form(name).split()
    return sum(zipf(w) for w in words) / max(len(words), 1)


# -- mentions in one article ---------------------------------------------------------------------

def _match_phrase(folded: list[str], end: int, phrases: set[tuple[str, ...]], longest: int) -> int:
    """Start index of the longest phrase of `phrases` ending at token `end` (exclusive), or -1."""
    for n in range(min(longest, end), 0, -1):
        if tuple(folded[end - n:end]) in phrases:
            return end - n
    return -1


def _match_forward(folded: list[str], start: int, phrases: set[tuple[str, ...]], longest: int,
                   starts: frozenset[str] | None = None) -> int:
    """End index of the longest phrase of `phrases` starting at token `start`, or -1; `starts`, the
    phrases' first words when given, answers most tokens at once."""
    if starts is not None and start < len(folded) and folded[start] not in starts:
        return -1
    for n in range(min(longest, len(folded) - start), 0, -1):
        if tuple(folded[start:start + n]) in phrases:
            return start + n
    return -1



_NAME_LINKS = frozenset({"بن", "ابن", "بنت"})  # `son of`, `daughter of` (folded; `إبن` too): no name ends in them
_AFTER_NAME = frozenset({"حفظه", "حفظها", "رحمه", "رحمها", "يرحمه", "رضي"})  # blessings after a name
# heads of institutions named after a person (folded): `جامعة الأمير سطام بن عبدالعزيز`
_INSTITUTIONS = frozenset("""مركز جامعه مؤسسه مدينه مستشفي جائزه كرسي كليه مدرسه مدارس معهد قاعه ملعب استاد
    مجمع برنامج مشروع مكتبه صندوق جمعيه دار داره مسجد جامع طريق شارع حي ميناء مطار قصر جسر قاعده منتزه متنزه""".split())
# ...of those, the ones that name a place (a road, a district, a port, an airport, a mosque, a palace): LOC, the rest ORG
_PLACE_HEADS = frozenset("طريق شارع حي ميناء مطار مسجد جامع قصر جسر قاعده منتزه متنزه".split())
_ROYAL = frozenset({"الملك", "الامير", "الاميره", "الامام", "الشريفين"})  # titles right before a royal's name
_TITLE_HEADS = frozenset({"سمو", "صاحب", "الامير", "الاميره", "الملك", "الشيخ", "معالي", "فخامه", "سعاده", "ولي"})


@lru_cache(maxsize=4096)
def _saudi_place(word: str) -> bool:
    """A town or region the story engine learnt from SaudiNewsNet (`places.json`: تبوك, أبها, جازان, حائل, الباحة),
    not a currency (`اليورو` shares a stem with Europe)."""
    stems = stem_tokens(word)
    return bool(stems) and all(s in learned_places() for s in stems) and not _currency(word)


def _currency(word: str) -> bool:
    """A currency's name with or without its article and a clitic (`اليورو`, `واليورو`, `لليورو`; folded)."""
    bare = word[1:] if word[:1] in ("و", "ف", "ب", "ك") and word[1:3] in ("ال", "لل") else word
    bare = bare[2:] if bare.startswith(("ال", "لل")) else bare
    return bool({bare, "ال" + bare} & currency_words())


def _after_lineage(word: str) -> bool:
    """A word that may follow a person's lineage name inside a span the tagger made: a blessing (`حفظه`), or
    `و`/`ول` + a title that begins the next person's mention (`وسمو نائبه`, `ولصاحب السمو الملكي`)."""
    if word in _AFTER_NAME:
        return True
    rest = word[1:] if word.startswith("و") else ""
    return rest in _TITLE_HEADS or (rest.startswith("ل") and rest[1:] in _TITLE_HEADS)


class _Doc:
    """Tokens of one article with their folded forms, for the repair and attribute rules."""

    def __init__(self, text: str, tokens: list[tuple[str, int, int]]):
        self.text = text
        self.tokens = tokens
        words, starts, ends = zip(*tokens) if tokens else ((), (), ())  # columns built in C, not per token
        self.folded = list(map(matching_word, words))
        self.starts = dict(zip(starts, range(len(starts))))
        self.ends = dict(zip(ends, range(len(ends))))

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.tokens[first][1], self.tokens[last - 1][2]

    def index(self, start: int, end: int) -> tuple[int, int] | None:
        """Token range exactly covering characters start..end, if the span is on token edges."""
        first, last = self.starts.get(start), self.ends.get(end)
        return (first, last + 1) if first is not None and last is not None else None


def _clitic_cut(word: str, known, in_lexicon) -> int:
    """How many leading letters of a name's first word are a clitic (`و`, `ب`, `ل`, `ف`, `وب`...)."""
    folded = matching_form(word)
    if folded.startswith(("وال", "بال", "فال", "كال")) and len(folded) > 5:
        return 1
    if folded.startswith(("وبال", "وكال")) and len(folded) > 6:
        return 2
    for cut in (2, 1):
        head, rest = folded[:cut], folded[cut:]
        if len(rest) >= 3 and all(c in "وبلفك" for c in head) and (cut == 1 or head[0] in "وف") \
                and known(rest) and not in_lexicon(folded):
            return cut
    return 0


def _cut_chars(text: str, start: int, letters: int) -> int:
    """The offset after `letters` letters (and their marks) from `start`."""
    pos, seen = start, 0
    while pos < len(text) and seen < letters:
        pos += 1
        seen += 1
        while pos < len(text) and ("\u064b" <= text[pos] <= "\u065f" or text[pos] in "\u0670\u0640"):
            pos += 1
    return pos


class _Annotator:
    """The mention rules for one article."""

    def __init__(self, text: str, tagger, tokens: list[tuple[str, int, int]]):
        self.doc = _Doc(text, tokens)
        self.lex = lexicons()
        gaz = tagger.featurizer.lexicon.gazetteer
        alias_starts = self.lex.alias_starts
        self.in_lexicon = lambda w: any(t.endswith("+") for t in gaz.get(w, ())) or w in alias_starts
        self._gaz = gaz
        self._names: set[str] = set()
        self._clitic_at: set[int] = set()  # first tokens of aliases found behind a one-letter clitic
        self._titled: set[int] = set()  # first tokens of names taken after a title (`_add_titled`)

    def known(self, w: str) -> bool:
        """In the lexicons or tagged a name elsewhere in the article (a method: a lambda on `self`
        holding `self` made every article's annotator a reference cycle)."""
        return self.in_lexicon(w) or w in self._names

    def run(self, raw) -> list[EntityMention]:
        doc = self.doc
        spans: list[list] = []  # [first, last, type] in token indexes
        for m in raw:
            rng = doc.index(m.start, m.end)
            if rng:
                spans.append([rng[0], rng[1], m.type])
        spans = self._join_dotted(spans)
        self._names = {doc.folded[i] for f, l, t in spans for i in range(f, l)}
        spans = [s for s in (self._repair(s) for s in spans) if s]
        spans = self._join_ali(spans)
        spans = self._close_lineage(spans)
        self._add_family(spans)
        spans = self._add_titled(spans)
        self._name_institutions(spans)
        spans = self._add_aliases(spans)
        spans = self._add_surnames(spans)
        spans.sort()
        return [self._mention(s) for s in spans]

    # repairs
    def _join_dotted(self, spans: list) -> list:
        """An acronym written letter by letter with dots (`بي.بي.سي`, `بي.إم.دبليو`, `إتش.إس.بي.سي`) is one name:
        the tokens cut it at each dot and the tagger gave each letter a mention (`بي` was an ORG of 261). Only
        letters' names before a dot: `د.الحديثي` is a title and a name, `ريال.وبلغ` a missing space."""
        if not _DOTTED.search(self.doc.text):  # almost every article
            return spans
        tokens, folded = self.doc.tokens, self.doc.folded
        n, runs, i = len(tokens), {}, 0
        while i < n:
            j = i
            while j + 2 < n and tokens[j + 1][0] == "." and tokens[j][2] == tokens[j + 1][1] == tokens[j + 2][1] - 1 \
                    and folded[j] in _LETTER_NAMES and 2 <= len(tokens[j + 2][0]) <= 5 and tokens[j + 2][0].isalpha():
                j += 2
            for k in range(i, j + 1):
                runs[k] = (i, j + 1)
            i = j + 1
        grown = sorted([runs[first][0], runs[last - 1][1], kind] for first, last, kind in spans)  # runs cover every token
        joined = [grown[0]] if grown else []
        for span in grown[1:]:  # spans the acronym now joins (or overlaps) are one
            if span[0] < joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], span[1])
            else:
                joined.append(span)
        return joined

    def _repair(self, span: list) -> list | None:
        first, last, kind = span
        doc, lex = self.doc, self.lex
        if kind != "PER" and not _NAME_LINKS.isdisjoint(doc.folded[first + 1:last - 1]):
            person = self._nasab(first, last)
            if person is not None:
                first, last, kind = *person, "PER"
        if kind == "PER":
            # title or role words tagged inside the name
            while first < last:
                end = _match_forward(doc.folded, first, lex.titles | lex.roles, lex.longest)
                if end == last:  # a function, no name: `أمير منطقة` was a person of 1,166 mentions
                    return None
                if end < 0 or end > last:
                    break
                first = end
            while last - first > 1 and doc.folded[last - 1] in lex.stops:  # `عبد الأمير الشمري القول`
                last -= 1
            last = self._before_formula(first, last)
            if last - first == 1 and (doc.folded[first],) in lex.titles | lex.roles | lex.role_prefixes:
                return None
            # a name cut after a Latin initial: `جون دبليو` + `برنين`
            if doc.folded[last - 1] in lex.initials and last < len(doc.tokens) \
                    and _LETTER.search(doc.folded[last]) and doc.folded[last] not in lex.stops:
                last += 1
        if not any(_LETTER.search(doc.folded[i]) for i in range(first, last)):
            return None
        words = doc.folded[first:last]
        if tuple(words) in lex.formulae or (words[0][:1] in ("ب", "ل", "و") and (words[0][1:], *words[1:])
                                            in lex.formulae):
            return None  # `بتوفيق الله` was a person of 387 mentions; `الله` a MISC of 13,530
        if last - first == 1 and doc.folded[first] in currency_words():
            return None  # `120 مليار ريال`: ~15k mentions of currencies on the 18 days (`الريال` is Real Madrid too)
        if kind == "MISC" and last - first == 1 and _saudi_place(doc.folded[first]):
            kind = "LOC"  # the tagger's lexicon has `تبوك` MISC (the battle): the city was MISC in 65 of 68 articles
        return [first, last, kind]

    def _before_formula(self, first: int, last: int) -> int:
        """Where a person's name ends before a blessing inside the span (`محمد صلى الله عليه وسلم`)."""
        folded, formulae = self.doc.folded, self.lex.formulae
        for k in range(first + 1, last - 1):
            if tuple(folded[k:k + 2]) in formulae:
                return k
        return last

    def _nasab(self, first: int, last: int) -> tuple[int, int] | None:
        """The token range of a person's name in lineage form (`سلمان بن عبدالعزيز آل سعود`) that the
        tagger typed ORG, LOC or MISC, or None.

        The tagger learnt `بن` chains from few examples: it gave the king's full name ORG in 237 mentions
        on SaudiNewsNet, often with the honorifics around it (`صاحب السمو الملكي الأمير ...`, `... حفظه
        الله`, `... وسمو نائبه`), and each became an organisation of its own. Only titles may come before
        the given name, and after the lineage only a conjunction that begins another person's mention or
        a blessing: `جامعة الأمير سطام بن عبدالعزيز` and `الملك عبدالله بن عبدالعزيز العالمية للأعمال
        الإنسانية` stay what they are.
        """
        folded, lex = self.doc.folded, self.lex
        given = next(i for i in range(first + 1, last - 1) if folded[i] in _NAME_LINKS) - 1
        i, titles = first, lex.titles | lex.roles
        while i < given:  # `الملك`, `صاحب السمو الملكي الأمير`
            i = _match_forward(folded, i, titles, lex.longest)
            if i < 0 or i > given:
                return None
        if not self._lineage_word(given):
            return None
        end = self._lineage_end(given + 1, last)
        if end < last and not _after_lineage(folded[end]):
            return None
        return given, end

    def _join_ali(self, spans: list) -> list:
        """`علي` folds like the preposition `على`, and the tagger leaves it out of names: `الرئيس المخلوع علي
        عبدالله صالح` gave `عبدالله صالح` (~590 mentions on the 18 days, apart from `علي عبد الله صالح`), `محمد
        علي العمري` two people. Where the article writes the preposition `على` (so `علي` is the name), `علي`
        joins the person's name before it, after it, or both."""
        tokens = self.doc.tokens
        found = [i for i, token in enumerate(tokens) if token[0] == "علي"]
        if not found or "على" not in self.doc.text:
            return spans
        taken = {i for s in spans for i in range(s[0], s[1])}
        ends = {s[1]: s for s in spans if s[2] == "PER"}
        starts = {s[0]: s for s in spans if s[2] == "PER"}
        dropped: set[int] = set()
        for i in found:
            if i in taken:
                continue
            before, after = ends.get(i), starts.get(i + 1)
            following = self.doc.folded[i + 1] if after is not None else ""
            if following.startswith("و") and not self.in_lexicon(following):
                after = None  # `شيماء علي وهنادي الكندري`: the next name is another person
            if before is not None and after is not None:
                before[1] = after[1]
                dropped.add(id(after))
            elif before is not None:
                before[1] = i + 1
            elif after is not None:
                after[0] = i
        return [s for s in spans if id(s) not in dropped]

    def _close_lineage(self, spans: list) -> list:
        """A person's name the tagger ended at `بن` (`الأمير عبدالله بن` + `مساعد`, `زين العابدين بن` + `علي`:
        368 mentions on the 18 days, the father's name a common word) takes the lineage that follows, with a
        person's span that begins there; with none, the dangling `بن` is cut."""
        folded, n = self.doc.folded, len(self.doc.folded)
        starts = {s[0]: s for s in spans}
        dropped: set[int] = set()
        for span in spans:
            first, last, kind = span
            if kind != "PER" or id(span) in dropped or folded[last - 1] not in _NAME_LINKS:
                continue
            after = starts.get(last)
            if after is not None and after[2] == "PER":
                span[1] = after[1]
                dropped.add(id(after))
            elif after is None and last < n and folded[last].isalpha() and self._father(last, folded[last - 1]):
                span[1] = self._lineage_end(last + 1, n, starts)
            else:
                span[1] = last - 1
        return [s for s in spans if id(s) not in dropped
                and not all(w in _NAME_LINKS for w in folded[s[0]:s[1]])]  # `ابن ابن` was a person too

    def _father(self, i: int, link: str) -> bool:
        """Whether the word after a dangling `بن`/`ابن` is the father's name. `ابن` is also plain `son`
        (`ابن أخيه`, `ابن المتوفاة`): after it only a word tagged a name elsewhere in the article or in
        the lexicons. `علي` folds like `على` (a stop word): the written form tells them apart."""
        if self.doc.tokens[i][0] == "علي":
            return True
        if not self._lineage_word(i) or (self.doc.folded[i],) in self.lex.roles:
            return False
        return link == "بن" or self.known(self.doc.folded[i])

    def _add_family(self, spans: list) -> None:
        """A person's family name right after the lineage the tagger ended the name at (`الدكتور عبدالله بن
        عبدالعزيز` + `الربيعة`): without it the head of the King Salman Relief Centre was the late king,
        whose short name is the same. Only a rare `ال` word (a common one is the sentence going on: `الذي`,
        `الرئيس`, `اليوم`) that no other mention holds."""
        folded, lex = self.doc.folded, self.lex
        taken = {s[0] for s in spans}
        for span in spans:
            first, last, kind = span
            if kind != "PER" or last - first < 3 or folded[last - 2] not in _NAME_LINKS or last >= len(folded) \
                    or last in taken or self._institution_before(first):
                continue
            word = folded[last]  # wordfreq knows the written form (`الخيرية` 4.5), not the folded one (2.7)
            if word.startswith("ال") and len(word) >= 5 and word.isalpha() and not word.endswith("يين") \
                    and word not in lex.stops and not {(word,), (word.removesuffix("ه"),)} & (lex.titles | lex.roles) \
                    and zipf(self.doc.tokens[last][0]) < FAMILY_ZIPF:
                span[1] = last + 1

    def _name_institutions(self, spans: list) -> None:
        """A person's name in construct after an institution's head is the institution's name, not a mention
        of the person: `مستشفى الملك خالد`, `جامعة الملك سعود`, `مطار الملك خالد الدولي`, `جائزة الأمير محمد
        بن نايف`. The tagger typed the name alone PER: every hospital, road and university named after a
        king was that king (`عبدالعزيز` 510 mentions on the 18 days), and `خالد الدولي`, `عبدالله الطبية`
        were people. The span takes the head (less a one-letter clitic: `بمستشفى`) and the titles."""
        folded = self.doc.folded
        taken = {i for s in spans for i in range(s[0], s[1])}
        for span in spans:
            if span[2] != "PER":
                continue
            starts = self._title_starts(span[0])
            i = (starts[-1] if starts else span[0]) - 1
            if i < 0 or i in taken:
                continue
            head = self._institution_head(i)
            if head is None:
                continue
            if head != folded[i]:
                self._clitic_at.add(i)
            # `مدينة فيرجسون` is a town, `مدينة الملك فهد الطبية` a hospital
            place = head in _PLACE_HEADS or (head == "مدينه" and not starts)
            if starts and folded[span[0] - 1] in _ROYAL:  # the tagger runs royal names on (`جسر الملك فهد زحاما شديدا`)
                span[1] = self._institution_end(span[0], span[1])
            span[0], span[2] = i, "LOC" if place else "ORG"

    def _institution_end(self, given: int, last: int) -> int:
        """Where an institution's name that holds a royal's name ends: after the given name, its lineage (`بن X`,
        `آل X`, `بن أبي طالب`) and the institution's own words (`الدولي`, `الطبية`, `للعلوم والتقنية`). A royal
        has no family name outside the lineage; an engineer has (`شارع المهندس عمر قاضي`), and is left alone."""
        folded = self.doc.folded
        end, purpose = self._lineage_end(given + 1, last), False
        if end < last and folded[end - 1] in ("ابي", "ابو"):
            end += 1
        while end < last:
            word = folded[end]
            if len(word) < 4 or not word.isalpha() \
                    or not (word.startswith(("ال", "لل")) or (purpose and word.startswith("وال"))):
                break
            purpose = purpose or word.startswith("لل")
            end += 1
        return end

    def _institution_before(self, first: int) -> bool:
        """A name that is part of an institution's (`مركز الأمير سلطان بن عبدالعزيز الحضاري`): what follows it
        is the institution's adjective, not a family name."""
        starts = self._title_starts(first)
        return self._institution_head((starts[-1] if starts else first) - 1) is not None

    def _institution_head(self, i: int) -> str | None:
        """The institution's head word at token `i` less a one-letter clitic (`بمستشفى`), if it is one: in
        construct, without `ال` (`على المركز الدكتور ...` is not one)."""
        head = self.doc.folded[i] if i >= 0 else ""
        if head in _INSTITUTIONS:
            return head
        return head[1:] if head[:1] in ("و", "ب", "ل", "ف") and head[1:] in _INSTITUTIONS else None

    def _lineage_end(self, end: int, limit: int, taken=()) -> int:
        """Where a lineage name goes on to from `end` (after a given or father's name): over `بن X` pairs,
        then `آل X` (`... بن عبدالعزيز آل سعود`), not past `limit` nor into a word in `taken`."""
        folded = self.doc.folded
        while end + 1 < limit and folded[end] in _NAME_LINKS and self._lineage_word(end + 1) and end + 1 not in taken:
            end += 2
        if end + 1 < limit and folded[end] == "ال" and self._lineage_word(end + 1) and end + 1 not in taken:
            end += 2
        return end

    def _lineage_word(self, i: int) -> bool:
        word = self.doc.folded[i]
        return len(word) >= 2 and _LETTER.search(word) is not None and word not in self.lex.stops \
            and word not in _NAME_LINKS and (word,) not in self.lex.titles

    def _add_titled(self, spans: list) -> list:
        """A name the tagger missed right after a rank or honorific (`الفريق أول كينيث ماكنزي`)."""
        doc, lex = self.doc, self.lex
        taken = {i for s in spans for i in range(s[0], s[1])}
        i, n = 0, len(doc.tokens)
        while i < n:
            end = _match_forward(doc.folded, i, lex.titles, lex.longest, lex.title_starts)
            if end < 0 or i in taken:
                i += 1
                continue
            while end < n and end not in taken \
                    and _match_forward(doc.folded, end, lex.titles, lex.longest, lex.title_starts) > end:
                end = _match_forward(doc.folded, end, lex.titles, lex.longest, lex.title_starts)
            last = end
            while last < n and last - end < NAME_WORDS and last not in taken and self._name_like(last, last == end):
                last += 1
                if doc.folded[last - 1] in ("عبد", "ابو") and last < n and last not in taken:
                    last += 1
            if last - end >= 2:  # one word after a title is too often not a name (`الملك سلمان` is tagged anyway)
                spans.append([end, last, "PER"])
                self._titled.add(end)
                taken.update(range(end, last))
            i = max(last, i + 1)
        return spans

    def _name_like(self, i: int, first: bool) -> bool:
        word, lex = self.doc.folded[i], self.lex
        if len(word) < 3 or not _LETTER.search(word) or word in lex.stops \
                or (word,) in lex.titles | lex.roles | lex.role_prefixes:
            return False
        if _match_forward(self.doc.folded, i, lex.roles, lex.longest) > 0:  # `... الشريفين أمير منطقة مكة`
            return False
        if first:
            return True
        written = self.doc.tokens[i][0]  # `مستشفى الملك فهد بسعة 200 سرير`: `ب` + a common word is no name
        if written[0] in "بل" and not self.known(word) and zipf(written[1:]) >= COMMON_ZIPF:
            return False
        return zipf(word) < COMMON_ZIPF + 0.5

    def _add_aliases(self, spans: list) -> list:
        """Names of the alias list the CRF missed (or cut short) in this article."""
        doc, lex = self.doc, self.lex
        taken = {i: s for s in spans for i in range(s[0], s[1])}
        added = []
        i = 0
        # where an alias may start, with or without a one-letter clitic: a few words of an article
        for at in compress(range(len(doc.folded)), map(_may_start_alias, doc.folded)):
            if at < i:
                continue  # inside an alias just added
            i = at
            words = list(doc.folded[i:i + lex.longest])  # never empty: `at` is a word of the article
            words[0] = _strip_clitic(words[0])
            clitic = words[0] not in lex.alias_starts and words[0][1:] in lex.alias_starts and words[0][0] in "وبلف"
            if clitic:  # `لمركز الملك سلمان ...`, `بداعش`: a one-letter clitic before an alias, long or short
                words[0] = words[0][1:]
            best = None
            # only a word that starts an alias can start a longer one: the others try the one-word forms
            for n in range(len(words) if words[0] in lex.alias_starts else 1, 0, -1):
                hit = lex.aliases.get(tuple(words[:n]))
                if hit:
                    best = (n, hit[0])
                    break
            if best:
                n, kind = best
                inside = {id(taken[j]) for j in range(i, i + n) if j in taken}
                covered = [s for s in spans if id(s) in inside]
                if all(i <= s[0] and s[1] <= i + n for s in covered):
                    for s in covered:
                        spans.remove(s)
                    added.append([i, i + n, kind])
                    if clitic and n > 1:
                        self._clitic_at.add(i)
                    i += n
        return spans + added

    def _add_surnames(self, spans: list) -> list:
        """Bare surnames of people this article names in full; mis-typed ones become PER."""
        doc = self.doc
        surnames = {}
        for first, last, kind in spans:
            word = _surname(tuple(doc.folded[first:last])) if kind == "PER" else None
            if word is None:
                continue
            if (first in self._titled or doc.folded[first].startswith("ال")) and not self.in_lexicon(doc.folded[first]) \
                    and zipf(doc.tokens[last - 1][0]) >= 3.5:
                continue  # `الهيئة الملكية` taken for a person would make every `الملكية` one; `سابيلا` is rare
            if len(word) >= 3 and word not in self.lex.stops and (word,) not in self.lex.formulae:
                surnames[_bare(word)] = True
        if not surnames:
            return spans
        taken = {i for s in spans for i in range(s[0], s[1])}
        for s in spans:
            if s[2] != "PER" and s[1] - s[0] == 1 and _surname_keys(doc.folded[s[0]])[0] in surnames:
                s[2] = "PER"
        # a word's surname keys are endings of it: only the words ending in a surname are looked at
        folded, stops = doc.folded, self.lex.stops
        for i in compress(range(len(folded)), map(str.endswith, folded, repeat(tuple(surnames)))):
            if i in taken or folded[i] in stops:  # `طارق العلي` made every `على` of the article a person
                continue
            bare, unprefixed = _surname_keys(folded[i])
            if bare in surnames or unprefixed in surnames:
                spans.append([i, i + 1, "PER"])
        return spans

    # attributes
    def _mention(self, span: list) -> EntityMention:
        first, last, kind = span
        doc = self.doc
        start, end = doc.span(first, last)
        cut = _clitic_cut(doc.tokens[first][0], self.known, self.in_lexicon)
        if kind == "PER" and last - first > 1:  # in a list (`وهنادي الكندري`) the conjunction goes, no more:
            cut = min(cut, 1) if doc.folded[first].startswith("و") else 0  # `وبندر`, and `كريم` is not `ريم`
            word = doc.tokens[first][0]
            if not cut and word.startswith("و") and len(word) > 4 and not self.in_lexicon(doc.folded[first]) \
                    and zipf(word[1:]) > zipf(word) + 1.0:  # `هنادي` (2.9, 1.6 with `و`); `وليد`, `وجدي` are names
                cut = 1
        if kind != "PER" and not cut:
            cut = self._place_clitic(first, kind)
        if kind == "PER" and not cut:
            word = doc.folded[first]
            if len(word) > 4 and word[0] in "وبلف" and _bare(word[1:]) in self._names_bare():
                cut = 1
        if first in self._clitic_at:
            cut = max(cut, 1)
        if cut:
            start = _cut_chars(doc.text, start, cut)
        titles, role = self._attributes(first, last) if kind == "PER" else ((), None)
        return EntityMention(start, end, kind, doc.text[start:end], titles, role)

    def _place_clitic(self, first: int, kind: str) -> int:
        """How many letters of a place's or an organisation's first word are a clitic the tagger's lexicon
        kept on it: ANERcorp has `بمكة` and `لرويترز` as names too (510 and 168 mentions on the 18 days, apart
        from `مكة` and `رويترز`). Cut when the rest is a name of that type on its own (not only behind a
        clitic: `بنان` is `لبنان` less `ل`) and a commoner word than the whole (`بكين` is Beijing, not `كين`)."""
        word, written = self.doc.folded[first], self.doc.tokens[first][0]
        if word.startswith("لل"):  # `للإسلام` is `ل` + `الإسلام`: no letters to cut
            return 0
        tags = {f"{kind}+"} | ({"CTRY"} if kind == "LOC" else set())
        for n in (2, 1):
            if len(word) - n >= 3 and all(c in "وبلفك" for c in word[:n]) and (n == 1 or word[0] in "وف") \
                    and tags & set(self._gaz.get(word[n:], ())) and zipf(written[n:]) > zipf(written) + 0.5:
                return n
        return 0

    def _names_bare(self) -> set[str]:
        return {_bare(n) for n in self._names}

    def _attributes(self, first: int, last: int) -> tuple[tuple[str, ...], str | None]:
        doc = self.doc
        i = first
        if i > 0 and doc.folded[i - 1] in _OPEN_QUOTES:
            i -= 1
        titles = []
        for begin in self._title_starts(i):
            titles.insert(0, doc.text[doc.tokens[begin][1]:doc.tokens[i - 1][2]])
            i = begin
        if i > 0 and (doc.folded[i - 1] in _COMMAS or doc.folded[i - 1] in _OPEN_QUOTES):
            i -= 1
        role = self._role_before(i) or self._role_after(last)
        return tuple(titles), role

    def _title_starts(self, end: int) -> list[int]:
        """Where each title right before token `end` begins, nearest first (`صاحب السمو الملكي` `الأمير`)."""
        starts = []
        while end > 0:
            end = _match_phrase(self.doc.folded, end, self.lex.titles, self.lex.longest)
            if end < 0:
                break
            starts.append(end)
        return starts

    def _role_before(self, end: int) -> str | None:
        doc, lex = self.doc, self.lex
        j = end
        while j > 0 and end - j < ROLE_WINDOW:
            word = doc.folded[j - 1]
            if not _LETTER.search(word) or word in lex.stops:
                return None
            begin = _match_phrase(doc.folded, j, lex.roles, lex.longest)
            if begin >= 0:
                while begin > 0:
                    more = _match_phrase(doc.folded, begin, lex.role_prefixes, lex.longest)
                    if more < 0:
                        break
                    begin = more
                return doc.text[doc.tokens[begin][1]:doc.tokens[end - 1][2]]
            j -= 1
        return None

    def _role_after(self, last: int) -> str | None:
        doc, lex = self.doc, self.lex
        if last + 1 >= len(doc.tokens) or doc.folded[last] not in _COMMAS:
            return None
        start = last + 1
        if _match_forward(doc.folded, start, lex.roles | lex.role_prefixes, lex.longest) < 0:
            return None
        j = start
        while j < len(doc.tokens) and j - start < ROLE_WINDOW and _LETTER.search(doc.folded[j]) \
                and doc.folded[j] not in lex.stops:
            j += 1
        return doc.text[doc.tokens[start][1]:doc.tokens[j - 1][2]] if j > start else None


def annotate_mentions(text: str, tagger=None, found: tuple[list, list] | None = None) -> list[EntityMention]:
    """Entity mentions of an article's display text, with titles and roles, in text order. `found`: the
    text's (tokens, tagger mentions) when they were tagged already (`ner.find_mentions_many`)."""
    from .ner import find_mentions, load_tagger, tokenize

    tagger = tagger or load_tagger()
    if found is not None:
        return _Annotator(text, tagger, found[0]).run(found[1])
    tokens = tokenize(text)  # one tokenization for the tagger and the rules
    return _Annotator(text, tagger, tokens).run(find_mentions(text, tagger, tokens))


# -- canonical entities --------------------------------------------------------------------------

@dataclass
class _Entity:
    id: int
    type: str
    key: str
    name: str = ""
    by_story: dict = field(default_factory=lambda: defaultdict(Counter))  # story -> spelling -> count
    # spellings() and full_names() as of the last `changed()`: call it after changing `by_story`
    _spellings: Counter | None = field(default=None, repr=False, compare=False)
    _full_names: set | None = field(default=None, repr=False, compare=False)
    _by_first: dict | None = field(default=None, repr=False, compare=False)  # full_names() by first word's skeleton

    def changed(self) -> None:
        self._spellings = self._full_names = self._by_first = None

    def add(self, story: int | None, counts: dict[str, int]) -> None:
        """Count `counts` (spelling -> mentions, none below 1) in `story`, keeping `spellings()` and
        `full_names()` current without summing every story again (a common name is in thousands)."""
        self.by_story[story].update(counts)
        if self._spellings is not None:
            self._spellings.update(counts)
        if self._full_names is not None:
            new = {w for w in (name_words(t, self.type) for t in counts) if len(w) >= 2} - self._full_names
            self._full_names.update(new)
            if self._by_first is not None:
                for words in new:
                    self._by_first.setdefault(skeleton(words[0]), []).append(words)

    def counts(self) -> Counter:
        """Mentions per spelling over all stories (not to be changed by callers)."""
        if self._spellings is None:
            if len(self.by_story) == 1:  # four entities in five: their one story's counts are the total
                return next(iter(self.by_story.values()))
            total = Counter()
            for counts in self.by_story.values():
                total.update(counts)
            self._spellings = total
        return self._spellings

    def spellings(self) -> Counter:
        """Mentions per spelling over all stories (a new Counter: callers may change it)."""
        return Counter(self.counts())

    def mentions(self) -> int:
        """Mentions over all stories."""
        return sum(self.counts().values())

    def full_names(self) -> set[tuple[str, ...]]:
        """The name words of its spellings of two words or more (not to be changed by callers)."""
        if self._full_names is None:
            self._full_names = {w for w in (name_words(t, self.type) for t in self.counts()) if len(w) >= 2}
        return self._full_names

    def full_names_from(self, first: str) -> list[tuple[str, ...]]:
        """The full names whose first word has this skeleton: the only ones `same_full_name` can accept
        (`same_word` holds only between words of one skeleton), so a common surname's hundreds of
        entities are not each compared name by name."""
        if self._by_first is None:
            by_first: dict[str, list[tuple[str, ...]]] = {}
            for words in self.full_names():
                by_first.setdefault(skeleton(words[0]), []).append(words)
            self._by_first = by_first
        return self._by_first.get(first, [])


@dataclass
class PendingEntities:
    """What `EntityResolver.write` stored for one article, applied to memory after the commit."""

    story: int | None
    new: dict[int, _Entity] = field(default_factory=dict)
    added: list[tuple[int, str]] = field(default_factory=list)  # (entity id, spelling)
    moves: list[tuple[int, int]] = field(default_factory=list)  # (from entity, to entity) within `story`
    ids: list[int] = field(default_factory=list)  # entity id of each mention, in the order given
    names: dict[int, str] = field(default_factory=dict)  # display name of each entity touched, as stored


class EntityResolver:
    """Places mentions in canonical entities, article by article (see the module docstring for the rule).

    State is rebuilt from the store when a Pipeline opens (`load`), and changed in memory only by
    `commit` after the article's transaction has committed, like the story engine.
    """

    def __init__(self):
        self.entities: dict[int, _Entity] = {}
        self.by_alias: dict[str, int] = {}
        self.by_last: dict[tuple[str, str], int | set[int]] = {}  # PER full names by `_end_keys` (`_post`)
        self.by_single: dict[tuple[str, str], set[int]] = defaultdict(set)  # one-word PER entities
        self.by_surname: dict[str, int | set[int]] = {}  # PER full names by their surname's skeleton (`_post`)
        self.by_key: dict[tuple[str, str], int | set[int]] = {}  # other types by skeleton of all words (`_post`)
        self.stories: dict[int | None, Counter] = defaultdict(Counter)  # story -> entity -> mentions
        self._single_keys: dict[int, set] = defaultdict(set)  # entity -> its keys in by_single

    # state
    def load(self, entity_rows, mention_rows) -> "EntityResolver":
        """Rebuild from `Store.entity_rows()` (id, type, name, key) and `Store.entity_mention_rows()`."""
        for row in entity_rows:
            self.entities[row["id"]] = _Entity(row["id"], intern(row["type"]), row["key"], row["name"])
        for row in mention_rows:  # a spelling's string shared by all its stories (~12 MB on 30k articles)
            entity = self.entities[row["entity_id"]]
            entity.by_story[row["story_id"]][intern(row["text"])] += row["n"]
            self.stories[row["story_id"]][entity.id] += row["n"]
        for entity in self.entities.values():
            entity.changed()
            self._index(entity)
        return self

    def _index(self, entity: _Entity) -> None:
        if entity.key.startswith("alias:"):
            self.by_alias[entity.key] = entity.id
            return
        if entity.type != "PER":
            for text in entity.counts():
                _post(self.by_key, (entity.type, _skel_key(name_words(text, entity.type))), entity.id)
            return
        full = entity.full_names()
        for words in full:
            for key in _end_keys(words):
                _post(self.by_last, key, entity.id)
            last = _surname(words)
            if last:
                _post(self.by_surname, skeleton(last), entity.id)
        if not full:
            for text in entity.counts():
                words = name_words(text, "PER")
                if words:
                    key = ("PER", skeleton(words[-1]))
                    self.by_single[key].add(entity.id)
                    self._single_keys[entity.id].add(key)

    def _unindex_single(self, entity: _Entity) -> None:
        for key in self._single_keys.pop(entity.id, ()):
            self.by_single[key].discard(entity.id)

    # decisions
    def _full_match(self, words, candidates, story, local_mentions) -> int | None:
        first = skeleton(words[0])
        fits = []
        for c in candidates:
            fit = other = False
            for f in self._entity(c).full_names_from(first):  # one `same_full_name` per name
                if same_full_name(words, f):
                    fit = True
                elif _comparable(words, f):
                    other = True  # another person than one of its names
                    break
            if fit and not other and not any(_other_person(words, f) for f in self._placed.get(c, ())):
                fits.append(c)
        if not fits:
            return None
        return max(fits, key=lambda c: (local_mentions.get(c, 0), self.stories[story].get(c, 0),
                                        self._total(c), -c))

    def plan(self, mentions: list[EntityMention], story: int | None):
        """For each mention: an existing entity id, or a negative number naming a new entity."""
        self._new: dict[int, _Entity] = {}
        self._placed: dict[int, list[tuple[str, ...]]] = {}  # entity ref -> full names placed in it by this article
        local: Counter = Counter()  # entity ref -> mentions in this article
        refs: list[int | None] = [None] * len(mentions)
        order = sorted(range(len(mentions)), key=lambda i: (mentions[i].type == "PER"
                                                             and len(name_words(mentions[i].text)) < 2, i))
        for i in order:
            refs[i] = self._resolve(mentions[i], story, local)
            if refs[i] is not None:
                local[refs[i]] += 1
        return refs, self._moves(refs, mentions, story)

    def _resolve(self, m: EntityMention, story, local: Counter) -> int | None:
        words = name_words(m.text, m.type)
        if not words:
            return None
        akey = alias_key(m.text, m.type)
        if akey:
            found = self.by_alias.get(akey) or next((r for r, e in self._new.items() if e.key == akey), None)
            return found if found is not None else self._make(m.type, akey, m.text)
        if m.type != "PER":
            skel = _skel_key(words)
            # MISC is the tagger's catch-all: `تبوك`, `جازان`, `أبها` were MISC entities of 766, 226 and 222
            # mentions apart from the cities; a name already a place or an organisation is that entity. Not a
            # currency: the euro is no place for being `منطقة اليورو` (the eurozone) too
            kinds = ("MISC", "LOC", "ORG") if m.type == "MISC" and not (len(words) == 1 and _currency(words[0])) \
                else (m.type,)
            cands = {c for kind in kinds for c in _posted(self.by_key, (kind, skel))} | {
                r for r, e in self._new.items() if e.type in kinds and e.key == skel}
            fits = [c for c in cands if self._spelled(c, m.text, words, m.type)]
            if fits:
                return max(fits, key=lambda c: (self._total(c), -c))
            return self._make(m.type, skel, m.text)
        if len(words) >= 2:
            cands = {r for r, e in self._new.items() if e.type == "PER"}
            for key in _end_keys(words):
                cands.update(_posted(self.by_last, key))
            found = self._full_match(words, cands, story, local)
            if found is None:
                found = self._make("PER", " ".join(words), m.text)
            self._placed.setdefault(found, []).append(words)
            return found
        word = words[0]
        for pool in (list(local), list(self.stories[story]) + [r for r in self._new if r in local]):
            people = [c for c in pool if self._kind(c) == "PER"]
            fits = [c for c in people if any(_by_surname(word, f) for f in self._fulls(c))]
            if fits:
                return max(fits, key=lambda c: (local.get(c, 0), self.stories[story].get(c, 0), self._total(c), -c))
            if m.titles:  # `الأمير محمد` where `محمد بن نايف` and `محمد بن سلمان` are both named: neither
                fits = [c for c in people if any(_by_given_name(word, f) for f in self._fulls(c))]
                if len(fits) == 1:
                    return fits[0]
                if fits:
                    break
        found = self._best_known(word)
        if found is not None:
            return found
        cands = set(self.by_single.get(("PER", skeleton(word)), ())) | \
            {r for r, e in self._new.items() if e.type == "PER" and e.key == word}
        # away from its story a lone word is matched by spelling only, not by skeleton
        fits = [c for c in cands if any((same_word if self.stories[story].get(c) else _same_bare)(word, w[-1])
                                        for w in (name_words(t) for t in self._entity(c).counts()) if w)]
        if fits:
            return max(fits, key=lambda c: (self.stories[story].get(c, 0), self._total(c), -c))
        return self._make("PER", word, m.text)

    def _best_known(self, word: str) -> int | None:
        """The person a bare surname names anywhere, when one person of that surname has most of the
        mentions of all who have it (`أوباما`, `الأسد` outside the stories that name them in full: their
        one-word entities went from 126 to 50 and from 209 to 107 mentions); `صالح` is too many people's."""
        cands = _posted(self.by_surname, skeleton(word))
        if not cands or len(cands) > _KNOWN_MAX_PEOPLE:
            return None
        totals = {c: self._total(c) for c in cands
                  if any(_same_bare(word, last) for f in self._fulls(c) if (last := _surname(f)))}
        if not totals:
            return None
        best = max(totals, key=lambda c: (totals[c], -c))
        mass = sum(totals.values())
        return best if totals[best] >= _KNOWN_MIN_MENTIONS and totals[best] >= _KNOWN_SHARE * mass else None

    def _moves(self, refs, mentions, story) -> list[tuple[int, int]]:
        """One-word entities of this story that a full name of this article now explains."""
        moves = []
        if story is None:
            return moves
        named = {r for r in refs if r is not None}
        for ref in sorted({r for r, m in zip(refs, mentions) if r is not None and m.type == "PER"}):
            for full in self._fulls(ref):
                last = _surname(full)
                for other in sorted(self.by_single.get(("PER", skeleton(last)), ())) if last else ():
                    # an entity moves once, and never one this article itself names (it may be deleted)
                    if other not in named and other not in {src for src, _ in moves} \
                            and self.stories[story].get(other) \
                            and all(same_word(name_words(t)[-1], last) for t in self.entities[other].counts()
                                    if name_words(t)):
                        moves.append((other, ref))
        return moves

    def _make(self, kind: str, key: str, text: str) -> int:
        ref = -1 - len(self._new)
        self._new[ref] = _Entity(ref, intern(kind), key)
        self._new[ref].by_story[None][text] += 0
        self._new[ref].changed()
        return ref

    def _kind(self, ref: int) -> str:
        return self._entity(ref).type

    def _spelled(self, ref: int, text: str, words: tuple[str, ...], kind: str) -> bool:
        """Whether a spelling of the entity has these name words: this very spelling first, as a common
        place or body has hundreds (`السعودية`, `للسعودية`, `والسعودية`...), each compared in turn."""
        counts = self._entity(ref).counts()
        return text in counts or any(_same_words(words, name_words(t, kind)) for t in counts)

    def _entity(self, ref: int) -> _Entity:
        return self._new.get(ref) or self.entities[ref]

    def _fulls(self, ref: int) -> set[tuple[str, ...]]:
        return self._entity(ref).full_names()

    def _total(self, ref: int) -> int:
        entity = self.entities.get(ref)
        return entity.mentions() if entity else 0

    # writing
    def write(self, store, rowid: int, story: int | None, mentions: list[EntityMention]) -> PendingEntities:
        """Resolve and store one article's mentions; call inside the article's transaction."""
        refs, moves = self.plan(mentions, story)
        pending = PendingEntities(story)
        real: dict[int, int] = {}
        for ref, entity in self._new.items():
            real[ref] = store.add_entity(entity.type, next(iter(entity.counts())), entity.key)
            pending.new[real[ref]] = _Entity(real[ref], entity.type, entity.key)
        ids = [real.get(r, r) if r is not None else None for r in refs]
        store.add_mentions(rowid, [(eid, m) for eid, m in zip(ids, mentions) if eid is not None])
        pending.ids = ids
        pending.added = [(eid, m.text) for eid, m in zip(ids, mentions) if eid is not None]
        pending.moves = [(a, real.get(b, b)) for a, b in moves]
        for src, dst in pending.moves:
            store.move_mentions(src, dst, story)
        for eid, counts in self._after(pending).items():
            pending.names[eid] = display_name(counts, self._type_of(eid, pending))
            store.update_entity(eid, pending.names[eid], sum(counts.values()))
        return pending

    def _type_of(self, eid: int, pending: PendingEntities) -> str:
        return (pending.new.get(eid) or self.entities[eid]).type

    def _after(self, pending: PendingEntities) -> dict[int, Counter]:
        """Spelling counts of every entity this article touches, as they will be after it."""
        touched = {e for e, _ in pending.added} | {x for move in pending.moves for x in move}
        out = {}
        for eid in touched:
            base = self.entities.get(eid)
            out[eid] = base.spellings() if base else Counter()
        for src, dst in pending.moves:
            moved = self.entities[src].by_story.get(pending.story, Counter())
            out[src] = out[src] - moved
            out[dst] = out[dst] + moved
        for eid, text in pending.added:
            out[eid][text] += 1
        return out

    def commit(self, pending: PendingEntities) -> None:
        """Apply a stored article's entities to the in-memory state (after its transaction committed)."""
        story = pending.story
        self.entities.update(pending.new)
        for src, dst in pending.moves:
            source, target = self.entities[src], self.entities[dst]
            moved = source.by_story.pop(story, Counter())
            target.add(story, moved)
            source.changed()
            n = self.stories[story].pop(src, 0)
            self.stories[story][dst] += n
            if not source.by_story:
                self._unindex_single(source)
                del self.entities[src]
        for eid, text in pending.added:
            self.entities[eid].add(story, {intern(text): 1})
            self.stories[story][eid] += 1
        for eid in {e for e, _ in pending.added} | {d for _, d in pending.moves}:
            entity = self.entities[eid]
            # `write` named it from the same counts
            entity.name = pending.names.get(eid) or display_name(entity.counts(), entity.type)
            if entity.type == "PER" and entity.full_names():
                self._unindex_single(entity)
            self._index(entity)

    # lookup
    def lookup(self, name: str) -> list[int]:
        """Entities that `name` may be (any type), most mentioned first; titles before the name are ignored."""
        return _matching(name, self.by_alias, ((e.id, e.type, self._total(e.id), e.counts())
                                               for e in self.entities.values()))


def find_entities(store, name: str) -> list[int]:
    """`EntityResolver.lookup` on the stored spellings, for one lookup (`rasd entity NAME`, search by
    entity): building the resolver first took ~4 s and 250 MB on a 30k-article store."""
    aliases: dict[str, int] = {}
    entities: dict[int, tuple[int, str, int, list[str]]] = {}  # id -> (id, type, mentions, spellings)
    for row in store.entity_spellings():
        if row["id"] not in entities:
            entities[row["id"]] = (row["id"], row["type"], row["mentions"], [])
            if row["key"].startswith("alias:"):
                aliases[row["key"]] = row["id"]
        if row["text"] is not None:
            entities[row["id"]][3].append(row["text"])
    return _matching(name, aliases, entities.values())


def _matching(name: str, aliases: dict[str, int],
              entities: Iterable[tuple[int, str, int, Iterable[str]]]) -> list[int]:
    """The entities (id, type, mentions, spellings) that `name` may be, most mentioned first: its alias
    group's, and those with a spelling the merge rule calls the same; titles before the name ignored."""
    name = _strip_titles(name)
    found = {aliases[akey] for kind in TYPES if (akey := alias_key(name, kind)) and akey in aliases}
    total = {}
    for eid, kind, mentions, spellings in entities:
        total[eid] = mentions
        if eid not in found and any(same_entity(name, t, kind) for t in spellings):
            found.add(eid)
    return sorted(found, key=lambda e: (-total.get(e, 0), e))


def _same_bare(a: str, b: str) -> bool:
    return _bare(a) == _bare(b)


def _skel_key(words: tuple[str, ...]) -> str:
    return " ".join(skeleton(w) for w in words)


def _post(index: dict, key, entity_id: int) -> None:
    """Add an entity to a name index whose keys mostly name one entity: that one is kept as a bare int
    (a set for each of ~55k such keys was ~10 MB on a 30k-article store)."""
    found = index.get(key)
    if found is None:
        index[key] = entity_id
    elif isinstance(found, set):
        found.add(entity_id)
    elif found != entity_id:
        index[key] = {found, entity_id}


def _posted(index: dict, key) -> tuple[int, ...] | set[int]:
    found = index.get(key, ())
    return (found,) if isinstance(found, int) else found


def _end_keys(words: tuple[str, ...]) -> list[tuple[str, str]]:
    """Where a full name is indexed and looked for: (first word, last word), and (first word, each word
    where a shorter full name it contains may end: `same_full_name`'s ordered part, `محمد بن سلمان` in
    `محمد بن سلمان بن عبدالعزيز`), as skeletons. Names whose first words differ never match."""
    first = skeleton(words[0])
    inner = [w for w in words[2:-1] if w not in _NAME_LINKS] if len(words) > 3 else []
    return [(first, skeleton(w)) for w in (*inner, words[-1])]


def _other_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two full names of three words or more, one first word, that the merge rule tells apart
    (`محمد بن نايف بن عبدالعزيز`, `محمد بن سلمان بن عبدالعزيز`; `محمد بن سعود الهلال`, `محمد بن سعود
    المجيش`). An entity holding one takes no mention of the other, whatever shorter spelling fits both
    (`محمد عبد العزيز`, `محمد بن سعود`): without it, entities chained through the short name."""
    return _comparable(a, b) and not same_full_name(a, b)


def _comparable(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two full names of three words or more each with one first word: if not one person, two."""
    return len(a) > 2 and len(b) > 2 and same_word(a[0], b[0])


def _same_words(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) == len(b) and all(same_word(x, y) for x, y in zip(a, b))


def _strip_titles(name: str) -> str:
    words = _fold_words(name)
    lex = lexicons()
    end = _match_forward(list(words), 0, lex.titles, lex.longest)
    if 0 < end < len(words):
        return " ".join(name.split()[end:])
    return name


# -- evaluation of the merge rule ----------------------------------------------------------------

def load_variant_pairs(path: str | Path) -> list[dict]:
    """Gold name pairs, one JSON object a line: `{"a", "b", "type", "same"}`."""
    pairs = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise EntityError(f"cannot read {path}: {err}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as err:
            raise EntityError(f"{path}:{number}: not JSON ({err})") from None
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item[k].strip() for k in ("a", "b")) \
                or item.get("type") not in TYPES or not isinstance(item.get("same"), bool):
            raise EntityError(f"{path}:{number}: need {{\"a\": name, \"b\": name, \"type\": one of {', '.join(TYPES)},"
                              f" \"same\": true|false}}")
        pairs.append(item)
    if not pairs:
        raise EntityError(f"{path}: no pairs")
    return pairs


def score_variants(pairs: list[dict]) -> dict:
    """Pairwise precision/recall/F1 of the merge rule (`same_entity`) on gold pairs, overall and per type."""
    def prf(tp: int, fp: int, fn: int) -> dict:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
                "tp": tp, "fp": fp, "fn": fn}

    counts: dict[str, Counter] = defaultdict(Counter)
    wrong = []
    for pair in pairs:
        said = same_entity(pair["a"], pair["b"], pair["type"])
        cell = ("tp" if said else "fn") if pair["same"] else ("fp" if said else "tn")
        counts[pair["type"]][cell] += 1
        counts["all"][cell] += 1
        if cell in ("fp", "fn"):
            wrong.append({"a": pair["a"], "b": pair["b"], "type": pair["type"], "gold": pair["same"], "said": said})
    result = {"pairs": len(pairs), "same": sum(1 for p in pairs if p["same"]),
              **prf(counts["all"]["tp"], counts["all"]["fp"], counts["all"]["fn"]),
              "types": {k: prf(c["tp"], c["fp"], c["fn"]) | {"pairs": sum(c.values())}
                        for k, c in sorted(counts.items()) if k != "all"},
              "errors": wrong}
    return result
