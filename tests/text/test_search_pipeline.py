import re
import sqlite3
from importlib import resources

import pytest

from app.text import search
from app.text.search import (
    Token,
    index_text,
    normalise,
    prefix_term,
    query_terms,
    stem_arabic,
    stem_latin,
    terms,
    tokens,
)


def _pairs(rows: list[tuple[str, str, str]]) -> list[pytest.ParameterSet]:
    return [pytest.param(a, b, id=name) for a, b, name in rows]


# Two spellings of the same word, as an article and a reader may write it.
SAME = _pairs(
    [
        # Hamza seats and alef forms
        ("أحمد", "احمد", "alef-hamza-above"),
        ("إسلام", "اسلام", "alef-hamza-below"),
        ("آخر", "اخر", "alef-madda"),
        ("ٱلكتاب", "الكتاب", "alef-wasla"),
        ("أردوغان", "إردوغان", "name-alef-forms"),
        ("مسؤول", "مسئول", "hamza-before-waw-seat-waw-or-yeh"),
        ("المسؤولين", "المسئولين", "hamza-before-waw-with-article-and-plural"),
        ("مسؤولية", "مسئولية", "hamza-before-waw-derived-noun"),
        ("شؤون", "شئون", "shuun"),
        ("رؤوس", "رءوس", "hamza-on-line-before-waw"),
        ("شاطئ", "شاطيء", "final-hamza-yeh-seat-or-yeh-hamza"),
        ("مبادئ", "مباديء", "final-hamza-plural"),
        ("شيء", "شئ", "shay"),
        ("شيء", "شىء", "shay-with-alef-maqsura"),
        ("لاجئ", "لاجئين", "hamza-word-and-its-plural"),
        ("لاجئون", "لاجئين", "hamza-word-plural-waw-nun"),
        ("مؤتمر", "موتمر", "waw-hamza-typed-without-hamza"),
        ("رئيس", "الرئيس", "yeh-hamza-with-article"),
        # ة/ه and ى/ي
        ("مدرسة", "مدرسه", "ta-marbuta"),
        ("غزة", "غزه", "ta-marbuta-name"),
        ("مستشفى", "مستشفي", "alef-maqsura"),
        ("مصطفى", "مصطفي", "alef-maqsura-name"),
        ("بريطانى", "بريطاني", "alef-maqsura-nisba"),
        # Diacritics, tatweel, invisible controls
        ("مَدْرَسَةٌ", "مدرسة", "harakat-and-tanwin"),
        ("الرَّئِيسُ", "الرئيس", "shadda-and-harakat"),
        ("محمّد", "محمد", "shadda"),
        ("هٰذا", "هذا", "superscript-alef"),
        ("الـعـاصـمـة", "العاصمة", "tatweel"),
        ("\u200fخبر\u200e", "خبر", "bidi-marks-around"),
        ("خب\u200cر", "خبر", "zwnj-inside"),
        # The article and proclitics
        ("الكتاب", "كتاب", "article"),
        ("والكتاب", "كتاب", "wa-al"),
        ("بالكتاب", "كتاب", "bi-al"),
        ("كالكتاب", "كتاب", "ka-al"),
        ("فالكتاب", "كتاب", "fa-al"),
        ("للكتاب", "كتاب", "li-al"),
        ("وكتاب", "كتاب", "wa"),
        ("الألعاب", "ألعاب", "article-before-alef-lam-word"),
        ("الإلكترونية", "إلكتروني", "article-before-alef-lam-adjective"),
        ("ووزير", "وزير", "wa-before-root-waw"),
        ("الوزير", "وزير", "article-before-root-waw"),
        ("والوزارة", "وزارة", "wa-al-before-root-waw"),
        ("بوزارة", "وزارة", "bi-before-root-waw"),
        # Suffixes light stemming removes
        ("مسلمون", "مسلمين", "plural-una-ina"),
        ("مسلمات", "مسلم", "plural-at"),
        ("كتابها", "كتاب", "suffix-ha"),
        ("كتابه", "كتاب", "suffix-h"),
        ("سياراتها", "سيارة", "suffix-at-ha"),
        ("الحكومية", "حكومة", "suffix-iya"),
        ("المصريون", "مصر", "nisba-plural-to-place"),
        ("بيانات", "بيان", "plural-of-short-word"),
        ("معلمين", "معلم", "plural-in"),
        # Protected names behind proclitics
        ("وبوتين", "بوتين", "protected-wa"),
        ("لبوتين", "بوتين", "protected-li"),
        ("ولبنان", "لبنان", "protected-wa-lubnan"),
        ("بلبنان", "لبنان", "protected-bi-lubnan"),
        ("للبنان", "لبنان", "protected-li-lubnan"),
        ("والقاهرة", "القاهرة", "protected-with-article-wa"),
        ("للقاهرة", "القاهرة", "protected-with-article-li"),
        ("لواشنطن", "واشنطن", "protected-root-waw-name"),
        ("الياباني", "اليابان", "nisba-meets-protected-country"),
        ("اللبنانية", "لبنان", "nisba-feminine-meets-protected-country"),
        # Newsroom spelling variants
        ("أميركا", "أمريكا", "amerika"),
        ("الأمريكية", "الأميركية", "amerikiya"),
        ("الأمريكيون", "أمريكا", "americans-and-america"),
        ("ترمب", "ترامب", "trump"),
        ("لترمب", "ترامب", "trump-li"),
        ("وترمب", "ترامب", "trump-wa"),
        ("كيم جونج أون", "كيم جونغ أون", "jong"),
        ("بلومبيرغ", "بلومبرغ", "bloomberg"),
        ("جرينلاند", "غرينلاند", "greenland"),
        ("بنيويورك", "نيو يورك", "new-york-bi"),
        ("مانشيستر", "مانشستر", "manchester"),
        ("غوغل", "جوجل", "google-ghain-jim"),
        ("گوگل", "غوغل", "google-persian-gaf"),
        ("إنجلترا", "انكلترا", "england"),
        ("الإنجليزي", "الإنكليزي", "english-adjective"),
        ("سورية", "سوريا", "syria"),
        ("الكونغرس", "الكونجرس", "congress"),
        ("نتنياهو", "نتانياهو", "netanyahu"),
        ("أوروبا", "أوربا", "europe"),
        ("الديمقراطية", "الديموقراطية", "democracy"),
        ("الإنترنت", "الإنترنيت", "internet"),
        ("ألمانيا", "الألمانية", "germany-and-german"),
        ("فيسبوك", "فيس بوك", "facebook-one-or-two-words"),
        ("بفيسبوك", "فيس بوك", "facebook-bi"),
        ("يوتيوب", "يو تيوب", "youtube"),
        ("عبدالله", "عبد الله", "abd-compound-name"),
        ("وعبدالرحمن", "عبد الرحمن", "abd-compound-name-wa"),
        ("أبوظبي", "أبو ظبي", "abu-dhabi"),
        ("بيونغيانغ", "بيونغ يانغ", "pyongyang"),
        # Digits
        ("٢٠٢٦", "2026", "arabic-indic-digits"),
        ("۱۴۰۵", "1405", "persian-digits"),
        # Persian and Urdu letters
        ("کتاب", "كتاب", "keheh"),
        ("ایران", "إيران", "farsi-yeh"),
        ("ڤيروس", "فيروس", "veh"),
        ("پاكستان", "باكستان", "peh"),
        ("ھذا", "هذا", "heh-doachashmee"),
        # NFKC
        ("\ufefb", "لا", "lam-alef-ligature"),
        ("\ufdf2", "الله", "allah-ligature"),
        ("\ufe91\ufef4\ufeae\ufeed\ufe95", "بيروت", "presentation-forms"),
        ("ＣＮＮ", "CNN", "fullwidth-latin"),
        # Arabic next to Latin letters or digits
        ("كوفيد19", "كوفيد 19", "arabic-digits-split"),
        ("كوفيد-19", "كوفيد19", "hyphen-or-glued"),
        ("iPhoneالجديد", "iPhone الجديد", "latin-arabic-split"),
        ("لـCNN", "CNN", "proclitic-tatweel-latin"),
        ("لCNN", "CNN", "proclitic-latin"),
        ("بـ2018", "2018", "proclitic-tatweel-number"),
        ('الـ"بريكست"', "بريكست", "article-tatweel-quote"),
        # English
        ("elections", "election", "english-plural"),
        ("Running", "runs", "english-verb-forms"),
        ("Trump's", "Trump", "english-possessive"),
        ("CAFÉ", "cafe", "latin-accent-and-case"),
        ("Élysée", "Elysee", "latin-accents"),
        ("Straße", "strasse", "casefold-sharp-s"),
    ]
)

