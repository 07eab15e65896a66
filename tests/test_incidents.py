"""Incident keys: reactions to one happening (the Abha mosque bombing, SaudiNewsNet 2015-08-09) meet."""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from rasd import incidents
from rasd.cluster import Decision, StoryEngine, place_stems
from rasd.features import article_features
from rasd.incidents import HOT_COUNT, IncidentCounts, incident_keys

from .conftest import SHARED, place_records, rasd_json, run_rasd, snn_records, write_jsonl
from .test_api import Server, get_json

DAY = SHARED / "data" / "saudinewsnet" / "2015-08-09.zip"


def _keys(title: str, text: str) -> set[tuple[str, str]]:
    return set(incident_keys(article_features(title, text, None).lede, place_stems()))


def _reactions() -> list[dict]:
    """Headlines of 2015-08-09 from six outlets condemning the Asir bombing or visiting its injured."""
    with zipfile.ZipFile(DAY) as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    reacting = re.compile("يدين|يستنكر|تستنكر|تدين|يزور|يدينون|يستنكرون")
    seen, chosen = set(), []
    for r in records:
        if "عسير" in r["title"] and reacting.search(r["title"]) and r["url"] not in seen:
            seen.add(r["url"])
            chosen.append(r)
    return chosen


def test_incident_keys_pair_the_happening_with_where_it_happened():
    turkey = _keys("تركيا تدين التفجير الإرهابي الذي   استهدف مسجد قوات الطوارئ",
                   "أعربت تركيا عن إدانتها للتفجير الإرهابي الذي استهدف مسجد قوات الطوارئ بمدينة أبها، "
                   "وأسفر عن سقوط عدد من الشهداء والجرحى.")
    visit = _keys("أمين عسير يزور رجال الأمن المصابين في التفجير الإرهابي",
                  "زار أمين منطقة عسير رجال الأمن المصابين في التفجير الإرهابي الذي استهدف مسجد قوات الطوارئ")
    assert ("تفجير", "مسجد") in turkey & visit  # the bombing of the mosque: both name it
    university = _keys("مدير الجامعة الإلكترونية يدين التفجير الإرهابي",
                       "عبر مدير الجامعة السعودية الإلكترونية عن إدانته للتفجير الإرهابي")
    assert university and all(where != "جامع" for _, where in university)  # a university is no mosque
    # a traffic accident, a match and an incident word with no place or site carry no key
    assert not _keys("وفاة شخصين في حادث مروري", "توفي شخصان وأصيب ثلاثة في حادث مروري على طريق الرياض")
    assert not _keys("النصر يفوز على الهلال", "فاز فريق النصر على الهلال في مباراة السوبر في لندن")
    assert not _keys("هجوم على الحكومة", "شن نواب هجوما على الحكومة بسبب الموازنة")


