"""NER: tokens and offsets on real Arabic text, conlleval scoring, the shipped tagger, `rasd tag`/`rasd eval ner`."""
import json

import pytest

from rasd.conll import ConllError, chunks, decode, read_gold, score
from rasd.ner import Mention, find_mentions, find_mentions_many, tag_sentences, tag_tokens, tokenize

from .conftest import FIXTURES, SEEDS, run_rasd

GOLD = FIXTURES / "ner-seeds.conll"


@pytest.mark.parametrize("text, expected", [
    ("أعلنت بغداد، الخميس، إجلاء أكثر من 2100 شحنة.", ["أعلنت", "بغداد", "،", "الخميس", "،", "إجلاء", "أكثر", "من", "2100", "شحنة", "."]),
    ("مستشار الأمن القومي \"قاسم الأعرجي\"", ["مستشار", "الأمن", "القومي", '"', "قاسم", "الأعرجي", '"']),
    ("وللتحالف الدولي (البرية، والجوية)", ["وللتحالف", "الدولي", "(", "البرية", "،", "والجوية", ")"]),  # clitics stay on
    ("نمو بنسبة 4.3% و15% في 2014؟", ["نمو", "بنسبة", "4.3%", "و15%", "في", "2014", "؟"]),             # as ANERcorp writes numbers
    ("اجتماعاً سيَستمـر “داعش”", ["اجتماعاً", "سيَستمـر", "“", "داعش", "”"]),                           # marks and tatweel inside words
])
def test_ner_tokenize_splits_punctuation_keeps_clitics(text, expected):
    found = tokenize(text)
    assert [t for t, _, _ in found] == expected
    assert all(text[start:end] == token for token, start, end in found)


def test_ner_chunks_follow_conlleval():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "B-LOC", "I-ORG", "I-PER"]
    assert chunks(tags) == [("PER", 0, 2), ("LOC", 3, 5), ("LOC", 5, 6), ("LOC", 6, 7), ("ORG", 7, 8), ("PER", 8, 9)]


