import re

import pytest

from app.text.reading import WORDS_PER_MINUTE, count_words, reading_time_minutes, text_of_html


class TestCountWords:
    def test_harakat_do_not_split_words(self):
        text = "وَصَلَ الوَفْدُ إِلَى المَدِينَةِ"
        assert count_words(text) == 4
        # What a count on \w runs without removing the marks would say.
        assert len(re.findall(r"\w+", text)) > 4

    def test_tatweel_does_not_split_words(self):
        assert count_words("الـعـاصـمـة جـمـيـلـة") == 2

    def test_shadda_and_tanwin(self):
        assert count_words("مدرّسٌ ومعلّمةٌ") == 2

    def test_glued_waw_is_one_word(self):
        assert count_words("والحكومة وافقت") == 2

    def test_arabic_punctuation_is_not_a_word(self):
        assert count_words("قال: «نعم»، ثم سأل؛ لماذا؟ …") == 5

    def test_latin_punctuation_is_not_a_word(self):
        assert count_words("Hello, world! -- (yes) ... ?") == 3

    def test_numbers_are_words(self):
        assert count_words("قتل ٣ وأصيب 12 شخصا") == 5

    def test_decimal_and_thousands_separators_stay_inside_numbers(self):
        assert count_words("ارتفع 3.5 بالمئة إلى ١٬٢٠٠ و٢٫٧") == 6

    def test_apostrophe_inside_english_word(self):
        assert count_words("don't stop") == 2

    def test_mixed_languages(self):
        assert count_words("أعلنت Apple عن iPhone جديد") == 5

    def test_bidi_marks_do_not_split_words(self):
        assert count_words("مر\u200fحبا") == 1

    def test_underscore_is_not_a_word(self):
        assert count_words("_ __ a_b") == 2

    def test_empty(self):
        assert count_words("") == 0
        assert count_words("  ،؛؟ ") == 0


class TestReadingTime:
    def test_table_values(self):
        assert WORDS_PER_MINUTE["ar"] == 138
        assert WORDS_PER_MINUTE["en"] == 228

    @pytest.mark.parametrize(
        ("words", "lang", "minutes"),
        [
            (0, "ar", 0),
            (1, "ar", 1),
            (138, "ar", 1),
            (139, "ar", 2),
            (1000, "ar", 8),
            (228, "en", 1),
            (229, "en", 2),
            (1000, "en-GB", 5),
            (1000, "ar-EG", 8),
            (200, "fr", 1),
            (201, "fr", 2),
        ],
    )
    def test_minutes(self, words, lang, minutes):
        assert reading_time_minutes(words, lang) == minutes

    def test_arabic_reads_slower_than_english(self):
        assert reading_time_minutes(2000, "ar") > reading_time_minutes(2000, "en")


class TestTextOfHtml:
    def test_blocks_are_separated(self):
        html = "<h2>عنوان</h2><p>فقرة<b>أولى</b></p><ul><li>بند</li><li>آخر</li></ul>"
        assert text_of_html(html) == "عنوان فقرةأولى بند آخر"

    def test_br_separates(self):
        assert text_of_html("سطر<br>ثان") == "سطر ثان"

    def test_table_cells_are_separated(self):
        assert text_of_html("<table><tr><td>أ</td><td>ب</td></tr></table>") == "أ ب"

    def test_script_style_and_comments_are_invisible(self):
        html = "<p>ظاهر</p><script>alert(1)</script><style>p{}</style><!-- خفي -->"
        assert text_of_html(html) == "ظاهر"

    def test_entities_are_decoded(self):
        assert text_of_html("AT&amp;T &lt;3 10&nbsp;km") == "AT&T <3 10 km"

    def test_empty_and_malformed(self):
        assert text_of_html("") == ""
        assert text_of_html("   ") == ""
        assert text_of_html("<p><b>غير مغلق") == "غير مغلق"
        assert text_of_html("a\x00b\x01c</div></p>") == "abc"

    def test_counts_words_of_html(self):
        assert count_words(text_of_html("<p>وَصَلَ</p><p>الوفد</p>")) == 2
