"""Named entities in Arabic news: persons, organisations, places and the rest (PER, ORG, LOC, MISC).

A linear-chain CRF (python-crfsuite) tags ANERcorp-style tokens with BIO tags. Tokens are what
`tokenize` cuts from display text: punctuation split off, clitics (`و ب ل ك ف ال`) left on the word
as ANERcorp leaves them. Each token is described by its matching form, affixes, the clitic-stripped
word, its snowball stem, its shape, word clusters learned from SaudiNewsNet and a gazetteer learned
from ANERcorp train (names' words as written and clitic-stripped, plus pycountry's Arabic country
names), in a ±2 window with word bigrams.

The model and its lexicon are data in `rasd/data/` (`ner.crfsuite`, `ner_lexicon.json.gz`,
`word_clusters.json.gz`), trained by `scripts/train_word_clusters.py` and `scripts/train_ner.py`.
`find_mentions` returns character offsets into the text it was given, never into a folded form.

Optionally (`make train-ner-neural`, `scripts/train_ner_neural.py`) a BiLSTM-CRF exported to ONNX
(`ner_neural.onnx`, `ner_neural.json.gz`, `ner_neural_vectors.npy`) is combined with the CRF: when
those files are in `rasd/data/`, `load_tagger` uses the combination (better dev F1, about a third of
the speed; onnxruntime then needed). They do not ship by default.

Errors: `NerError` when the model files are missing or unreadable.
"""
from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, filterfalse, islice
from pathlib import Path
from sys import intern

from . import DATA_DIR
from .conll import chunks, read_blocks, read_gold, score
from .normalize import arabic_stemmer, matching_form, matching_word, strip_marks

__all__ = ["Mention", "Lexicon", "Featurizer", "Tagger", "read_crfsuite", "NeuralFeaturizer", "NeuralTagger", "NerError", "TYPES",
           "tokenize", "load_tagger", "tag_tokens", "tag_sentences", "find_mentions", "find_mentions_many", "tag_conll",
           "evaluate_conll"]

TYPES = ("PER", "ORG", "LOC", "MISC")
MODEL_PATH = DATA_DIR / "ner.crfsuite"
LEXICON_PATH = DATA_DIR / "ner_lexicon.json.gz"
CLUSTERS_PATH = DATA_DIR / "word_clusters.json.gz"

# A token: a run of letters/digits/Arabic marks/tatweel, with decimals and a trailing % kept on a
# number (`4.3`, `15%`, as ANERcorp writes them); otherwise a single non-space character.
# Feature strings of recent tokens (~10 KB each, for training and marginals): bounded, or a long
# ingest keeps gigabytes of them. The tagger's own per-type label scores are far smaller (180 bytes in
# `Tagger._rows` and ~200 of entry): SaudiNewsNet brings ~18 new types an article for thousands of
# articles, and a type evicted comes back (a 50k cache recompiled them for 16% of an ingest worker's
# time); 250k types is ~95 MB at most.
_CACHE_TOKENS = 10_000
_CACHE_TYPES = 250_000
_ROOM = 32_768  # compiled types a call may add beyond `_CACHE_TYPES` before the oldest half goes
_BATCH = 128  # sentences decoded together (an article's, usually)
_MARK = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_TOKEN = re.compile(rf"(?:[^\W_]|[{_MARK}])+(?:[.,\u066b\u066c](?=\d)\d+)*(?:(?<=\d)[%\u066a])?|\S")
# Clitic prefixes ANERcorp leaves on words: conjunction, preposition, article (`وبال`, `فلل`).
_CLITIC = re.compile(r"^(?:[وف]?(?:[بكل]?ال|لل|[بكل])|[وف])(?=..)")
_ARABIC = re.compile(r"[\u0620-\u064a\u0671-\u06d3]")
_SENTENCE_ENDS = frozenset(".!?؟\n")  # a token that is one of these ends a sentence


class NerError(RuntimeError):
    """The NER model files are missing or unreadable."""


@dataclass(frozen=True)
class Mention:
    """An entity mention: `text == source[start:end]` of the text it was found in."""

    start: int
    end: int
    type: str
    text: str


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for each token of `text`; `text[start:end] == token`."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shape(token: str) -> str:
    """`a` Arabic letters, `L`/`l` Latin, `d` digits, other characters as themselves; runs collapsed."""
    out = []
    for ch in token:
        if ch.isdigit():
            c = "d"
        elif _ARABIC.match(ch):
            c = "a"
        elif ch.isalpha():
            c = "L" if ch.isupper() else "l"
        elif ch == "\u0640" or "\u064b" <= ch <= "\u065f":  # tatweel, harakat
            continue
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:6]


