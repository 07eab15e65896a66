import json
import zipfile
from datetime import datetime, timedelta

import pytest

from rasd.article import Article, Rejection
from rasd.decode import decode_bytes
from rasd.article import InputError
from rasd.dates import parse_date
from rasd.ingest import Input, read_input, read_paths

from .conftest import FIXTURES, SEEDS, SHARED, run_rasd


def read_all(*paths, **kw):
    items = list(read_paths([str(p) for p in paths], **kw))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejection)]


def seed_text(prefix: str) -> str:
    return next(p for p in SEEDS if p.name.startswith(prefix)).read_text(encoding="utf-8")


@pytest.mark.parametrize("name, prefix", [
    ("seed000-cp1256.txt", "000"), ("seed004-utf16.txt", "004"), ("seed003-utf8bom.txt", "003"),
])
def test_ingest_decodes_legacy_encodings(name, prefix):
    text = decode_bytes((FIXTURES / name).read_bytes())
    assert text.strip() == seed_text(prefix).strip()


def test_ingest_cp1256_txt_gets_right_title():
    articles, rejected = read_all(FIXTURES / "seed000-cp1256.txt")
    assert not rejected
    assert articles[0].title == "التحالف الدولى فى العراق يعلن انتهاء مهامه العسكرية"
    assert articles[0].id == "seed000-cp1256"


@pytest.mark.parametrize("name, reason", [
    ("pixel.png", "PNG image"), ("empty.txt", "empty file"),
])
def test_ingest_rejects_non_text(name, reason):
    articles, rejected = read_all(FIXTURES / name)
    assert not articles and len(rejected) == 1
    assert reason in rejected[0].reason and rejected[0].path.endswith(name)


def test_ingest_txt_seed_title_body_and_byline_date():
    articles, _ = read_all(next(p for p in SEEDS if p.name.startswith("001")))
    art = articles[0]
    assert art.title == "العراق يعلن إجلاء 2100 شحنة لمعدات عسكرية أمريكية"
    assert art.text.startswith("أعلنت بغداد، الخميس")
    assert art.published == "2021-11-04T16:44:29" and art.date_source == "byline"
    # offsets into the display text hold
    start = art.text.index("قاسم الأعرجي")
    assert art.text[start:start + len("قاسم الأعرجي")] == "قاسم الأعرجي"


def test_ingest_html_page_extracts_article_not_chrome():
    articles, rejected = read_all(FIXTURES / "seed002-page.html")
    assert not rejected
    art = articles[0]
    assert "التحالف الدولي يحذر" in art.title
    assert "وأعرب برنين عن ثقته في أن" in art.text
    for chrome in ["سياسة الخصوصية", "اقرأ أيضا", "ارتفاع أسعار النفط", "تعليق القارئ", "جميع الحقوق محفوظة"]:
        assert chrome not in art.text
    assert art.published and art.published.startswith("2021-12-09")


def test_ingest_html_without_article_is_rejected(tmp_path):
    page = tmp_path / "nav.html"
    page.write_text("<html><body><nav><a href='/'>الرئيسية</a></nav></body></html>", encoding="utf-8")
    articles, rejected = read_all(page)
    assert not articles and "no article text" in rejected[0].reason


def test_ingest_saudinewsnet_day_file_as_is(tmp_path):
    archive = tmp_path / "2015-08-10.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "snn-2015-08-10-excerpt.json", "2015-08-10.json")
    articles, rejected = read_all(archive)
    assert len(articles) == 30 and not rejected
    first = articles[0]
    assert first.source == "was" and first.published.startswith("2015-08-10") and first.url.startswith("http")
    assert first.origin == f"{archive}!2015-08-10.json#0"
    assert len({a.id for a in articles}) == 30


def test_ingest_jsonl_keeps_ids_and_names_broken_line():
    articles, rejected = read_all(FIXTURES / "articles.jsonl")
    assert [a.id for a in articles] == ["snn-a1", "snn-a2"]
    assert len(rejected) == 1 and rejected[0].path.endswith("articles.jsonl:2")
    assert "line 2" in rejected[0].reason and "malformed JSON" in rejected[0].reason


