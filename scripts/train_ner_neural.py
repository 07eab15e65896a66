"""Train the neural NER tagger (BiLSTM-CRF) on ANERcorp train on CPU and export it to ONNX.

    python scripts/train_word_clusters.py ../shared/data/saudinewsnet rasd/data/word_clusters.json.gz --save-vectors /tmp/w2v.kv
    python scripts/train_ner_neural.py ../shared/data/anercorp/train.txt --vectors /tmp/w2v.kv --mode dev
    python scripts/train_ner_neural.py ../shared/data/anercorp/train.txt --vectors /tmp/w2v.kv --mode final
    python scripts/train_ner_neural.py ../shared/data/anercorp/train.txt --vectors /tmp/w2v.kv --mode export --checkpoint /tmp/ner/checkpoints/all-N.pt

Each token is its SaudiNewsNet word vector (`train_word_clusters.py --save-vectors`; frozen, so words
never seen in ANERcorp keep what the news corpus taught them) and that of its clitic-stripped form,
a char-CNN over its first 16 characters, its word-cluster ids, shape, clitics, frequency class and
the cross-fold gazetteer tags the CRF uses. A BiLSTM reads the sentence; a CRF layer scores tag
paths. First a model is trained on the first 90% of train and scored on the dev split (last 10%)
after every epoch; the shipped model is then trained on all of train for the best epoch count.
Torch is needed only here (`pip install torch onnx`); rasd runs the ONNX file with onnxruntime.
Writes `rasd/data/ner_neural.onnx`, `ner_neural.json.gz` and `ner_neural_vectors.npy`.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_ner import FOLDS, country_names, gazetteer  # noqa: E402

from rasd.conll import read_gold, score, split_dev  # noqa: E402
from rasd.ner import (CLUSTERS_PATH, GAZ_TAGS, NEURAL_META_PATH, NEURAL_PATH, NEURAL_VECTORS_PATH,  # noqa: E402
                      Lexicon, NeuralFeaturizer, NeuralTagger, _shape, read_json_gz, viterbi)
from rasd.normalize import matching_form  # noqa: E402

LABELS = ["O"] + [f"{p}-{t}" for t in ("PER", "LOC", "ORG", "MISC") for p in "BI"]
CAT_DIMS = (16, 8, 16, 32, 32, 8, 8)  # shape, clitics, c1, c2, stripped c2, frequency class, length


def build_meta(sentences: list, clusters: dict, kv, top: int) -> tuple[dict, np.ndarray]:
    """Vocabularies and the shipped word-vector table (float16; row 0 the unknown word)."""
    lexicon = Lexicon(clusters, {})
    train_forms = Counter()
    chars, shapes, clitics = Counter(), Counter(), Counter()
    for tokens, _ in sentences:
        for token in tokens:
            form = matching_form(token) or token
            cl, stripped = lexicon.strip_clitics(form)
            train_forms.update((form, stripped))
            chars.update(form)
            shapes[_shape(token)] += 1
            clitics[cl] += 1
    words = list(kv.index_to_key[:top])
    known = set(words)
    words += sorted(w for w in train_forms if w in kv.key_to_index and w not in known)
    vectors = np.zeros((len(words) + 1, kv.vector_size), dtype=np.float16)
    vectors[1:] = np.stack([kv[w] for w in words]).astype(np.float16)
    meta = {
        "labels": LABELS, "words": ["<unk>", *words],
        "chars": ["<pad>", "<unk>", *sorted(c for c, n in chars.items() if n >= 2)],
        "shapes": ["<pad>", "<unk>", *sorted(s for s, n in shapes.items() if n >= 2)],
        "clitics": ["<pad>", "<unk>", *sorted(clitics)],
    }
    return meta, vectors


def featurize(sentences: list, lexicon: Lexicon, meta: dict, vectors: np.ndarray) -> list[dict]:
    featurizer = NeuralFeaturizer(lexicon, meta, vectors)
    out = []
    for tokens, tags in sentences:
        arrays = {k: v[0] for k, v in featurizer.arrays(tokens).items()}
        arrays["tags"] = np.array([LABELS.index(t) if t in LABELS else 0 for t in tags], dtype=np.int64)
        out.append(arrays)
    return out


def crossfold(sentences: list, clusters: dict, countries: dict, meta: dict, vectors) -> list[dict]:
    """Inputs of each sentence with a gazetteer learned from the other folds (as the CRF's)."""
    size = -(-len(sentences) // FOLDS)
    out = []
    for k in range(FOLDS):
        rest = sentences[:k * size] + sentences[(k + 1) * size:]
        lexicon = Lexicon(clusters, gazetteer(rest, countries))
        out.extend(featurize(sentences[k * size:(k + 1) * size], lexicon, meta, vectors))
    return out


def make_net(meta: dict, dim: int, hidden: int):
    import torch
    from torch import nn

    sizes = (len(meta["shapes"]), len(meta["clitics"]), 258, 1026, 1026, 27, 15)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.char = nn.Embedding(len(meta["chars"]), 32, padding_idx=0)
            self.conv = nn.Conv1d(32, 64, 3, padding=1)
            self.cats = nn.ModuleList(nn.Embedding(n, d) for n, d in zip(sizes, CAT_DIMS))
            self.drop = nn.Dropout(0.5)
            self.lstm = nn.LSTM(2 * dim + 64 + sum(CAT_DIMS) + 2 * len(GAZ_TAGS), hidden,
                                batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * hidden, len(LABELS))
            self.transitions = nn.Parameter(torch.zeros(len(LABELS), len(LABELS)))
            self.start = nn.Parameter(torch.zeros(len(LABELS)))
            self.end = nn.Parameter(torch.zeros(len(LABELS)))

        def forward(self, words, stripped, chars, cats, gaz, lengths=None):
            b, t, n = chars.shape
            c = self.char(chars.reshape(b * t, n)).transpose(1, 2)
            c = torch.relu(self.conv(c)).max(dim=2).values.reshape(b, t, 64)
            x = torch.cat([words, stripped, c, *(e(cats[..., i]) for i, e in enumerate(self.cats)), gaz], -1)
            x = self.drop(x)
            if lengths is not None:
                packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
                h, _ = self.lstm(packed)
                h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=t)
            else:
                h, _ = self.lstm(x)
            return self.out(self.drop(h))

        def nll(self, em, tags, mask):
            """Mean negative log-likelihood of the gold paths under the CRF."""
            bsz, length, _ = em.shape
            lengths = mask.sum(1)
            gold = self.start[tags[:, 0]] + em[:, 0].gather(1, tags[:, :1]).squeeze(1)
            alpha = self.start + em[:, 0]
            for i in range(1, length):
                step = self.transitions[tags[:, i - 1], tags[:, i]] + em[:, i].gather(1, tags[:, i:i + 1]).squeeze(1)
                gold = gold + step * mask[:, i]
                nxt = torch.logsumexp(alpha[:, :, None] + self.transitions[None] + em[:, i, None, :], dim=1)
                alpha = torch.where(mask[:, i, None] > 0, nxt, alpha)
            last = tags.gather(1, (lengths - 1).long()[:, None]).squeeze(1)
            gold = gold + self.end[last]
            return (torch.logsumexp(alpha + self.end, 1) - gold).mean()

    return Net()


def batch(items: list[dict]):
    import torch

    length = max(len(it["tags"]) for it in items)
    out = {}
    for key in ("words", "stripped", "chars", "cats", "gaz", "tags"):
        first = items[0][key]
        arr = np.zeros((len(items), length, *first.shape[1:]), dtype=first.dtype)
        for i, it in enumerate(items):
            arr[i, :len(it["tags"])] = it[key]
        out[key] = torch.from_numpy(arr)
    lengths = torch.tensor([len(it["tags"]) for it in items])
    mask = (torch.arange(length)[None] < lengths[:, None]).float()
    return out, lengths, mask


def predict(net, items: list[dict]) -> list[list[str]]:
    import torch

    net.eval()
    trans, start, end = (p.detach().numpy() for p in (net.transitions, net.start, net.end))
    out = []
    with torch.no_grad():
        for i in range(0, len(items), 64):
            chunk = items[i:i + 64]
            x, lengths, _ = batch(chunk)
            em = net(x["words"], x["stripped"], x["chars"], x["cats"], x["gaz"], lengths).numpy()
            for j, it in enumerate(chunk):
                out.append([LABELS[k] for k in viterbi(em[j, :len(it["tags"])], trans, start, end)])
    return out


def fit(net, items: list[dict], epochs: int, dev: list | None, dev_gold: list | None, seed: int,
        save_each: Path | str | None = None) -> list[float]:
    """Adam with clipped gradients over length-bucketed batches; dev micro F1 after each epoch."""
    import torch

    rng = random.Random(seed)
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=2e-3)
    order = sorted(range(len(items)), key=lambda i: len(items[i]["tags"]))
    batches = [order[i:i + 16] for i in range(0, len(order), 16)]
    scores = []
    for epoch in range(1, epochs + 1):
        started = time.time()
        net.train()
        rng.shuffle(batches)
        total = 0.0
        for idx in batches:
            x, lengths, mask = batch([items[i] for i in idx])
            em = net(x["words"], x["stripped"], x["chars"], x["cats"], x["gaz"], lengths)
            loss = net.nll(em, x["tags"], mask)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            optimizer.step()
            total += loss.item()
        line = f"epoch {epoch}: loss {total / len(batches):.3f} ({time.time() - started:.0f}s)"
        if dev is not None:
            result = score(dev_gold, predict(net, dev))
            scores.append(result["micro"]["f1"])
            line += f" dev F1 {result['micro']['f1']:.4f} " + " ".join(
                f"{k} {v['f1']:.3f}" for k, v in result["types"].items())
        if save_each is not None:
            torch.save(net.state_dict(), f"{save_each}{epoch}.pt")
        print(line, flush=True)
    return scores