class Lexicon:
    """What the features look words up in: word clusters and the entity gazetteer.

    `clusters` maps a matching form to its cluster ids at a few granularities (k-means over
    word2vec vectors trained on SaudiNewsNet); `gazetteer` maps a matching form to tags such as
    `PER+` (seen in a PER name, mostly as a name) or `LOC-` (seen in a place name, mostly not),
    and `sPER+` and the like for a form seen in names behind clitics only (`بغداد` from `وبغداد`).
    The last number of a word's cluster entry is its frequency class in SaudiNewsNet.
    """

    def __init__(self, clusters: dict[str, list[int]], gazetteer: dict[str, list[str]]):
        self.clusters = clusters
        self.gazetteer = gazetteer

    @classmethod
    def load(cls, clusters_path: Path = CLUSTERS_PATH, lexicon_path: Path = LEXICON_PATH) -> "Lexicon":
        return cls(read_json_gz(clusters_path)["words"], read_json_gz(lexicon_path)["gazetteer"])

    def strip_clitics(self, form: str) -> tuple[str, str]:
        """(clitics, word): the longest clitic prefix whose remainder is a known word, else none.

        Checking the remainder against the cluster vocabulary keeps `بريطانيا` whole while
        `وبريطانيا` loses its `و`.
        """
        match = _CLITIC.match(form)
        if not match:
            return "", form
        prefix = match.group()
        for cut in range(len(prefix), 0, -1):
            if form[cut:] in self.clusters:
                return form[:cut], form[cut:]
        if prefix.endswith(("ال", "لل")) and len(form) - len(prefix) >= 3:
            return prefix, form[len(prefix):]
        return "", form


def read_json_gz(path: Path) -> dict:
    try:
        return json.loads(gzip.decompress(Path(path).read_bytes()))
    except (OSError, ValueError) as err:
        raise NerError(f"cannot read NER data {path}: {err}; run `make train-ner` to build it") from None


def read_crfsuite(path: Path) -> tuple[list[str], dict[str, "object"], "object"]:
    """(labels, label scores by attribute, transitions [from, to]) of a crfsuite model file.

    The weights are the file's own doubles (crfsuite's text dump rounds them to six places). The
    file (crfsuite 0.12's `lCRF`/`FOMC` format) is a header of offsets, a `FEAT` chunk of 20-byte
    features (type 0: attribute -> label, type 1: label -> label; source, target, weight) and CQDB
    string tables for the labels and attributes, whose backward arrays map ids to records.
    """
    import struct

    import numpy as np

    try:
        data = Path(path).read_bytes()
        magic, _, kind, _, _, n_labels, n_attrs, off_feats, off_labels, off_attrs, _, _ = \
            struct.unpack_from("<4sI4s9I", data, 0)
        if magic != b"lCRF" or kind != b"FOMC":
            raise ValueError("not a crfsuite CRF1d model")

        def names(offset: int, count: int) -> list[str]:
            chunk, _, _, _, size, backward = struct.unpack_from("<4sIIIII", data, offset)
            if chunk != b"CQDB" or size != count:
                raise ValueError("bad string table")
            out = []
            for ref in struct.unpack_from(f"<{count}I", data, offset + backward):
                _, length = struct.unpack_from("<II", data, offset + ref)
                out.append(data[offset + ref + 8:offset + ref + 7 + length].decode("utf-8"))
            return out

        labels, attributes = names(off_labels, n_labels), names(off_attrs, n_attrs)
        chunk, _, count = struct.unpack_from("<4sII", data, off_feats)
        if chunk != b"FEAT":
            raise ValueError("bad feature chunk")
        weights: dict[str, np.ndarray] = {}
        transitions = np.zeros((n_labels, n_labels))
        for kind, source, target, weight in struct.iter_unpack("<iiid", data[off_feats + 12:off_feats + 12 + 20 * count]):
            if kind == 0:
                row = weights.get(attributes[source])
                if row is None:
                    row = weights[attributes[source]] = np.zeros(n_labels)
                row[target] += weight
            else:
                transitions[source, target] += weight
    except (OSError, ValueError, UnicodeDecodeError, struct.error) as err:
        raise NerError(f"cannot read NER model {path}: {err}; run `make train-ner` to rebuild it") from None
    return labels, weights, transitions