# Words whose meaning differs, and which must stay apart.
DIFFERENT = _pairs(
    [
        ("بوتين", "وتين", "putin-not-watin"),
        ("بوتين", "بوت", "putin-not-bot"),
        ("لبنان", "لبن", "lebanon-not-milk"),
        ("طهران", "طهر", "tehran-not-purity"),
        ("البحرين", "بحر", "bahrain-not-sea"),
        ("القاهرة", "قاهر", "cairo-not-conqueror"),
        ("طالبان", "طالب", "taliban-not-student"),
        ("سلمان", "سلم", "salman-not-peace"),
        ("عرفات", "عرف", "arafat-not-knew"),
        ("ماكرون", "ماكر", "macron-not-cunning"),
        ("عمان", "عم", "oman-not-uncle"),
        ("سوريا", "سور", "syria-not-wall"),
        ("سورية", "سور", "syria-spelling-not-wall"),
        ("جرمان", "جرم", "germain-not-crime"),
        ("بيجين", "بيج", "beijing-not-beige"),
        ("الله", "له", "allah-not-lahu"),
        ("وزارة", "زار", "ministry-not-visited"),
        ("وجود", "جود", "existence-not-generosity"),
        ("وكيل", "كيل", "agent-not-measure"),
        ("وحدة", "حد", "unity-not-limit"),
        ("من", "مني", "from-not-from-me"),
        ("بيان", "بي", "statement-short-stem-kept"),
        ("بنات", "بن", "girls-not-son"),
        ("كتاب", "كاتب", "book-not-writer"),
        ("علم", "عالم", "science-not-scientist"),
        ("ملك", "مالك", "king-not-owner"),
        ("ماء", "ما", "water-not-what"),
        ("بناء", "بنا", "building-not-with-us"),
        ("مصر", "مص", "egypt-not-suck"),
        ("قطر", "قط", "qatar-not-cat"),
        ("أمريكا", "أمير", "america-not-prince"),
        ("فيلم", "فيل", "film-not-elephant"),
        ("2018", "2019", "numbers"),
        ("news", "new", "english-news-not-new"),
        ("iPhone", "phone", "latin-words"),
    ]
)


