import pytest

from rasd.normalize import matching_form, tokens


def test_normalize_issue_example():
    assert matching_form("الدولى لیس الأطلـسي ٢٧ أيلول ٢٠٢٤ المھام مدينة") == "الدولي ليس الاطلسي 27 ايلول 2024 المهام مدينه"


@pytest.mark.parametrize("written, folded", [
    ("أعلن", "اعلن"), ("إعلان", "اعلان"), ("آخر", "اخر"), ("ٱلله", "الله"),       # alef variants
    ("جدّد", "جدد"), ("العمليّاتية", "العملياتيه"), ("مُحَمَّد", "محمد"),          # diacritics
    ("سيَستمـر", "سيستمر"), ("الأطلـسي", "الاطلسي"),                           # tatweel
    ("فى", "في"), ("قیادة", "قياده"), ("ذات نجمتین", "ذات نجمتين"),              # ى / ی
    ("کوردستان", "كوردستان"), ("ھذا", "هذا"), ("ە", "ه"),                       # Persian letters
    ("٢١٠٠ شحنة", "2100 شحنه"), ("۱۴۰۲", "1402"),                              # Eastern/Persian digits
    ("بغداد، الخميس؛ لماذا؟", "بغداد, الخميس; لماذا?"),                        # punctuation
    ("«داعش»  “سقط”", '"داعش" "سقط"'), ("2020–2021", "2020-2021"),
    ("  كلمة\t\nأخرى  ", "كلمه اخري"),                                          # whitespace
    ("كلمة\u2028\u3000\x1cأخرى\r\n\vثالثة\u2003", "كلمه اخري ثالثه"),             # Unicode whitespace runs
    ("ﻻ ﷲ", "لا الله"),                                                          # presentation forms
])
def test_normalize_folds(written, folded):
    assert matching_form(written) == folded


def test_normalize_is_idempotent_on_seed(seed_dir):
    text = next(seed_dir.glob("004_*.txt")).read_text(encoding="utf-8")
    once = matching_form(text)
    assert matching_form(once) == once
    assert "ھ" not in once and "ی" not in once and "ـ" not in once


def test_normalize_tokens_drop_punctuation():
    assert tokens(matching_form("قال الأعرجي: «انتهى دورنا القتالي».")) == ["قال", "الاعرجي", "انتهي", "دورنا", "القتالي"]


def test_translator_equals_one_pass_map(seed_dir):
    from rasd.normalize import DIGIT_MAP, LETTER_MAP, PUNCT_MAP, translator

    mapping = LETTER_MAP | DIGIT_MAP | PUNCT_MAP
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(seed_dir.glob("*.txt")))
    assert translator(mapping)(text) == text.translate(str.maketrans(mapping))
    with pytest.raises(ValueError, match="replacement contains a mapped character"):
        translator({"أ": "ا", "ا": "ء"})  # one character at a time would turn أ into ء