def test_ingest_rss_feed_entries_and_language_rejection():
    articles, rejected = read_all(FIXTURES / "feed.rss")
    assert len(articles) == 1 and articles[0].id == "news-example-iraq-2100"
    assert articles[0].source == "وكالة الأخبار" and articles[0].published == "2021-11-04T13:44:29"
    assert len(rejected) == 1 and "not Arabic" in rejected[0].reason and "en" in rejected[0].reason


def test_ingest_directory_recursive_and_size_limit(tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "seed.txt").write_text(seed_text("002"), encoding="utf-8")
    (tmp_path / "big.txt").write_text(seed_text("000") * 50, encoding="utf-8")
    articles, rejected = read_all(tmp_path, max_bytes=100_000)
    assert [a.id for a in articles] == ["seed"]
    assert len(rejected) == 1 and "over the" in rejected[0].reason and rejected[0].path.endswith("big.txt")


@pytest.mark.parametrize("record, reason", [
    ({"id": 1, "author": "كاتب"}, "no article text"),
    ({"id": 2, "text": ["قائمة"]}, "should be a string"),
    ({"id": 3, "text": "نص عربي كامل عن الاجتماع", "date": "ليس تاريخا"}, "not a date"),
    ({"id": 4, "text": "نص عربي كامل عن الاجتماع", "date": "2015-13-01"}, "not a date: '2015-13-01'"),
    ("نص", "expected an object"),
])
def test_ingest_bad_records_are_rejected_with_reason(record, reason):
    inp = Input("x.jsonl", (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    results = list(read_input(inp))
    assert isinstance(results[0], Rejection) and reason in results[0].reason


def test_ingest_missing_path_is_rejected(tmp_path):
    articles, rejected = read_all(tmp_path / "nope.txt")
    assert not articles and rejected[0].reason == "no such file or directory"


def test_ingest_directory_without_files_is_rejected(tmp_path):
    (tmp_path / "feeds" / "empty").mkdir(parents=True)
    (tmp_path / "feeds" / ".hidden").write_text("x", encoding="utf-8")
    articles, rejected = read_all(tmp_path / "feeds")
    assert not articles and [r.path for r in rejected] == [str(tmp_path / "feeds")]
    assert "no files" in rejected[0].reason
    (tmp_path / "feeds" / "empty" / "seed.txt").write_text(seed_text("000"), encoding="utf-8")
    articles, rejected = read_all(tmp_path / "feeds")
    assert len(articles) == 1 and not rejected


def test_decode_rejects_control_bytes():
    with pytest.raises(InputError, match="not a text file"):
        decode_bytes(bytes(range(1, 32)) * 20)


@pytest.mark.parametrize("text, value", [
    ("2015-13-01", None),  # month 13: was read as 13 January
    ("2015-02-30", None),
    ("2015-00-10", None),
    ("٢٠١٥-١٣-٠١", None),
    ("2015-08-10", "2015-08-10"),
    ("2015-8-1", "2015-08-01"),
    ("2015-08-10 18:52:49", "2015-08-10T18:52:49"),
    ("13/01/2015", "2015-01-13"),  # day first when the year comes last
])
def test_dates_year_first_is_always_year_month_day(text, value):
    assert parse_date(text) == value


def test_dates_two_digit_year_just_ahead_of_this_clock_is_this_century():
    """An RFC 822 stamp with a two-digit year a little ahead of this clock (a site east of it writing its local time as GMT)."""
    soon = datetime.now() + timedelta(hours=3)
    stamp = soon.strftime("%a, %d %b %y %H:%M:%S +0000")
    assert parse_date(stamp) == soon.strftime("%Y-%m-%dT%H:%M:%S")
    assert parse_date("Mon, 10 Aug 15 18:52:49 +0000") == "2015-08-10T18:52:49"
    assert parse_date("Mon, 06 Dec 1926 10:00:00 +0000") == "1926-12-06T10:00:00"  # written in full: as written


def test_dates_impossible_since_is_a_clear_cli_error(tmp_path):
    bad = run_rasd("stories", "--since", "2015-13-01", db=tmp_path / "t.db")
    assert bad.returncode == 2 and "'2015-13-01' is not a date" in bad.stderr and "--since" in bad.stderr


def test_read_paths_in_decision_order_across_files(tmp_path):
    """SaudiNewsNet records out of order, split over two files, one undated: day by day, outlet by outlet,
    each outlet's in time order; the undated one right after the record listed before it."""
    records = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))[:9]
    records[4] = dict(records[4], date_extracted=None)
    (tmp_path / "a.json").write_text(json.dumps(records[::2], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(records[1::2], ensure_ascii=False), encoding="utf-8")
    as_listed, _ = read_all(tmp_path / "a.json", tmp_path / "b.json")
    ordered, rejected = read_all(tmp_path / "a.json", tmp_path / "b.json", ordered=True)
    assert not rejected and sorted(a.id for a in ordered) == sorted(a.id for a in as_listed)
    keys = [(a.published[:10], a.source, a.published) for a in ordered if a.published]
    assert len(keys) == 8 and keys == sorted(keys) and [a.id for a in ordered] != [a.id for a in as_listed]
    assert [a.source for a in ordered[:3]] == ["3alyoum"] * 3 and ordered[0].published < ordered[1].published
    urls = [a.url for a in ordered]
    assert ordered[urls.index(records[4]["url"])].published is None
    assert urls.index(records[4]["url"]) == urls.index(records[2]["url"]) + 1  # a.json lists it after record 2


def test_read_paths_order_window_bounds_memory(tmp_path, monkeypatch):
    """A huge input is sorted `ORDER_WINDOW_MAX` articles at a time, each window in decision order."""
    import rasd.ingest as ingest_module

    records = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))[:9]
    (tmp_path / "day.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(ingest_module, "ORDER_WINDOW_MAX", 4)
    ordered, _ = read_all(tmp_path / "day.json", ordered=True)
    listed = [r["url"] for r in records]
    chunks = [ordered[:4], ordered[4:8], ordered[8:]]
    for k, chunk in enumerate(chunks):  # each window holds the next four as listed, put in order
        assert sorted(a.url for a in chunk) == sorted(listed[4 * k:4 * k + 4])
        keys = [(a.published[:10], a.source, a.published) for a in chunk]
        assert keys == sorted(keys)


@pytest.mark.skipif(not (SHARED / "data" / "saudinewsnet" / "2015-07-21.zip").exists(), reason="../shared/data not beside the repo")
def test_ingest_decodes_html_entities_scrapers_left_in_records(tmp_path):
    """sabq's headlines of 2015-07-21 read `&quot;فنون أبها&quot; تستضيف ...` in SaudiNewsNet: shown so to an
    analyst, and `quot` was a headline word every such headline shared, which made one story of six
    unrelated Abha culture items. Decoded, as the outlet wrote them; the ids stay those the raw record gives."""
    from rasd.cluster import StoryEngine
    from rasd.ingest import derived_id

    from .conftest import snn_records, write_jsonl

    raw = [r for r in snn_records("2015-07-21", "sabq") if "&quot;" in (r.get("title") or "")][:20]
    assert len(raw) == 20
    articles, rejected = read_all(write_jsonl(raw, tmp_path / "sabq.jsonl"))
    assert len(articles) + len(rejected) == 20 and len(articles) >= 15
    by_url = {r["url"]: r for r in raw}
    for article in articles:
        record = by_url[article.url]
        assert "&quot;" not in article.title and '"' in article.title
        assert article.title.replace('"', "&quot;") in record["title"]
        assert article.id == derived_id(record["url"], record["title"], record["content"])
        feats, _ = StoryEngine().features(article.title, article.text, article.published)
        assert "quot" not in feats.title and "quot" not in feats.stems
