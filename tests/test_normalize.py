import pytest

from rasd.normalize import matching_form, tokens, word_cache


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
    ("ملامح وجو\u00adههم", "ملامح وجوههم"), ("ابتعاد الزوج عن\u00ad زوجته", "ابتعاد الزوج عن زوجته"),  # soft hyphen
    ("مسا\u2060ء", "مساء"),                                                      # word joiner
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


def test_word_cache_is_bounded_and_answers_as_the_function(seed_dir):
    calls = []

    def fold(word):
        calls.append(word)
        return matching_form(word)

    cached = word_cache(50)(fold)
    words = next(seed_dir.glob("000_*.txt")).read_text(encoding="utf-8").split()
    assert len(set(words)) > 100
    assert [cached(word) for word in words] == [matching_form(word) for word in words]
    assert 25 <= len(cached.__self__) <= 50  # the oldest half goes when full
    assert len(calls) > len(set(words))  # so evicted words were folded again


def test_word_caches_keep_one_string_per_word():
    """Each stage slices its own token strings; two caches fed the same word from two texts store one
    key string, and equal values are one string too."""
    first, second = word_cache(10)(matching_form), word_cache(10)(matching_form)
    one, other = "".join(["الع", "راق"]), "".join(["العر", "اق"])
    assert one == other and one is not other
    assert first(one) is second(other)
    assert next(iter(first.__self__)) is next(iter(second.__self__))


def test_word_cache_of_words_keeps_the_smaller_dict_table():
    """`WORDS` is the most keys a 2**18-slot dict holds: a full cache and one refilled after eviction
    stay at ~5 MB, where a 200k bound doubled the table to ~10.5 MB."""
    import sys

    from rasd.normalize import WORDS, word_cache

    cached = word_cache(WORDS)(str.upper)
    for i in range(WORDS + 100_000):  # fills it, drops half, fills again
        assert cached(f"w{i}") == f"W{i}"
    table = cached.__self__
    assert WORDS // 2 < len(table) <= WORDS and sys.getsizeof(table) < 6_000_000