# Which word features each window position carries, and which pairs of neighbours are joined.
WINDOW = {
    0: ("w", "p2", "p3", "p4", "s1", "s2", "s3", "s4", "cl", "st", "sm", "sh", "len", "fq",
        "c0", "c1", "c2", "c3", "sc0", "sc1", "sc2", "sc3", "gz", "sgz"),
    -1: ("w", "st", "sm", "cl", "sh", "s2", "c0", "c1", "c2", "c3", "sc2", "gz", "sgz"),
    1: ("w", "st", "sm", "cl", "sh", "s2", "c0", "c1", "c2", "c3", "sc2", "gz", "sgz"),
    -2: ("w", "st", "c1", "c2", "gz", "sgz"),
    2: ("w", "st", "c1", "c2", "gz", "sgz"),
}
PAIRS = (("w", -1), ("w", 1), ("c2", -1), ("c2", 1))
_AFFIXES = tuple((n, f"p{n}", f"s{n}") for n in range(1, 5))  # (length, prefix name, suffix name)
_TABLES = 1 + len(PAIRS)  # a compiled type: (row, its value for each pair, its pair table for each pair)
_CLUSTER_NAMES = ("c0", "c1", "c2", "c3")
_STRIPPED_CLUSTER_NAMES = ("sc0", "sc1", "sc2", "sc3")


