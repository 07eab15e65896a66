"""Train the NER tagger (CRF) on ANERcorp train; report entity F1 on a held-out dev split; ship the model.

    python scripts/train_ner.py ../shared/data/anercorp/train.txt            # dev score, then final model
    python scripts/train_ner.py ../shared/data/anercorp/train.txt --grid     # also tune c1/c2 on dev

The dev split is the last 10% of train's sentences (ANERcorp's official split is sequential too).
The model scored on dev is trained without it; the shipped model is then trained on all of train.
Gazetteer features are built cross-fold: each fifth of the training sentences gets its gazetteer
from the other four fifths, so the CRF learns how far a name seen elsewhere can be trusted on new
text rather than trusting its own training labels. The gazetteer also keys names' words by their
clitic-stripped form (`sPER+` for `بغداد` seen only as `وبغداد`). Word clusters come from
`scripts/train_word_clusters.py`. Writes `rasd/data/ner.crfsuite` and `rasd/data/ner_lexicon.json.gz`.
"""
from __future__ import annotations

import argparse
import gettext
import gzip
import json
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from rasd.conll import chunks, read_gold, score, split_dev
from rasd.ner import (CLUSTERS_PATH, LEXICON_PATH, MODEL_PATH, PAIRS, WINDOW, Featurizer, Lexicon, Tagger, read_json_gz,
                      tokenize)
from rasd.normalize import matching_form

FOLDS = 5


def country_names() -> dict[str, list[str]]:
    """Gazetteer tags from pycountry's Arabic country names: `CTRY` for one-word names, else `CTRYm`."""
    import pycountry

    arabic = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"]).gettext
    tags: dict[str, set[str]] = defaultdict(set)
    for country in pycountry.countries:
        for name in {country.name, getattr(country, "common_name", country.name)}:
            words = [t for t, _, _ in tokenize(matching_form(arabic(name))) if t.isalpha()]
            for word in words:
                tags[word].add("CTRY" if len(words) == 1 else "CTRYm")
    return {word: sorted(t) for word, t in tags.items()}


def _inside(forms_of: list[list[str]], sentences: list) -> tuple[Counter, dict[str, Counter]]:
    """How often each form is seen, and how often inside a name of each type."""
    seen: Counter = Counter()
    inside: dict[str, Counter] = defaultdict(Counter)
    for forms, (_, tags) in zip(forms_of, sentences):
        seen.update(f for f in forms if f)
        for kind, start, end in chunks(tags):
            for form in forms[start:end]:
                if form:
                    inside[form][kind] += 1
    return seen, inside


def gazetteer(sentences: list[tuple[list[str], list[str]]], extra: dict[str, list[str]],
              strip: Lexicon | None = None) -> dict[str, list[str]]:
    """Matching form -> tags like `PER+` (inside a PER name at least half the times it is seen) or `PER-`.

    With `strip` (a lexicon for `strip_clitics`), words seen behind clitics also give their bare
    form `sPER+`/`sPER-` tags, unless the bare form has its own tag of that type.
    """
    forms_of = [[matching_form(t) for t in tokens] for tokens, _ in sentences]
    seen, inside = _inside(forms_of, sentences)
    table = {form: list(tags) for form, tags in extra.items()}
    for form, kinds in inside.items():
        table.setdefault(form, []).extend(f"{kind}{'+' if n * 2 >= seen[form] else '-'}" for kind, n in sorted(kinds.items()))
    if strip is not None:
        stripped_of = [[word if clitics else "" for clitics, word in map(strip.strip_clitics, forms)] for forms in forms_of]
        seen, inside = _inside(stripped_of, sentences)
        for form, kinds in inside.items():
            tags = table.setdefault(form, [])
            for kind, n in sorted(kinds.items()):
                if f"{kind}+" not in tags and f"{kind}-" not in tags:
                    tags.append(f"s{kind}{'+' if n * 2 >= seen[form] else '-'}")
    return table


def lexicon(sentences: list, clusters: dict, countries: dict) -> Lexicon:
    """The lexicon learned from these sentences: the word clusters and their gazetteer."""
    return Lexicon(clusters, gazetteer(sentences, countries, Lexicon(clusters, {})))


