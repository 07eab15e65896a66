"""Reported quantities in Arabic news: the number, what it counts, its unit; and the cross-source table.

`find_numbers` reads numbers written in digits (Western or Eastern, with `, . ٬ ٫` separators) or in
words (`ألفان وخمسمائة`, `ثلاثة آلاف`), with a scale (`1.5 مليون`), a percent sign or word, a currency or a
unit, and the noun phrase it counts (`2500 جندي أمريكي` counts `جندي أمريكي`). Years, dates, times,
phone and reference numbers (`القرار 2254`) and durations (`24 شهرا`) are not quantities and are skipped;
so is every span overlapping `exclude` (the time-expression spans). A bare number with nothing to count
is kept only when a preceding `عدد X` says what it counts.

`compare_numbers` aligns the quantities of a story's articles by what they count (`Quantity.key`: a
concept such as `troops`, or the light stem of the head noun, with a qualifier like `US` or
`coalition`) and marks each figure `agreed`, `conflicting` or `single` with its citations.

Word lists are data: `rasd/data/numbers.json`. Offsets are into the text given, never a folded form.
Errors: `NumbersError` (a ValueError) for malformed input to `compare_numbers`.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import NamedTuple

from . import DATA_DIR
from .normalize import WORDS, matching_form, matching_word, word_cache

__all__ = ["Quantity", "NumbersError", "find_numbers", "compare_numbers", "parse_number_words", "count_key",
           "currency_words", "score_numbers"]

_MARK = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_TOKEN = re.compile(rf"(?P<num>\d+(?:[.,\u066b\u066c]\d+)*)|(?P<word>(?:[^\W\d_]|[{_MARK}])+)|(?P<punct>\S)")
_CLITIC = re.compile(r"^(?:و|ف|ب|ل|ك|وب|ول|فب|فل|وك)(?=..)")
_ADJECTIVE_END = ("ي", "يه", "يين", "يون", "يا", "يتين", "يتان")

class NumbersError(ValueError):
    """Input to the numbers stage that cannot be used (named in the message)."""


@dataclass(frozen=True)
class Quantity:
    """A reported quantity: `text == source[start:end]` covers the number and what it counts."""

    start: int
    end: int
    text: str
    value: float
    unit: str | None
    counts: str
    key: str

    def to_json(self) -> dict:
        data = asdict(self)
        data["value"] = _plain(self.value)
        return data


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class _Tok(NamedTuple):  # a tuple: an article has thousands, and a frozen dataclass is slow to build
    text: str
    start: int
    end: int
    kind: str  # num | word | punct
    form: str  # folded form
    bare: str  # folded form without a leading clitic
    gap: str = ""  # the text between the previous token and this one


@lru_cache(maxsize=1)
def currency_words() -> frozenset[str]:
    """The currency words of `numbers.json` (`ريال`, `دولارا`...), folded: the entity rules drop them as names."""
    return frozenset(w for w in _lexicon()["currencies"] if any(c.isalpha() for c in w))


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    data = json.loads((DATA_DIR / "numbers.json").read_text(encoding="utf-8"))
    words: dict[str, tuple[str, int]] = {}
    for kind in ("units", "tens", "hundreds", "scales"):
        for word, value in data[kind].items():
            words[matching_form(word)] = (kind, value)
    concepts = {matching_form(w): name for name, ws in data["concepts"].items() for w in ws}
    qualifiers = {matching_form(w): name for name, ws in data["qualifiers"].items() for w in ws}
    sets = {name: frozenset(matching_form(w) for w in data[name])
            for name in ("months", "year_words", "year_suffixes", "reference_words", "time_units", "vague",
                         "stop_nouns")}
    teens = {tuple(matching_form(k).split()): v for k, v in data["teens"].items()}
    percent = [tuple(matching_form(p).split()) for p in data["percent"]]
    return {"words": words, "concepts": concepts, "qualifiers": qualifiers, "teens": teens, "percent": percent,
            "currencies": {matching_form(k): v for k, v in data["currencies"].items()},
            "currency_countries": {matching_form(k): v for k, v in data["currency_countries"].items()},
            "measures": {matching_form(k): v for k, v in data["units_of_measure"].items()}, **sets}


@word_cache(WORDS)
def _word_forms(word: str) -> tuple[str, str]:
    """(folded form, folded form without a leading clitic) of a word token; words recur in every article."""
    form = matching_word(word)
    return form, _CLITIC.sub("", form)


def _tokens(text: str) -> list[_Tok]:
    out = []
    last = 0
    new = tuple.__new__  # a NamedTuple's own constructor is Python code; an article has thousands of tokens
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        start, end = m.span()
        token = text[start:end]
        if kind == "word":
            form, bare = _word_forms(token)
        else:
            form = bare = matching_word(token) if kind == "num" else token
        out.append(new(_Tok, (token, start, end, kind, form, bare, text[last:start])))
        last = end
    return out


def _digits_value(token: str) -> float | None:
    """`2,500` -> 2500, `1.5` -> 1.5, `٢٥٠٠` -> 2500; None for forms that are not one number."""
    s = matching_form(token).replace("\u066c", ",")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", s) else ""
    try:
        return float(s) if s else None
    except ValueError:
        return None


def _word_number(toks: list[_Tok], i: int, lex: dict) -> tuple[float, int] | None:
    """Value and next index of a run of number words starting at `i` (`ألفان وخمسمائة`), else None.

    A later word joins with `و` (as a clitic or a separate word), or without it only as the
    hundred or scale of what came before (`ثلاثة آلاف`, `خمسة ملايين`).
    """
    values: list[tuple[str, int]] = []
    j, linked = i, True
    while j < len(toks) and toks[j].kind == "word":
        tok = toks[j]
        if j == i:
            forms = (tok.form, tok.bare)
        elif tok.form.startswith("و") and len(tok.form) > 2 and not linked:
            forms, linked = (tok.form[1:],), True
        else:
            forms = (tok.form,)
        pair = (forms[0], toks[j + 1].form) if j + 1 < len(toks) else None
        if (linked or j == i) and pair in lex["teens"]:
            values.append(("units", lex["teens"][pair]))
            j, linked = j + 2, False
            continue
        found = next((lex["words"][f] for f in forms if f in lex["words"]), None)
        if found is None:
            break
        if not linked and not (values and values[-1][0] in ("units", "tens", "hundreds")
                               and found[0] in ("scales", "hundreds")):
            break
        values.append(found)
        j, linked = j + 1, False
        if j + 1 < len(toks) and toks[j].form == "و" and toks[j + 1].form in lex["words"]:
            j, linked = j + 1, True
    if not values:
        return None
    return parse_number_words(values), j


def parse_number_words(values: list[tuple[str, int]]) -> float:
    """Combine (kind, value) pairs read left to right: [(units,3),(scales,1000)] -> 3000; dual scales stand alone."""
    total, current = 0, 0
    for kind, value in values:
        if kind == "scales":
            if value in (2000, 2_000_000, 2_000_000_000) and current == 0:
                total += value
            else:
                total += (current or 1) * value
            current = 0
        elif kind == "hundreds" and value == 100 and 0 < current < 10:
            current *= 100
        else:
            current += value
    return float(total + current)


def _is_year(toks: list[_Tok], i: int, value: float, lex: dict) -> bool:
    tok = toks[i]
    prev = toks[i - 1] if i else None
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if prev is not None and prev.kind == "word" and (prev.form in lex["year_words"] or prev.bare in lex["year_words"]
                                                      or prev.bare in lex["months"] or prev.form in lex["months"]):
        if len(tok.text) == 4 and 1300 <= value <= 2100:
            return True
    if not (len(tok.text) == 4 and value.is_integer() and 1300 <= value <= 2100):
        return False
    if nxt is None or nxt.kind != "word":
        return True
    return nxt.form in lex["year_suffixes"] or nxt.bare in lex["stop_nouns"] or nxt.bare in lex["months"]


def _is_date_or_reference(toks: list[_Tok], i: int, lex: dict) -> bool:
    """Day of a month, part of 10/8/2015, 4:44 or 2015-08-10, a phone number, or `رقم 5`."""
    tok = toks[i]
    raw = matching_form(tok.text)
    if (len(raw) >= 7 and raw.isdigit()) or (raw.startswith("0") and len(raw) >= 4 and raw.isdigit()):
        return True
    for k, step in ((i + 1, 1), (i - 1, -1)):
        if 0 <= k < len(toks) and toks[k].text in "/:-" and toks[k].start in (tok.end, tok.start - 1) and \
                0 <= k + step < len(toks) and toks[k + step].kind == "num":
            return True
    if i + 1 < len(toks) and toks[i + 1].kind == "word" and (toks[i + 1].form in lex["months"] or
                                                             toks[i + 1].bare in lex["months"]):
        return True
    if i and toks[i - 1].kind == "word" and (toks[i - 1].form in lex["reference_words"] or
                                             toks[i - 1].bare in lex["reference_words"]):
        return True
    if i and (toks[i - 1].text in ("+", "#", "№") or toks[i - 1].form in ("ال", "الـ")):
        return True  # `+966`, `الـ 6 مساء`, `السنوات الـ 4 الماضية`
    if i and toks[i - 1].kind == "word" and toks[i - 1].form in lex["months"] and len(raw) <= 2:
        return True  # `December 9, 2021`
    return False


def _scale(toks: list[_Tok], j: int, lex: dict) -> tuple[float, int]:
    """A scale word after digits (`3 آلاف`, `1.5 مليون`): its multiplier and the next index."""
    if j < len(toks) and toks[j].kind == "word":
        found = lex["words"].get(toks[j].form)
        if found and found[0] == "scales":
            return (found[1] if found[1] not in (2000, 2_000_000, 2_000_000_000) else found[1] // 2), j + 1
    return 1.0, j


def _unit(toks: list[_Tok], j: int, lex: dict) -> tuple[str | None, int]:
    """Percent, currency (with its country adjective) or unit of measure starting at `j`."""
    if j >= len(toks):
        return None, j
    if toks[j].text in ("%", "\u066a"):
        return "percent", j + 1
    for phrase in lex["percent"]:
        if tuple(t.form for t in toks[j:j + len(phrase)]) == phrase:
            return "percent", j + len(phrase)
    tok = toks[j]
    if tok.text == "$":
        return "USD", j + 1
    if tok.kind != "word":
        return None, j
    for form in (tok.form, tok.bare):
        if form in lex["currencies"]:
            code = lex["currencies"][form]
            if j + 1 < len(toks) and toks[j + 1].form in lex["currency_countries"] and code != "EUR":
                return lex["currency_countries"][toks[j + 1].form], j + 2
            return code, j + 1
        if form in lex["measures"]:
            return lex["measures"][form], j + 1
    return None, j


def _is_adjective(tok: _Tok, lex: dict) -> bool:
    return (tok.kind == "word" and tok.form not in lex["stop_nouns"] and len(tok.form) > 3
            and tok.form.endswith(_ADJECTIVE_END) and not tok.form.startswith(("ل", "ب")))


def _counted(toks: list[_Tok], j: int, lex: dict) -> tuple[int, int]:
    """Token range of the counted noun phrase starting at `j` (noun + up to two adjectives), maybe empty."""
    if j >= len(toks) or toks[j].kind != "word" or not _adjacent(toks[j - 1], toks[j]):
        return j, j
    head = toks[j]
    if head.form in lex["stop_nouns"] or head.bare in lex["stop_nouns"] or head.bare in lex["months"] \
            or head.form in lex["words"]:
        return j, j
    if head.text[0] in "\u0660\u0661" or len(head.form) < 2:
        return j, j
    k = j + 1
    while k < len(toks) and k - j <= 2 and _is_adjective(toks[k], lex) and _adjacent(toks[k - 1], toks[k]):
        k += 1
    return j, k


def _adjacent(left: _Tok, right: _Tok) -> bool:
    """Two tokens of one phrase: at most a space or two between them, never a line break."""
    return len(right.gap) <= 2 and "\n" not in right.gap


def _light_stem(form: str) -> str:
    """Folded head noun without clitics and the commonest suffixes: `شحنات`/`شحنة` -> `شحن`."""
    word = re.sub(r"^(?:وال|بال|لل|فال|كال|ال)(?=...)", "", form)
    for suffix in ("ات", "ين", "ون", "ه", "ا"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def count_key(head: str, qualifier: str | None = None, unit: str | None = None) -> str:
    """The matching key of what is counted: concept or light stem of the head noun, `|qualifier`, `unit:` prefix."""
    lex = _lexicon()
    form = matching_form(head) if head else ""
    bare = re.sub(r"^(?:وال|بال|لل|فال|كال|ال)(?=...)", "", form)
    base = lex["concepts"].get(form) or lex["concepts"].get(bare) or _light_stem(form) if form else ""
    key = f"{unit}:{base}" if unit else base
    return f"{key}|{qualifier}" if qualifier else key


def _qualifier(toks: list[_Tok], a: int, b: int, lex: dict) -> str | None:
    """Nationality/affiliation of what is counted: an adjective of the phrase, or `من (قوات) X` right after it."""
    for tok in toks[a + 1:b]:
        if tok.form in lex["qualifiers"]:
            return lex["qualifiers"][tok.form]
    if b < len(toks) and toks[b].form in ("من", "في صفوف"):
        for tok in toks[b + 1:b + 4]:
            if tok.kind != "word":
                break
            if tok.form in lex["qualifiers"] or tok.bare in lex["qualifiers"]:
                return lex["qualifiers"].get(tok.form) or lex["qualifiers"][tok.bare]
    return None


def _context_head(toks: list[_Tok], i: int, lex: dict) -> tuple[str, int] | None:
    """For a bare number: the X of a `عدد X` within four tokens before it (`عدد القتلى إلى 50`)."""
    for k in range(i - 1, max(-1, i - 6), -1):
        if toks[k].kind == "punct" and toks[k].text not in "()":
            return None
        if toks[k].bare in ("عدد", "اجمالي", "حصيله") and k + 1 < i and toks[k + 1].kind == "word":
            return toks[k + 1].text, k + 1
    return None


def _overlaps(start: int, end: int, exclude) -> bool:
    return any(start < e and s < end for s, e in exclude)


def find_numbers(text: str, exclude: list[tuple[int, int]] = ()) -> list[Quantity]:
    """Reported quantities in `text`, in order; spans overlapping `exclude` are skipped."""
    if not isinstance(text, str):
        raise NumbersError(f"find_numbers needs a str, not {type(text).__name__}")
    lex = _lexicon()
    toks = _tokens(text)
    out: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "num":
            value = _digits_value(tok.text)
            if value is None or _is_date_or_reference(toks, i, lex) or _is_year(toks, i, value, lex):
                i += 1
                continue
            scale, j = _scale(toks, i + 1, lex)
            value *= scale
        elif tok.kind == "word" and (tok.form in lex["words"] or tok.bare in lex["words"]):
            if tok.form in lex["vague"] or tok.bare in lex["vague"]:
                i += 1
                continue
            found = _word_number(toks, i, lex)
            if found is None:
                i += 1
                continue
            value, j = found
            scale = 1000.0 if any(lex["words"].get(t.form, ("",))[0] == "scales" for t in toks[i:j]) else 1.0
        else:
            i += 1
            continue
        quantity, j = _quantity(text, toks, i, j, value, tok.kind == "word" and scale == 1.0, lex)
        if quantity is not None and not _overlaps(quantity.start, quantity.end, exclude):
            out.append(quantity)
        i = max(j, i + 1)
    return out


def _quantity(text: str, toks: list[_Tok], i: int, j: int, value: float, words_only: bool, lex: dict):
    """The Quantity for number tokens toks[i:j], reading its unit and counted noun; None when not a quantity."""
    unit, j = _unit(toks, j, lex)
    a, b = _counted(toks, j, lex) if unit is None else (j, j)  # `15 في المائة من`, `5 ملايين دولار لتمويل`
    head_tok = toks[a] if b > a else None
    if head_tok is not None and (head_tok.form in lex["time_units"] or head_tok.bare in lex["time_units"]):
        return None, b
    if head_tok is not None and unit is None and head_tok.form in lex["measures"]:
        unit = lex["measures"][head_tok.form]
    if words_only and (value < 3 or head_tok is None) and unit is None:
        return None, j  # `واحد`, `ست` on their own are words, not figures
    end_tok = b if b > a else j
    head_text, qualifier = "", None
    if b > a:
        head_text = head_tok.text
        qualifier = _qualifier(toks, a, b, lex)
        counts = text[toks[a].start:toks[b - 1].end]
    elif unit is None:
        context = _context_head(toks, i, lex)
        if context is None:
            return None, j
        head_text, counts = context[0], context[0]
    else:
        counts = ""
    start, end = toks[i].start + _clitic_chars(toks[i]), toks[end_tok - 1].end
    if b <= a and unit is not None and not head_text:
        head_text = _preceding_word(toks, i, lex)
    key = count_key(head_text, qualifier, unit)
    return Quantity(start, end, text[start:end], round(value, 4), unit, counts, key), end_tok


def _clitic_chars(tok: _Tok) -> int:
    """Characters of a clitic written on a number word (`وأربع` -> 1), so the span starts at the number."""
    letters = len(tok.form) - len(tok.bare)
    if tok.kind != "word" or letters <= 0 or tok.bare in _lexicon()["words"] and tok.form in _lexicon()["words"]:
        return 0
    k = 0
    while k < len(tok.text) and letters:
        if tok.text[k].isalpha():
            letters -= 1
        k += 1
    return k


def _preceding_word(toks: list[_Tok], i: int, lex: dict) -> str:
    """The nearest content word before a percent/currency figure, so unrelated percentages do not align."""
    for k in range(i - 1, max(-1, i - 5), -1):
        tok = toks[k]
        if (tok.kind == "punct" and tok.text not in "()") or tok.kind == "num":
            return ""
        if tok.kind == "word" and tok.bare not in lex["stop_nouns"] and len(tok.bare) > 2:
            return tok.text
    return ""


# -- cross-source comparison -------------------------------------------------------------------

def _base_and_qualifier(key: str) -> tuple[str, str | None]:
    base, _, qualifier = key.partition("|")
    return base, qualifier or None


def compare_numbers(items: list[tuple[str, str | None, Quantity]]) -> list[dict]:
    """Align a story's quantities by what they count and mark each figure agreed, conflicting or single.

    `items` are (article_id, source, quantity). Sources are outlets; an article without one counts
    as its own source. A quantity whose key has no qualifier (`2500 جندي`) joins the qualified group
    of the same head (`2500 جندي أميركي`) with the same value, or the only qualified group there is.
    """
    groups: dict[tuple[str, str | None], list[tuple[str, str, Quantity]]] = {}
    loose: list[tuple[str, str, Quantity]] = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 3 and isinstance(item[2], Quantity)):
            raise NumbersError(f"compare_numbers items must be (article_id, source, Quantity), got {item!r:.80}")
        article_id, source, quantity = item
        base, qualifier = _base_and_qualifier(quantity.key)
        entry = (article_id, source or f"article:{article_id}", quantity)
        if qualifier is None:
            loose.append(entry)
        else:
            groups.setdefault((base, qualifier), []).append(entry)
    for entry in loose:
        base = entry[2].key
        qualified = [k for k in groups if k[0] == base and k[1] is not None]
        same_value = [k for k in qualified if any(e[2].value == entry[2].value for e in groups[k])]
        target = same_value[0] if same_value else qualified[0] if len(qualified) == 1 else (base, None)
        groups.setdefault(target, []).append(entry)
    rows = [row for key, entries in groups.items() for row in _rows(key, entries)]
    order = {"agreed": 0, "conflicting": 1, "single": 2}
    return sorted(rows, key=lambda r: (order[r["status"]], -len(r["sources"]), -r["value"]))


def _rows(key: tuple[str, str | None], entries: list[tuple[str, str, Quantity]]) -> list[dict]:
    """One row for a group: agreed/single when one value, conflicting when sources report different values."""
    by_value: dict[float, list[tuple[str, str, Quantity]]] = {}
    for entry in entries:
        by_value.setdefault(round(entry[2].value, 6), []).append(entry)
    values = [_value_entry(v, es) for v, es in sorted(by_value.items(), key=lambda kv: (-len({e[1] for e in kv[1]}), kv[0]))]
    sources_of = [set(e[1] for e in es) for es in by_value.values()]
    conflicting = len(by_value) > 1 and len(set().union(*sources_of)) > 1 and not all(s == sources_of[0] for s in sources_of)
    if len(by_value) > 1 and not conflicting:  # one outlet giving several figures: each stands alone
        return [_row(key, {v: es}, [_value_entry(v, es)], None) for v, es in by_value.items()]
    return [_row(key, by_value, values, "conflicting" if conflicting else None)]


def _value_entry(value: float, entries) -> dict:
    return {"value": _plain(value), "article_ids": sorted({e[0] for e in entries}),
            "sources": sorted({e[1] for e in entries}), "text": entries[0][2].text}


def _row(key, by_value: dict, values: list[dict], status: str | None) -> dict:
    entries = [e for es in by_value.values() for e in es]
    sources = sorted({e[1] for e in entries})
    first = values[0]
    quantity = by_value[round(float(first["value"]), 6)][0][2]
    if status is None:
        status = "agreed" if len(sources) >= 2 else "single"
    return {"value": first["value"], "counts": quantity.counts, "unit": quantity.unit,
            "key": key[0] + (f"|{key[1]}" if key[1] else ""), "article_ids": sorted({e[0] for e in entries}),
            "sources": sources, "status": status, "values": values}


# -- evaluation against hand-labelled gold ------------------------------------------------------

def _same_count(predicted: Quantity, counts: str) -> bool:
    """A predicted quantity counts the gold noun when their keys' heads agree (`جندي` ~ `عسكري` ~ troops)."""
    gold_base = count_key(counts.split()[0]) if counts.strip() else ""
    return _base_and_qualifier(predicted.key)[0].split(":")[-1] == gold_base or matching_form(predicted.counts) == matching_form(counts)


def score_numbers(gold: list[dict], predicted: dict[str, list[Quantity]]) -> dict:
    """P/R/F1 of quantities: a match is the same article, the same value and the same counted thing.

    `gold` rows are `{"article", "text", "value", "counts"}`; only the articles named in the gold are scored.
    """
    articles = {row["article"] for row in gold}
    preds = [(a, q) for a in articles for q in predicted.get(a, [])]
    used: set[int] = set()
    misses = []
    for row in gold:
        hit = next((i for i, (a, q) in enumerate(preds) if i not in used and a == row["article"]
                    and abs(q.value - float(row["value"])) < 1e-6 and _same_count(q, row.get("counts") or "")), None)
        if hit is None:
            misses.append(row)
        else:
            used.add(hit)
    matched = len(used)
    p = matched / len(preds) if preds else 0.0
    r = matched / len(gold) if gold else 0.0
    return {"gold": len(gold), "predicted": len(preds), "matched": matched, "precision": round(p, 4),
            "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "missed": misses,
            "spurious": [{"article": a, **q.to_json()} for i, (a, q) in enumerate(preds) if i not in used]}
