from app.text.arabic import direction, strip_marks, to_ascii_digits


class TestStripMarks:
    def test_harakat_shadda_and_tanwin_go(self):
        assert strip_marks("مَدْرَسَةٌ كَبِيرَةٌ") == "مدرسة كبيرة"
        assert strip_marks("شدّة") == "شدة"

    def test_superscript_alef_and_quranic_marks_go(self):
        assert strip_marks("هٰذا") == "هذا"
        assert strip_marks("قال\u06d6 ربّك\u06da") == "قال ربك"

    def test_tatweel_goes(self):
        assert strip_marks("الـعـاصـمـة") == "العاصمة"

    def test_bidi_and_format_controls_go(self):
        text = "\u200fخبر\u200e \u202bعاجل\u202c\u2067!\u2069\u061c\ufeff\u200b"
        assert strip_marks(text) == "خبر عاجل!"

    def test_letters_with_hamza_and_ta_marbuta_stay(self):
        text = "أإآؤئ ة ى"
        assert strip_marks(text) == text

    def test_latin_is_untouched(self):
        assert strip_marks("Café au lait") == "Café au lait"


class TestAsciiDigits:
    def test_arabic_indic_digits(self):
        assert to_ascii_digits("عام ٢٠٢٦") == "عام 2026"

    def test_persian_digits(self):
        assert to_ascii_digits("۱۲۳۴۵۶۷۸۹۰") == "1234567890"

    def test_ascii_digits_stay(self):
        assert to_ascii_digits("route 66") == "route 66"


class TestDirection:
    def test_rtl_languages(self):
        for lang in ("ar", "fa", "ur", "he", "ps", "ckb", "sd", "ug", "yi", "dv"):
            assert direction(lang) == "rtl", lang

    def test_region_subtags_and_case(self):
        assert direction("ar-EG") == "rtl"
        assert direction("AR_sa") == "rtl"
        assert direction("fa-IR") == "rtl"

    def test_ltr_languages(self):
        for lang in ("en", "en-GB", "fr", "tr", "arn", ""):
            assert direction(lang) == "ltr", lang
