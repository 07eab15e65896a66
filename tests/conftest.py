"""Shared test helpers: real files (bundled seeds, fixtures), real SQLite files, the real CLI."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rasd import DEMO_DIR

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = sorted(DEMO_DIR.glob("*.txt"))
SEED_IDS = [p.stem for p in SEEDS]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RASD = Path(sys.executable).parent / "rasd"


def run_rasd(*args: str, db: Path | None = None, input: str | None = None, check: bool = False):
    """Run the installed `rasd` command as a user would; returns the CompletedProcess."""
    env = dict(os.environ)
    env.pop("RASD_DB", None)
    cmd = [str(RASD), *args] + (["--db", str(db)] if db else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, input=input, env=env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def rasd_json(*args: str, db: Path | None = None):
    proc = run_rasd(*args, "--json", db=db, check=True)
    return json.loads(proc.stdout)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def seed_dir(tmp_path) -> Path:
    target = tmp_path / "seeds"
    target.mkdir()
    for path in SEEDS:
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def fixture_copy(tmp_path):
    """Copy the named fixture files into a fresh folder and return it."""
    def make(*names: str) -> Path:
        target = tmp_path / "inputs"
        target.mkdir(exist_ok=True)
        for name in names:
            shutil.copy(FIXTURES / name, target / name)
        return target
    return make


def snn_records(day: str, source: str | None = None) -> list[dict]:
    """A SaudiNewsNet day's records in the day's order, one per url (of one outlet, with `source`); the test
    is skipped when ../shared/data is not beside the repo."""
    import zipfile

    path = SHARED / "data" / "saudinewsnet" / f"{day}.zip"
    if not path.exists():
        pytest.skip("../shared/data not beside the repo")
    with zipfile.ZipFile(path) as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    seen, out = set(), []
    for r in records:
        if r["url"] not in seen and (source is None or r["source"] == source):
            seen.add(r["url"])
            out.append(r)
    return out


def write_jsonl(records: list[dict], path: Path) -> Path:
    """`records` as a JSONL file, as a user feeds them to `rasd ingest`."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def place_records(engine, records) -> list[tuple[int, object, object]]:
    """Feed SaudiNewsNet records to a story engine in order, as the pipeline does, opening a story
    where it decides so; (story id, decision, features) of each."""
    next_id, out = 1, []
    for rowid, r in enumerate(records, start=1):
        feats, sig = engine.features(r["title"], r["content"], r["date_extracted"])
        decision = engine.decide(feats, sig)
        story = decision.story
        if story is None:
            story, next_id = next_id, next_id + 1
        engine.register(rowid, r["url"], story, story, feats, sig, decision.copy_of)
        out.append((story, decision, feats))
    return out
