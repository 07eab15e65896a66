import csv
import io
import json
import shutil
from html.parser import HTMLParser

import pytest

from rasd.export import CSV_FIELDS, ExportError, collect_reports, export, render
from rasd.ingest import read_paths
from rasd.pipeline import Pipeline
from rasd.report import story_report
from rasd.store import Store

from .conftest import FIXTURES, SEEDS, run_rasd

SNN = FIXTURES / "snn-2015-08-10-excerpt.json"
HOSTILE = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    """Seeds, SaudiNewsNet excerpt and one article whose title and text carry a script tag."""
    folder = tmp_path_factory.mktemp("inputs")
    for path in [*SEEDS, SNN]:
        shutil.copy(path, folder / path.name)
    record = json.loads(SNN.read_text(encoding="utf-8"))[20]
    hostile = dict(record, url="http://example.org/hostile", source="hostile",
                   title=f"{record['title']} {HOSTILE}", content=f"{record['content']}\n{HOSTILE} <b>عريض</b> & |")
    (folder / "hostile.json").write_text(json.dumps([hostile], ensure_ascii=False), encoding="utf-8")
    path = tmp_path_factory.mktemp("db") / "export.db"
    store = Store(path)
    Pipeline(store).ingest(read_paths([folder]))
    store.close()
    return path


@pytest.fixture
def store(db_path):
    store = Store(db_path)
    yield store
    store.close()


def _article_count(store) -> int:
    return store.db.execute("SELECT count(*) FROM articles WHERE story_id IS NOT NULL").fetchone()[0]


def test_export_jsonl_one_story_report_per_line(store):
    lines = export(store, "jsonl").splitlines()
    reports = [json.loads(line) for line in lines]
    assert len(reports) == len(store.stories())
    assert reports[0] == json.loads(json.dumps(story_report(store, reports[0]["id"])))
    assert sum(len(r["articles"]) for r in reports) == _article_count(store)


def test_export_csv_one_row_per_article(store):
    rows = list(csv.DictReader(io.StringIO(export(store, "csv"))))
    assert len(rows) == _article_count(store) and tuple(rows[0]) == CSV_FIELDS
    hostile = next(r for r in rows if r["source"] == "hostile")
    assert HOSTILE in hostile["title"]  # CSV keeps text as written
    seed = next(r for r in rows if r["article_id"].startswith("002_"))
    assert seed["story_title"] == story_report(store, int(seed["story_id"]))["title"]


def test_export_filters_and_story_ids(store):
    by_source = [json.loads(line) for line in export(store, "jsonl", source="was").splitlines()]
    assert by_source and all("was" in r["sources"] for r in by_source)
    dated = [json.loads(line) for line in export(store, "jsonl", since="2021-01-01").splitlines()]
    assert dated and all(r["last_seen"] >= "2021-01-01" for r in dated)  # the seed stories, not 2015's
    assert {a["id"][:3] for r in dated for a in r["articles"]} <= {"000", "001", "002", "003", "004"}
    wanted = [s["id"] for s in store.stories()][:2][::-1]
    assert [json.loads(line)["id"] for line in export(store, "jsonl", wanted).splitlines()] == wanted


def test_export_bad_format_and_ids(store):
    with pytest.raises(ExportError, match="unknown export format 'pdf'"):
        export(store, "pdf")
    with pytest.raises(ExportError, match="no story 9999"):
        export(store, "md", [9999])
    with pytest.raises(ValueError, match="since"):
        collect_reports(store, since="10/08/2015")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_export_html_rtl_and_escaped(store):
    page = export(store, "html")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ar" dir="rtl">' in page
    assert "Content-Security-Policy" in page and "script-src" not in page
    parsed = _Collector()
    parsed.feed(page)
    assert "script" not in parsed.tags and "b" not in parsed.tags  # the article's markup stays text
    assert any(HOSTILE in chunk for chunk in parsed.text)
    assert "&lt;script&gt;" in page


def test_export_markdown_report(store):
    story = next(s for s in store.stories() if any(i.startswith("002_") for i in s["article_ids"]))
    md = export(store, "md", [story["id"]])
    assert md.startswith("# rasd stories (1)") and f"## Story {story['id']}:" in md
    assert all(f"**{i}**" in md for i in story["article_ids"])
    hostile = next(s for s in store.stories(source="hostile"))
    assert "\\<script\\>" in export(store, "md", [hostile["id"]])


SECTIONS = ("summary", "timeline", "quotes", "numbers", "entities")


def _annotated(store) -> dict:
    """A real seed story report with each section in the shape later stages promise (values made unique)."""
    story = next(s for s in store.stories() if any(i.startswith("002_") for i in s["article_ids"]))
    report = story_report(store, story["id"])
    ids = [a["id"] for a in report["articles"]]
    return report | {
        "summary": {"headline": report["title"], "sentences": [
            {"text": "أعلن التحالف الدولي انتهاء مهامه القتالية في العراق.", "article_ids": ids}]},
        "timeline": [{"date": "2021-12-31", "precision": "day", "text": "نهاية العام الجاري", "article_ids": ids[:1]}],
        "quotes": [{"speaker": "المتحدث المفترض", "quotes": [
            {"article_id": ids[-1], "text": "داعش سقط لكنه لم يخرج من العراق", "cue": "قال", "direct": True}]}],
        "numbers": [{"value": 2500, "counts": 2, "unit": "جندي", "status": "conflicting", "article_ids": ids,
                     "values": [{"value": 2500, "article_ids": ids[:1], "text": "2500"},
                                {"value": 2077, "article_ids": ids[1:], "text": "2077"}]}],
        "entities": [{"id": 1, "type": "PER", "name": "اسم مفترض", "titles": ["اللواء"], "mentions": 3}],
    }


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_export_renders_annotation_sections_when_present(store, fmt):
    report = _annotated(store)
    plain = render([{k: v for k, v in report.items() if k not in SECTIONS}], fmt)
    full = render([report], fmt)
    for text in ("أعلن التحالف الدولي انتهاء مهامه القتالية", "نهاية العام الجاري", "المتحدث المفترض",
                 "داعش سقط لكنه لم يخرج من العراق", "2077 (", "اللواء اسم مفترض"):
        assert text in full and text not in plain, text
    assert all(a["id"] in plain and a["id"] in full for a in report["articles"])
    assert json.loads(render([report], "jsonl"))["summary"] == report["summary"]


def test_export_cli_stdout_file_and_errors(db_path, tmp_path):
    out = run_rasd("export", "--format", "jsonl", "--source", "was", db=db_path, check=True).stdout
    assert all("was" in json.loads(line)["sources"] for line in out.splitlines())
    target = tmp_path / "report.html"
    run_rasd("export", "--format", "html", "-o", str(target), db=db_path, check=True)
    assert '<html lang="ar" dir="rtl">' in target.read_text(encoding="utf-8")
    bad = run_rasd("export", "--format", "pdf", db=db_path)
    assert bad.returncode == 2 and "pdf" in bad.stderr
    missing = run_rasd("export", "--format", "md", "--story", "9999", db=db_path)
    assert missing.returncode == 1 and "no story 9999" in missing.stderr

