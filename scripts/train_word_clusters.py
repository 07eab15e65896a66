"""Learn word clusters from SaudiNewsNet for the NER features: word2vec, then k-means at four sizes.

    python scripts/train_word_clusters.py ../shared/data/saudinewsnet rasd/data/word_clusters.json.gz
    python scripts/train_word_clusters.py ../shared/data/saudinewsnet rasd/data/word_clusters.json.gz --second

Words are `rasd.ner.tokenize` tokens of the matching form (clitics left on, as ANERcorp has them).
Skip-gram vectors (gensim, one thread) of words seen at least `--min-count` times are L2-normalised
and clustered by k-means into 64, 256, 1024 and 4096 clusters; a word's cluster ids play the part of
Brown-cluster prefixes, and a fifth number is its frequency class (log2 of its count).

`--second` adds a second clustering to the file's existing table (key `second`: word -> ids) rather
than writing a new one: CBOW vectors over a ±2 window (closer to word classes than to topics),
k-means into 128, 512 and 2048 clusters. Needs `pip install -e '.[train]'`; only these numbers ship.
"""
from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np

from rasd.ner import tokenize
from rasd.normalize import matching_form
from train_idf import distinct_records  # scripts/ is on the path when run as a script

SIZES = (64, 256, 1024, 4096)


def sentences(folder: Path):
    """Token lists, one per paragraph of each distinct SaudiNewsNet article."""
    for record in distinct_records(folder):
        for paragraph in f"{record.get('title') or ''}\n{record.get('content') or ''}".split("\n"):
            tokens = [t for t, _, _ in tokenize(matching_form(paragraph))]
            if tokens:
                yield tokens


def main() -> None:
    from gensim.models import Word2Vec
    from sklearn.cluster import MiniBatchKMeans

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--window", type=int, default=5, help="word2vec context window")
    parser.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="k-means sizes, comma-separated")
    parser.add_argument("--save-vectors", type=Path, help="Also keep the word2vec vectors here (gensim "
                        "KeyedVectors) for scripts/train_ner_neural.py.")
    parser.add_argument("--second", action="store_true", help="Add the second clustering (CBOW, window 2, "
                        "k 128/512/2048) to OUT's table instead of writing OUT anew.")
    args = parser.parse_args()
    if args.second:
        args.cbow, args.window, args.sizes = True, 2, "128,512,2048"
    started = time.time()
    corpus = list(sentences(args.data))
    print(f"{len(corpus)} paragraphs, {sum(map(len, corpus))} tokens ({time.time() - started:.0f}s)")
    model = Word2Vec(corpus, vector_size=args.dim, window=args.window, min_count=args.min_count, sg=int(not args.cbow), negative=5,
                     epochs=args.epochs, workers=1, seed=13)
    if args.save_vectors:
        model.wv.save(str(args.save_vectors))
    words = model.wv.index_to_key
    vectors = model.wv.vectors / np.linalg.norm(model.wv.vectors, axis=1, keepdims=True)
    print(f"word2vec: {len(words)} words ({time.time() - started:.0f}s)")
    sizes = [int(k) for k in args.sizes.split(",")]
    ids = []
    for k in sizes:
        kmeans = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=3, random_state=13, max_iter=200)
        ids.append(kmeans.fit_predict(vectors))
        print(f"k-means k={k} ({time.time() - started:.0f}s)")
    if args.second:
        table = json.loads(gzip.decompress(args.out.read_bytes()))
        table["second"] = {w: [int(level[i]) for level in ids] for i, w in enumerate(words)}
        table["second_sizes"] = sizes
        table["second_word2vec"] = {"window": args.window, "sg": 0, "dim": args.dim}
        args.out.write_bytes(gzip.compress(json.dumps(table, ensure_ascii=False, sort_keys=True).encode("utf-8"), 9, mtime=0))
        print(f"second clustering of {len(words)} words -> {args.out} ({args.out.stat().st_size // 1024} KB)")
        return
    table = {
        "source": "SaudiNewsNet (Alhagri 2015), CC BY-NC-SA 4.0; cluster ids only",
        "sizes": sizes, "word2vec": {"window": args.window, "sg": int(not args.cbow), "dim": args.dim},
        "words": {w: [*(int(level[i]) for level in ids), int(np.log2(model.wv.get_vecattr(w, "count")))]
                  for i, w in enumerate(words)},
    }
    args.out.write_bytes(gzip.compress(json.dumps(table, ensure_ascii=False, sort_keys=True).encode("utf-8"), 9, mtime=0))
    print(f"{len(words)} words -> {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