def test_ner_score_counts_exact_spans_only():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "I-ORG", "B-MISC"]]  # PER cut short, a spurious MISC
    result = score(gold, pred)
    assert (result["micro"]["correct"], result["micro"]["gold"], result["micro"]["predicted"]) == (2, 3, 4)
    assert result["micro"]["precision"] == pytest.approx(2 / 4) and result["micro"]["recall"] == pytest.approx(2 / 3)
    assert result["types"]["PER"]["f1"] == 0.0 and result["types"]["LOC"]["f1"] == 1.0
    assert result["types"]["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "gold": 0, "predicted": 1, "correct": 0}


def test_ner_read_gold_maps_pers_and_names_bad_lines():
    sentences = read_gold(["جون B-PERS", "برينان I-PERS", "", "", "العراق NNP B-LOC"], "x.conll")
    assert sentences == [(["جون", "برينان"], ["B-PER", "I-PER"]), (["العراق"], ["B-LOC"])]
    with pytest.raises(ConllError, match=r"x\.conll:2: .*'العراق'"):
        read_gold(["جون B-PER", "العراق"], "x.conll")
    with pytest.raises(ConllError, match=r"x\.conll:1:"):
        read_gold(["جون PERSON"], "x.conll")
    with pytest.raises(ConllError, match=r"x\.conll:3: not UTF-8"):
        decode("جون O\n\nبغداد O\n".encode("utf-8")[:-9] + b"\xff\xfe O\n", "x.conll")


@pytest.mark.parametrize("sentence, entity, kind", [
    ("وعرض اللواء جون برينان ، بحسب البيان ، أن التحالف سينهي عملية الانتقال .", "جون برينان", "PER"),
    ("وأكد مستشار الامن القومي العراقي قاسم الاعرجي ، أن التعاون سيستمر .", "قاسم الاعرجي", "PER"),
    ("وأبقت الولايات المتحدة على قوات قوامها 2500 جندي في العراق منذ 2020 .", "العراق", "LOC"),
    ("وأبقت الولايات المتحدة على قوات قوامها 2500 جندي في العراق منذ 2020 .", "الولايات المتحدة", "LOC"),
    ("وجاءت تصريحات ماكنزي خلال مراسم جرت ببغداد للترحيب بالقائد الجديد .", "ببغداد", "LOC"),
])
def test_ner_tags_seed_entities(sentence, entity, kind):
    tokens = sentence.split()
    tags = tag_tokens(tokens)
    assert len(tags) == len(tokens)
    found = {(" ".join(tokens[s:e]), k) for k, s, e in chunks(tags)}
    assert (entity, kind) in found, found


def test_ner_tag_sentences_matches_tag_tokens():
    sentences = [[t for t, _, _ in tokenize(line)] for line in ["أعلنت بغداد، الخميس، إجلاء المعدات.", "", "قال الأعرجي."]]
    assert tag_sentences(sentences) == [tag_tokens(s) for s in sentences]
    assert tag_sentences(sentences)[1] == []


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_ner_find_mentions_offsets_slice_the_display_text(seed):
    text = seed.read_text(encoding="utf-8")
    mentions = find_mentions(text)
    assert mentions and all(isinstance(m, Mention) for m in mentions)
    bounds = {s for _, s, _ in tokenize(text)}, {e for _, _, e in tokenize(text)}
    for m in mentions:
        assert text[m.start:m.end] == m.text and m.type in {"PER", "ORG", "LOC", "MISC"}
        assert m.start in bounds[0] and m.end in bounds[1]  # never inside a token
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    assert any(m.type == "LOC" and m.text.endswith("العراق") for m in mentions)


def test_ner_find_mentions_many_tags_as_one_text_at_a_time():
    """An ingest worker tags its chunk of articles together: each text gets its own tokens and mentions,
    as tagged alone (an empty text and a one-word one among them)."""
    texts = [seed.read_text(encoding="utf-8") for seed in SEEDS]
    records = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))
    texts += ["", "الرياض"] + [r["content"] for r in records[:12]]
    found = find_mentions_many(texts)
    assert [m for _, m in found] == [find_mentions(text) for text in texts]
    assert [t for t, _ in found] == [tokenize(text) for text in texts]
    assert sum(len(m) for _, m in found) > 50


def test_ner_find_mentions_of_known_names():
    text = "ونوه البيان إلى أن اجتماعا جرى، الخميس، بين مستشار الأمن القومي \"قاسم الأعرجي\"، مع قائد قوات التحالف الدولي في العراق \"جون برينان\"."
    found = {(m.text, m.type) for m in find_mentions(text)}
    assert {("قاسم الأعرجي", "PER"), ("العراق", "LOC"), ("جون برينان", "PER")} <= found


def conll_input(tmp_path):
    """A CoNLL file with an extra column, two blank lines in a row and a trailing blank line."""
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    lines = [f"{line.split()[0]} X {line.split()[1]}" if line.strip() else "" for line in lines]
    lines.insert(lines.index("") + 1, "")
    path = tmp_path / "in.conll"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, lines


def test_cli_tag_keeps_tokens_order_and_blank_lines(tmp_path):
    path, lines = conll_input(tmp_path)
    proc = run_rasd("tag", str(path), check=True)
    out = proc.stdout.splitlines()
    assert len(out) == len(lines)
    for src, line in zip(lines, out):
        if not src:
            assert line == ""
            continue
        token, tag = line.split("\t")
        assert token == src.split()[0] and (tag == "O" or tag[:2] in {"B-", "I-"})
    stdin = run_rasd("tag", input=path.read_text(encoding="utf-8"), check=True)
    assert stdin.stdout == proc.stdout
    tags = [line.split("\t")[1] for line in out if line]
    assert {t[2:] for t in tags if t != "O"} >= {"PER", "LOC"}


