"""Who said what: direct and indirect quotations in Arabic news, each with its speaker resolved.

A quotation hangs on a *cue*: a reporting verb in any of its written forms (`قال/وقالت/يقول`,
`أضاف`, `أكد`, `أشار` ...), a participle that continues the current speaker (`مضيفاً أن`, `محذراً من
أن`), a relay (`نقل … عن X`) or an attribution (`بحسب X`, `وفقاً لـ X`). A verb only counts when a
complement follows in the same sentence: `أن/إن/أنه/بأن`, a colon, or an opening quotation mark. The
quotation is then *direct* (the words inside `"…"`, `“…”`, `«…»`, `„…“`; unbalanced and nested marks in
scraped text are tolerated) or *indirect* (the reported clause up to the end of the sentence, or up to
the next participle cue).

The speaker is read from the words between the cue and its complement, in this order: a name after a
rank (`اللواء جون دبليو برنين`), a person the NER found, a surname already seen in full (`برنين` ->
`جون دبليو برنين`), an institution (`الخلية` -> `خلية الإعلام الأمني العراقي`, named earlier), a
statement (`البيان` -> whoever issued the last statement), a title or description used earlier with a
name (`رئيس خلية الإعلام الأمني العراقي` -> `سعد معن`; `وقال اللواء` -> the last `اللواء X`), or a
place. No subject (`وأضاف`, `وأوضحت أن`) means the most recent speaker. Subjects before the verb
(`وكان الرئيس الأميركي، جو بايدن، أعلن`) are read too.

Word lists are data: `rasd/data/quotes.json`. All offsets are into the text given.
Errors: `QuotesError` (a ValueError) for input that is not text or not quotes.
"""
from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import NamedTuple

from . import DATA_DIR
from .features import skeleton
from .normalize import WORDS, matching_form, matching_word, word_cache

__all__ = ["Quote", "QuotesError", "find_quotes", "group_quotes", "merge_repeats", "speaker_key", "quote_spans",
           "same_speaker", "score_quotes", "load_gold"]

_MARK = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_TOKEN = re.compile(rf"(?:[^\W_]|[{_MARK}])+|\S")
QUOTE_CHARS = frozenset('"“”«»„‟″')
_QUOTE_CHAR = re.compile("[" + "".join(sorted(QUOTE_CHARS)) + "]")
_OPEN_BEFORE = frozenset(" \t(:،,;[—-–/")
_SENTENCE_PUNCT = frozenset(".!?؟…")
_BOUND_CHARS = re.compile("[\n" + re.escape("".join(sorted(_SENTENCE_PUNCT))) + "]")  # line breaks and _SENTENCE_PUNCT
_MIN_SPEECH_WORDS = 3
_SIGNATURE = re.compile(r"^(?P<dash>[—–-]{1,2})[ \t]*(?P<name>[^\n(@]{2,60}?)[ \t]*\(@\w+\)", re.MULTILINE)

class QuotesError(ValueError):
    """Input to the quotes stage that cannot be used (named in the message)."""


@dataclass(frozen=True)
class Quote:
    """A quotation: `text == source[start:end]`, its cue and its speaker (offsets of the mention used)."""

    start: int
    end: int
    text: str
    direct: bool
    cue: str
    cue_start: int
    speaker: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker_type: str | None

    def to_json(self) -> dict:
        return {"speaker": self.speaker, "cue": self.cue, "text": self.text, "direct": self.direct,
                "start": self.start, "end": self.end, "cue_start": self.cue_start,
                "speaker_start": self.speaker_start, "speaker_end": self.speaker_end,
                "speaker_type": self.speaker_type}


@dataclass(frozen=True)
class _Speaker:
    name: str
    start: int
    end: int
    type: str | None
    statement: bool = False  # resolved through a statement noun (`البيان`)


class _Tok(NamedTuple):  # a tuple: an article has thousands, and a frozen dataclass is slow to build
    text: str
    start: int
    end: int
    form: str  # folded
    word: bool
    cue: bool  # whether `_Doc.cue_kind` can find a cue in it (`_may_cue`)


def _fold_set(words) -> frozenset[str]:
    return frozenset(matching_form(w) for w in words)


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    data = json.loads((DATA_DIR / "quotes.json").read_text(encoding="utf-8"))
    lex = {name: _fold_set(words) for name, words in data.items() if isinstance(words, list)}
    return lex


@lru_cache(maxsize=1)
def _cue_forms() -> frozenset[str]:
    """Every form `_Doc.cue_kind` can answer for, so that most words are answered with one lookup."""
    lex = _lexicon()
    return frozenset().union(*(lex[name] for name in ("participles", "transfer", "according", "came_in", "verbs")))


def _may_cue(form: str, word: bool) -> bool:
    """Whether `_Doc.cue_kind` can find a cue in a token of this folded form: one lookup answers most words."""
    cues = _cue_forms()
    return word and (form in cues or _strip_conj(form) in cues)


def _token_starts(text: str) -> list[tuple[str, int]]:
    """(token, start) of each `_TOKEN` in `text`, found in one C-level pass."""
    return [(m.group(), m.start()) for m in _TOKEN.finditer(text)]