def test_a_key_is_hot_after_enough_articles_within_a_day():
    counts, key = IncidentCounts(), frozenset({("تفجير", "عسير")})
    day = 16656.0  # 2015-08-09
    for rowid in range(1, HOT_COUNT):
        counts.observe(rowid, key, day + rowid / 100)
    counts.observe(1, key, day)  # the same article again (a restart reloading it) counts once
    assert not counts.hot(key, day + 0.5)
    counts.observe(HOT_COUNT, key, day - 1.0)  # the day before is within the window
    assert counts.hot(key, day + 0.5) == key
    assert not counts.hot(key, day + 3.0)  # three days on, the key has gone cold
    assert counts.hot(key, None) == key  # an undated article is compared with every day


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_condemnations_of_one_bombing_join_through_its_incident_key(monkeypatch):
    """With incident keys the reactions fall into fewer stories, and the joins say where the incident was."""
    chosen = _reactions()
    assert len(chosen) >= 10

    def run() -> tuple[int, list[dict]]:
        placed = place_records(StoryEngine(), chosen)
        return len({story for story, _, _ in placed}), [decision.reason for _, decision, _ in placed]

    with_keys, reasons = run()
    joined = [r for r in reasons if "incident" in r]
    assert joined and all(r["decision"] == "joined" for r in joined)
    assert all({"عسير", "مسجد"} & set(r["incident"]["where"]) and r["incident"]["words"] for r in joined)
    monkeypatch.setattr(incidents, "HOT_COUNT", 10_000)  # no key is ever hot...
    monkeypatch.setattr("rasd.cluster.VERY_HOT", 10_000)  # ...nor very hot
    without, reasons = run()
    assert not any("incident" in r for r in reasons)
    assert with_keys < without


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_story_report_says_which_incident_an_article_joined_through(tmp_path):
    """`rasd story ID` (text, JSON) and the story page tell the analyst a join went through the incident."""
    from rasd.normalize import strip_marks
    from rasd.web import render, story_view

    path, db = tmp_path / "reactions.jsonl", tmp_path / "rasd.db"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _reactions()), encoding="utf-8")
    rasd_json("ingest", str(path), db=db)
    stories = rasd_json("stories", "--limit", "100", db=db)
    reports = [rasd_json("story", str(s["id"]), db=db) for s in stories]
    report = next(r for r in reports if any((a["join"] or {}).get("incident") for a in r["articles"]))
    via = next(a["join"]["incident"] for a in report["articles"] if (a["join"] or {}).get("incident"))
    assert {"عسير", "مسجد"} & set(via["where"]) and via["words"]
    # the stems as the article writes them: a word of its headline or text, not a stem like `ابه`
    written = via["written"]["where"] + via["written"]["words"]
    article = next(a for a in report["articles"] if (a["join"] or {}).get("incident") == via)
    source = next(r for r in _reactions() if hashlib.sha1(r["url"].encode("utf-8")).hexdigest()[:16] == article["id"])
    assert all(w in strip_marks(source["title"] + " " + source["content"]) for w in written)
    text = run_rasd("story", str(report["id"]), db=db, check=True).stdout
    assert "through the incident at" in text and via["written"]["where"][0] in text
    html = render("story.html", data=report, meta={}, query={}, view=story_view(report)).body.decode()
    assert 'class="incident"' in html and "عبر الحادثة في" in html and via["written"]["where"][0] in html
    server = Server(db)  # the JSON API's article detail explains the join the same way
    try:
        _, detail = get_json(f"{server.url}/api/articles/{article['id']}")
    finally:
        server.stop()
    assert detail["data"]["join"]["incident"] == via


def test_where_it_happened_is_looked_up_without_an_incident_word_but_counted_only_with_one():
    """"شهداء مسجد قوات الطوارئ بعسير" names the site and the place, not the bombing: looked up, the pair
    (مسجد, عسير) is a key; counted (made hot, stored on stories) it is not, nor from the Grand Mosque's news."""
    funeral = article_features("شهداء الوطن يوارون الثرى",
                               "ووري الثرى أمس شهداء مسجد قوات الطوارئ في منطقة عسير بعد الصلاة عليهم", None).lede
    assert not incident_keys(funeral, place_stems())
    assert ("مسجد", "عسير") in incident_keys(funeral, place_stems(), lookup=True)
    bombing = _keys("تفجير إرهابي يستهدف مسجدا في عسير", "استهدف تفجير إرهابي مسجد قوات الطوارئ في منطقة عسير")
    assert {("تفجير", "مسجد"), ("تفجير", "عسير"), ("مسجد", "عسير")} <= bombing
    assert not _keys("بدء المرحلة الثالثة من توسعة المطاف في المسجد الحرام", "بدأت في المسجد الحرام بمكة المكرمة أعمال المرحلة الثالثة")



