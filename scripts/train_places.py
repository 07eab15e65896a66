"""Learn which stems name places, from SaudiNewsNet: the NER tagger's reading and "منطقة X" phrases.

    python scripts/train_places.py ../shared/data/saudinewsnet rasd/data/places.json

The NER gazetteer (ANERcorp's) knows countries and world capitals but few Saudi towns and regions
(عسير, أبها, الطائف, أملج), where most of a Saudi day's "same kind of happening elsewhere" pairs
are (rain on Taif and on Umluj, two regions' health inspections). Two readings of every article's
title and opening, each keeping a stem seen in it at least `--min-count` times:
- the shipped tagger's: a stem it reads inside a location most of the times it occurs (`--min-share`);
  it knows Makkah and Madinah but seldom tags the regions (عسير in 9% of its occurrences);
- the word after a place noun (منطقة, محافظة, مدينة, العاصمة, with ب/ل): a stem found there in at
  least `--min-after` of its occurrences (عسير 43%, الطائف 17%, الرياض 16%; المدينة itself 4%,
  الشرقية 4%, so the nouns and adjectives that also follow them stay out).

A third reading keeps whole words (`features.place_key`: folded, `ال` kept, other clitics off) for towns whose
stem is a common word's or too rare there: بريدة (stem ريد, as البريد), الخرج (خرج, "went out"), عنيزة,
بيشة. A word is kept when at least `--min-town` of its occurrences follow a town noun (محافظة, مدينة,
العاصمة) or a governor (محافظ), or a capital's adjective (العاصمة العمانية مسقط): unlike منطقة, no adjective follows those (منطقة خالية, منطقة حدودية).
The words also hold the adjectives of the gazetteer's countries named `...يا` (التركية, الروسي of تركيا,
روسيا), whose stems are common words' (ترك "left", روس): "البورصة التركية" names a place.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from train_idf import distinct_records

from rasd.cluster import _gazetteer_stems
from rasd.features import _light, _stem, _stems_of, place_key, title_words
from rasd.normalize import fold_stem_letters
from rasd.ner import _sentences, load_tagger, tokenize

LEDE_CHARS = 400  # tagged: the title and the opening, where a story says where it happened
PATTERN_CHARS = 1500
PLACE_NOUNS = {prefix + noun for prefix in ("", "ب", "ل") for noun in ("منطقة", "منطقه", "محافظة", "محافظه", "مدينة", "مدينه")}
PLACE_NOUNS |= {"العاصمة", "العاصمه"}
TOWN_NOUNS = {fold_stem_letters(prefix + noun).casefold() for prefix in ("", "و", "ب", "ل")
              for noun in ("محافظة", "محافظه", "مدينة", "مدينه", "العاصمة", "العاصمه", "محافظ")}
CAPITAL_NOUNS = {word for word in TOWN_NOUNS if word.endswith(("العاصمة", "العاصمه"))}


def after_place_nouns(folder: Path) -> tuple[Counter, Counter]:
    """(stem -> times right after a place noun, stem -> times read) over titles and openings."""
    after, seen = Counter(), Counter()
    for record in distinct_records(folder):
        text = (record.get("title") or "") + "\n" + (record.get("content") or "")[:PATTERN_CHARS]
        previous = None
        for word, _, _ in tokenize(text):
            for stem in _stems_of(_light(word)):
                seen[stem] += 1
                after[stem] += previous in PLACE_NOUNS
            previous = word
    return after, seen


def after_town_nouns(folder: Path) -> tuple[Counter, Counter]:
    """(place key -> times right after a town noun or a governor, or after a capital and its country's adjective
    (العاصمة العمانية مسقط), place key -> times read) over titles and openings."""
    after, seen = Counter(), Counter()
    for record in distinct_records(folder):
        before = previous = ""
        for word in title_words((record.get("title") or "") + "\n" + (record.get("content") or "")[:PATTERN_CHARS]):
            key = place_key(word)
            seen[key] += 1
            after[key] += previous in TOWN_NOUNS or (before in CAPITAL_NOUNS and previous.endswith(("ية", "يه")))
            before, previous = previous, word
    return after, seen


def tagged(folder: Path) -> tuple[Counter, Counter, int]:
    """(stem -> times read inside a LOC mention, stem -> times read, articles)."""
    tagger = load_tagger()
    as_place, seen, articles = Counter(), Counter(), 0
    batch: list[list[str]] = []

    def flush() -> None:
        for tokens, tags in zip(batch, tagger.tag_many(batch)):
            for token, tag in zip(tokens, tags):
                for stem in _stems_of(_light(token)):
                    seen[stem] += 1
                    as_place[stem] += tag.endswith("LOC")
        batch.clear()

    for record in distinct_records(folder):
        articles += 1
        for text in (record.get("title") or "", (record.get("content") or "")[:LEDE_CHARS]):
            batch.extend([t for t, _, _ in sentence] for sentence in _sentences(tokenize(text), text))
        if len(batch) >= 2000:
            flush()
    flush()
    return as_place, seen, articles


def country_adjectives(seen: Counter) -> set[str]:
    """Place keys of the adjectives of the gazetteer's countries and regions named `...يا`, read in the corpus."""
    from rasd.ner import LEXICON_PATH, read_json_gz

    out = set()
    for word, tags in read_json_gz(LEXICON_PATH)["gazetteer"].items():
        base = word[2:] if word.startswith("ال") else word
        if not {"CTRY", "CTRYm", "LOC+"} & set(tags) or not base.endswith("يا") or len(base) < 5:
            continue
        for form in ("ال" + base[:-2] + "ية", "ال" + base[:-2] + "ي"):
            out.update(key for key in map(place_key, title_words(form)) if seen[key] >= 5)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--min-share", type=float, default=0.6)
    parser.add_argument("--min-after", type=float, default=0.15)
    parser.add_argument("--min-town", type=float, default=0.1)
    args = parser.parse_args()
    as_place, seen, articles = tagged(args.folder)
    places = {stem for stem, n in as_place.items() if n >= args.min_count and n >= args.min_share * seen[stem]}
    after, seen = after_place_nouns(args.folder)
    places |= {stem for stem, n in after.items() if n >= args.min_count and n >= args.min_after * seen[stem]}
    places = sorted(stem for stem in places if len(stem) >= 3)
    after, seen = after_town_nouns(args.folder)
    words = {key for key, n in after.items() if n >= args.min_count and n >= args.min_town * seen[key] and len(key) >= 3}
    known = set(places) | _gazetteer_stems(("CTRY", "LOC+"))  # the stems `cluster.place_stems` will hold
    words = sorted(key for key in words | country_adjectives(seen) if _stem(key) and _stem(key) not in known)
    table = {"source": "SaudiNewsNet (Alhagri 2015) titles and openings: rasd's NER tagger and place-noun phrases; stems, and words after town nouns",
             "articles": articles, "min_count": args.min_count, "min_share": args.min_share,
             "min_after": args.min_after, "min_town": args.min_town, "stems": places, "words": words}
    args.out.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(places)} place stems and {len(words)} place words from {articles} articles -> {args.out}")


if __name__ == "__main__":
    main()
