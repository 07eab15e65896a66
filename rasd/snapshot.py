"""The ingesting process's in-memory state, saved beside the database so the next run need not rebuild it.

`rasd ingest` rebuilds the story engine and the entity resolver from every stored article before it
reads the first new one: ~20 s on the 30k-article SaudiNewsNet store, for a run that may add five
articles. After a run that completed, the state is written to `<database>.engine` (pickle, ~170 MB and
~3 s there; not again when nothing was stored since), and the next run loads it (~3 s) instead -- when,
and only when, it was written for the store as it is now (`Store.generation`: counts and last ids of
articles, stories, entities and mentions) by the same rasd (`fingerprint`: the engine's code and data
files). Anything else (another writer since, an upgrade, a damaged or foreign file) and the store is
replayed, as without a snapshot. A loaded snapshot is the state of the run that saved it, carried on:
its decisions on dated articles are a rebuilt engine's (a test holds them equal); it differs only in
having dropped expired stories from long index postings on the way, which only an undated article
could notice (as it already could between ingesting days together and one by one).

The file is read with an unpickler that builds only rasd's own state classes, a few containers and
numpy arrays, so a snapshot from elsewhere cannot make it call anything else.
"""
from __future__ import annotations

import copyreg
import hashlib
import os
import pickle
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

from . import DATA_DIR

__all__ = ["fingerprint", "load", "save", "snapshot_path", "usable"]

FORMAT = 1
_CODE = ("cluster.py", "features.py", "incidents.py", "dedupe.py", "entities.py", "normalize.py", "snapshot.py")
_DATA = ("join_model.json", "idf.json.gz", "topics.npz", "places.json", "entity_aliases.json", "titles.json")
_CLASSES = {
    "rasd.cluster": {"StoryEngine", "StoryState", "Members", "Burst", "JoinModel"},
    "rasd.dedupe": {"CopyIndex"},
    "rasd.incidents": {"IncidentCounts"},
    "rasd.entities": {"EntityResolver", "_Entity"},
    "collections": {"Counter", "defaultdict", "OrderedDict"},
    "builtins": {"set", "frozenset", "list", "dict", "int", "float", "str", "tuple", "bytes", "bytearray"},
    "numpy": {"dtype", "ndarray"},
    "numpy._core.numeric": {"_frombuffer"},
    "numpy.core.numeric": {"_frombuffer"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
}


def snapshot_path(db_path: str | Path) -> Path | None:
    """Where the snapshot of the database at `db_path` lives (None for an in-memory database)."""
    return None if str(db_path) == ":memory:" else Path(f"{db_path}.engine")


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """The engine's code and data files, hashed: a snapshot from another version is not used."""
    import numpy

    digest = hashlib.sha1(f"{FORMAT} {sys.version_info[:2]} {numpy.__version__}".encode())
    here = Path(__file__).parent
    for path in [here / name for name in _CODE] + [DATA_DIR / name for name in _DATA]:
        digest.update(path.name.encode() + (path.read_bytes() if path.is_file() else b"-"))
    return digest.hexdigest()


class _Unpickler(pickle.Unpickler):
    """Builds only the classes in `_CLASSES`."""

    def find_class(self, module: str, name: str):
        if name in _CLASSES.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a rasd snapshot")


def _header(generation: tuple) -> tuple:
    """What a snapshot's first pickle must be for the store at `generation` and this rasd."""
    return FORMAT, fingerprint(), generation


def _counter(counter: Counter) -> tuple:
    """A Counter pickled as a plain dict is, its items written straight from it, not through `Counter.__reduce__`,
    which first copies it into a new dict: the entity resolver holds ~200k of them on the 30k-article store,
    whose save took 4.0 s of CPU, 2.9 s this way (loaded the same: an empty Counter, then its items in order)."""
    return Counter, (), None, None, iter(counter.items())


def save(path: Path, generation: tuple, state: tuple) -> None:
    """Write `state` for the store at `generation`, atomically (a reader sees the old file or the new)."""
    from . import cluster

    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:  # the header first, so that a stale snapshot is not read whole
            pickle.dump(_header(generation), out, protocol=5)
            pickler = pickle.Pickler(out, protocol=5)
            pickler.dispatch_table = {**copyreg.dispatch_table, Counter: _counter}
            pickler.dump((dict(cluster._STEM_IDS), state))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def usable(path: Path, generation: tuple) -> bool:
    """Whether the file's header says it was saved for the store at `generation` by this rasd."""
    try:
        with path.open("rb") as handle:
            return _Unpickler(handle).load() == _header(generation)
    except Exception:  # noqa: BLE001 - missing, damaged or foreign: not usable
        return False


def load(path: Path, generation: tuple) -> tuple | None:
    """The state saved for the store at `generation` by this rasd, or None (no file, another store
    state or version, a damaged or foreign file, or stem ids already given out in this process)."""
    from . import cluster

    try:
        with path.open("rb") as handle:
            if _Unpickler(handle).load() != _header(generation):
                return None
            stem_ids, state = _Unpickler(handle).load()
    except Exception:  # noqa: BLE001 - a snapshot that is missing or cannot be read is only a lost shortcut
        return None
    with cluster._STEM_IDS_LOCK:  # member vectors name stems by id: this process must number them alike
        if any(stem_ids.get(stem) != i for stem, i in cluster._STEM_IDS.items()):  # ids are 0, 1, ... in order
            return None
        cluster._STEM_IDS.update(stem_ids)
    return state