@pytest.mark.skipif(not (SHARED / "data" / "saudinewsnet" / "2015-08-08.zip").exists(), reason="../shared/data not beside the repo")
def test_reactions_naming_only_the_site_and_place_join_the_bombing(monkeypatch):
    """2015-08-08, the second day after the Abha bombing: the 43 articles the gold puts in its story (funerals,
    calls, condemnations; many name "the mosque in Asir" but no incident word) fall into fewer stories when
    the site-and-place key is looked up, and some join through it."""
    gold_path = Path(__file__).resolve().parents[1] / "eval" / "gold" / "snn-2015-08-08-aljazirah-aawsat-alweeam.jsonl"
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines()]
    members = {g["id"] for g in gold if g["story"] == "abha-emergency-forces-mosque-bombing"}
    with zipfile.ZipFile(SHARED / "data" / "saudinewsnet" / "2015-08-08.zip") as archive:
        records = json.loads(archive.read(archive.namelist()[0]))
    chosen, seen = [], set()
    for r in records:
        rid = hashlib.sha1(r["url"].encode("utf-8")).hexdigest()[:16]
        if rid in members and rid not in seen:
            seen.add(rid)
            chosen.append(r)
    assert len(chosen) == len(members) == 43

    def run() -> tuple[int, list]:
        placed = place_records(StoryEngine(), chosen)
        return len({story for story, _, _ in placed}), [(d.reason, f) for _, d, f in placed]

    with_sites, placed = run()
    through_site = [reason for reason, feats in placed if "incident" in reason
                    and not incident_keys(feats.lede, place_stems())]  # no incident word in its opening
    assert through_site and all("مسجد" in r["incident"]["words"] + r["incident"]["where"] for r in through_site)
    original = incidents.incident_keys
    monkeypatch.setattr("rasd.cluster.incident_keys", lambda lede, places, lookup=False: original(lede, places))
    without, _ = run()
    assert with_sites < without


def test_keys_read_ahead_count_on_their_own_day_until_decided():
    """`expect` counts an article read but not decided; `hot` (the decided articles) does not see it, `count`
    does, on its day only: a day's counts do not depend on whether the next day came in the same run."""
    counts, key = IncidentCounts(), frozenset({("تفجير", "عسير")})
    day = 16656.0  # 2015-08-09
    for n in range(HOT_COUNT):
        counts.expect(key, day + n / 100)
    assert not counts.hot(key, day) and counts.count(key, day) == {("تفجير", "عسير"): HOT_COUNT}
    assert counts.count(key, day, ahead=False) == {("تفجير", "عسير"): 0}
    assert counts.count(key, day + 1.0) == {("تفجير", "عسير"): 0}  # the next day's article does not see them
    counts.expect(key, day, -1)  # the first of them is being decided: it no longer counts itself
    assert counts.count(key, day)[("تفجير", "عسير")] == HOT_COUNT - 1
    for n in range(1, HOT_COUNT):
        counts.expect(key, day, -1)
    assert counts.ahead == {}


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_reading_ahead_brings_the_first_reactions_of_the_day_together(tmp_path, monkeypatch):
    """2015-08-10, four days after the Abha bombing, one outlet's whole day (193 articles): its reactions come
    before any key is hot. Read ahead, the bombing's keys are known from the first article, more reactions
    join (some below the usual floor, through a key of the day's dominant happening) and the B-cubed F1
    against the hand-made gold rises; nothing is left counted ahead after the run."""
    from rasd import pipeline as pipeline_module
    from rasd.cluster import INCIDENT_FLOOR
    from rasd.evaluate import bcubed, load_gold
    from rasd.ingest import read_paths
    from rasd.pipeline import Pipeline
    from rasd.store import Store

    chosen = snn_records("2015-08-10", "aljazirah")
    path = write_jsonl(chosen, tmp_path / "aljazirah.jsonl")
    gold = load_gold(Path(__file__).resolve().parents[1] / "eval" / "gold" / "snn-2015-08-10-was-aljazirah.jsonl")

    def run(name: str) -> tuple[float, list[dict]]:
        store = Store(tmp_path / name)
        pipeline = Pipeline(store)
        pipeline.ingest(read_paths([path], ordered=True))
        assert pipeline.engine.incidents.ahead == {}
        rows = store.db.execute("SELECT id, story_id, join_reason FROM articles").fetchall()
        store.close()
        predicted = {aid: story for aid, story, _ in rows if aid in gold}
        assert len(predicted) == len(chosen) == 193
        reasons = [(story, json.loads(reason)) for _, story, reason in rows if reason]
        return bcubed(predicted, {aid: gold[aid] for aid in predicted})["f1"], reasons

    ahead, reasons = run("ahead.db")
    dominant = [story for story, r in reasons if "incident" in r and r["score"] < INCIDENT_FLOOR]
    assert dominant and all(r["incident"]["dominant"] for _, r in reasons if r.get("score", 1) < INCIDENT_FLOOR
                            and "incident" in r)
    text = run_rasd("story", str(dominant[0]), db=tmp_path / "ahead.db", check=True).stdout
    assert "the day's dominant happening" in text  # the analyst is told why so weak a join was made
    monkeypatch.setattr(pipeline_module, "AHEAD", 0)
    alone, _ = run("alone.db")
    assert ahead > alone + 0.005