def crossfold_features(sentences: list, clusters: dict, countries: dict) -> list[list[list[str]]]:
    """Features of each sentence with a lexicon learned from the other folds."""
    size = -(-len(sentences) // FOLDS)
    out = []
    for k in range(FOLDS):
        held = sentences[k * size:(k + 1) * size]
        rest = sentences[:k * size] + sentences[(k + 1) * size:]
        featurizer = Featurizer(lexicon(rest, clusters, countries))
        out.extend(featurizer.sequence(tokens) for tokens, _ in held)
    return out


def train(sentences: list, clusters: dict, countries: dict, model_path: Path, c1: float, c2: float,
          iterations: int) -> Lexicon:
    """Train a CRF on `sentences` into `model_path`; returns the lexicon to tag new text with."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, (_, tags) in zip(crossfold_features(sentences, clusters, countries), sentences):
        trainer.append(xseq, tags)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations, "feature.possible_transitions": True})
    trainer.train(str(model_path))
    return lexicon(sentences, clusters, countries)


def evaluate(model_path: Path, lexicon: Lexicon, sentences: list) -> dict:
    tagger = Tagger(model_path, lexicon)
    started = time.perf_counter()
    predicted = [tagger.tag(tokens) for tokens, _ in sentences]
    seconds = time.perf_counter() - started
    result = score([tags for _, tags in sentences], predicted)
    result["tokens_per_second"] = round(result["tokens"] / seconds)
    return result


def show(label: str, result: dict) -> None:
    micro = result["micro"]
    per_type = "  ".join(f"{k} {v['f1']:.4f}" for k, v in result["types"].items())
    print(f"{label}: micro P {micro['precision']:.4f} R {micro['recall']:.4f} F1 {micro['f1']:.4f} | {per_type}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("--c1", type=float, default=0.2)
    parser.add_argument("--c2", type=float, default=0.01)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--grid", action="store_true", help="Tune c1/c2 on the dev split first.")
    parser.add_argument("--no-final", action="store_true", help="Only score on dev; do not write the shipped model.")
    parser.add_argument("--report", type=Path, default=Path("eval/ner-dev-report.json"))
    parser.add_argument("--dev-model", type=Path, help="Also keep the model trained without dev here.")
    args = parser.parse_args()

    with args.train.open(encoding="utf-8") as lines:
        sentences = read_gold(lines.read().splitlines(), str(args.train))
    clusters = read_json_gz(CLUSTERS_PATH)["words"]
    countries = country_names()
    fit, dev = split_dev(sentences)
    print(f"{len(sentences)} sentences: {len(fit)} to fit, {len(dev)} dev ({sum(len(t) for t, _ in dev)} tokens)")

    settings = [(args.c1, args.c2)]
    if args.grid:
        settings = [(c1, c2) for c1 in (0.05, 0.2, 0.5) for c2 in (0.01, 0.05)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for c1, c2 in settings:
            started = time.time()
            model = Path(tmp) / f"dev-{c1}-{c2}.crfsuite"
            learned = train(fit, clusters, countries, model, c1, c2, args.iterations)
            results[(c1, c2)] = evaluate(model, learned, dev)
            show(f"dev c1={c1} c2={c2} ({time.time() - started:.0f}s)", results[(c1, c2)])
        c1, c2 = max(results, key=lambda k: results[k]["micro"]["f1"])
        if args.dev_model:
            shutil.copyfile(Path(tmp) / f"dev-{c1}-{c2}.crfsuite", args.dev_model)
    best = results[(c1, c2)]
    report = {
        "what": "entity micro F1 (exact span, conlleval) on the last 10% of ANERcorp train's sentences, "
                "by a model trained on the first 90% only",
        "c1": c1, "c2": c2, "iterations": args.iterations, "crossfold_gazetteer_folds": FOLDS,
        "window": {str(k): list(v) for k, v in WINDOW.items()}, "pairs": [list(p) for p in PAIRS],
        "grid": {f"c1={a} c2={b}": round(r["micro"]["f1"], 4) for (a, b), r in results.items()},
        **{k: best[k] for k in ("sentences", "tokens", "accuracy", "types", "micro")},
    }
    if args.report.exists():  # the neural section is train_ner_neural.py's: keep it
        previous = json.loads(args.report.read_text(encoding="utf-8"))
        report.update({k: v for k, v in previous.items() if k.startswith("neural")})
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"best c1={c1} c2={c2}: dev micro F1 {best['micro']['f1']:.4f} -> {args.report}")
    if args.no_final:
        return
    started = time.time()
    learned = train(sentences, clusters, countries, MODEL_PATH, c1, c2, args.iterations)
    table = {"source": "ANERcorp train (CAMeL split) and pycountry's Arabic country names", "gazetteer": learned.gazetteer}
    LEXICON_PATH.write_bytes(gzip.compress(json.dumps(table, ensure_ascii=False, sort_keys=True).encode("utf-8"), 9, mtime=0))
    print(f"final model on all {len(sentences)} sentences ({time.time() - started:.0f}s) -> {MODEL_PATH} "
          f"({MODEL_PATH.stat().st_size // 1024} KB), {LEXICON_PATH} ({LEXICON_PATH.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