@word_cache(WORDS)
def _token_info(word: str) -> tuple[str, bool, bool]:
    """(folded form, whether it is a word, whether it may be a cue) of a token; tokens recur in every article."""
    form, is_word = matching_word(word) or word, word[0].isalnum() or word[0] in _MARK
    return form, is_word, bool(_may_cue(form, is_word))


def _doc_tokens(text: str) -> list["_Tok"]:
    """The `_Tok`s of `text`, built as plain tuples (a NamedTuple's own constructor is Python code)."""
    new, info = tuple.__new__, _token_info
    return [new(_Tok, (word, start, start + len(word), *info(word))) for word, start in _token_starts(text)]


def _strip_conj(form: str) -> str:
    return form[1:] if len(form) > 3 and form[0] in "وف" else form


def _noun_variants(form: str) -> tuple[str, ...]:
    """The bare noun a folded word may be: `والخلية` -> `خليه`; `للبيان` -> `بيان`; `للجنة` -> `لجنه` or `جنه`."""
    if form[:1] in "وف" and len(form) > 3 and not form.startswith(("فر", "وز", "وك", "وف", "فل")):
        form = form[1:]
    if form.startswith("ال") and len(form) > 3:
        return (form[2:],)
    if form.startswith("لل") and len(form) > 4:
        return (form[2:], form[1:])
    if form.startswith(("ل", "ب")) and len(form) > 4:
        return (form[1:], form)
    return (form,)


def _strip_article(form: str) -> str:
    return _noun_variants(form)[0]


def _is_noun_in(form: str, words: frozenset[str]) -> bool:
    return form in words or any(v in words or "ال" + v in words for v in _noun_variants(form))


def name_skeleton(name: str) -> str:
    """Consonant skeleton of a name's last word, so `برينان`/`برنين` and `الأعرجي`/`الاعرجي` meet."""
    words = [w for w in matching_form(name).split() if any(ch.isalpha() for ch in w)]
    if not words:
        return ""
    last = re.sub(r"[^\w]", "", words[-1])
    if last.startswith("ال") and len(last) > 3:
        last = last[2:]
    return skeleton(last) if last else ""


# -- direct quotation marks ----------------------------------------------------------------------

def quote_spans(text: str) -> list[tuple[int, int]]:
    """(open, close) positions of quotation marks, line by line; the words are text[open+1:close].

    Nested or stray openers inside an open quotation are kept as text (`“تنظيم داعش “سقط …”`);
    closers with nothing open are ignored; a quotation left open closes at the end of its line.
    """
    spans = []
    pos = 0
    for line in text.split("\n"):
        opened: int | None = None
        style = ""
        for m in _QUOTE_CHAR.finditer(line):  # the marks alone, not every character of the line
            i, ch = m.start(), m.group()
            before = line[i - 1] if i else " "
            after = line[i + 1] if i + 1 < len(line) else " "
            looks_open = (before in _OPEN_BEFORE or before.isspace() or before == "و") and not after.isspace()
            looks_close = not before.isspace()
            if opened is None:
                if ch in "“«„‟" or (ch in '"″”' and looks_open):
                    opened, style = i, ch
                continue
            if style == "«":
                if ch == "»":
                    spans.append((pos + opened, pos + i))
                    opened = None
                continue
            if ch in "”\"″»" or (ch == "“" and looks_close and not looks_open):
                if ch in '"″' and looks_open and not looks_close:
                    continue  # a nested opener
                spans.append((pos + opened, pos + i))
                opened = None
        if opened is not None and len(line) - opened > 2:
            end = len(line.rstrip())
            spans.append((pos + opened, pos + end))
        pos += len(line) + 1
    return spans


# -- the document ----------------------------------------------------------------------------------

