import json
import re
import shutil

import pytest

from rasd.ingest import read_paths
from rasd.normalize import matching_form
from rasd.pipeline import Pipeline
from rasd.search import SearchError, search
from rasd.store import Store

from .conftest import FIXTURES, SEEDS, rasd_json, run_rasd

SNN = FIXTURES / "snn-2015-08-10-excerpt.json"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The five seeds and 30 SaudiNewsNet articles, ingested through the Pipeline into a real file."""
    folder = tmp_path_factory.mktemp("inputs")
    for path in [*SEEDS, SNN]:
        shutil.copy(path, folder / path.name)
    store = Store(tmp_path_factory.mktemp("db") / "search.db")
    Pipeline(store).ingest(read_paths([folder]))
    yield store
    store.close()


def _ids(result: dict) -> list[str]:
    return [hit["id"][:3] for hit in result["results"]]


def _marked(hit: dict) -> list[str]:
    return [hit["snippet"][s:e] for s, e in hit["highlights"]]


@pytest.mark.parametrize("query, must_find, written", [
    ("برنين", {"000", "001", "004"}, "برينان"),   # the seeds that only write برينان
    ("برينان", {"002"}, "برنين"),                  # and the one that only writes برنين
    ("الاعرجي", {"001"}, "الأعرجي"),               # 001 writes the name with hamza only
])
def test_search_spelling_variants_meet(store, query, must_find, written):
    result = search(store, query)
    assert must_find <= set(_ids(result))
    for hit in result["results"]:
        if hit["id"][:3] in must_find:
            assert written in _marked(hit), hit["snippet"]


def test_search_alef_maqsura_title_highlight(store):
    result = search(store, "الدولي")
    seed000 = next(hit for hit in result["results"] if hit["id"].startswith("000"))
    title = seed000["title"]
    assert "الدولى" in [title[s:e] for s, e in seed000["title_highlights"]]
    assert "الدولى" in {r["title"].split()[1] for r in search(store, "الدولى")["results"]}


@pytest.mark.parametrize("query, allowed", [
    ("برنين", r"^(برنين|برينان)$"),
    ("التحالف الدولي", r"تحالف|دول"),           # the words, their inflections (للتحالف, الدول)
    ("مجلس التعاون", r"مجلس|مجالس|تعاون"),
    ("قصاصا", r"قصاص"),
])
def test_search_highlights_point_at_matched_words_in_display_text(store, query, allowed):
    result = search(store, query)
    assert result["results"]
    for hit in result["results"]:
        assert hit["highlights"], hit["id"]
        for start, end in hit["highlights"]:
            word = hit["snippet"][start:end]
            assert word and " " not in word and re.search(allowed, matching_form(word)), word


def test_search_snippet_is_display_text(store):
    hit = search(store, "الاعرجي")["results"][0]
    row = store.db.execute("SELECT text FROM articles WHERE id = ?", (hit["id"],)).fetchone()
    body = hit["snippet"].strip("…")
    assert " ".join(body.split()) in " ".join(row["text"].split())


def test_search_ranking_exact_title_words_first(store):
    result = search(store, "الزياني")
    assert result["results"][0]["title"].find("الزياني") >= 0
    scores = [hit["score"] for hit in result["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_stories_of_hits(store):
    result = search(store, "قصاصا")
    story_ids = {hit["story_id"] for hit in result["results"]}
    assert {s["id"] for s in result["stories"]} == story_ids
    top = result["stories"][0]
    assert top["hits"] == 3 and top["size"] == 3 and "القتل" in top["title"]


def test_search_filters_source_dates_story(store):
    by_source = search(store, "الخليج", source="almadina")
    assert by_source["results"] and {h["source"] for h in by_source["results"]} == {"almadina"}
    assert search(store, "الخليج", source="no-such-outlet")["total"] == 0
    dated = search(store, "التحالف", since="2021-01-01", until="2021-12-31")["results"]
    assert "001" in _ids({"results": dated})  # dated 4 Nov 2021 by its byline
    assert dated and all("2021-01-01" <= h["published"][:10] <= "2021-12-31" for h in dated)
    early = search(store, "التحالف", until="2015-08-10")["results"]
    assert early and {h["published"][:10] for h in early} == {"2015-08-10"}  # SaudiNewsNet only
    late = search(store, "التحالف", since="2021-11-05")["results"]
    assert all(h["published"] >= "2021-11-05" for h in late) and "001" not in _ids({"results": late})
    same_day = search(store, "التحالف", since="2015-08-10", until="2015-08-10T23:59")["results"]
    assert {h["published"][:10] for h in same_day} == {"2015-08-10"}
    with pytest.raises(SearchError, match="since 2021-12-31 is after until 2021-01-01"):
        search(store, "التحالف", since="2021-12-31", until="2021-01-01")
    story = search(store, "برنين")["results"][0]["story_id"]
    in_story = search(store, "التحالف", story=story)
    assert in_story["results"] and {h["story_id"] for h in in_story["results"]} == {story}


def test_search_entity_filter(store):
    by_name = search(store, "التحالف", entity="برينان")  # any spelling: the seeds write برينان and برنين
    assert set(_ids(by_name)) == {"000", "001", "002", "004"}
    entity_id = store.db.execute("SELECT entity_id FROM mentions WHERE text = 'برنين' LIMIT 1").fetchone()[0]
    assert _ids(search(store, "التحالف", entity=str(entity_id))) == _ids(by_name)
    with pytest.raises(SearchError, match="entity 'زيد عمرو' is not in"):
        search(store, "التحالف", entity="زيد عمرو")


def test_search_entity_filter_needs_entity_annotations(tmp_path):
    empty = Store(tmp_path / "empty.db")
    with pytest.raises(SearchError, match="entity filter needs entity annotations"):
        search(empty, "التحالف", entity="برينان")
    empty.close()


@pytest.mark.parametrize("kwargs, named", [
    ({"query": ""}, "query"), ({"query": "   \n"}, "query"),
    ({"query": "العراق", "since": "2015-13-01"}, "since"), ({"query": "العراق", "until": "yesterday"}, "until"),
    ({"query": "العراق", "limit": 0}, "limit"), ({"query": "العراق", "offset": -1}, "offset"),
])
def test_search_bad_input_is_a_clear_value_error(store, kwargs, named):
    with pytest.raises(ValueError, match=named):
        search(store, **kwargs)


JUNK = ['"', '""', '"التحالف', 'التحالف"', "*", "برين*", "NEAR(", "NEAR(التحالف الدولي", "AND", "OR NOT",
        "-العراق", "title:العراق", "body : x", "^العراق", "{title}: x", "(", ")", "العراق)", "'", "\\",
        "😀", "🇸🇦 العراق 😀", "في من على", "و", "a", "1", "٢٠١٥", "%", "_", ";", "DROP TABLE articles;--",
        "الـــعـــراق", "العِرَاق", "x" * 300, "العراق " * 2000, "\u200f\u200e", "\x00", "ﻻ ﺍﻟﻌﺮﺍﻕ"]


@pytest.mark.parametrize("query", JUNK)
def test_search_junk_queries_never_error(store, query):
    result = search(store, query)
    assert isinstance(result["results"], list) and result["total"] >= len(result["results"])
    for hit in result["results"]:
        assert all(0 <= s < e <= len(hit["snippet"]) for s, e in hit["highlights"])


def test_search_syntax_characters_are_plain_text(store):
    assert _ids(search(store, '"برنين')) == _ids(search(store, "برنين"))
    assert _ids(search(store, "NEAR(برنين")) == _ids(search(store, "برنين near"))
    assert search(store, "العِرَاق")["total"] == search(store, "العراق")["total"] > 0  # diacritics folded


def test_search_falls_back_to_any_word(store):
    result = search(store, "برنين قصاصا")  # no article has both
    assert result["match"] == "any" and {"002", "9e2"} <= set(_ids(result))


def test_search_paging(store):
    full = search(store, "العراق", limit=100)
    first, second = search(store, "العراق", limit=2), search(store, "العراق", limit=2, offset=2)
    assert full["total"] == first["total"] == second["total"] >= 4
    assert _ids(first) + _ids(second) == _ids(full)[:4]


def test_search_recency_breaks_ties(tmp_path):
    records = json.loads(SNN.read_text(encoding="utf-8"))
    record = records[5]
    older = dict(record, source="alpha", url="http://example.org/a", date_extracted="2015-06-01 10:00:00")
    newer = dict(record, source="beta", url="http://example.org/b", date_extracted="2015-08-10 10:00:00")
    path = tmp_path / "two.json"
    path.write_text(json.dumps([older, newer, *records[10:20]], ensure_ascii=False), encoding="utf-8")
    store = Store(tmp_path / "r.db")
    Pipeline(store).ingest(read_paths([path]))
    hits = search(store, record["title"].split()[1])["results"]
    assert [h["source"] for h in hits[:2]] == ["beta", "alpha"] and hits[0]["score"] > hits[1]["score"]
    store.close()


def test_search_index_backfilled_on_old_database(tmp_path, seed_dir):
    path = tmp_path / "old.db"
    store = Store(path)
    Pipeline(store).ingest(read_paths([seed_dir]))
    before = _ids(search(store, "برنين"))
    store.db.execute("DROP TABLE search_fts")  # the database as a rasd before migration 4 left it
    store.db.execute("DELETE FROM migrations WHERE version = 4")
    store.close()
    reopened = Store(path)
    assert reopened.schema_version() >= 4 and _ids(search(reopened, "برنين")) == before
    assert reopened.reindex_search() == 5 and _ids(search(reopened, "برنين")) == before
    reopened.close()


def test_search_cli_json_and_text(db, seed_dir):
    run_rasd("ingest", str(seed_dir), db=db, check=True)
    result = rasd_json("search", "برنين", "--limit", "2", db=db)
    assert result["total"] == 4 and len(result["results"]) == 2 and result["stories"]
    text = run_rasd("search", "الاعرجي", db=db, check=True).stdout
    assert "[الأعرجي]" in text and "001_8151b30f98c663ec" in text
    bad = run_rasd("search", "العراق", "--since", "2021-02-30", db=db)
    assert bad.returncode == 1 and "since '2021-02-30' is not an ISO date" in bad.stderr
    empty = run_rasd("search", " ", db=db)
    assert empty.returncode == 1 and "query is empty" in empty.stderr
