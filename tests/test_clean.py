import json

import pytest

from rasd.clean import boilerplate_rule, clean_text, clean_title
from rasd.normalize import matching_form

from .conftest import FIXTURES, SEEDS


def seed(prefix: str) -> str:
    return next(p for p in SEEDS if p.name.startswith(prefix)).read_text(encoding="utf-8")


def test_clean_seed_001_boilerplate_removed():
    cleaned = clean_text(seed("001"))
    for junk in ["℃ 11 تركيا", "25 نوفمبر 2024", "4:44:29", "تم نسخ عنوان المقال إلى الحافظة"]:
        assert junk not in cleaned.text
    assert "\n492\n" not in f"\n{cleaned.text}\n" and "- 492" not in cleaned.text
    # the repeated headline is kept once
    assert cleaned.text.count("العراق يعلن إجلاء 2100 شحنة لمعدات عسكرية أمريكية") == 1
    assert {name for name, _ in cleaned.removed} >= {"weather_widget", "lone_date", "view_counter", "clipboard"}


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_clean_keeps_every_article_sentence(prefix):
    """Every line of real article text survives cleaning exactly as written."""
    raw_lines = [line.strip() for line in seed(prefix).splitlines() if line.strip()]
    kept = clean_text(seed(prefix)).text.split("\n")
    sentences = [line for line in raw_lines if len(line.split()) >= 6 and not line.startswith("- ")]
    assert sentences
    for sentence in sentences:
        assert sentence in kept


@pytest.mark.parametrize("line, rule", [
    ("- ℃ 11 تركيا", "weather_widget"), ("- 492", "view_counter"), ("عدد المشاهدات: 1,204", "view_counter"),
    ("- 25 نوفمبر 2024", "lone_date"), ("الخميس 9 ديسمبر 2021", "lone_date"),
    ("نشر في: 27 أيلول 2024 - 10:15 ص", "lone_date"), ("منذ 3 ساعات", "relative_time"),
    ("تم نسخ الرابط", "clipboard"), ("شارك | طباعة | تويتر | فيسبوك", "share_print"),
    ("...المزيد", "share_print"), ("// انتهى //", "wire_marker"), ("•", "lone_bullet"),
    ("للتواصل أرسل sms إلى 88548", "sms_contact"), ("88591 - Stc", "sms_contact"),
    ("salem_sahab@hotmail.com", "lone_email"), ("جميع الحقوق محفوظة © 2021", "copyright"),
    # alweeam ends a third of its SaudiNewsNet items so, the headline repeated after it
    ("رابط الخبر بصحيفة الوئام: وفاة المذيع سعود الدوسري", "source_link"),
])
def test_clean_boilerplate_lines(line, rule):
    assert boilerplate_rule(line) == rule


@pytest.mark.parametrize("line", [
    "وأبقت الولايات المتحدة على قوات قوامها 2500 جندي في العراق منذ 2020.",
    "وأضاف البيان أنه لن تكون هناك قوات أمريكية ذات دور قتالي في العراق بحلول 31 ديسمبر/كانون الأول 2021.",
    "سنبقى في العراق لتقديم المشورة",
    "الدفاع عن النفس",
    "— قاسم الاعرجي (@qassimalaraji) December 9, 2021",
    "ارتفعت درجات الحرارة إلى 48 درجة مئوية في الرياض أمس",
    "شارك في الاجتماع وزير الخارجية ونظيره الأمريكي",
    "وأرسل رابط الخبر بصحيفة الوئام: إلى الجهات المعنية",
])
def test_clean_sentences_are_not_boilerplate(line):
    assert boilerplate_rule(line) is None


def test_clean_saudinewsnet_excerpt():
    records = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))
    removed_rules = set()
    for record in records:
        cleaned = clean_text(record["content"], record["title"])
        removed_rules.update(name for name, _ in cleaned.removed)
        assert "// انتهى //" not in cleaned.text
        assert "88591 - Stc" not in cleaned.text
        # cleaning drops lines, never rewrites the ones it keeps
        raw = matching_form(record["content"])
        for line in cleaned.text.split("\n")[:3]:
            assert matching_form(line) in raw
    assert "wire_marker" in removed_rules and "tags" in removed_rules