class _Doc:
    """One text being read: tokens, quotation spans, sentence ends, names, and who spoke last."""

    def __init__(self, text: str, mentions: list):
        self.text = text
        self.lex = _lexicon()
        self.toks = _doc_tokens(text)
        self.starts = [t.start for t in self.toks]
        self.spans = quote_spans(text)
        self.span_at = {o: (o, c) for o, c in self.spans}
        self.long_spans = [(o, c) for o, c in self.spans if self._words(o + 1, c) >= _MIN_SPEECH_WORDS]
        self.long_open = {o: c for o, c in self.long_spans}
        self.bounds = self._sentence_bounds()
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.mention_at = {}
        for m in self.mentions:
            k = self._index(m.start)
            if k is not None:
                self.mention_at.setdefault(k, m)
        self.names = self._names()
        self.last: _Speaker | None = None
        self.last_statement: _Speaker | None = None
        self.quotes: list[Quote] = []

    # basic lookups
    def _words(self, a: int, b: int) -> int:
        return sum(1 for m in _TOKEN.finditer(self.text, a, b) if m.group()[0].isalnum())

    def _index(self, char: int) -> int | None:
        k = bisect.bisect_left(self.starts, char)
        return k if k < len(self.toks) and self.toks[k].start == char else None

    def _inside_long(self, char: int) -> bool:
        return bool(self.long_spans) and any(o < char < c for o, c in self.long_spans)

    def _sentence_bounds(self) -> list[int]:
        bounds = []
        for m in _BOUND_CHARS.finditer(self.text):
            i, ch = m.start(), m.group()
            if ch == "\n":
                bounds.append(i)
            elif not self._inside_long(i):
                if ch == "." and 0 < i < len(self.text) - 1 and self.text[i - 1].isdigit() and self.text[i + 1].isdigit():
                    continue
                bounds.append(i)
        return bounds

    def sentence_end(self, char: int) -> int:
        k = bisect.bisect_left(self.bounds, char)
        return self.bounds[k] if k < len(self.bounds) else len(self.text)

    def sentence_start(self, char: int) -> int:
        k = bisect.bisect_left(self.bounds, char)
        return self.bounds[k - 1] + 1 if k else 0

    def is_in(self, k: int, name: str) -> bool:
        return self.toks[k].form in self.lex[name]

    # names: rank + name (`اللواء جون برينان`) and the NER's persons
    def _name_after(self, k: int) -> tuple[int, int] | None:
        """Token range of the name after a rank at k, skipping rank modifiers (`الفريق أول ركن`)."""
        n = len(self.toks)
        m = k + 1
        while m < n and (self.is_in(m, "rank_modifiers") or self.is_in(m, "ranks")):
            m += 1
        while m < n and self.toks[m].text in QUOTE_CHARS and self.toks[m].start not in self.long_open:
            m += 1
        first = m
        stops = ("prepositions", "time_words", "complements", "speech_nouns", "relatives", "person_nouns",
                 "institutions", "verbs", "participles", "according", "ranks")
        while m < n and m - first < 4:
            tok = self.toks[m]
            after_compound = m > first and self.toks[m - 1].form in ("عبد", "ابو", "ابن", "بن", "ابي")
            if not tok.word or (not after_compound and any(tok.form in self.lex[s] for s in stops)) or tok.form.isdigit():
                break
            if m > first and tok.form.startswith("و") and tok.form not in ("وليد", "وائل", "وسام", "وزير"):
                break
            if self.sentence_end(tok.start) < tok.start or "\n" in self.text[self.toks[m - 1].end:tok.start]:
                break
            m += 1
        return (first, m) if m > first else None

    def _names(self) -> list[tuple[int, int, str, int, int]]:
        """Every person name in the text: (first token, end token, display, start char, end char)."""
        found = {}
        for k, tok in enumerate(self.toks):
            if tok.form in self.lex["ranks"] and not self._inside_long(tok.start):
                span = self._name_after(k)
                if span:
                    found[span[0]] = self._name_entry(*span)
        for k, m in self.mention_at.items():
            if m.type == "PER" and k not in found:
                end = self._index_end(m.end)
                if end is not None and end > k:
                    found[k] = self._name_entry(k, end)
        return sorted(entry for entry in found.values() if entry is not None)

    def _index_end(self, char: int) -> int | None:
        k = bisect.bisect_left(self.starts, char)
        return k if k and self.toks[k - 1].end == char else None

    def _name_entry(self, a: int, b: int):
        words = [t for t in self.toks[a:b] if t.word]
        if not words:  # a "name" of punctuation or digits only (a tagger slip): no speaker there
            return None
        return (a, b, " ".join(t.text for t in words), words[0].start, words[-1].end)

    def full_name(self, name: str, before: int) -> str:
        """The longest name seen before `before` with the same surname skeleton (`برنين` -> `جون دبليو برنين`)."""
        key = name_skeleton(name)
        best = name
        for _, _, display, start, _ in self.names:
            if start < before and name_skeleton(display) == key and len(display.split()) > len(best.split()):
                best = display
        return best

    def speaker_of_name(self, a: int, b: int, before: int) -> _Speaker | None:
        entry = self._name_entry(a, b)
        if entry is None:
            return None
        return _Speaker(self.full_name(entry[2], before), entry[3], entry[4], "PER")

    # speaker resolution
    def resolve(self, a: int, b: int, cue: int, allow_prefix: bool = True) -> _Speaker | None:
        """The speaker named by tokens [a, b) after a cue, or None when there is none (a pronoun)."""
        head = []
        for k in range(a, b):
            tok = self.toks[k]
            if not tok.word:
                if tok.text in QUOTE_CHARS and tok.start not in self.long_open:
                    continue
                if tok.text in QUOTE_CHARS and tok.start in self.long_open:
                    break
                if head or tok.text not in "،,":
                    break
                continue
            if tok.form in self.lex["speech_nouns"]:
                break
            head.append(k)
        if head and _is_noun_in(self.toks[head[0]].form, self.lex["statement_nouns"]):
            rest = head[1:]
            while rest and (self.toks[rest[0]].form in self.lex["statement_fillers"]):
                rest = rest[1:]
            if not rest:
                return self.statement_issuer()
            return self._resolve_head(rest, cue) or self.statement_issuer()
        found = self._resolve_head(head, cue)
        if found is None and allow_prefix and (_strip_conj(self.toks[cue].form) == self.toks[cue].form
                                               or self.toks[cue].form.startswith("ف")):
            return self._prefix_subject(cue)  # `البيان أشار`, `وكان الرئيس … أعلن`; never for `وقال`
        return found

    def _resolve_head(self, head: list[int], cue: int) -> _Speaker | None:
        before = self.toks[cue].start
        for k in head:  # a rank and a name
            if self.toks[k].form in self.lex["ranks"]:
                span = self._name_after(k)
                if span and span[0] <= head[-1] + 1:
                    return self.speaker_of_name(*span, before=before)
        core = []
        for k in head:
            if self.toks[k].form in self.lex["prepositions"] or self.toks[k].form in self.lex["time_words"]:
                break
            core.append(k)
        if not core:
            return None
        for k in core:  # a person found by the NER
            m = self.mention_at.get(k)
            if m is not None and m.type == "PER":
                end = self._index_end(m.end) or k + 1
                if end == k + 1 and self.full_name(m.text, before) == m.text:
                    longer = self._name_after(k - 1)  # `جون` alone: read on as after a rank (`جون كيري`)
                    end = longer[1] if longer and longer[0] == k else end
                return self.speaker_of_name(k, end, before)
        if len(core) == 1:  # a surname seen in full before
            key = name_skeleton(self.toks[core[0]].text)
            if key and any(name_skeleton(n[2]) == key for n in self.names if n[3] < before):
                return self.speaker_of_name(core[0], core[0] + 1, before)
        if _is_noun_in(self.toks[core[0]].form, self.lex["institutions"]):
            if _is_noun_in(self.toks[core[0]].form, self.lex["statement_nouns"]):
                return self.statement_issuer()
            if len(core) == 1:
                return self.antecedent_org(core[0]) or self._span_speaker(core, "ORG")
            return self._span_speaker(core, "ORG")
        types = [self.mention_at[k].type for k in core if k in self.mention_at]
        if "LOC" in types or "ORG" in types:
            return self._span_speaker(core, "ORG" if "ORG" in types else "LOC")
        described = self.described_person(core, before)
        if described:
            return described
        return self._span_speaker(core, "PER" if types and types[0] == "PER" else None)

    def _span_speaker(self, core: list[int], kind: str | None) -> _Speaker:
        """The words as written, without a leading preposition clitic (`لمكتب` -> `مكتب`, `للجنة` -> `اللجنة`)."""
        words = [self.toks[k] for k in core if self.toks[k].word]
        first, start = words[0].text, words[0].start
        variants = _noun_variants(words[0].form)
        if words[0].form.startswith("لل") and len(variants) > 1:
            first = "ال" + first[2:] if variants[0] in self.lex["institutions"] or "ال" + variants[0] in self.lex["institutions"] \
                else "ا" + first[1:]
        elif words[0].form.startswith("ل") and variants[0] != words[0].form and variants[0] in self.lex["institutions"]:
            first, start = first[1:], start + 1
        name = " ".join([first] + [t.text for t in words[1:]])
        return _Speaker(name, start, words[-1].end, kind)

    def _prefix_subject(self, cue: int) -> _Speaker | None:
        """A subject written before the verb: `وكان الرئيس الأميركي، جو بايدن، أعلن`, `البيان أشار`."""
        start = self.sentence_start(self.toks[cue].start)
        first = bisect.bisect_left(self.starts, start)
        ks = [k for k in range(first, cue)]
        commas = [i for i, k in enumerate(ks) if self.toks[k].text in "،,"]
        if commas and not (ks and self.toks[ks[0]].form in _fold_set(["وكان", "وكانت", "كان", "كانت"])):
            ks = ks[commas[-1] + 1:]
        topic = bool(ks) and self.toks[ks[0]].form in _fold_set(["أما", "وأما"])
        if self.toks[cue].form.startswith("ف") and not topic:
            return None  # `فأكد` continues a clause; only `أما X فأكد` names its subject before it
        while ks and self.toks[ks[0]].form in _fold_set(["حيث", "لذلك", "كما", "أما", "وأما", "فيما", "بينما", "إذ",
                                                         "ثم", "وقد", "قد", "فقد", "لكن", "ولكن", "بل", "وبينما"]):
            ks = ks[1:]
        while ks and self.toks[ks[0]].form in _fold_set(["وكان", "وكانت", "كان", "كانت", "و", "ثم"]):
            ks = ks[1:]
        words = [k for k in ks if self.toks[k].word]
        if not words or len(words) > 8 or self.toks[words[0]].form in self.lex["prepositions"]:
            return None
        lead = self.toks[words[0]].form
        if not (lead.startswith("ال") or words[0] in self.mention_at or _is_noun_in(lead, self.lex["person_nouns"])
                or _is_noun_in(lead, self.lex["institutions"])):
            return None  # a subject is a noun phrase: `البيان`, `الرئيس …`, a name
        if any(self.toks[k].form in self.lex["verbs"] or _strip_conj(self.toks[k].form) in self.lex["verbs"] for k in words):
            return None
        return self.resolve(ks[0], cue, cue, allow_prefix=False)

    def antecedent_org(self, k: int) -> _Speaker | None:
        """`الخلية` -> the last `خلية الإعلام الأمني العراقي` (the noun with its definite words) before it."""
        nouns = set(_noun_variants(self.toks[k].form))
        for p in range(k - 1, -1, -1):
            if not self.toks[p].word or not nouns & set(_noun_variants(self.toks[p].form)):
                continue
            m = p + 1
            while m < len(self.toks) and m - p <= 5 and self.toks[m].word and self.toks[m].form.startswith("ال") \
                    and self.toks[m].form not in self.lex["time_words"] and self.toks[m].form not in self.lex["relatives"] \
                    and "\n" not in self.text[self.toks[m - 1].end:self.toks[m].start]:
                m += 1
            if m > p + 1:
                words = self.toks[p:m]
                return _Speaker(" ".join(t.text for t in words), words[0].start, words[-1].end, "ORG")
        return None

    def described_person(self, core: list[int], before: int) -> _Speaker | None:
        """A title or description used earlier right before a name (`وقال اللواء`, `رئيس خلية …`)."""
        forms = [self.toks[k].form for k in core]
        for length in range(min(len(forms), 4), 0, -1):
            if length == 1 and not (forms[0] in self.lex["ranks"] or forms[0] in self.lex["person_nouns"]
                                    or _strip_conj(forms[0]) in self.lex["person_nouns"]):
                continue
            want = [_strip_conj(f) for f in forms[:length]]
            best = None
            for a, b, display, start, end in self.names:
                if start >= before:
                    break
                words = [t for t in self.toks[max(0, a - 8):a] if t.word]
                got = [_strip_conj(t.form) for t in words]
                for off in range(len(got) - length + 1):
                    if got[off:off + length] == want and len(got) - off - length <= 4:
                        best = (a, b)
            if best:
                return self.speaker_of_name(*best, before=before)
        return None

    def statement_issuer(self) -> _Speaker | None:
        """Who issued the statement referred to as `البيان`: the last statement's speaker, else the last speaker."""
        found = self.last_statement or (self.last if self.last and self.last.type != "PER" else None)
        if found is None:
            return None
        return _Speaker(found.name, found.start, found.end, found.type, True)

    # cues
    def cue_kind(self, k: int) -> str | None:
        tok = self.toks[k]
        if not tok.cue:
            return None
        form, bare = tok.form, _strip_conj(tok.form)
        if k and self.toks[k - 1].form in self.lex["relatives"]:
            return None
        if form in self.lex["participles"] or bare in self.lex["participles"]:
            return "participle"
        if form in self.lex["transfer"] or bare in self.lex["transfer"]:
            return "transfer"
        if form in self.lex["according"] or bare in self.lex["according"]:
            return "according"
        if form in self.lex["came_in"]:
            return "came"
        if form in self.lex["verbs"] or bare in self.lex["verbs"]:
            return "verb"
        return None

    def complement(self, c: int, kind: str) -> tuple[int, str] | None:
        """The complement after cue c: (token index, 'that' | 'colon' | 'quote' | 'on'), within the sentence."""
        end = self.sentence_end(self.toks[c].start)
        limit = 4 if kind == "participle" else 30
        on = None
        verb = _strip_conj(self.toks[c].form)
        for j in range(c + 1, min(len(self.toks), c + 1 + limit)):
            tok = self.toks[j]
            if tok.start >= end:
                break
            if tok.start in self.long_open:
                between = [t for t in self.toks[c + 1:j] if t.word]
                if len(between) <= 4 and not any(t.form in self.lex["prepositions"] and t.form not in ("على", "علي")
                                                 for t in between):
                    return j, "quote"
                if not between or self.toks[j - 1].text in "،,:" or self.toks[j - 1].form in self.lex["complements"]:
                    return j, "quote"
                break
            if tok.text == ":":
                return j, "colon"
            if tok.form in self.lex["complements"]:
                return j, "that"
            if tok.word and self.cue_kind(j) in ("verb", "participle"):
                break
            if tok.form in ("على", "علي") and on is None and verb in self.lex["on_complement_verbs"]:
                on = j
        return (on, "on") if on is not None else None

    def content(self, j: int, how: str, c: int) -> tuple[int, int, bool] | None:
        """(start, end, direct) of what was said, from complement j."""
        k = j if how == "quote" else j + 1
        while k < len(self.toks) and self.toks[k].text in "،,:" and self.toks[k].start not in self.long_open:
            k += 1
        if k >= len(self.toks):
            return None
        start = self.toks[k].start
        if start in self.long_open:
            close = self.long_open[start]
            a, b = start + 1, close
            while a < b and self.text[a].isspace():
                a += 1
            while b > a and self.text[b - 1].isspace():
                b -= 1
            return (a, b, True) if b > a else None
        if self.sentence_end(start) < start or (k > j + 1 and how == "colon"):
            return None
        stop = self.sentence_end(start)
        for m in range(k + 1, len(self.toks)):
            if self.toks[m].start >= stop:
                break
            if self.cue_kind(m) == "participle" and not self._inside_long(self.toks[m].start):
                stop = self.toks[m].start
                break
        b = stop
        while b > start and (self.text[b - 1].isspace() or self.text[b - 1] in "،,:;-"):
            b -= 1
        return (start, b, False) if b > start else None

    def sentence_subject(self, c: int) -> _Speaker | None:
        """For a participle in a sentence with no quotation yet: the subject of its main verb (`أعلنت اللجنة …، مؤكدة`)."""
        start = self.sentence_start(self.toks[c].start)
        if any(q.start >= start for q in self.quotes):
            return None
        for v in range(bisect.bisect_left(self.starts, start), c):
            if self.cue_kind(v) in ("verb", "transfer"):
                stop = next((k for k in range(v + 1, c) if self.toks[k].text in "،,"), c)
                return self.resolve(v + 1, stop, cue=v, allow_prefix=False)
        return None

    def add(self, a: int, b: int, direct: bool, c: int, speaker: _Speaker | None) -> bool:
        if any(q.start < b and a < q.end for q in self.quotes):
            return False
        tok = self.toks[c]
        self.quotes.append(Quote(a, b, self.text[a:b], direct, tok.text, tok.start,
                                 speaker.name if speaker else None, speaker.start if speaker else None,
                                 speaker.end if speaker else None, speaker.type if speaker else None))
        if speaker is not None:
            self.last = speaker
        return True

    def mark_statement(self, first: int, last: int, speaker: _Speaker | None) -> None:
        """Remember the issuer when the words before the complement name a statement (`في بيان`)."""
        if speaker is None or speaker.statement:
            return
        for k in range(first, last):
            if _is_noun_in(self.toks[k].form, self.lex["statement_nouns"]) and \
                    not (k and _strip_conj(self.toks[k - 1].form) in self.lex["according"]):
                self.last_statement = speaker
                return

    def embedded_posts(self) -> None:
        """A post quoted as its own paragraph and signed on the next line: `— قاسم الاعرجي (@qassimalaraji) …`."""
        for m in _SIGNATURE.finditer(self.text):
            prev_end = m.start() - 1
            while prev_end > 0 and self.text[prev_end - 1] in " \t\n":
                prev_end -= 1
            prev_start = self.text.rfind("\n", 0, prev_end) + 1
            a, b = prev_start, prev_end
            while a < b and self.text[a] in " \t" + "".join(QUOTE_CHARS):
                a += 1
            while b > a and self.text[b - 1] in " \t" + "".join(QUOTE_CHARS):
                b -= 1
            if self._words(a, b) < _MIN_SPEECH_WORDS:
                continue
            name_start, name_end = m.start("name"), m.end("name")
            name = self.full_name(self.text[name_start:name_end], len(self.text))
            k = self._index(name_start)
            kind = "PER" if k is None or k not in self.mention_at or self.mention_at[k].type == "PER" else self.mention_at[k].type
            speaker = _Speaker(name, name_start, name_end, kind)
            self.quotes.append(Quote(a, b, self.text[a:b], True, m.group("dash"), m.start("dash"),
                                     speaker.name, speaker.start, speaker.end, speaker.type))

    def read(self) -> list[Quote]:
        self.embedded_posts()
        toks = self.toks
        for c in compress(range(len(toks)), [tok.cue for tok in toks]):  # most tokens cannot be a cue
            if self._inside_long(toks[c].start):
                continue
            kind = self.cue_kind(c)
            if kind == "according":
                self.according(c)
            elif kind is not None:
                self.reported(c, kind)
        return sorted(self.quotes, key=lambda q: q.start)

    def reported(self, c: int, kind: str) -> None:
        found = self.complement(c, kind)
        if found is None:
            return
        j, how = found
        region = (c + 1, j)
        relay = None
        if kind == "transfer":
            about = next((k for k in range(c + 1, j) if self.toks[k].form == "عن"), None)
            if about is None:
                kind = "verb"
            else:
                relay, region = (c + 1, about), (about + 1, j)
        if kind == "came":
            inside = next((k for k in range(c + 1, j) if self.toks[k].form == "في"), None)
            if inside is None:
                return
            region = (inside + 1, j)
        said = self.content(j, how, c)
        if said is None:
            return
        if kind == "participle":
            speaker = self.sentence_subject(c) or self.last
        else:
            speaker = self.resolve(*region, cue=c) or self.last
        if self.add(*said, c, speaker):
            start = bisect.bisect_left(self.starts, self.sentence_start(self.toks[c].start))
            if relay is not None:
                relayed = self.resolve(*relay, cue=c, allow_prefix=False)
                if relayed is not None and any(_is_noun_in(self.toks[k].form, self.lex["statement_nouns"])
                                               for k in range(*relay)):
                    self.last_statement = relayed
                else:
                    self.mark_statement(region[0] - 1, j, speaker)
            else:
                self.mark_statement(start, j, speaker)

    def according(self, c: int) -> None:
        """`وبحسب البيان، فإن …` (what follows) and `…، وفقا لما أوردته الوكالة.` (what came before)."""
        tok = self.toks[c]
        end = self.sentence_end(tok.start)
        k = c + 1
        while k < len(self.toks) and (self.toks[k].form in self.lex["according_fillers"] or self.toks[k].form in ("ل", "لـ")):
            k += 1
        src = []
        while k < len(self.toks) and self.toks[k].start < end and len(src) < 8:
            t = self.toks[k]
            if not t.word and t.text not in QUOTE_CHARS:
                break
            if t.start in self.long_open:
                break
            src.append(k)
            k += 1
        words = [m for m in src if self.toks[m].word]
        if not words:
            return
        first = self.toks[words[0]].form
        m = self.mention_at.get(words[0])
        valid = (_is_noun_in(first, self.lex["institutions"]) or _is_noun_in(first, self.lex["statement_nouns"])
                 or _is_noun_in(first, self.lex["person_nouns"]) or (m is not None and m.type in ("PER", "ORG")))
        if not valid:
            return
        speaker = self.resolve(words[0], words[-1] + 1, c, allow_prefix=False)
        if speaker is None:
            return
        sent_start = self.sentence_start(tok.start)
        lead = self.text[sent_start:tok.start].strip()
        if lead in ("", "و", "ف"):
            if k >= len(self.toks) or self.toks[k].text not in "،,":
                return
            a = self.toks[k + 1].start if k + 1 < len(self.toks) else end
            rest = self.text[a:end]
            for opener in ("فإن ", "فان ", "إن ", "ان ", "أن "):
                if rest.startswith(opener):
                    a += len(opener)
                    break
            b = end
            while b > a and (self.text[b - 1].isspace() or self.text[b - 1] in "،,"):
                b -= 1
            if b > a:
                self.add(a, b, False, c, speaker)
        elif self.toks[k - 1].end >= end - 1 or k >= len(self.toks) or self.toks[k].start >= end:
            before = self.text[sent_start:tok.start].rstrip()
            if not before.endswith(("،", ",")):
                return
            a = sent_start
            while a < tok.start and self.text[a].isspace():
                a += 1
            b = len(before.rstrip("،, ")) + sent_start
            if b > a and not any(self.cue_kind(m) in ("verb", "transfer") and self.complement(m, "verb")
                                 for m in range(bisect.bisect_left(self.starts, a), c)):
                self.add(a, b, False, c, speaker)


