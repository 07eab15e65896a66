"""Syndicated copies: MinHash LSH over word shingles of the matching form.

A Saudi Press Agency item reprinted by five newspapers, or one page scraped twice with different
boilerplate, is the same text with small edits at the edges. Word 4-shingles of the folded text
with MinHash (128 permutations) and LSH at Jaccard 0.7 find those copies in constant time per
article; the copy is kept and linked to its canonical (first-seen) article rather than counted twice.
`scripts/measure_shingles.py` compares word and character shingles on SaudiNewsNet.
"""
from __future__ import annotations

import base64
from functools import lru_cache
from hashlib import sha1
from typing import TYPE_CHECKING

import numpy as np

from .normalize import matching_form, tokens

if TYPE_CHECKING:
    from datasketch import MinHash

__all__ = ["CopyIndex", "banding", "decode", "pack", "shingles", "signature", "unpack"]

NUM_PERM = 128
_SEED = 1


def shingles(text: str, size: int = 4, kind: str = "word", folded: str | None = None) -> set[bytes]:
    """Shingles of the folded text: runs of `size` words, or of `size` characters with kind='char'.
    `folded`: `matching_form(text)`, when the caller has it already."""
    if folded is None:
        folded = matching_form(text)
    if kind == "char":
        compact = " ".join(tokens(folded))
        return {compact[i:i + size].encode() for i in range(max(1, len(compact) - size + 1))}
    words = tokens(folded)
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


# datasketch's banding (bands, rows) for 128 permutations at the thresholds used, as `MinHashLSH` finds
# it (a test holds these to it)
_BANDING = {0.7: (14, 9)}
_SCHEME = "affine32"


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations (a odd, b) for `_SEED`, drawn as `MinHash` draws them."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, datasketch's pre-mix (uint32 products wrap, as meant)."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def signature(text: str, size: int = 4, kind: str = "word", shingle_set: set[bytes] | None = None) -> np.ndarray:
    """MinHash values (uint32) of the text's shingles; pass `shingle_set` when already computed.

    The same values as datasketch's `MinHash(num_perm=128, seed=1, scheme="affine32").update_batch`
    (a test holds them equal), computed here because importing datasketch imports scipy: ~56 MB and
    0.3 s in every worker process, for a SHA-1, a mix and a min.
    """
    items = shingle_set if shingle_set is not None else shingles(text, size, kind)
    if not items:
        return np.full(NUM_PERM, 0xFFFFFFFF, np.uint32)
    digests = b"".join([sha1(item).digest()[:4] for item in items])  # a list: join sizes it once
    hv = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32)).reshape(-1, 1)
    a, b = _permutations()
    return (hv * a + b).min(axis=0)


def banding(threshold: float) -> tuple[int, int]:
    """(bands, rows) of datasketch's `MinHashLSH` at this Jaccard threshold and `NUM_PERM`."""
    if threshold in _BANDING:
        return _BANDING[threshold]
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def pack(sig: MinHash | np.ndarray) -> str:
    return base64.b64encode(_values(sig).tobytes()).decode("ascii")


def decode(data: str) -> np.ndarray:
    """A packed signature's values (uint32), as `CopyIndex` takes them."""
    return np.frombuffer(base64.b64decode(data), dtype=np.uint32)


def unpack(data: str) -> MinHash:
    """A packed signature as a datasketch `MinHash` (for its `jaccard` and the rest of its API)."""
    from datasketch import MinHash

    a, b = _permutations()
    return MinHash(num_perm=NUM_PERM, seed=_SEED, hashvalues=decode(data), scheme=_SCHEME,
                   permutations=np.array([a, b]))


# Odd multipliers mixing a band's values into one 64-bit key (fixed, so keys are the same in every process)
_BAND_MIX = np.random.default_rng(20151).integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)