class Featurizer:
    """Turns token sequences into CRF feature lists; per-token work is cached by token."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._stem = arabic_stemmer().stemWord
        self._cache: dict[str, tuple[dict[str, list[str]], dict[int, list[str]]]] = {}

    def word_features(self, token: str) -> dict[str, list[str]]:
        """Features of one token, by name, before the window position is added."""
        form = matching_word(token) or token
        clitics, stripped = self.lexicon.strip_clitics(form)
        clusters = self.lexicon.clusters
        gaz = self.lexicon.gazetteer
        size = len(form)
        feats = {
            "w": [form], "cl": [clitics], "st": [stripped], "sh": [_shape(token)],
            "sm": [self._stem(strip_marks(token))], "len": [str(min(size, 8))],
            "gz": gaz.get(form, []), "sgz": gaz.get(stripped, []) if clitics else [],
        }
        for n, prefix, suffix in _AFFIXES:
            feats[prefix] = [form[:n]] if size > n else []
            feats[suffix] = [form[-n:]] if size > n else []
        form_ids = clusters.get(form)
        for names, ids in ((_CLUSTER_NAMES, form_ids), (_STRIPPED_CLUSTER_NAMES, clusters.get(stripped))):
            known = len(ids) if ids else 0
            for level, name in enumerate(names):
                feats[name] = [str(ids[level])] if level < known else ["-"]
        feats["fq"] = [str(form_ids[-1])] if form_ids and len(form_ids) > 4 else ["-"]
        return feats

    def windows(self, token: str) -> tuple[dict[str, list[str]], dict[int, list[str]]]:
        """(word features, feature strings by window position) of one token, uncached."""
        feats = self.word_features(token)
        return feats, {offset: [f"{offset}{name}={value}" for name in names for value in feats[name]]
                       for offset, names in WINDOW.items()}

    def _lookup(self, token: str) -> tuple[dict[str, list[str]], dict[int, list[str]]]:
        found = self._cache.get(token)
        if found is None:
            if len(self._cache) > _CACHE_TOKENS:
                self._cache.clear()
            found = self._cache[token] = self.windows(token)
        return found

    def sequence(self, tokens: list[str]) -> list[list[str]]:
        """Feature lists, one per token, for a sentence."""
        n = len(tokens)
        looked = [self._lookup(t) for t in tokens]
        out = []
        for i in range(n):
            feats = ["bias"]
            for offset in (-2, -1, 0, 1, 2):
                j = i + offset
                if 0 <= j < n:
                    feats.extend(looked[j][1][offset])
                elif offset in (-1, 1):
                    feats.append(f"{offset}pad")
            here = looked[i][0]
            for name, offset in PAIRS:
                j = i + offset
                if 0 <= j < n:
                    feats.append(f"{name}{offset:+d}={looked[j][0][name][0]}|{here[name][0]}")
            out.append(feats)
        return out


class Tagger:
    """A trained CRF and the featurizer it was trained with; with `neural`, the two combined.

    The CRF alone tags by its weights read from the model file (`read_crfsuite`), not through
    crfsuite: a token type's features are looked up once per window position and summed into one
    label-score row each (kept for up to `_CACHE_TYPES` recent types, a few hundred bytes apiece),
    a sentence's label scores are those rows added up, shifted by position, plus the word-pair
    features, and the best path is a Viterbi over them. Same scores as crfsuite's own tagger up to
    the order of floating-point additions; several times faster, as the feature strings of a
    token are neither rebuilt nor handed to crfsuite at each occurrence.

    Combined, a sentence's path is the Viterbi best under the neural tagger's emissions and
    transitions plus `neural.crf_weight` times the log of the CRF's per-token marginals: the CRF
    brings its sparse lexical features, the BiLSTM its word vectors and whole-sentence context.
    """

    def __init__(self, model_path: Path = MODEL_PATH, lexicon: Lexicon | None = None,
                 neural: "NeuralTagger | None" = None):
        import numpy as np
        import pycrfsuite

        if not Path(model_path).exists():
            raise NerError(f"no NER model at {model_path}; run `make train-ner` to build it")
        self.featurizer = Featurizer(lexicon or Lexicon.load())
        self.neural = neural
        self._crf = pycrfsuite.Tagger()
        self._crf.open(str(model_path))
        self._crf_labels = set(self._crf.labels())
        self.labels, self._weights, self._transitions = read_crfsuite(model_path)
        self._np = np
        size = len(self.labels)
        self._bias = self._weights.get("bias", np.zeros(size))
        self._pads = [self._weights.get(f"{offset}pad", np.zeros(size)) for offset in (-1, 1)]
        self._offsets = tuple(WINDOW)
        # A word feature's label scores at every window position at once: window attributes
        # `{offset}{name}={value}` gathered into one block [window positions, labels] per (name, value),
        # zeros where the model has no such attribute (8k blocks, ~3 MB); block 0 is all zeros. A type's
        # compiled row is the sum of its features' blocks (`_compile`): one look-up per feature, not one
        # per feature and position.
        heads = {f"{offset}{name}": (k, name) for k, offset in enumerate(self._offsets) for name in WINDOW[offset]}
        self._blocks: dict[str, dict[str, int]] = {name: {} for name in WINDOW[0]}  # the centre has every name
        found: list[tuple[int, int, np.ndarray]] = []  # (block, position, label scores)
        count = 0
        for attribute, weights in self._weights.items():
            head, _, value = attribute.partition("=")
            if head in heads:
                k, name = heads[head]
                table = self._blocks[name]
                if value not in table:
                    count += 1
                    table[value] = count
                found.append((table[value], k, weights))
        self._names = tuple(name for name, table in self._blocks.items() if table)
        self._block_rows = np.zeros((count + 1, len(self._offsets), size))
        for block, k, weights in found:
            self._block_rows[block, k] = weights
        # Word-pair features `w-1=a|b` by pair, then by this token's value b, then by the neighbour's a;
        # names holding more than one `|` (tokens that contain one) stay whole in `_odd_pairs`.
        self._pairs: list[dict[str, dict[str, object]]] = [{} for _ in PAIRS]
        self._odd_pairs = {}
        heads = [f"{name}{offset:+d}=" for name, offset in PAIRS]
        for attribute, weights in self._weights.items():
            for table, head in zip(self._pairs, heads):
                if attribute.startswith(head):
                    rest = attribute[len(head):]
                    if rest.count("|") == 1:
                        left, here = rest.split("|")
                        table.setdefault(here, {})[left] = weights
                    else:
                        self._odd_pairs[attribute] = weights
        self._types: dict[str, tuple] = {}  # token type -> its compiled entry, one flat tuple (`_TABLES`)
        # the compiled types' label scores [window positions, labels], by the row their entry names:
        # one array (untouched rows take no memory), not a view per type that kept its whole batch alive.
        # Single precision: summed in double (`_compile`), stored in single, half the memory of a worker's
        # largest array (~46 MB less at 228k types); the same mentions on 15,493 SaudiNewsNet articles
        self._rows = np.empty((_CACHE_TYPES + _ROOM, len(self._offsets), size), np.float32)
        self._used = 0

    def _compile(self, tokens: list[str]) -> None:
        """Cache (row of label scores [window positions, labels], pair values, pair tables) of new types;
        their features' blocks summed in one numpy call (the additions of each position in the order of
        `_names`, not of `WINDOW`: a score can differ from crfsuite's own in the last bits, as with any
        order of additions)."""
        picked, starts, keys = [], [], []
        blocks = [(name, self._blocks[name]) for name in self._names]
        for token in tokens:
            feats = self.featurizer.word_features(token)
            starts.append(len(picked))
            picked.append(0)  # each type's sum starts from the zero block
            for name, table in blocks:
                for value in feats[name]:
                    block = table.get(value)
                    if block is not None:
                        picked.append(block)
            values = [feats[name][0] for name, _ in PAIRS]
            keys.append((*values, *(table.get(value) for table, value in zip(self._pairs, values))))
        np, first = self._np, self._used
        rows = np.add.reduceat(self._block_rows[picked], starts, axis=0)
        if first + len(tokens) > len(self._rows):  # more new types in one call than `_ROOM`
            self._rows = np.concatenate((self._rows, np.empty((len(tokens),) + self._rows.shape[1:], np.float32)))
        self._rows[first:first + len(tokens)] = rows.reshape(len(tokens), *self._rows.shape[1:])
        self._used += len(tokens)
        for row, token, key in zip(range(first, self._used), tokens, keys):
            self._types[intern(token)] = (row, *key)  # one key string a word (`word_cache`)

    def _ensure(self, tokens: list[str]) -> None:
        """Compile the new types of `tokens` together; the oldest half of the cache goes when it is
        full (a common type evicted is recompiled once, at a few microseconds)."""
        cache = self._types
        if len(cache) > _CACHE_TYPES:
            kept = list(islice(cache.items(), len(cache) // 2, None))
            self._rows[:len(kept)] = self._rows[[entry[0] for _, entry in kept]]
            self._types = cache = {token: (row, *entry[1:]) for row, (token, entry) in enumerate(kept)}
            self._used = len(kept)
        missing = list(filterfalse(cache.__contains__, dict.fromkeys(tokens)))
        if missing:
            self._compile(missing)

    def emissions(self, tokens: list[str]):
        """The CRF's label scores [tokens, labels] (`self.labels` order) for a non-empty sentence."""
        self._ensure(tokens)
        return self._emissions_many([tokens])[0]

    def _emissions_many(self, sentences: list[list[str]]) -> list:
        """`emissions` of each non-empty sentence, their types compiled already: the sentences' tokens in one
        array, so that each step is one numpy call for all of them (per sentence, ~15 calls of a few
        microseconds each cost more than the sums). Per token the same additions in the same order as a
        sentence alone; a neighbour across a sentence's edge adds an exact 0."""
        np, cache = self._np, self._types
        types = list(map(cache.__getitem__, chain.from_iterable(sentences)))
        lengths = np.fromiter(map(len, sentences), np.intp, len(sentences))
        ends = np.cumsum(lengths)
        starts = ends - lengths
        n = len(types)
        end_of = np.repeat(ends, lengths)  # each token's sentence end (exclusive)
        start_of = np.repeat(starts, lengths)
        at = np.arange(n)
        rows = self._rows[[t[0] for t in types]]
        scores = rows[:, self._offsets.index(0)] + self._bias
        for k, offset in enumerate(self._offsets):
            if 0 < offset < n:
                inside = (at[:n - offset] + offset < end_of[:n - offset])[:, None]
                scores[:n - offset] += np.where(inside, rows[offset:, k], 0.0)
            elif 0 < -offset < n:
                inside = (at[-offset:] + offset >= start_of[-offset:])[:, None]
                scores[-offset:] += np.where(inside, rows[:n + offset, k], 0.0)
        scores[starts] += self._pads[0]
        scores[ends - 1] += self._pads[1]
        firsts, lasts = set(starts.tolist()), set((ends - 1).tolist())
        odd = self._odd_pairs
        hit_at, hits = [], []  # word-pair scores, added in one call in this order (token by token: pair order)
        for p, (name, offset) in enumerate(PAIRS):
            edge, value, tables = (firsts if offset < 0 else lasts), 1 + p, _TABLES + p
            # a type has a table here only if the model has a pair feature with its value (5-45% of tokens)
            for i in range(n) if odd else [i for i, here in enumerate(types) if here[tables] is not None]:
                if i in edge:
                    continue
                here, there = types[i], types[i + offset][value]
                table = here[tables]
                if table is not None:
                    found = table.get(there)
                    if found is not None:
                        hit_at.append(i)
                        hits.append(found)
                if odd and ("|" in here[value] or "|" in there):
                    found = odd.get(f"{name}{offset:+d}={there}|{here[value]}")
                    if found is not None:
                        hit_at.append(i)
                        hits.append(found)
        if hits:
            np.add.at(scores, hit_at, np.array(hits))
        return np.split(scores, ends[:-1])

    def crf_marginals(self, tokens: list[str], labels: list[str]):
        """P(label at token) under the CRF, [T, len(labels)], for a non-empty sentence."""
        import numpy as np

        self._crf.set(self.featurizer.sequence(tokens))
        marginal = self._crf.marginal
        out = np.zeros((len(tokens), len(labels)), dtype=np.float32)
        for k, label in enumerate(labels):
            if label in self._crf_labels:
                out[:, k] = [marginal(label, t) for t in range(len(tokens))]
        return out

    def tag(self, tokens: list[str]) -> list[str]:
        """BIO tags (`B-PER`, `I-LOC`, `O`...) for one sentence of tokens."""
        if not tokens:
            return []
        if self.neural is None:
            return self.tag_many([tokens])[0]
        import numpy as np

        neural = self.neural
        scores = neural.emissions(tokens)
        if neural.crf_weight:
            scores = scores + neural.crf_weight * np.log(self.crf_marginals(tokens, neural.labels) + 1e-4)
        return [neural.labels[i] for i in viterbi(scores, neural.transitions, neural.start, neural.end)]


    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        """BIO tags for each sentence; the CRF decodes them together, one Viterbi step for all."""
        if self.neural is not None:
            return [self.tag(tokens) for tokens in sentences]
        filled = [i for i, tokens in enumerate(sentences) if tokens]
        out: list[list[str]] = [[] for _ in sentences]
        labels = self.labels
        for start in range(0, len(filled), _BATCH):
            batch = filled[start:start + _BATCH]
            self._ensure([t for i in batch for t in sentences[i]])  # the batch's new types compiled at once
            paths = viterbi_many(self._emissions_many([sentences[i] for i in batch]), self._transitions)
            for i, path in zip(batch, paths):
                out[i] = [labels[k] for k in path]
        return out