def find_quotes(text: str, mentions: list | None = None) -> list[Quote]:
    """Quotations in `text`, in order of appearance, each with its cue and resolved speaker.

    `mentions` are entity mentions with offsets into `text` (`rasd.ner.Mention`); by default the
    shipped NER finds them.
    """
    if not isinstance(text, str):
        raise QuotesError(f"find_quotes needs a str, not {type(text).__name__}")
    if mentions is None:
        from .ner import find_mentions

        mentions = find_mentions(text)
    return _Doc(text, list(mentions)).read()


# -- grouping across articles -------------------------------------------------------------------

def speaker_key(quote: Quote) -> str | None:
    """A spelling-tolerant key: persons by surname skeleton, others by their folded name without `ال`."""
    if not quote.speaker:
        return None
    if quote.speaker_type == "PER":
        return "PER:" + name_skeleton(quote.speaker)
    words = [re.sub(r"^ال(?=..)", "", w) for w in matching_form(quote.speaker).replace('"', " ").split()]
    generic = {re.sub(r"^ال", "", w) for w in _lexicon()["org_generic"]}
    while len(words) > 1 and words[0] in generic:
        words = words[1:]
    return f"{quote.speaker_type or 'X'}:" + " ".join(words)


def _merge_prefixes(groups: dict) -> dict:
    """Fold an institution's short name into its one longer name: `التحالف` into `قوات التحالف الدولي`."""
    keys = [k for k in groups if k and not k.startswith("PER:")]
    for short in sorted(keys, key=len):
        kind, _, words = short.partition(":")
        longer = [k for k in keys if k != short and k in groups and k.partition(":")[2].startswith(words + " ")]
        if len(longer) == 1 and short in groups:
            groups[longer[0]].extend(groups.pop(short))
    return groups