class CopyIndex:
    """Finds, for a new text, an earlier article it is a near-verbatim copy of.

    LSH with datasketch's banding for the threshold (14 bands of 9 rows at 0.7 and 128 permutations),
    kept lean for an archive held in memory: a band is one 64-bit mix of its values, and signatures
    are rows of one uint32 matrix. Each band's buckets are a dict of the latest additions (band key ->
    key, a list only when keys share it) and, for all earlier ones, two sorted arrays (band keys, keys)
    that the dict is merged into every `MERGE` additions: 16 bytes an entry, where a dict entry and its
    Python int were ~70. MinHashLSH's per-bucket sets, band bytes and MinHash objects were ~150 MB on a
    30k-article store; dicts alone, ~33 MB.
    """

    MERGE = 4096  # additions kept in the dicts before they go into the sorted arrays

    def __init__(self, threshold: float = 0.7, min_shingles: int = 20):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.min_shingles = min_shingles
        self.bands, self.rows = banding(threshold)
        self._mix = _BAND_MIX[:self.bands * self.rows]
        self._tables: list[dict[int, int | list[int]]] = [{} for _ in range(self.bands)]
        self._merged = [(np.empty(0, np.uint64), np.empty(0, np.int64)) for _ in range(self.bands)]
        self._unmerged = 0
        self._row: dict[int, int] = {}  # key -> its row of `_sigs`
        self._sigs = np.zeros((1024, NUM_PERM), np.uint32)

    def _band_keys(self, values: np.ndarray) -> list[int]:
        mixed = values[:len(self._mix)].astype(np.uint64) * self._mix  # wraps modulo 2**64, as meant
        return mixed.reshape(self.bands, self.rows).sum(axis=1, dtype=np.uint64).tolist()

    def add(self, key: int, sig: MinHash | np.ndarray) -> None:
        values = _values(sig)
        for table, band in zip(self._tables, self._band_keys(values)):
            found = table.get(band)
            if found is None:
                table[band] = key
            elif isinstance(found, list):
                found.append(key)
            else:
                table[band] = [found, key]
        self._unmerged += 1
        if self._unmerged >= self.MERGE:
            self._merge()
        row = self._row.get(key)
        if row is None:
            row = self._row[key] = len(self._row)
            if row == len(self._sigs):
                self._sigs = np.concatenate((self._sigs, np.zeros_like(self._sigs)))
        self._sigs[row] = values

    def _merge(self) -> None:
        """Move every band's dict into its sorted arrays (a stable sort: keys of one bucket stay in order)."""
        for b, table in enumerate(self._tables):
            pairs = [(band, key) for band, hit in table.items() for key in (hit if isinstance(hit, list) else (hit,))]
            bands, keys = self._merged[b]
            bands = np.concatenate((bands, np.fromiter((p[0] for p in pairs), np.uint64, len(pairs))))
            keys = np.concatenate((keys, np.fromiter((p[1] for p in pairs), np.int64, len(pairs))))
            order = np.argsort(bands, kind="stable")
            self._merged[b] = (bands[order], keys[order])
            table.clear()
        self._unmerged = 0

    def find(self, sig: MinHash | np.ndarray) -> tuple[int, float] | None:
        """(key, estimated Jaccard) of the best earlier copy (the lowest key among equals), or None."""
        values = _values(sig)
        found: set[int] = set()
        band_keys = self._band_keys(values)
        for table, band in zip(self._tables, band_keys):
            hit = table.get(band)
            if hit is not None:
                if isinstance(hit, list):
                    found.update(hit)
                else:
                    found.add(hit)
        if len(self._merged[0][0]):
            for (bands, keys), band in zip(self._merged, np.array(band_keys, np.uint64)):
                first = bands.searchsorted(band)
                if first < len(bands) and bands[first] == band:
                    found.update(keys[first:bands.searchsorted(band, "right")].tolist())
        if not found:
            return None
        keys = sorted(found)
        same = np.count_nonzero(self._sigs[[self._row[k] for k in keys]] == values, axis=1)
        best = int(np.argmax(same))  # the first of the largest: the lowest key
        jaccard = float(np.float64(same[best]) / np.float64(NUM_PERM))  # as MinHash.jaccard computes it
        return (keys[best], jaccard) if jaccard >= self.threshold else None


def _values(sig: MinHash | np.ndarray) -> np.ndarray:
    """A signature's values as uint32 (affine32 MinHash values are below 2**32)."""
    return np.asarray(sig if isinstance(sig, np.ndarray) else sig.hashvalues, dtype=np.uint32)