# The neural tagger: a BiLSTM-CRF (char-CNN, SaudiNewsNet word vectors, cluster ids, gazetteer)
# exported to ONNX; `scripts/train_ner_neural.py` writes these three files.
NEURAL_PATH = DATA_DIR / "ner_neural.onnx"
NEURAL_META_PATH = DATA_DIR / "ner_neural.json.gz"
NEURAL_VECTORS_PATH = DATA_DIR / "ner_neural_vectors.npy"
GAZ_TAGS = ("PER+", "PER-", "LOC+", "LOC-", "ORG+", "ORG-", "MISC+", "MISC-", "CTRY", "CTRYm")
CHARS = 16  # characters of a token the char-CNN sees


class NeuralFeaturizer:
    """Turns token sequences into the neural tagger's input arrays; per-token work is cached.

    `meta` holds the vocabularies the model was trained with: `words` (rows of `vectors`, row 0 the
    unknown word), `chars`, `shapes` and `clitics` (index 0 padding, 1 unknown).
    """

    def __init__(self, lexicon: Lexicon, meta: dict, vectors):
        import numpy as np

        self.np = np
        self.lexicon = lexicon
        self.vectors = vectors
        self.words = {w: i for i, w in enumerate(meta["words"])}
        self.chars = {c: i for i, c in enumerate(meta["chars"])}
        self.shapes = {c: i for i, c in enumerate(meta["shapes"])}
        self.clitics = {c: i for i, c in enumerate(meta["clitics"])}
        self._cache: dict[str, tuple] = {}

    def token_inputs(self, token: str) -> tuple:
        """(word row, stripped word row, char ids, categorical ids, gazetteer multi-hot) of one token."""
        found = self._cache.get(token)
        if found is not None:
            return found
        if len(self._cache) > _CACHE_TOKENS:
            self._cache.clear()
        form = matching_form(token) or token
        clitics, stripped = self.lexicon.strip_clitics(form)
        word = self.words.get(form, self.words.get(stripped, 0))
        chars = [self.chars.get(c, 1) for c in form[:CHARS]]
        chars += [0] * (CHARS - len(chars))
        ids, sids = self.lexicon.clusters.get(form), self.lexicon.clusters.get(stripped)
        cats = (self.shapes.get(_shape(token), 1), self.clitics.get(clitics, 1),
                ids[1] + 2 if ids else 1, ids[2] + 2 if ids else 1, sids[2] + 2 if sids else 1,
                min(ids[-1], 24) + 2 if ids and len(ids) > 4 else 1, min(len(form), 12) + 2)
        gaz = self.lexicon.gazetteer
        hot = [float(t in gaz.get(form, ())) for t in GAZ_TAGS]
        hot += [float(t in gaz.get(stripped, ())) if clitics else 0.0 for t in GAZ_TAGS]
        found = self._cache[token] = (word, self.words.get(stripped, 0), chars, cats, hot)
        return found

    def arrays(self, tokens: list[str]) -> dict:
        """The ONNX inputs for one sentence (a batch of one)."""
        np = self.np
        rows = [self.token_inputs(t) for t in tokens]
        return {
            "words": self.vectors[[r[0] for r in rows]].astype(np.float32)[None],
            "stripped": self.vectors[[r[1] for r in rows]].astype(np.float32)[None],
            "chars": np.array([r[2] for r in rows], dtype=np.int64)[None],
            "cats": np.array([r[3] for r in rows], dtype=np.int64)[None],
            "gaz": np.array([r[4] for r in rows], dtype=np.float32)[None],
        }