def group_quotes(items: list[tuple[str, Quote]], key=None) -> list[dict]:
    """Quotes of the same speaker across articles and spellings, most quoted speaker first.

    `items` are (article_id, quote); `key(quote)` gives the grouping key (default `speaker_key`).
    Quotes without a speaker are grouped last under `"speaker": None`.
    """
    default = key is None
    key = key or speaker_key
    groups: dict = {}
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Quote)):
            raise QuotesError(f"group_quotes items must be (article_id, Quote), got {item!r:.80}")
        article_id, quote = item
        groups.setdefault(key(quote), []).append((article_id, quote))
    if default:
        groups = _merge_prefixes(groups)
    out = []
    for group_key, members in groups.items():
        names = Counter(q.speaker for _, q in members if q.speaker)
        display = max(names, key=lambda n: (len(n.split()), names[n])) if names else None
        out.append({"speaker": display if group_key is not None else None,
                    "speaker_type": Counter(q.speaker_type for _, q in members).most_common(1)[0][0],
                    "quotes": merge_repeats([{"article_id": a, "text": q.text, "cue": q.cue, "direct": q.direct,
                                              "start": q.start, "end": q.end} for a, q in members])})
    return sorted(out, key=lambda g: (g["speaker"] is None, -len(g["quotes"]), g["speaker"] or ""))


