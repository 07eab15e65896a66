"""The Arabic web UI in a real browser (Debian's chromium through Playwright) against a real `rasd serve`.

Screenshots of each page land in `test-artifacts/` (gitignored). Chromium comes from `make browser`
(run by `make test`); Playwright's own browser download is never used.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from rasd.web import highlight, render, story_view, timeline_chart

from .conftest import SEEDS
from .test_api import Server, get_json, seeded_db

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SEED_STORY_ARTICLES = {"000_4c55cc848c8012d4", "002_ae965bdf7bbc0df8"}  # the 9 Dec 2021 announcement

# Records CSP violations in the page; init scripts are injected by the browser, not subject to the page's CSP.
CSP_PROBE = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(seeded_db(tmp_path_factory.mktemp("web")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser` (make test does) to install Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, page errors and CSP violations; none may happen."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    tab = context.new_page()
    tab.add_init_script(CSP_PROBE)
    problems: list[str] = []
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type in ("error", "warning") else None)
    tab.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    tab.problems = problems
    yield tab
    csp = tab.evaluate("window.__csp || []")
    context.close()
    assert not csp, f"CSP violations: {csp}"
    assert not problems, problems


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def seed_story(server) -> dict:
    _, body = get_json(f"{server.url}/api/stories?limit=200")
    return next(s for s in body["data"] if SEED_STORY_ARTICLES <= set(s["article_ids"]))


def test_web_story_page_rtl_title_articles(server, page):
    story = seed_story(server)
    _, twin = get_json(f"{server.url}/stories/{story['id']}.json")
    report = twin["data"]
    page.goto(f"{server.url}/stories/{story['id']}")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('main h1')).direction") == "rtl"
    assert "Noto Naskh Arabic" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") == "rgb(21, 50, 74)"
    assert page.inner_text("main h1").strip() == report["title"]
    items = page.locator("ol.article-list > li")
    assert items.count() == report["size"]
    for index, article in enumerate(report["articles"]):
        assert page.locator(f"#a-{index + 1} .art-title").inner_text().strip() == article["title"]
    # Text on the right edge: the title's right side sits at the content's right side (RTL layout).
    title_box, main_box = page.locator("main h1").bounding_box(), page.locator("main").bounding_box()
    assert main_box["x"] + main_box["width"] - (title_box["x"] + title_box["width"]) < 40

    assert report["summary"], "the story report has a cited summary"
    sentences = page.locator("section.summary ol.sentences > li")
    assert sentences.count() == len(report["summary"]["sentences"]) > 0
    for i, sentence in enumerate(report["summary"]["sentences"]):
        cites = sentences.nth(i).locator("a.cite")
        assert cites.count() == len(sentence["article_ids"]) > 0
        for c in range(cites.count()):
            target = cites.nth(c).get_attribute("href")
            assert re.fullmatch(r"#a-\d+", target) and page.locator(target).count() == 1
    # the other analysis sections are drawn from the report: timeline chart, quotes by speaker, numbers
    assert page.locator("svg").count() >= 1
    assert page.get_by_text("برينان").count() >= 1
    shot(page, "story")


def test_web_search_form_lands_on_seed_story(server, page):
    story = seed_story(server)
    page.goto(f"{server.url}/")
    shot(page, "stories")
    page.fill("header form.quick-search input[name=q]", "برنين")
    page.press("header form.quick-search input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*/search\?q="))
    assert page.locator("ol.hits > li").count() == 4  # 000, 001, 004 write برينان; 002 writes برنين
    marks = page.locator("ol.hits mark").all_inner_texts()
    assert marks and set(marks) <= {"برنين", "برينان"}
    assert page.evaluate("getComputedStyle(document.querySelector('ol.hits mark')).backgroundColor") != "rgba(0, 0, 0, 0)"
    shot(page, "search")
    link = page.locator(f"section.story-hits a[href='/stories/{story['id']}']")
    assert link.count() == 1
    link.click()
    page.wait_for_url(f"{server.url}/stories/{story['id']}")
    assert page.inner_text("main h1").strip() == story["title"]


def test_web_search_filters_and_thread_pages(server, page):
    story = seed_story(server)
    page.goto(f"{server.url}/search?q={quote('الأعرجي')}")
    page.fill("form.search-form input[name=since]", "2021-11-01")
    page.fill("form.search-form input[name=until]", "2021-11-30")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url(re.compile(r".*since=2021-11-01.*"))
    hits = page.locator("ol.hits > li")
    assert hits.count() >= 1
    assert all(t.startswith("2021-11") for t in page.locator("ol.hits time").evaluate_all("els => els.map(e => e.dateTime)"))
    page.goto(f"{server.url}/threads/{story['thread']}")
    assert page.locator("ol.thread-stories > li").count() >= 2
    shot(page, "thread")
    page.goto(f"{server.url}/articles/002_ae965bdf7bbc0df8")
    assert "برنين" in page.inner_text("div.body")
    shot(page, "article")


def test_web_entity_page_from_story(server, page):
    story = seed_story(server)
    _, twin = get_json(f"{server.url}/stories/{story['id']}.json")
    assert twin["data"]["entities"], "the seed story names people, places and organisations"
    entity = twin["data"]["entities"][0]
    page.goto(f"{server.url}/stories/{story['id']}")
    page.click(f"section.entities a[href='/entities/{entity['id']}']")
    page.wait_for_url(f"{server.url}/entities/{entity['id']}")
    assert page.inner_text("main h1").strip() == entity["name"]
    assert page.locator(f"main a[href='/stories/{story['id']}']").count() == 1
    shot(page, "entity")
    page.goto(f"{server.url}/entities")
    assert page.locator("table.list tbody tr").count() >= len(twin["data"]["entities"])


# -- rendering helpers, no browser -----------------------------------------------------------------
def test_web_highlight_escapes_then_marks():
    text = 'قال <b>"برنين"</b> & برينان'
    out = str(highlight(text, [[8, 13], [21, 27], [30, 99], [9, 12]]))
    assert out == 'قال &lt;b&gt;&#34;<mark>برنين</mark>&#34;&lt;/b&gt; &amp; <mark>برينان</mark>'


def test_web_timeline_chart_earliest_on_the_right():
    chart = timeline_chart([{"date": "2026-01-15"}, {"date": "2021-12-09"}, {"date": "2021-12"},
                            {"date": "2021-12-09"}, {"date": "قريبا"}, {"date": "2021-W49"},
                            {"date": "2022-03-01/2022-03-31"}])
    x = {p["n"]: p["x"] for p in chart["points"]}
    assert set(x) == {1, 2, 3, 4, 6, 7}  # the undated event is listed, not drawn
    assert x[3] > x[6] > x[2] > x[7]  # 2021-12-01, the week of 2021-12-06, 2021-12-09, a 2022 range
    assert x[1] < x[2] and x[2] == x[4] and x[3] > x[2]  # RTL: later dates further left
    stacked = [p for p in chart["points"] if p["x"] == x[2]]
    assert len({p["y"] for p in stacked}) == 2
    assert [t["label"] for t in chart["ticks"] if not t["end"]] == [str(y) for y in range(2022, 2027)]
    assert timeline_chart([{"date": None}]) is None


def test_web_flat_quotes_grouped_by_speaker():
    flat = [{"speaker": "جون برينان", "entity": 4, "text": "أ", "article_id": "x"},
            {"speaker": None, "entity": None, "text": "ب", "article_id": "x"},
            {"speaker": "برينان", "entity": 4, "text": "ج", "article_id": "y"},
            {"speaker": "قاسم الأعرجي", "entity": None, "text": "د", "article_id": "y"}]
    groups = story_view({"articles": [], "quotes": flat})["quote_groups"]
    assert [(g["speaker"], [q["text"] for q in g["quotes"]]) for g in groups] == [
        ("جون برينان", ["أ", "ج"]), ("قاسم الأعرجي", ["د"]), (None, ["ب"])]
    grouped = [{"speaker": "جون برينان", "quotes": flat[:1]}]
    assert story_view({"articles": [], "quotes": grouped})["quote_groups"] == grouped


def _sentences(path: Path, n: int) -> list[str]:
    text = " ".join(path.read_text(encoding="utf-8").split())
    return [s.strip() + "." for s in text.split(".") if len(s.split()) > 8][:n]


def test_web_story_template_renders_every_section():
    """All optional report parts (summary, timeline, quotes, numbers, entities) render, cited and escaped."""
    first, second = _sentences(SEEDS[0], 3), _sentences(SEEDS[2], 2)
    ids = [SEEDS[0].stem, SEEDS[2].stem]
    report = {
        "id": 1, "thread": 1, "title": "التحالف الدولى فى العراق يعلن انتهاء مهامه العسكرية", "size": 2, "copies": 0,
        "sources": ["alsumaria", "<i>rudaw</i>"], "first_seen": "2021-12-09", "last_seen": "2021-12-10",
        "thread_link": None,
        "articles": [{"id": i, "source": None, "title": t, "published": None, "date_source": None,
                      "url": "javascript:alert(1)", "origin": "", "author": None, "copy_of": None,
                      "snippet": s[0], "join": j} for i, t, s, j in zip(ids, ["أ", "ب"], [first, second],
                                                                    [{"decision": "new"}, {"decision": "new", "other_day": 2, "other_count": 1}])],
        "summary": {"headline": "التحالف الدولي ينهي مهامه القتالية",
                    "sentences": [{"text": first[0], "article_ids": [ids[0]]}, {"text": second[0], "article_ids": ids}]},
        "timeline": [{"date": "2021-12-09", "precision": "day", "text": first[1], "article_ids": [ids[0]]},
                     {"date": "2026-01", "precision": "month", "text": second[1], "article_ids": [ids[1]]}],
        "quotes": [{"speaker": "جون برينان", "entity": 7, "quotes": [
            {"article_id": ids[1], "text": "داعش سقط لكنه لم يخرج من العراق <script>x()</script>", "cue": "قال", "direct": True}]}],
        "numbers": [{"value": 2500, "counts": "جندي", "unit": "جندي", "status": "conflicting", "article_ids": ids,
                     "values": [{"value": 2500, "article_ids": [ids[0]], "text": "2500 جندي"},
                                {"value": 2000, "article_ids": [ids[1]], "text": "ألفي جندي"}]}],
        "entities": [{"id": 7, "type": "PER", "name": "جون برينان", "titles": ["اللواء"], "mentions": 4},
                     {"id": 8, "type": "ORG", "name": "التحالف الدولي", "titles": [], "mentions": 6}],
    }
    html = render("story.html", data=report, meta={}, query={}, view=story_view(report)).body.decode()
    assert html.count('class="cite" href="#a-1"') == 4 and html.count('class="cite" href="#a-2"') == 4
    assert "<svg" in html and html.count('class="event"') == 2
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;rudaw" in html
    assert "javascript:" not in html  # only http(s) article URLs are linked
    assert 'class="status conflicting"' in html and "متعارض" in html
    assert "اللواء" in html and html.count('href="/entities/7"') == 2 and "جون برينان" in html
    assert 'class="na"' not in html.split('<section class="articles"')[0]  # every section had data
    assert html.count("من قصص يوم سابق") == 1  # a day's report kept out of an earlier day's story says so
    assert html.count("بعدد آخر") == 1  # and a headline counting what a story's first counts, differently