def viterbi(emissions, transitions, start, end) -> list[int]:
    """Best tag path of a linear-chain CRF: emissions [T, K], transitions [K, K] (from, to)."""
    score = start + emissions[0]
    back = []
    for t in range(1, len(emissions)):
        total = score[:, None] + transitions
        back.append(total.argmax(0))
        score = total.max(0) + emissions[t]
    best = [int((score + end).argmax())]
    for pointers in reversed(back):
        best.append(int(pointers[best[-1]]))
    return best[::-1]


def viterbi_many(emissions: list, transitions) -> list[list[int]]:
    """`viterbi` (no start or end scores) of several sentences at once: emissions [T_b, K] each.

    The sentences are decoded longest first, so those still running at a step are a prefix of the
    batch and each step works on that prefix alone; past its end a sentence keeps its scores and its
    back-pointers point to themselves, so each path is what `viterbi` finds for it alone.
    """
    import numpy as np

    order = sorted(range(len(emissions)), key=lambda b: -len(emissions[b]))
    lengths = [len(emissions[b]) for b in order]
    count, steps, size = len(order), lengths[0], transitions.shape[0]
    padded = np.zeros((count, steps, size))
    for row, b in enumerate(order):
        padded[row, :lengths[row]] = emissions[b]
    score = padded[:, 0].copy()
    back = np.empty((steps, count, size), dtype=np.intp)
    back[:] = np.arange(size)  # pointing to themselves: what a sentence past its end keeps
    active = count
    # [to, from]: each step's reduction runs along the last, contiguous axis, and the best score is taken
    # at its argmax rather than found by a second reduction (the same element: 2.5x faster a step)
    into = np.ascontiguousarray(transitions.T)
    # where each [sentence, to] row of a step's scores starts when flattened: the best is read with one `take`
    # of the argmax plus these (`take_along_axis` cost ~3x as much at a handful of sentences, all overhead)
    starts = (np.arange(count * size) * size).reshape(count, size)
    for t in range(1, steps):
        while lengths[active - 1] <= t:
            active -= 1
        total = score[:active, None, :] + into  # [sentence, to, from]
        best = total.argmax(2)
        back[t, :active] = best
        best += starts[:active]
        score[:active] = total.take(best) + padded[:active, t]
    paths = np.empty((steps, count), dtype=np.intp)
    paths[-1] = score.argmax(1)
    rows = np.arange(count)
    for t in range(steps - 1, 0, -1):
        paths[t - 1] = back[t][rows, paths[t]]
    out: list[list[int]] = [[] for _ in order]
    for row, b in enumerate(order):
        out[b] = paths[:lengths[row], row].tolist()
    return out