_REPEAT_JACCARD = 0.6  # word sets this alike: one statement carried by several outlets (`الاٍرهاب`/`الإرهاب`)
_REPEAT_COVER = 0.85  # ...or the shorter this much inside the longer (a cut or a longer extract of it)


def _quote_words(text: str) -> frozenset[str]:
    return frozenset(w for w in matching_form(text).split() if len(w) > 1 and not w.isdigit()) or frozenset([text])


def merge_repeats(quotes: list[dict]) -> list[dict]:
    """One speaker's quotes (dicts with `article_id` and `text`) with each statement once: near-identical
    texts from several articles (a minister's statement in six outlets, spelt a little differently) become
    one entry citing all of them in `article_ids`; its text, offsets and `article_id` are the first's."""
    merged: list[tuple[frozenset[str], dict]] = []
    for quote in quotes:
        words = _quote_words(quote["text"])
        for known, entry in merged:
            shared = len(words & known)
            if shared / len(words | known) >= _REPEAT_JACCARD or \
                    (min(len(words), len(known)) >= 5 and shared / min(len(words), len(known)) >= _REPEAT_COVER):
                entry["article_ids"] += [a for a in quote.get("article_ids") or [quote["article_id"]]
                                         if a not in entry["article_ids"]]
                break
        else:  # already merged entries keep what they cite
            merged.append((words, dict(quote, article_ids=list(quote.get("article_ids") or [quote["article_id"]]))))
    return [entry for _, entry in merged]