def test_clean_cuts_email_protection_script_inside_a_line():
    """alweeam and sabq (SaudiNewsNet, 30 items) print a protected address as "[email protected] /* */": the empty
    script comment is cut wherever it stands, the placeholder and the sentence around it stay as written."""
    text = ("ودعت الشركة الراغبين في التقديم لإرسال بريد إلكتروني للعنوان: \xa0[email\xa0protected] /* */ \xa0 يرفق به "
            "السيرة الذاتية المتكاملة.\nإرسال السيرة الذاتية إلى البريد الإلكتروني ( [email\xa0protected] /* */ )، لمدة شهر.")
    cleaned = clean_text(text)
    assert "/*" not in cleaned.text and "*/" not in cleaned.text
    assert cleaned.text.split("\n") == [
        "ودعت الشركة الراغبين في التقديم لإرسال بريد إلكتروني للعنوان: \xa0[email\xa0protected] \xa0 يرفق به السيرة الذاتية المتكاملة.",
        "إرسال السيرة الذاتية إلى البريد الإلكتروني ( [email\xa0protected] )، لمدة شهر."]
    assert cleaned.lines_of("email_protection_script") == [" /* */", " /* */"]
    # a sentence with a slash or an asterisk of its own is untouched
    assert clean_text("نسبة النمو 5/7 * تقديرية").text == "نسبة النمو 5/7 * تقديرية"


def test_clean_title_drops_wire_desk_label():
    assert clean_title("سياسي / الزياني يؤكد تمسك دول مجلس التعاون") == "الزياني يؤكد تمسك دول مجلس التعاون"
    assert clean_title("عام /  تنفيذ حكم القتل") == "تنفيذ حكم القتل"
    assert clean_title("الاقتصاد السعودي / نظرة") == "الاقتصاد السعودي / نظرة"


def test_clean_drops_okaz_share_bar_prefix():
    """Okaz (SaudiNewsNet 2015-08-11) opens every article with its share bar on the first line."""
    text = (" شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك كرمت القيادة الرشيدة شهداء التفجير الإرهابي في مسجد"
            " مقر قوات الطوارئ الخاصة بعسير، بوسام الملك عبدالعزيز من الدرجة الثالثة.\n وعبر ذوو أسر الشهداء عن اعتزازهم.")
    cleaned = clean_text(text)
    assert cleaned.text.startswith("كرمت القيادة الرشيدة شهداء التفجير الإرهابي")
    assert "جوجل" not in cleaned.text and "اكتب رأيك" not in cleaned.text
    assert ("share_bar", "شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك ") in cleaned.removed
    # a sentence that merely starts with شارك is kept
    kept = clean_text("شارك وزير الخارجية في اجتماع مجلس التعاون أمس.").text
    assert kept == "شارك وزير الخارجية في اجتماع مجلس التعاون أمس."


def test_clean_line_rules_as_one_pattern_decide_as_one_by_one():
    """`boilerplate_rule` first asks the line rules' alternation (`_Rules.any_line`): it must find a rule exactly
    where trying each rule in turn does, on the lines of the seeds and of a SaudiNewsNet excerpt (boilerplate
    and text alike) and on the boilerplate examples above."""
    from rasd.clean import _rules

    rules = _rules()
    assert rules.any_line is not None
    records = json.loads((FIXTURES / "snn-2015-08-10-excerpt.json").read_text(encoding="utf-8"))
    texts = [p.read_text(encoding="utf-8") for p in SEEDS] + [r["content"] for r in records]
    lines = [line for text in texts for line in text.split("\n")] + [
        "- ℃ 11 تركيا", "عدد المشاهدات: 1,204", "منذ 3 ساعات", "// انتهى //", "salem_sahab@hotmail.com", "• 25 نوفمبر 2024"]

    def one_by_one(line: str) -> str | None:
        stripped = line.strip()
        body = rules.bullet.sub("", stripped, count=1)
        if not stripped or not body:
            return boilerplate_rule(line)
        return next((name for name, p in rules.line if p.fullmatch(body) or p.fullmatch(stripped)), None)

    found = [boilerplate_rule(line) for line in lines]
    assert found == [one_by_one(line) for line in lines]
    assert len({rule for rule in found if rule}) >= 5  # the lines hold boilerplate of several kinds