class NeuralTagger:
    """The BiLSTM-CRF tagger: ONNX emissions (onnxruntime, one thread) and a numpy Viterbi."""

    def __init__(self, model_path: Path = NEURAL_PATH, meta_path: Path = NEURAL_META_PATH,
                 vectors_path: Path = NEURAL_VECTORS_PATH, lexicon: Lexicon | None = None):
        import numpy as np
        import onnxruntime

        for path in (model_path, meta_path, vectors_path):
            if not Path(path).exists():
                raise NerError(f"no neural NER file at {path}; run `make train-ner` to build it")
        meta = read_json_gz(meta_path)
        try:
            vectors = np.load(vectors_path)
        except (OSError, ValueError) as err:
            raise NerError(f"cannot read NER data {vectors_path}: {err}") from None
        self.labels = meta["labels"]
        self.transitions = np.array(meta["transitions"], dtype=np.float32)
        self.start = np.array(meta["start"], dtype=np.float32)
        self.end = np.array(meta["end"], dtype=np.float32)
        self.crf_weight = float(meta.get("crf_weight", 0.0))
        self.featurizer = NeuralFeaturizer(lexicon or Lexicon.load(), meta, vectors)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def emissions(self, tokens: list[str]):
        """Per-token tag scores [T, K] before the transitions."""
        return self._session.run(None, self.featurizer.arrays(tokens))[0][0]

    def tag(self, tokens: list[str]) -> list[str]:
        """BIO tags for one sentence of tokens."""
        if not tokens:
            return []
        path = viterbi(self.emissions(tokens), self.transitions, self.start, self.end)
        return [self.labels[i] for i in path]


