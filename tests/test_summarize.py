"""Cited extractive summaries on the seeds (one story, five outlets) and a SaudiNewsNet wire copy."""
import json

import numpy as np
import pytest

from rasd.ingest import read_paths
from rasd.summarize import (DUPLICATE_SIM, MIN_PER_ARTICLE, SENTENCE_BUDGET, SummarizeError, _candidates, _vectors, lead,
                            split_sentences, summarize, textrank)

from .conftest import FIXTURES, SEEDS, rasd_json, run_rasd


def records(paths) -> list[dict]:
    return [{"id": a.id, "title": a.title, "text": a.text, "source": a.source, "published": a.published}
            for a in read_paths(paths)]


@pytest.fixture(scope="module")
def seeds() -> list[dict]:
    return records(SEEDS)


def test_summarize_seeds_cited_sentences_slice_display_text(seeds):
    result = summarize(seeds)
    by_id = {a["id"]: a for a in seeds}
    assert 3 <= len(result["sentences"]) <= 6
    for sentence in result["sentences"]:
        source = by_id[sentence["article_id"]]
        assert source["text"][sentence["start"]:sentence["end"]] == sentence["text"]
        assert sentence["article_ids"][0] == sentence["article_id"]
        assert set(sentence["article_ids"]) <= set(by_id)
    assert result["headline"] in {a["title"] for a in seeds}
    assert by_id[result["headline_article"]]["title"] == result["headline"]


def test_summarize_huge_story_reads_each_articles_opening(seeds):
    """A story of hundreds of articles (the seeds, each told 100 times over) is summarized from each article's
    first sentences only, so its report stays fast; a story of a few articles reads them whole."""
    many = [a | {"id": f"{a['id']}-{k}", "source": f"outlet{k}"} for k in range(100) for a in seeds]
    per_article = max(MIN_PER_ARTICLE, SENTENCE_BUDGET // len(many))
    assert per_article == MIN_PER_ARTICLE
    whole = _candidates(seeds)
    assert max(s.position for s in whole) >= MIN_PER_ARTICLE  # the seeds are longer than the cap
    capped = _candidates(many, per_article)
    assert len(capped) <= per_article * len(many) and all(s.position < per_article for s in capped)
    result = summarize(many)
    by_id = {a["id"]: a for a in many}
    for sentence in result["sentences"]:
        opening = [s for s in whole if seeds[s.article]["text"] == by_id[sentence["article_id"]]["text"]]
        assert (sentence["start"], sentence["end"]) in {(s.start, s.end) for s in opening[:per_article]}
        assert len(sentence["article_ids"]) >= 100  # said by every retelling of its article


def test_summarize_seeds_no_near_duplicates(seeds):
    texts = [s["text"] for s in summarize(seeds)["sentences"]]
    vectors = _vectors(texts)
    sims = vectors @ vectors.T - np.eye(len(texts))
    assert sims.max() < DUPLICATE_SIM
    assert len({t for t in texts}) == len(texts)


def test_summarize_seeds_cites_every_outlet_that_says_it(seeds):
    """The coalition's end-of-combat announcement is told by 000 and 002: one sentence cites both."""
    cited = [set(s["article_ids"]) for s in summarize(seeds)["sentences"]]
    assert any(len(ids) >= 2 for ids in cited)


def test_summarize_sentences_option_honoured(seeds):
    assert len(summarize(seeds, sentences=3)["sentences"]) == 3
    with pytest.raises(SummarizeError, match="sentences"):
        summarize(seeds, sentences=0)


def test_summarize_single_document(seeds):
    result = summarize(seeds[3:4], sentences=3)
    assert len(result["sentences"]) == 3
    assert {s["article_id"] for s in result["sentences"]} == {seeds[3]["id"]}
    assert result["headline"] == seeds[3]["title"]
    starts = [s["start"] for s in result["sentences"]]
    assert starts == sorted(starts)  # reading order


@pytest.mark.parametrize("articles, reason", [
    ([], "no articles"),
    ([{"id": "a", "title": "شارك", "text": "شارك الخبر\nطباعة\n12 أغسطس 2015\nتابعونا على تويتر"}], "boilerplate"),
    ([{"title": "بلا معرف"}], "needs an 'id'"),
])
def test_summarize_empty_or_boilerplate_input_is_a_clear_error(articles, reason):
    with pytest.raises(SummarizeError, match=reason):
        summarize(articles)


def test_summarize_wire_copy_in_two_outlets_is_one_sentence_citing_both():
    """The same SPA (was) item reprinted by 3alyoum, 2015-08-10: datelines dropped, each fact once."""
    articles = records([FIXTURES / "snn-2015-08-10-wire-gold.json"])
    assert {a["source"] for a in articles} == {"was", "3alyoum"}
    result = summarize(articles)
    ids = {a["id"] for a in articles}
    assert result["sentences"]
    for sentence in result["sentences"]:
        assert set(sentence["article_ids"]) == ids
        assert "واس" not in sentence["text"]
    texts = [s["text"] for s in result["sentences"]]
    assert len(texts) == len(set(texts))


def test_summarize_copy_is_support_not_source():
    articles = records([FIXTURES / "snn-2015-08-10-wire-gold.json"])
    was = next(a for a in articles if a["source"] == "was")
    other = next(a for a in articles if a["source"] != "was")
    other["copy_of"] = was["id"]
    result = summarize(articles)
    assert {s["article_id"] for s in result["sentences"]} == {was["id"]}
    assert all(other["id"] in s["article_ids"] for s in result["sentences"])


@pytest.mark.parametrize("text, expected", [
    ("قال د. أحمد إن النمو 2.5 في المئة. وأضاف أن العام المقبل أفضل؟ نعم!", ["قال د. أحمد إن النمو 2.5 في المئة.", "وأضاف أن العام المقبل أفضل؟", "نعم!"]),
    ("وأدخل الغناء في سيمفونيته التاسعة.فجاءت رسالته إلى العالم", ["وأدخل الغناء في سيمفونيته التاسعة.", "فجاءت رسالته إلى العالم"]),
    ("- السطر الأول\n\nقال: \"انتهى دورنا.\" ثم غادر", ["السطر الأول", "قال: \"انتهى دورنا.\"", "ثم غادر"]),
])
def test_summarize_split_sentences_arabic(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_summarize_baselines_lead_and_textrank(seeds):
    text = seeds[0]["text"]
    spans = split_sentences(text)
    assert lead(text) == spans[:3]
    ranked = textrank(text, limit=4)
    assert len(ranked) == 4 and set(ranked) <= set(spans)


def test_summarize_cli_files_and_single_file(seed_dir):
    result = rasd_json("summarize", *map(str, sorted(seed_dir.iterdir())), "--sentences", "4")
    assert len(result["sentences"]) == 4
    one = run_rasd("summarize", str(sorted(seed_dir.iterdir())[2]), "--sentences", "3", check=True)
    assert one.stdout.count("\n") >= 4 and "[002_" in one.stdout


def test_summarize_cli_unreadable_input_says_why(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("عنوان فقط\n", encoding="utf-8")
    proc = run_rasd("summarize", str(empty))
    assert proc.returncode == 1
    assert "no article could be read" in proc.stderr and "empty.txt" in proc.stderr


def test_summarize_eval_summaries_rejects_non_easc_folder(tmp_path):
    proc = run_rasd("eval", "summaries", str(tmp_path))
    assert proc.returncode == 1 and "TopicN/Articles" in proc.stderr
