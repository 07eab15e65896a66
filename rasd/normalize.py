"""The matching form of Arabic text: folded for keys, matching and search, never for display.

Scraped Arabic news spells the same word many ways: with or without diacritics and tatweel, with
any of four alefs, Egyptian `ى` for `ي`, `ة`/`ه`, Persian letters typed on Persian keyboards,
Eastern or Persian digits. `matching_form` folds all of these so that equal words compare equal.
Each step is a small pure `str -> str` function; the character maps are data at the top.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from itertools import islice
from sys import intern

__all__ = ["matching_form", "matching_word", "word_cache", "translator", "fold_letters", "fold_stem_letters", "STEM_LETTER_MAP", "fold_digits", "fold_punctuation", "strip_marks", "tokens"]

# Harakat, Quranic annotation marks, superscript alef and tatweel carry no identity for matching.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]")

LETTER_MAP = {
    # alef variants
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    # alef maqsura and Persian/Urdu yeh
    "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي", "ے": "ي",
    # teh marbuta
    "ة": "ه", "ۃ": "ه",
    # Persian/Urdu/Kurdish letters that stand for Arabic ones in Arabic words
    "ک": "ك", "ڪ": "ك", "گ": "ك", "ھ": "ه", "ە": "ه", "ہ": "ه", "ۀ": "ه",
    "پ": "ب", "چ": "ج", "ژ": "ز", "ڤ": "ف", "ڨ": "ق",
}

DIGIT_MAP = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}

PUNCT_MAP = {
    "،": ",", "؛": ";", "؟": "?", "٪": "%", "٫": ".", "٬": ",", "۔": ".",
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
    "‘": "'", "’": "'", "‚": "'", "′": "'",
    "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "ـ": "",
    "\u200c": " ", "\u200d": "", "\u200e": "", "\u200f": "", "\u202a": "", "\u202b": "",
    "\u202c": "", "\u202d": "", "\u202e": "", "\u2066": "", "\u2067": "", "\u2068": "", "\u2069": "",
    "\ufeff": "", "\u00a0": " ",
    # a soft hyphen or word joiner sits inside a word ("وجو\u00adههم" in SaudiNewsNet): invisible, not a break
    "\u00ad": "", "\u2060": "",
}



# Mapped characters that fill Arabic news text (teh marbuta, hamza alefs, alef maqsura, the Arabic
# comma, guillemets): each is replaced by `str.replace`, one C scan, instead of a callback per occurrence.
_FREQUENT = "ةأإآى،«»"


def translator(mapping: dict[str, str]):
    """A fast `str -> str` character map: the frequent characters by `str.replace`, the rest by a regex
    that finds the few left and calls back only on them.

    `str.translate` looks every character up in a dict (slow on Arabic text, where most characters
    are unmapped), and a callback per `ة` or `أ` was most of the map's time (~80 -> ~25 us an article).
    Replacing one character after another equals one simultaneous pass because no replacement
    contains a mapped character (checked here).
    """
    if any(key in value for value in mapping.values() for key in mapping):
        raise ValueError("translator: a replacement contains a mapped character")
    frequent = [(c, mapping[c]) for c in _FREQUENT if c in mapping]
    rest = [c for c in mapping if c not in _FREQUENT]
    pattern = re.compile("[" + "".join(re.escape(c) for c in rest) + "]") if rest else None
    lookup = mapping.__getitem__

    def translate(text: str) -> str:
        for char, value in frequent:
            text = text.replace(char, value)
        return pattern.sub(lambda m: lookup(m.group()), text) if pattern is not None else text
    return translate


# The letters a stemmer may see: `ة` stays (snowball's `arabic` finds suffixes by it).
STEM_LETTER_MAP = {k: v for k, v in LETTER_MAP.items() if k not in "ةۃ"}

_LETTERS = translator(LETTER_MAP)
_STEM_LETTERS = translator(STEM_LETTER_MAP)
_DIGITS = translator(DIGIT_MAP)
_PUNCT = translator(PUNCT_MAP)
_ALL = translator(LETTER_MAP | DIGIT_MAP | PUNCT_MAP)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def strip_marks(text: str) -> str:
    """Drop diacritics and tatweel."""
    return _MARKS.sub("", text)


def fold_letters(text: str) -> str:
    """Alef variants, `ى`, `ة` and Persian/Urdu letters to one Arabic letter each."""
    return _LETTERS(text)


def fold_stem_letters(text: str) -> str:
    """`fold_letters` except `ة`, for text on its way to the stemmer."""
    return _STEM_LETTERS(text)


def fold_digits(text: str) -> str:
    """Eastern Arabic and Persian digits to ASCII."""
    return _DIGITS(text)


def fold_punctuation(text: str) -> str:
    """Arabic and typographic punctuation to ASCII; invisible direction marks removed."""
    return _PUNCT(text)


def matching_form(text: str) -> str:
    """The folded form of `text` used for keys, matching and search.

    NFKC first turns Arabic presentation forms (common in PDF- and Word-sourced text) into letters.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _ALL(strip_marks(text))  # letters, digits and punctuation in one pass
    # whitespace runs to one space: split/join does in C what `\s+` substitution did match by match
    # (str.split and the regex's `\s` agree on every code point), 2-3x faster on an article
    return " ".join(text.split()).casefold()