class TestSameTerms:
    @pytest.mark.parametrize(("a", "b"), SAME)
    def test_spellings_meet(self, a: str, b: str) -> None:
        assert terms(a)
        assert terms(a) == terms(b)


class TestDifferentTerms:
    @pytest.mark.parametrize(("a", "b"), DIFFERENT)
    def test_words_stay_apart(self, a: str, b: str) -> None:
        assert terms(a)
        assert terms(b)
        assert terms(a) != terms(b)


class TestNormalise:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("أإآٱ", "اااا", id="alef-forms"),
            pytest.param("ة ى ؤ ئ", "ه ي و ي", id="letters"),
            pytest.param("ی ک ە ۀ ہ ھ گ ڭ ڤ پ چ ژ", "ي ك ه ه ه ه ك ك ف ب ج ز", id="persian-urdu"),
            pytest.param("مسؤول مسئول رءوس", "مسيول مسيول ريوس", id="hamza-before-waw"),
            pytest.param("شاطيء شيء ماء", "شاطي شي ماء", id="final-hamza"),
            pytest.param("عام ٢٠٢٦ و۱۴۰۵", "عام 2026 و1405", id="digits"),
            pytest.param("قالَ: «نعم»!", "قال: «نعم»!", id="punctuation-and-spaces-stay"),
            pytest.param("Élysée STRASSE", "elysee strasse", id="latin"),
            pytest.param("\ufefb", "لا", id="nfkc"),
        ],
    )
    def test_characters(self, text: str, expected: str) -> None:
        assert normalise(text) == expected

    def test_is_idempotent(self) -> None:
        text = "الرَّئِيسُ الأميركيّ مسئول شاطيء ﻻ ٢٠٢٦ Élysée"
        assert normalise(normalise(text)) == normalise(text)

    def test_does_not_stem(self) -> None:
        assert normalise("والكتابات") == "والكتابات"


class TestStemArabic:
    @pytest.mark.parametrize(
        ("word", "stem"),
        [
            pytest.param("والكتاب", "كتاب", id="wa-al"),
            pytest.param("مكتبات", "مكتب", id="at"),
            pytest.param("سياراتها", "سيار", id="ha-then-at"),
            pytest.param("من", "من", id="two-letters"),
            pytest.param("مني", "مني", id="three-letters-keep-suffix"),
            pytest.param("بيان", "بيان", id="stem-of-two-letters-refused"),
            pytest.param("وقت", "وقت", id="short-word-keeps-waw"),
            pytest.param("بوتين", "بوتين", id="protected"),
            pytest.param("وبوتين", "بوتين", id="protected-behind-wa"),
            pytest.param("بالقاهره", "قاهره", id="protected-indexed-without-article"),
            pytest.param("الله", "الله", id="protected-article-kept-when-short"),
            pytest.param("واشنطن", "واشنطن", id="protected-root-waw"),
        ],
    )
    def test_stems(self, word: str, stem: str) -> None:
        assert stem_arabic(word) == stem


