"""Syndicated copies: MinHash LSH over word shingles of the matching form.

A Saudi Press Agency item reprinted by five newspapers, or one page scraped twice with different
boilerplate, is the same text with small edits at the edges. Word 4-shingles of the folded text
with MinHash (128 permutations) and LSH at Jaccard 0.7 find those copies in constant time per
article; the copy is kept and linked to its canonical (first-seen) article rather than counted twice.
`scripts/measure_shingles.py` compares word and character shingles on SaudiNewsNet.
"""
from __future__ import annotations

import base64

import numpy as np
from datasketch import MinHash, MinHashLSH

from .normalize import matching_form, tokens

__all__ = ["CopyIndex", "shingles", "signature"]

NUM_PERM = 128
_SEED = 1


def shingles(text: str, size: int = 4, kind: str = "word") -> set[bytes]:
    """Shingles of the folded text: runs of `size` words, or of `size` characters with kind='char'."""
    folded = matching_form(text)
    if kind == "char":
        compact = " ".join(tokens(folded))
        return {compact[i:i + size].encode() for i in range(max(1, len(compact) - size + 1))}
    words = tokens(folded)
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


_SCHEME = "affine32"
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)


def signature(text: str, size: int = 4, kind: str = "word", shingle_set: set[bytes] | None = None) -> MinHash:
    """MinHash of the text's shingles (pass `shingle_set` when already computed)."""
    sig = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME, permutations=_TEMPLATE.permutations)
    sig.update_batch(list(shingle_set if shingle_set is not None else shingles(text, size, kind)))
    return sig


def pack(sig: MinHash) -> str:
    return base64.b64encode(sig.hashvalues.astype(np.uint32).tobytes()).decode("ascii")


def unpack(data: str) -> MinHash:
    values = np.frombuffer(base64.b64decode(data), dtype=np.uint32).astype(np.uint64)
    return MinHash(num_perm=NUM_PERM, seed=_SEED, hashvalues=values, scheme=_SCHEME,
                   permutations=_TEMPLATE.permutations)


class CopyIndex:
    """Finds, for a new text, an earlier article it is a near-verbatim copy of."""

    def __init__(self, threshold: float = 0.7, min_shingles: int = 20):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.min_shingles = min_shingles
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.sigs: dict[int, MinHash] = {}

    def add(self, key: int, sig: MinHash) -> None:
        self.lsh.insert(key, sig, check_duplication=False)
        self.sigs[key] = sig

    def find(self, sig: MinHash) -> tuple[int, float] | None:
        """(key, estimated Jaccard) of the best earlier copy, or None."""
        best = None
        for key in self.lsh.query(sig):
            jaccard = sig.jaccard(self.sigs[key])
            if jaccard >= self.threshold and (best is None or jaccard > best[1] or
                                              (jaccard == best[1] and key < best[0])):
                best = (key, jaccard)
        return best