# -- evaluation against hand-labelled gold ------------------------------------------------------

def same_speaker(predicted: str | None, gold: str | None) -> bool:
    """Whether two speaker names denote the same speaker: one surname skeleton, or one name the start of the other."""
    if not predicted or not gold:
        return predicted == gold
    if name_skeleton(predicted) == name_skeleton(gold):
        return True
    generic = {re.sub(r"^ال", "", w) for w in _lexicon()["org_generic"]}

    def words(name: str) -> list[str]:
        out = [re.sub(r"^ال(?=..)", "", w) for w in matching_form(name).replace('"', " ").split()]
        while len(out) > 1 and out[0] in generic:
            out = out[1:]
        return out
    a, b = words(predicted), words(gold)
    shorter, longer = sorted((a, b), key=len)
    return longer[:len(shorter)] == shorter


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return max(0, inter) / max(1, min(a[1] - a[0], b[1] - b[0]))


def score_quotes(gold: list[dict], predicted: dict[str, list[Quote]]) -> dict:
    """Span P/R/F1 (a match overlaps half of the shorter span), and speaker/direct accuracy on the matches.

    `gold` rows are `{"article", "start", "end", "text", "direct", "speaker"}`; only the articles named
    in the gold are scored.
    """
    articles = {row["article"] for row in gold}
    preds = [(a, q) for a in articles for q in predicted.get(a, [])]
    used: set[int] = set()
    matched, speakers, directs = 0, 0, 0
    misses = []
    for row in gold:
        best, best_i = 0.0, None
        for i, (a, q) in enumerate(preds):
            if a == row["article"] and i not in used:
                score = _overlap((q.start, q.end), (row["start"], row["end"]))
                if score > best:
                    best, best_i = score, i
        if best_i is None or best < 0.5:
            misses.append({"article": row["article"], "text": row["text"][:80], "speaker": row["speaker"]})
            continue
        used.add(best_i)
        q = preds[best_i][1]
        matched += 1
        speakers += same_speaker(q.speaker, row.get("speaker"))
        directs += q.direct == bool(row.get("direct"))
    p = matched / len(preds) if preds else 0.0
    r = matched / len(gold) if gold else 0.0
    return {"gold": len(gold), "predicted": len(preds), "matched": matched, "precision": round(p, 4),
            "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "speaker_accuracy": round(speakers / matched, 4) if matched else 0.0,
            "direct_accuracy": round(directs / matched, 4) if matched else 0.0,
            "missed": misses,
            "spurious": [{"article": a, "text": q.text[:80], "speaker": q.speaker}
                         for i, (a, q) in enumerate(preds) if i not in used]}


def load_gold(path, fields: tuple[str, ...] = ("article", "start", "end", "text", "direct", "speaker")) -> list[dict]:
    """Rows of a gold JSONL file; raises QuotesError naming the line that is malformed."""
    from pathlib import Path

    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise QuotesError(f"cannot read gold file {path}: {err}") from None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise QuotesError(f"{path}:{lineno}: malformed JSON ({err.msg})") from None
        missing = [f for f in fields if f not in row] if isinstance(row, dict) else list(fields)
        if missing:
            raise QuotesError(f"{path}:{lineno}: gold row lacks {', '.join(missing)}")
        rows.append(row)
    if not rows:
        raise QuotesError(f"{path}: no gold rows")
    return rows