def test_cli_eval_ner_scores_agree_with_rasd_tag(tmp_path):
    result = json.loads(run_rasd("eval", "ner", str(GOLD), "--json", check=True).stdout)
    assert set(result["types"]) >= {"PER", "LOC", "ORG"} and result["tokens"] == sum(1 for l in GOLD.read_text().splitlines() if l.strip())
    tagged = run_rasd("tag", str(GOLD), check=True).stdout.splitlines()
    gold = read_gold(GOLD.read_text(encoding="utf-8").splitlines(), "gold")
    predicted = read_gold(tagged, "tagged")
    assert result["micro"] == score([t for _, t in gold], [t for _, t in predicted])["micro"]
    (tmp_path / "own.conll").write_text("\n".join(tagged) + "\n", encoding="utf-8")
    own = json.loads(run_rasd("eval", "ner", str(tmp_path / "own.conll"), "--json", check=True).stdout)
    assert own["micro"]["f1"] == 1.0  # the tagger agrees with itself
    text = run_rasd("eval", "ner", str(GOLD), check=True).stdout
    assert "micro" in text and f"{result['micro']['f1']:.4f}" in text and "PER" in text


@pytest.mark.parametrize("content, where", [
    ("جون B-PER\nبرينان\n", "bad.conll:2"),
    ("جون B-PER\n\nالعراق LOC\n", "bad.conll:3"),
    (b"\xd8\xac\xd9\x88\xd9\x86 O\n\xff O\n", "bad.conll:2"),
])
def test_cli_eval_ner_names_file_and_line(tmp_path, content, where):
    path = tmp_path / "bad.conll"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    proc = run_rasd("eval", "ner", str(path))
    assert proc.returncode == 1 and where in proc.stderr


def test_cli_tag_missing_and_undecodable_files(tmp_path):
    missing = run_rasd("tag", str(tmp_path / "nope.conll"))
    assert missing.returncode == 1 and "nope.conll" in missing.stderr
    (tmp_path / "bin.conll").write_bytes(b"\xd8\xac O\n\n\xff\xfe\n")
    bad = run_rasd("tag", str(tmp_path / "bin.conll"))
    assert bad.returncode == 1 and "bin.conll:3" in bad.stderr and "UTF-8" in bad.stderr


def test_ner_viterbi_lets_transitions_overrule_emissions():
    import numpy as np

    from rasd.ner import viterbi

    emissions = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    free = np.zeros((2, 2), dtype=np.float32)
    assert viterbi(emissions, free, np.zeros(2), np.zeros(2)) == [0, 1, 1]
    sticky = np.array([[0.0, -5.0], [0.0, 0.0]], dtype=np.float32)  # leaving tag 0 for tag 1 costs 5
    assert viterbi(emissions, sticky, np.zeros(2), np.zeros(2)) == [0, 0, 0]
    assert viterbi(emissions[:1], sticky, np.zeros(2), np.array([-9.0, 0.0])) == [1]


def test_ner_crf_marginals_are_token_distributions():
    from rasd.ner import Tagger

    crf = Tagger()  # the CRF alone
    tokens = "وعرض اللواء جون برينان ، بحسب البيان ، أن التحالف سينهي المهمة في العراق .".split()
    labels = ["O"] + [f"{p}-{t}" for t in ("PER", "LOC", "ORG", "MISC") for p in "BI"]
    marginals = crf.crf_marginals(tokens, labels)
    assert marginals.shape == (len(tokens), len(labels))
    assert abs(marginals.sum(axis=1) - 1).max() < 1e-3
    best = [labels[i] for i in marginals.argmax(axis=1)]
    assert best[tokens.index("جون")] == "B-PER" and best[tokens.index("العراق")] == "B-LOC"


def test_ner_tagger_agrees_with_crfsuite_on_seeds():
    """The tagger scores with the model's weights itself; crfsuite's own tagger must find the same tags."""
    from rasd.ner import Tagger

    tagger = Tagger()
    sentences = [tokens for tokens, _ in read_gold(GOLD.read_text(encoding="utf-8").splitlines(), "gold")]
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        sentences += [[t for t, _, _ in tokenize(line)] for line in text.splitlines() if line.strip()]
    sentences += [["|"], ["a|b", "|", "x"], ["جون"]]  # pair features of tokens holding `|`, one-token sentences
    expected = [tagger._crf.tag(tagger.featurizer.sequence(tokens)) for tokens in sentences]
    assert tagger.tag_many(sentences) == expected
    assert [tagger.tag(tokens) for tokens in sentences] == expected