class TestStemLatin:
    def test_snowball_english(self) -> None:
        assert stem_latin("elections") == stem_latin("election") == "elect"

    def test_numbers_and_other_scripts_stay(self) -> None:
        assert stem_latin("2018") == "2018"
        assert stem_latin("москва") == "москва"


class TestTokens:
    def test_offsets_cover_the_original_word_with_its_marks(self) -> None:
        text = "قالَ الرَّئِيـــسُ: إنَّ المُؤتمرَ انتهى."
        words = [text[t.start : t.end] for t in tokens(text)]
        assert words == ["قالَ", "الرَّئِيـــسُ", "إنَّ", "المُؤتمرَ", "انتهى"]
        assert [t.term for t in tokens(text)] == ["قال", "رييس", "ان", "موتمر", "انته"]

    def test_split_word_gives_each_part_its_own_span(self) -> None:
        assert tokens("عن كوفيد19") == [
            Token(0, 2, "عن"),
            Token(3, 8, "كوفيد"),
            Token(8, 10, "19"),
        ]

    def test_dropped_proclitic_is_outside_the_span(self) -> None:
        text = "قالت لـCNN"
        (said, cnn) = tokens(text)
        assert text[cnn.start : cnn.end] == "CNN"
        assert said.term == "قالت"

    def test_bidi_marks_around_a_word_are_outside_its_span(self) -> None:
        text = "\u200f\u202bخبر\u202c"
        (token,) = tokens(text)
        assert text[token.start : token.end] == "خبر"

    def test_one_glyph_may_give_several_terms_with_the_same_span(self) -> None:
        text = "محمد \ufdfa"
        assert [(t.start, t.end) for t in tokens(text)][1:] == [(5, 6)] * 4

    def test_variant_of_two_words_gives_two_tokens(self) -> None:
        assert [t.term for t in tokens("فيسبوك")] == ["فيس", "بوك"]

    def test_punctuation_and_symbols_give_nothing(self) -> None:
        assert tokens(" ،؛؟!«»— ... ٪ _ ") == []
        assert tokens("") == []

    def test_terms_and_index_text_agree_with_tokens(self) -> None:
        text = "أعلنت وزارة الصحة الأميركية، بحسب «رويترز» وCNN، عن ٣ إصابات بكوفيد-19."
        assert terms(text) == [t.term for t in tokens(text)]
        assert index_text(text) == " ".join(terms(text))


class TestTermsAreIndexable:
    TEXT = (
        "\u200fقالَ الرَّئيسُ الأميركيّ ترمب لـCNN إنّ «كوفيد19» انتهى، و iPhoneالجديد يباع بـ٩٩٩ "
        "دولاراً. ﻻ تراجع ﷺ Élysée don't O’Brien straße ① ²  Ｆｕｌｌ ٣٫٥ 1,200 e\u0301t\u0301e "
        "ی ک ە ھ پ ڤ ــ ـ السلام_عليكم #هاشتاغ @حساب https://example.com/خبر?id=٤"
    )

    def test_terms_are_lowercase_letters_and_digits(self) -> None:
        found = terms(self.TEXT)
        assert found
        for term in found:
            assert re.fullmatch(r"[^\W_]+", term), term
            assert term == term.lower(), term

    def test_each_term_is_one_sqlite_unicode61_token(self) -> None:
        db = sqlite3.connect(":memory:")
        try:
            db.execute("CREATE VIRTUAL TABLE doc USING fts5(body, tokenize='unicode61')")
        except sqlite3.OperationalError:
            pytest.skip("SQLite without FTS5")
        db.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(doc, 'row')")
        db.execute("INSERT INTO doc VALUES (?)", (index_text(self.TEXT),))
        assert {row[0] for row in db.execute("SELECT term FROM vocab")} == set(terms(self.TEXT))
        db.close()

    def test_a_reader_spelling_finds_the_article_in_sqlite(self) -> None:
        db = sqlite3.connect(":memory:")
        try:
            db.execute("CREATE VIRTUAL TABLE doc USING fts5(body, tokenize='unicode61')")
        except sqlite3.OperationalError:
            pytest.skip("SQLite without FTS5")
        db.execute("INSERT INTO doc VALUES (?)", (index_text("قال المسؤولون الأميركيون"),))
        query = " AND ".join(f'"{t}"' for w in ("مسئول", "امريكا") for t in query_terms(w))
        assert db.execute("SELECT count(*) FROM doc WHERE doc MATCH ?", (query,)).fetchone() == (1,)
        db.close()


