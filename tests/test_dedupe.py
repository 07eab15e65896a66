"""Copy detection: the lean LSH index answers as datasketch's MinHashLSH does, on real wire copies."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from datasketch import MinHash, MinHashLSH

from rasd.clean import clean_text
from rasd.dedupe import NUM_PERM, CopyIndex, decode, pack, shingles, signature, unpack

from .conftest import SHARED

FIXTURES = Path(__file__).parent / "fixtures"
DAY = SHARED / "data" / "saudinewsnet" / "2015-08-10.zip"


def _reference_find(lsh: MinHashLSH, sigs: dict, sig, threshold: float = 0.7):
    """What CopyIndex.find answered when it was MinHashLSH.query plus MinHash.jaccard."""
    best = None
    for key in lsh.query(sig):
        jaccard = sig.jaccard(sigs[key])
        if jaccard >= threshold and (best is None or jaccard > best[1] or (jaccard == best[1] and key < best[0])):
            best = (key, jaccard)
    return best


def _agree(texts: list[str]) -> int:
    """Add the texts one by one to both indexes, checking each lookup first; the copies found."""
    index, lsh, sigs, found = CopyIndex(), MinHashLSH(threshold=0.7, num_perm=NUM_PERM), {}, 0
    for key, text in enumerate(texts):
        packed = pack(signature(text))
        sig = unpack(packed)
        mine = index.find(decode(packed))
        assert mine == _reference_find(lsh, sigs, sig), text[:80]
        found += mine is not None
        index.add(key, decode(packed))
        lsh.insert(key, sig)
        sigs[key] = sig
    return found


def test_wire_item_and_its_reprint_are_copies():
    """SPA's gold report and 3alyoum's reprint with another dateline and footer, cleaned as at ingest."""
    records = json.loads((FIXTURES / "snn-2015-08-10-wire-gold.json").read_text("utf-8"))
    reprint, wire = (clean_text(r["content"], r["title"]).text for r in records)
    index = CopyIndex()
    index.add(7, signature(wire))
    key, jaccard = index.find(signature(reprint))
    assert key == 7 and 0.7 <= jaccard < 1.0
    assert index.find(signature(json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text("utf-8"))[0]["content"])) is None


def test_seeds_are_not_copies_of_each_other():
    texts = [p.read_text("utf-8") for p in sorted((SHARED / "seeds").glob("*.txt"))]
    assert len(texts) == 5 and _agree(texts) == 0


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
@pytest.mark.parametrize("merge", [CopyIndex.MERGE, 7])
def test_copy_index_answers_as_minhash_lsh_on_a_day_of_wire_reprints(merge, monkeypatch):
    """Also with the buckets merged into sorted arrays every 7 additions: no copy may be lost or gained."""
    monkeypatch.setattr(CopyIndex, "MERGE", merge)
    with zipfile.ZipFile(DAY) as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    texts = [r["content"] for r in records[:1200] if len((r.get("content") or "").split()) >= 30]
    assert _agree(texts) > 30  # the day's SPA items reprinted by newspapers, and re-scrapes


def _datasketch_values(items: set[bytes]) -> list[int]:
    sig = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
    sig.update_batch(list(items))
    return sig.hashvalues.tolist()


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_signature_is_datasketchs_minhash():
    """rasd hashes shingles itself (datasketch's import pulls in scipy); the values must be datasketch's,
    for seeds, a day's articles, char shingles, one shingle and none."""
    texts = [p.read_text("utf-8") for p in sorted((SHARED / "seeds").glob("*.txt"))]
    with zipfile.ZipFile(DAY) as archive:
        texts += [r["content"] or "" for r in json.loads(archive.read(archive.namelist()[0]))[:300]]
    sets = [shingles(t) for t in texts] + [shingles(t, 5, "char") for t in texts[:20]] + [{b"x"}, set()]
    for items in sets:
        values = signature("", shingle_set=items)
        assert values.dtype == "uint32" and values.tolist() == _datasketch_values(items)
    assert unpack(pack(signature(texts[0]))).jaccard(unpack(pack(signature(texts[0])))) == 1.0


def test_copy_index_refuses_a_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        CopyIndex(threshold=0.0)


def test_banding_is_datasketchs_and_no_process_imports_it():
    """The copy index bands signatures as datasketch's MinHashLSH does; the banding for the default
    threshold is written down, and signatures are hashed in rasd, so that neither the ingesting process
    nor its workers import datasketch (and scipy)."""
    import subprocess
    import sys

    from rasd.dedupe import _BANDING, banding

    for threshold in (*_BANDING, 0.5, 0.85):
        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        assert banding(threshold) == (lsh.b, lsh.r)
    index = CopyIndex()
    assert (index.bands, index.rows) == banding(0.7)
    code = ("import sys; from rasd.pipeline import Pipeline; from rasd.cluster import StoryEngine; StoryEngine(); "
            "from rasd.dedupe import signature; signature('نص ' * 30); "
            "print(sorted({'datasketch', 'scipy'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