@pytest.mark.skipif(not DAY.exists(), reason="../shared/data not beside the repo")
def test_the_days_dominant_happening_does_not_join_an_older_story_of_its_kind(tmp_path):
    """The Kuwait mosque bombing's trial (2015-08-03 and 04) and the Abha mosque bombing (08-06) ingested in
    one run: read ahead, "bombing" + "mosque" is very hot on 08-06, and the trial's story carries it; the
    Abha bombing still opens a story of its own instead of joining the trial's."""
    chosen, seen = [], set()
    for day, pattern in (("2015-08-03", "الكويت|الصادق"), ("2015-08-04", "الكويت|الصادق"), ("2015-08-06", "عسير|الطوارئ")):
        for r in snn_records(day):
            if "مسجد" in r["title"] + r["content"][:300] and re.search(pattern, r["title"]) and r["url"] not in seen:
                seen.add(r["url"])
                chosen.append(r)
    path, db = write_jsonl(chosen, tmp_path / "mosques.jsonl"), tmp_path / "rasd.db"
    rasd_json("ingest", str(path), db=db)
    stories = rasd_json("stories", "--limit", "1000", db=db)
    kuwait = [s for s in stories if s["first_seen"][:10] < "2015-08-06"]
    abha = [s for s in stories if s["first_seen"][:10] == "2015-08-06"]
    assert kuwait and abha and max(len(s["article_ids"]) for s in abha) >= 8
    for story in kuwait:
        days = {a["published"][:10] for a in rasd_json("story", str(story["id"]), db=db)["articles"]}
        assert "2015-08-06" not in days or not days & {"2015-08-03", "2015-08-04"}, story["title"]