def export(net, meta: dict, vectors: np.ndarray, sample: dict) -> None:
    import torch

    net.eval()
    names = ["words", "stripped", "chars", "cats", "gaz"]
    args = tuple(torch.from_numpy(sample[k][None]) for k in names)
    torch.onnx.export(net, args, str(NEURAL_PATH), input_names=names, output_names=["emissions"],
                      dynamic_axes={k: {1: "tokens"} for k in [*names, "emissions"]}, opset_version=17,
                      dynamo=False)
    meta = {**meta, "transitions": net.transitions.detach().tolist(), "start": net.start.detach().tolist(),
            "end": net.end.detach().tolist()}
    NEURAL_META_PATH.write_bytes(gzip.compress(json.dumps(meta, ensure_ascii=False).encode("utf-8"), 9, mtime=0))
    np.save(NEURAL_VECTORS_PATH, vectors)


def combine(net, dev: list, lexicon: Lexicon, meta: dict, vectors: np.ndarray, args) -> None:
    """Dev scores of the neural tagger alone, the CRF alone, and the two at several CRF weights."""
    import torch

    from rasd.ner import Tagger

    net.eval()
    trans, start, end = (p.detach().numpy() for p in (net.transitions, net.start, net.end))
    crf = Tagger(args.crf_model, lexicon)
    gold = [t for _, t in dev]
    emissions, marginals = [], []
    with torch.no_grad():
        for it, (tokens, _) in zip(featurize(dev, lexicon, meta, vectors), dev):
            emissions.append(net(*(torch.from_numpy(it[k][None]) for k in ("words", "stripped", "chars", "cats", "gaz")))[0].numpy())
            marginals.append(np.log(crf.crf_marginals(tokens, LABELS) + 1e-4))
    results = {"crf": score(gold, [crf.tag(tokens) for tokens, _ in dev])}
    for weight in (0.0, 0.5, 1.0, 2.0, 3.0, 5.0):
        paths = [viterbi(e + weight * m, trans, start, end) for e, m in zip(emissions, marginals)]
        results[f"crf_weight={weight}"] = score(gold, [[LABELS[k] for k in path] for path in paths])
    for name, result in results.items():
        print(f"{name}: micro F1 {result['micro']['f1']:.4f} " + " ".join(
            f"{k} {v['f1']:.3f}" for k, v in result["types"].items()), flush=True)
    args.report.write_text(json.dumps(results, indent=1))


