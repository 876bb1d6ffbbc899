import pytest

from app.text.slugs import is_valid_slug, normalise_slug, slugify, unique_slug


class TestSlugify:
    def test_example_from_the_newsroom(self):
        assert slugify("٣ ملفّات تقـود التقاء المصالح!") == "3-ملفات-تقود-التقاء-المصالح"

    def test_english_headline(self):
        assert slugify("Breaking: Oil Prices Rise") == "breaking-oil-prices-rise"

    def test_harakat_and_tatweel_do_not_split_words(self):
        assert slugify("وَصَلَ الوَفْدُ إلى الـعـاصـمـة") == "وصل-الوفد-إلى-العاصمة"

    def test_hamza_forms_ta_marbuta_and_alef_maqsura_are_kept(self):
        assert slugify("أسئلة إضافية آخر مؤتمر مستشفى") == "أسئلة-إضافية-آخر-مؤتمر-مستشفى"

    def test_arabic_indic_and_persian_digits(self):
        assert slugify("ميزانية ٢٠٢٦ و۱۴۰۵") == "ميزانية-2026-و1405"

    def test_presentation_forms_are_folded(self):
        assert slugify("\ufefb تراجع") == "لا-تراجع"
        # The word "السلام" typed with contextual presentation-form glyphs.
        assert slugify("\ufe8d\ufedf\ufeb4\ufefc\ufee1") == "السلام"

    def test_bidi_marks_are_removed(self):
        assert slugify("\u200fمؤتمر\u200e \u202bالمناخ\u202c COP\u2066 31\u2069") == (
            "مؤتمر-المناخ-cop-31"
        )

    def test_persian_letters_fold_to_arabic(self):
        assert slugify("کتاب یومی") == "كتاب-يومي"

    def test_mixed_arabic_and_english(self):
        assert slugify("شركة Apple تطلق iPhone جديدًا") == "شركة-apple-تطلق-iphone-جديدا"

    def test_arabic_punctuation_separates(self):
        assert slugify("«الصحة»: إصابات جديدة، وتحذير؛ ما السبب؟") == (
            "الصحة-إصابات-جديدة-وتحذير-ما-السبب"
        )

    def test_underscores_and_runs_of_symbols_become_one_dash(self):
        assert slugify("  snake_case -- and   more!!! ") == "snake-case-and-more"

    def test_accented_latin_is_kept(self):
        assert slugify("Café Müller") == "café-müller"

    @pytest.mark.parametrize("text", ["", "   ", "!!!", "🔥🔥", "— ، ؛ ؟ «»", "\u064e\u0640\u200f"])
    def test_nothing_sluggable_gives_empty_string(self, text):
        assert slugify(text) == ""

    def test_short_slug_is_not_cut(self):
        assert slugify("one two three", max_length=13) == "one-two-three"

    def test_cut_falls_on_a_dash(self):
        assert slugify("one two three", max_length=12) == "one-two"
        assert slugify("one two three", max_length=7) == "one-two"
        assert slugify("one two three", max_length=8) == "one-two"

    def test_cut_never_splits_an_arabic_word(self):
        slug = slugify("الحكومة تعلن خطة جديدة للنقل العام", max_length=20)
        assert slug == "الحكومة-تعلن-خطة"
        assert len(slug) <= 20

    def test_single_long_word_is_cut_hard(self):
        assert slugify("a" * 100, max_length=10) == "a" * 10

    def test_default_limit_is_80(self):
        slug = slugify(" ".join(["خبر"] * 50))
        assert len(slug) <= 80
        assert not slug.endswith("-")
        assert set(slug.split("-")) == {"خبر"}

    def test_idempotent(self):
        slug = slugify("٣ ملفّات تقـود التقاء المصالح!")
        assert slugify(slug) == slug


class TestNormaliseSlug:
    def test_marks_digits_case_and_whitespace(self):
        assert normalise_slug("  مَلفّات-٢٠٢٦-News \n") == "ملفات-2026-news"

    def test_presentation_forms_and_bidi_marks(self):
        assert normalise_slug("\u200f\ufefb-شيء") == "لا-شيء"

    def test_matches_slugify_for_a_slug_typed_differently(self):
        assert normalise_slug("کتاب-یومی") == slugify("كتاب يومي")


class TestIsValidSlug:
    def test_slugify_output_is_valid(self):
        assert is_valid_slug("3-ملفات-تقود-التقاء-المصالح")
        assert is_valid_slug("breaking-oil-prices-rise")

    @pytest.mark.parametrize(
        "value",
        ["", "Upper-Case", "-leading", "trailing-", "double--dash", "with space", "مَلفّ", "٣-ملفات"],
    )
    def test_non_canonical_values_are_invalid(self, value):
        assert not is_valid_slug(value)

    def test_length_limit_is_200(self):
        assert is_valid_slug("a" * 200)
        assert not is_valid_slug("a" * 201)
        assert is_valid_slug("-".join(["word"] * 40))  # 199 characters, beyond slugify's default


class TestUniqueSlug:
    def test_free_base_is_returned(self):
        assert unique_slug("خبر", lambda slug: False) == "خبر"

    def test_first_free_suffix(self):
        taken = {"خبر", "خبر-2", "خبر-3"}
        assert unique_slug("خبر", taken.__contains__) == "خبر-4"

    def test_suffix_two_comes_first(self):
        asked = []

        def taken(slug):
            asked.append(slug)
            return slug == "news"

        assert unique_slug("news", taken) == "news-2"
        assert asked == ["news", "news-2"]