@lru_cache(maxsize=1)
def load_tagger() -> Tagger:
    """The shipped tagger (the CRF, combined with the neural tagger when that ships), loaded once per process."""
    lexicon = Lexicon.load()
    neural = NeuralTagger(lexicon=lexicon) if NEURAL_META_PATH.exists() else None
    return Tagger(lexicon=lexicon, neural=neural)


def tag_tokens(tokens: list[str]) -> list[str]:
    """BIO tags for one sentence of tokens, by the shipped model."""
    return load_tagger().tag(tokens)


def tag_sentences(sentences: list[list[str]]) -> list[list[str]]:
    """BIO tags for each sentence."""
    return load_tagger().tag_many(sentences)


def _sentences(tokens: list[tuple[str, int, int]], text: str):
    """Cut tokens into sentences at `. ! ? ؟` and line breaks, as ANERcorp's sentences are cut."""
    current: list[tuple[str, int, int]] = []
    for item in tokens:
        if current and "\n" in text[current[-1][2]:item[1]]:
            yield current
            current = []
        current.append(item)
        if item[0] in _SENTENCE_ENDS:
            yield current
            current = []
    if current:
        yield current


def find_mentions(text: str, tagger: Tagger | None = None,
                  tokens: list[tuple[str, int, int]] | None = None) -> list[Mention]:
    """Entity mentions in `text`, with character offsets into `text` itself; `tokens` is
    `tokenize(text)` when the caller has it already."""
    tagger = tagger or load_tagger()
    sentences = list(_sentences(tokenize(text) if tokens is None else tokens, text))
    return _mentions(text, sentences, tagger.tag_many([[t for t, _, _ in s] for s in sentences]))


def find_mentions_many(texts: list[str], tagger: Tagger | None = None) -> list[tuple[list, list[Mention]]]:
    """(`tokenize(text)`, `find_mentions(text)`) of each text, their sentences tagged in one `tag_many`.

    The same mentions as one text at a time (each sentence's path is its own), but the CRF's Viterbi
    steps once through a few articles' sentences instead of once per article: in chunks of four articles
    an ingest worker took 1.1 ms an article to score and decode instead of 1.6 (now chunks of 32, each
    batch of sentences scored as one array, `Tagger._emissions_many`).
    """
    tagger = tagger or load_tagger()
    tokens = [tokenize(text) for text in texts]
    sentences = [list(_sentences(toks, text)) for toks, text in zip(tokens, texts)]
    tags = tagger.tag_many([[t for t, _, _ in s] for group in sentences for s in group])
    out, at = [], 0
    for text, toks, group in zip(texts, tokens, sentences):
        out.append((toks, _mentions(text, group, tags[at:at + len(group)])))
        at += len(group)
    return out


def _mentions(text: str, sentences: list[list[tuple[str, int, int]]], tags: list[list[str]]) -> list[Mention]:
    mentions = []
    for sentence, sentence_tags in zip(sentences, tags):
        for kind, first, last in chunks(sentence_tags):
            start, end = sentence[first][1], sentence[last - 1][2]
            mentions.append(Mention(start, end, kind, text[start:end]))
    return mentions


def tag_conll(lines: list[str], tagger: Tagger | None = None):
    """`token<TAB>tag` for each token line of a CoNLL file (first column), blank lines kept in place."""
    tagger = tagger or load_tagger()
    for block in read_blocks(lines):
        if block is None:
            yield ""
            continue
        tokens = [columns[0] for columns in block]
        for token, tag in zip(tokens, tagger.tag(tokens)):
            yield f"{token}\t{tag}"


def evaluate_conll(lines: list[str], source: str, tagger: Tagger | None = None) -> dict:
    """Entity scores (per type and micro, exact span) of the tagger on a gold CoNLL file."""
    tagger = tagger or load_tagger()
    gold = read_gold(lines, source)
    return score([tags for _, tags in gold], tagger.tag_many([tokens for tokens, _ in gold]))