def test_an_incident_hub_the_index_ranked_out_is_looked_up_by_its_key(tmp_path, monkeypatch):
    """2015-08-07, the day after the Abha bombing, the hand-labelled slice (396 articles of three outlets),
    ingested as `rasd ingest` does: a reaction whose other words bring two dozen other stories first still
    meets the bombing's story, looked up by the hot key it carries (`StoryEngine._hubs`). The gold's bombing
    articles fall into fewer stories and the day's B-cubed F1 rises; without the lookup, as before."""
    from rasd import cluster
    from rasd.evaluate import bcubed, load_gold
    from rasd.ingest import read_paths
    from rasd.pipeline import Pipeline
    from rasd.store import Store

    gold = load_gold(Path(__file__).resolve().parents[1] / "eval" / "gold" / "snn-2015-08-07-almadina-okaz-3alyoum.jsonl")
    chosen = [r for r in snn_records("2015-08-07") if hashlib.sha1(r["url"].encode("utf-8")).hexdigest()[:16] in gold]
    path = write_jsonl(chosen, tmp_path / "slice.jsonl")

    def run(name: str) -> tuple[int, float]:
        store = Store(tmp_path / name)
        Pipeline(store).ingest(read_paths([path], ordered=True))
        predicted = {aid: story for aid, story in store.db.execute("SELECT id, story_id FROM articles") if aid in gold}
        store.close()
        assert len(predicted) == 363  # of the gold's 396: 31 repeat a kept article exactly, 2 are all boilerplate
        bombing = {story for i, story in predicted.items() if gold[i] == "abha-emergency-forces-mosque-bombing"}
        return len(bombing), bcubed(predicted, {i: gold[i] for i in predicted})["f1"]

    looked_up, f1 = run("hubs.db")
    monkeypatch.setattr(cluster, "HUB_LOOKUP", False)
    alone, f1_alone = run("alone.db")
    assert looked_up < alone and f1 > f1_alone


def test_an_incident_is_looked_up_in_the_whole_opening_not_only_the_ledes_strongest_words():
    """A column of 2015-08-07 on the Asir bombing opens "terrorism looms ... the emergency forces in Asir": the
    lede keeps the opening's 40 strongest stems and drops the common "terrorism"; the opening keeps every stem,
    and its (terrorism, Asir) key finds the bombing's story."""
    record = next(r for r in snn_records("2015-08-07", "3alyoum") if r["title"].startswith("عبير الدخيل: فكر همجي"))
    feats, _ = StoryEngine().features(record["title"], record["content"], record["date_extracted"])
    assert ("ارهاب", "عسير") in incident_keys(feats.opening, place_stems(), lookup=True)
    assert not incident_keys(feats.lede, place_stems(), lookup=True)
    assert "ارهاب" in feats.opening and "ارهاب" not in feats.lede


def test_a_key_whose_place_is_a_country_is_never_hot(monkeypatch):
    """"Terrorism" + "Iraq" is every day's news, not one happening: after three reports of an attack naming only
    the country, a condemnation unlike them in words opens a story of its own, where with a town named it joins
    theirs through the key, and would have with the country were it no country."""
    day = 16656.0

    def condemnation(place: str) -> Decision:
        engine = StoryEngine()
        reports = [(f"هجوم إرهابي يستهدف نقطة تفتيش في {place}", f"قتل خمسة جنود في هجوم إرهابي استهدف نقطة تفتيش في {place} صباح اليوم"),
                   (f"مقتل خمسة جنود في هجوم إرهابي في {place}", f"أعلنت السلطات مقتل خمسة جنود في هجوم إرهابي على نقطة تفتيش في {place}"),
                   (f"تنظيم داعش يتبنى الهجوم الإرهابي في {place}", f"تبنى تنظيم داعش الهجوم الإرهابي على نقطة التفتيش في {place}")]
        for rowid, (title, text) in enumerate(reports, start=1):
            feats, sig = engine.features(title, text, None)
            feats.time = day + rowid / 100
            engine.register(rowid, str(rowid), 1, 1, feats, sig, None)
        feats, sig = engine.features(f"مجلس الشورى يدين الاعتداء الإرهابي في {place}",
                                     f"أدان مجلس الشورى الاعتداء الإرهابي الذي شهدته {place} وقدم التعازي لأسر الضحايا", None)
        feats.time = day + 0.5
        return engine.decide(feats, sig)

    town = condemnation("القطيف")
    assert town.story == 1 and town.reason["incident"]["where"] == ["قطيف"]
    country = condemnation("العراق")
    assert country.story is None and "incident" not in country.reason
    monkeypatch.setattr("rasd.cluster.country_stems", lambda: frozenset())
    assert condemnation("العراق").reason["incident"]["where"] == ["عراق"]