def test_ner_tagger_with_a_tiny_type_cache_tags_as_crfsuite(monkeypatch):
    """The compiled types live in one array (single precision); evicting the oldest half moves the kept rows
    to the front and a call bringing more types than the spare room grows it: neither may change a tag."""
    import rasd.ner as ner

    monkeypatch.setattr(ner, "_CACHE_TYPES", 40)
    monkeypatch.setattr(ner, "_ROOM", 8)
    tagger = ner.Tagger()
    sentences = [[t for t, _, _ in tokenize(line)] for seed in SEEDS
                 for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [tagger._crf.tag(tagger.featurizer.sequence(tokens)) for tokens in sentences]
    assert tagger.tag_many(sentences) == expected
    assert [tagger.tag(tokens) for tokens in sentences] == expected
    assert len(tagger._types) <= 40 + max(map(len, sentences)) and len(tagger._rows) > 48  # evicted, and grown
    assert tagger._rows.dtype == "float32"  # grown in single precision too: half the memory per type


def test_ner_emissions_of_sentences_scored_together_are_each_alone():
    """A batch's sentences are scored as one array: no neighbour across a sentence's edge may count."""
    import numpy as np

    from rasd.ner import Tagger

    tagger = Tagger()
    sentences = [[t for t, _, _ in tokenize(line)] for seed in SEEDS
                 for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences += [["جون"], ["قاسم", "الأعرجي"], ["|"], ["a|b", "|", "x"]]
    tagger._ensure([t for tokens in sentences for t in tokens])
    together = tagger._emissions_many(sentences)
    assert len(together) == len(sentences)
    for tokens, scores in zip(sentences, together):
        assert np.array_equal(scores, tagger.emissions(tokens))


def test_ner_read_crfsuite_matches_the_model_dump():
    import pycrfsuite

    from rasd.ner import MODEL_PATH, read_crfsuite

    labels, weights, transitions = read_crfsuite(MODEL_PATH)
    crf = pycrfsuite.Tagger()
    crf.open(str(MODEL_PATH))
    info = crf.info()  # weights printed to 6 decimals
    assert labels == sorted(info.labels, key=lambda label: int(info.labels[label]))
    assert sum(int(w.any()) for w in weights.values()) == len(info.attributes)
    for (attribute, label), weight in info.state_features.items():
        assert abs(weights[attribute][labels.index(label)] - weight) < 1e-6
    for (source, target), weight in info.transitions.items():
        assert abs(transitions[labels.index(source), labels.index(target)] - weight) < 1e-6


def test_ner_read_crfsuite_names_a_bad_file(tmp_path):
    from rasd.ner import NerError, read_crfsuite

    path = tmp_path / "bad.crfsuite"
    path.write_bytes(b"lCRF" + bytes(60))
    with pytest.raises(NerError, match="bad.crfsuite"):
        read_crfsuite(path)


def test_ner_viterbi_many_decodes_each_sentence_as_alone():
    import numpy as np

    from rasd.ner import viterbi, viterbi_many

    rng = np.random.default_rng(7)
    transitions = rng.normal(size=(4, 4))
    emissions = [rng.normal(size=(n, 4)) for n in (1, 5, 2, 9, 3)]
    zero = np.zeros(4)
    assert viterbi_many(emissions, transitions) == [viterbi(e, transitions, zero, zero) for e in emissions]


def test_ner_gazetteer_keys_names_behind_clitics_by_their_bare_form():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from train_ner import gazetteer

    from rasd.ner import Lexicon

    sentences = [(["زار", "وبغداد", "بغداد"], ["O", "B-LOC", "O"]), (["في", "ولندن", "لندن"], ["O", "B-LOC", "B-LOC"])]
    table = gazetteer(sentences, {}, Lexicon({"بغداد": [0], "لندن": [0]}, {}))
    assert table["وبغداد"] == ["LOC+"] and table["بغداد"] == ["sLOC+"]  # seen bare only outside names
    assert table["لندن"] == ["LOC+"]  # its own tag wins
    assert "بغداد" not in gazetteer(sentences, {})
