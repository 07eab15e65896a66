"""scripts/train_places.py's word reading, on real SaudiNewsNet records: towns after a town noun, a governor or a
capital's adjective; country adjectives of the gazetteer's `...يا` countries."""
import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]
DAY = SHARED / "data" / "saudinewsnet" / "2015-08-10.zip"


def _script():
    sys.path.insert(0, str(ROOT / "scripts"))  # it imports train_idf as the scripts do
    try:
        spec = importlib.util.spec_from_file_location("train_places", ROOT / "scripts" / "train_places.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_town_words_are_counted_after_town_nouns_and_not_after_region_nouns(tmp_path):
    with zipfile.ZipFile(DAY) as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    opening = [(r.get("content") or "")[:1500] for r in records]
    towns = [r for r, text in zip(records, opening) if "محافظة عنيزة" in text or "مدينة بريدة" in text]
    region = [r for r, text in zip(records, opening) if "منطقة القصيم" in text]
    assert towns and region, "08-10 has Unaizah's and Buraidah's date festivals, and Qassim's region"
    with zipfile.ZipFile(tmp_path / "2015-08-10.zip", "w") as out:
        out.writestr("day.json", json.dumps(towns + region, ensure_ascii=False))
    script = _script()
    after, seen = script.after_town_nouns(tmp_path)
    assert after["عنيزة"] + after["بريدة"] >= len(towns) // 2 and seen["بريدة"] >= after["بريدة"]
    # a word after "منطقة" (a region, or an adjective: منطقة خالية) is no town
    assert seen["القصيم"] and not after["القصيم"]


def test_country_adjectives_are_those_of_ya_countries_read_often_enough():
    from collections import Counter

    script = _script()
    seen = Counter({"التركية": 5, "التركي": 5, "الروسية": 4, "الرياضية": 50})
    found = script.country_adjectives(seen)
    assert {"التركية", "التركي"} <= found  # تركيا
    assert "الروسية" not in found  # read 4 times, under 5
    assert "الرياضية" not in found  # "sports": الرياض ends in no يا