class TestQueryTerms:
    @pytest.mark.parametrize(
        ("word", "expected"),
        [
            pytest.param("مسئول", ["مسيول"], id="one-word"),
            pytest.param("كوفيد19", ["كوفيد", "19"], id="splits"),
            pytest.param("iPhoneالجديد", ["iphon", "جديد"], id="latin-arabic"),
            pytest.param("«بوتين»", ["بوتين"], id="quotes"),
            pytest.param("!!", [], id="nothing"),
        ],
    )
    def test_query_terms(self, word: str, expected: list[str]) -> None:
        assert query_terms(word) == expected


class TestPrefixTerm:
    @pytest.mark.parametrize(
        ("word", "expected"),
        [
            pytest.param("الاقتصا", "اقتصا", id="article-removed"),
            pytest.param("والاقتصا", "اقتصا", id="wa-al-removed"),
            pytest.param("مسؤو", "مسيو", id="hamza-before-waw-folded"),
            pytest.param("مسئو", "مسيو", id="hamza-before-waw-other-seat"),
            pytest.param("مدارس", "مدارس", id="no-suffix-cut"),
            pytest.param("الحكومي", "حكومي", id="no-nisba-cut"),
            pytest.param("واشن", "واشن", id="root-waw-of-protected-kept"),
            pytest.param("وبوتين", "بوتين", id="protected-word"),
            pytest.param("ترمب", "ترامب", id="variant"),
            pytest.param("أميرك", "امريكا", id="variant-stem"),
            pytest.param("IPHO", "ipho", id="latin-unstemmed"),
            pytest.param("Élys", "elys", id="latin-accents"),
            pytest.param("٢٠١", "201", id="digits"),
            pytest.param("كوفيد19", None, id="mixed-scripts"),
            pytest.param("ال", None, id="article-only"),
            pytest.param("وال", None, id="wa-al-only"),
            pytest.param("ب", None, id="one-letter"),
            pytest.param("!!", None, id="no-word"),
        ],
    )
    def test_prefix(self, word: str, expected: str | None) -> None:
        assert prefix_term(word) == expected

    def test_complete_word_keeps_its_suffix(self) -> None:
        # Unstemmed by contract, so it does not reach the word's own stem (مدرس): a query
        # "مدرسة*" should also ask for query_terms("مدرسة").
        assert prefix_term("مدرسة") == "مدرسه"
        assert query_terms("مدرسة") == ["مدرس"]

    def test_prefix_of_a_word_matches_its_index_term(self) -> None:
        for word in ("والاقتصاد", "بوتين", "الكتاب", "أميركا", "مسئول"):
            prefix = prefix_term(word[:-1])
            assert prefix is not None
            assert terms(word)[0].startswith(prefix), word


class TestDataFiles:
    @staticmethod
    def _lines(name: str) -> list[str]:
        text = resources.files("app.text").joinpath(name).read_text(encoding="utf-8")
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        return [line for line in lines if line]

    def test_every_variant_group_meets(self) -> None:
        for line in self._lines("variants.txt"):
            spellings = [s.strip() for s in re.split("[,،]", line)]
            assert len({tuple(terms(s)) for s in spellings}) == 1, line

    def test_protected_words_are_never_stemmed(self) -> None:
        for line in self._lines("protected.txt"):
            for word in normalise(line).split():
                expected = word[2:] if word.startswith("ال") and len(word) >= 5 else word
                assert stem_arabic(word) == expected, word
                assert stem_arabic("و" + word) == expected, word

    def test_multiword_variant_is_refused(self) -> None:
        with pytest.raises(ValueError, match="several words"):
            search._load_variants("غوغل، جو جل\n")

    def test_word_in_two_groups_is_refused(self) -> None:
        with pytest.raises(ValueError, match="two groups"):
            search._load_variants("غوغل، جوجل\nقوقل، جوجل\n")

    def test_pipeline_version_names_the_tables(self) -> None:
        assert re.fullmatch(r"1\.[0-9a-f]{12}", search.PIPELINE_VERSION)