class _WordCache(dict):
    """A one-argument function's results by argument: a dict whose misses call the function."""

    __slots__ = ("function", "maxsize")

    def __init__(self, function: Callable, maxsize: int):
        super().__init__()
        self.function = function
        self.maxsize = maxsize

    def __missing__(self, key):
        if len(self) >= self.maxsize:  # the oldest half goes: words that recur are soon back
            for old in list(islice(self, len(self) // 2)):  # (the server's threads may share a cache)
                self.pop(old, None)
        value = self.function(key)
        if type(key) is str:  # one string per word across the caches (each stage slices its own tokens)
            key = intern(key)
        if type(value) is str:  # and one string per folded form, stem or skeleton
            value = intern(value)
        elif type(value) is tuple:
            value = tuple(intern(v) if type(v) is str else v for v in value)
        self[key] = value
        return value


# The most words a per-token cache keeps: a dict of 2**18 slots holds at most 174,762 keys (two
# thirds); one more doubles its table, from 5.2 to 10.5 MB (a 200k cache was 10.5 MB for 200k words).
WORDS = (1 << 18) * 2 // 3


@lru_cache(maxsize=1)
def arabic_stemmer():
    """The snowball `arabic` stemmer (PyStemmer) that features, search keys and the NER featurizer ask, without
    PyStemmer's own word cache: it is asked only for words their `word_cache`s missed, so a 10,000-word cache
    (its default) missed too and cost more than it saved (a new word 0.7 us without, 1.4-1.8 with)."""
    import Stemmer

    return Stemmer.Stemmer("arabic", 0)


def word_cache(maxsize: int) -> Callable[[Callable], Callable]:
    """Cache a pure function of one word, like `lru_cache(maxsize)`, for the per-token functions.

    Each stage calls one for every token of every article, so each would hold over 200k words after
    15k articles (`WORDS` is the bound). `lru_cache` keeps a recency-list node per entry and relinks
    it on every hit; this is a plain dict, looked up in C (`dict.__getitem__`), that drops its
    oldest-inserted half when full.
    Keys and string results are interned, so a word the stages slice from the text separately is
    stored once for all caches. An ingest worker held 876 MB after 15k articles, 649 MB with these.
    """
    def wrap(function: Callable) -> Callable:
        return _WordCache(function, maxsize).__getitem__
    return wrap


# `matching_form` of one word, cached: the same words recur in every article, and the NER, entity,
# quote and number stages all fold each token of an article (one cache for them all).
matching_word = word_cache(WORDS)(matching_form)


def tokens(matching: str) -> list[str]:
    """Word tokens of an already folded text (letters and digits, punctuation dropped)."""
    return _WORD.findall(matching)