def main() -> None:
    import torch
    from gensim.models import KeyedVectors

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("--vectors", type=Path, required=True)
    parser.add_argument("--top", type=int, default=60000, help="Most frequent SaudiNewsNet words kept.")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--mode", choices=("dev", "final", "combine", "export"), default="dev",
                        help="dev: train on 90%%, score dev each epoch; final: train on all, keep each epoch's "
                             "weights in --checkpoints; combine: score dev --checkpoint with the dev CRF "
                             "--crf-model at several CRF weights into --report; export: ship --checkpoint as ONNX.")
    parser.add_argument("--crf-model", type=Path, help="CRF trained without dev (train_ner.py --dev-model).")
    parser.add_argument("--crf-weight", type=float, default=0.0, help="Shipped weight of the CRF marginals.")
    parser.add_argument("--checkpoints", type=Path, default=Path("/tmp/ner/checkpoints"))
    parser.add_argument("--checkpoint", type=Path, help="Weights to export (export mode).")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--report", type=Path, default=Path("/tmp/ner/neural-dev.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    sentences = read_gold(args.train.read_text(encoding="utf-8").splitlines(), str(args.train))
    clusters = read_json_gz(CLUSTERS_PATH)["words"]
    countries = country_names()
    kv = KeyedVectors.load(str(args.vectors))
    meta, vectors = build_meta(sentences, clusters, kv, args.top)
    print(f"{len(meta['words'])} words ({vectors.nbytes // 2**20} MB), {len(meta['chars'])} chars", flush=True)
    train_part, dev = split_dev(sentences)
    net = make_net(meta, kv.vector_size, args.hidden)
    if args.mode == "dev":
        items = crossfold(train_part, clusters, countries, meta, vectors)
        dev_items = featurize(dev, Lexicon(clusters, gazetteer(train_part, countries)), meta, vectors)
        args.checkpoints.mkdir(parents=True, exist_ok=True)
        scores = fit(net, items, args.epochs, dev_items, [t for _, t in dev], args.seed, args.checkpoints / "dev-")
        best = int(np.argmax(scores)) + 1
        args.report.write_text(json.dumps({"epochs": scores, "best_epoch": best}, indent=1))
        print(f"best dev F1 {max(scores):.4f} after {best} epochs", flush=True)
        return
    if args.mode == "final":
        args.checkpoints.mkdir(parents=True, exist_ok=True)
        fit(net, crossfold(sentences, clusters, countries, meta, vectors), args.epochs, None, None, args.seed,
            args.checkpoints / "all-")
        return
    net.load_state_dict(torch.load(args.checkpoint))
    if args.mode == "combine":
        combine(net, dev, Lexicon(clusters, gazetteer(train_part, countries)), meta, vectors, args)
        return
    meta["crf_weight"] = args.crf_weight
    lexicon = Lexicon(clusters, gazetteer(sentences, countries))
    items = featurize(sentences[:20], lexicon, meta, vectors)
    export(net, meta, vectors, items[0])
    tagger = NeuralTagger(lexicon=lexicon)
    with torch.no_grad():
        for it, (tokens, _) in zip(items, sentences[:20]):
            ours = net(*(torch.from_numpy(it[k][None]) for k in ("words", "stripped", "chars", "cats", "gaz")))
            assert np.allclose(ours[0].numpy(), tagger.emissions(tokens), atol=1e-3), "ONNX export disagrees"
    print(f"-> {NEURAL_PATH} ({NEURAL_PATH.stat().st_size // 1024} KB), {NEURAL_VECTORS_PATH} "
          f"({NEURAL_VECTORS_PATH.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
