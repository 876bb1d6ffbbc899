"""Search over published articles: the query language, Arabic and English spelling variants,
which fields are searched, ranking, filters, highlighting, the section facet, cursors, what
must never be found and how the index follows edits. Every test runs on each database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Article
from tests.assertions import Key, assert_problem
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    trash,
)

UNRELATED = "حفل موسيقي في الساحة العامة مساء الخميس"


def make(
    client: TestClient,
    key: Key,
    headline: str,
    *,
    summary: str | None = None,
    body: str = "",
    publish: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    """An article with exactly this text (the factory's default summary and body would match
    words of other tests)."""
    blocks = [{"type": "paragraph", "html": body}] if body else []
    return create_article(
        client, key, publish=publish, headline=headline, summary=summary, body=blocks, **overrides
    )


def search(client: TestClient, q: str, key: Key | None = None, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params={"q": q, **params}, headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def found(client: TestClient, q: str, key: Key | None = None, **params: Any) -> list[str]:
    """Ids of the hits, best first."""
    return [hit["id"] for hit in search(client, q, key, **params)["items"]]


def found_set(client: TestClient, q: str, **params: Any) -> set[str]:
    return set(found(client, q, **params))


def set_published_at(database: Database, article_id: str, when: datetime) -> None:
    with database.session(write=True) as session:
        session.execute(
            update(Article).where(Article.public_id == article_id).values(published_at=when)
        )
        session.commit()


def set_status(database: Database, article_id: str, status: str) -> None:
    with database.session(write=True) as session:
        session.execute(
            update(Article).where(Article.public_id == article_id).values(status=status)
        )
        session.commit()


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


class TestQueryForms:
    def test_single_word(self, client: TestClient, editor: Key) -> None:
        budget = make(client, editor, "المجلس البلدي يناقش ميزانية الحدائق")
        make(client, editor, "افتتاح معرض الكتاب في العاصمة")
        assert found(client, "ميزانية") == [budget["id"]]

    def test_every_word_must_match(self, client: TestClient, editor: Key) -> None:
        bread = make(client, editor, "ارتفاع أسعار الخبز في الأسواق")
        make(client, editor, "ارتفاع منسوب النهر بعد الأمطار")
        make(client, editor, "أسعار الوقود تستقر هذا الشهر")
        assert found(client, "ارتفاع أسعار") == [bread["id"]]
        assert found(client, "ارتفاع أسعار الوقود") == []

    def test_phrase_needs_the_words_together_and_in_order(
        self, client: TestClient, editor: Key
    ) -> None:
        together = make(client, editor, "وزير النقل يفتتح محطة القطار")
        make(client, editor, "القطار يتأخر ساعة عن موعد المحطة")
        make(client, editor, "محطة الحافلات بعيدة عن خط القطار")
        assert found(client, '"محطة القطار"') == [together["id"]]
        assert found(client, '"القطار محطة"') == []
        # Without quotes the words may be apart.
        assert len(found(client, "محطة القطار")) == 3

    def test_curly_quotes_make_a_phrase(self, client: TestClient, editor: Key) -> None:
        together = make(client, editor, "وزير النقل يفتتح محطة القطار")
        make(client, editor, "محطة الحافلات بعيدة عن خط القطار")
        assert found(client, "“محطة القطار”") == [together["id"]]

    def test_excluded_word(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "مباراة المنتخب في الدوحة مساء اليوم")
        friendly = make(client, editor, "مباراة ودية في ملعب المدينة")
        assert found(client, "مباراة -الدوحة") == [friendly["id"]]

    def test_excluded_phrase(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "تأجيل الامتحانات بسبب العاصفة الثلجية")
        apart = make(client, editor, "العاصفة لم تؤجل الامتحانات رغم الثلوج الكثيفة")
        other = make(client, editor, "الامتحانات في موعدها المحدد")
        assert found_set(client, 'الامتحانات -"العاصفة الثلجية"') == {apart["id"], other["id"]}

    def test_prefix(self, client: TestClient, editor: Key) -> None:
        economy = make(client, editor, "الاقتصاد الوطني ينمو ببطء")
        plan = make(client, editor, "خطة اقتصادية لدعم المشاريع الصغيرة")
        make(client, editor, "اقتراح قانون جديد للإيجارات")
        assert found_set(client, "اقتصا*") == {economy["id"], plan["id"]}
        # The article and a glued و are taken off the prefix as off any word.
        assert found_set(client, "والاقتصا*") == {economy["id"], plan["id"]}

    def test_latin_prefix(self, client: TestClient, editor: Key) -> None:
        vote = make(client, editor, "Election results are expected tonight", lang="en")
        power = make(client, editor, "Electricity prices rise again", lang="en")
        make(client, editor, "Elephants return to the park", lang="en")
        assert found_set(client, "Elect*") == {vote["id"], power["id"]}

    @pytest.mark.parametrize(
        ("word", "query"),
        [("الاقتصادي", "الاقتصادي*"), ("مدرسة", "مدرسة*"), ("elections", "elections*")],
        ids=["suffix-ya", "teh-marbuta", "english-plural"],
    )
    def test_prefix_finds_the_whole_word_itself(
        self, client: TestClient, editor: Key, word: str, query: str
    ) -> None:
        """A word followed by * must find at least the articles that contain that very word."""
        article = make(client, editor, f"تقرير {word} السنوي")
        make(client, editor, UNRELATED)
        assert found(client, word) == [article["id"]]
        assert found(client, query) == [article["id"]]

    def test_mixed_forms_in_one_query(self, client: TestClient, editor: Key) -> None:
        wanted = make(client, editor, "وزير النقل يفتتح محطة القطار الجديدة")
        make(client, editor, "وزير النقل يزور محطة القطار الجديدة ومحطة الحافلات")
        make(client, editor, "محطة القطار الجديدة تستقبل المسافرين")
        make(client, editor, "وزير النقل يفتتح خطا للقطار")
        query = 'وزير "محطة القطار" -الحافلات جدي*'
        assert found(client, query) == [wanted["id"]]

    def test_nothing_found_is_an_empty_page(self, client: TestClient, editor: Key) -> None:
        make(client, editor, UNRELATED)
        page = search(client, "زلزال")
        assert page["items"] == []
        assert page["total"] == 0
        assert page["facets"] == {"sections": []}
        assert page["next_cursor"] is None


# (text in the article, what a reader types): each pair must find the article.
VARIANTS = [
    pytest.param("أحمد يفوز بسباق الدراجات", "احمد", id="hamza-in-doc"),
    pytest.param("احمد يفوز بسباق الدراجات", "أحمد", id="hamza-in-query"),
    pytest.param("إعلان أسماء الفائزين بالمسابقة", "اعلان", id="hamza-below-in-doc"),
    pytest.param("اعلان أسماء الفائزين بالمسابقة", "إعلان", id="hamza-below-in-query"),
    pytest.param("آثار المدينة القديمة تجذب الزوار", "اثار", id="madda"),
    pytest.param("مسؤول حكومي ينفي الخبر", "مسئول", id="hamza-on-waw-or-yeh"),
    pytest.param("مدرسة جديدة في حي الزهور", "مدرسه", id="teh-marbuta-in-doc"),
    pytest.param("مدرسه جديدة في حي الزهور", "مدرسة", id="teh-marbuta-in-query"),
    pytest.param("مستشفى المدينة يوسع قسم الطوارئ", "مستشفي", id="alef-maksura-in-doc"),
    pytest.param("مستشفي المدينة يوسع قسم الطوارئ", "مستشفى", id="alef-maksura-in-query"),
    pytest.param("كَتَبَ الشاعرُ قصيدةً عن البحر", "كتب", id="diacritics-in-doc"),
    pytest.param("كتب الشاعر قصيدة عن البحر", "كَتَبَ", id="diacritics-in-query"),
    pytest.param("مـــدرسة الفنون تفتح أبوابها", "مدرسة", id="tatweel-in-doc"),
    pytest.param("مدرسة الفنون تفتح أبوابها", "مــدرسة", id="tatweel-in-query"),
    pytest.param("المدرسة تفتح أبوابها", "مدرسة", id="article-in-doc"),
    pytest.param("مدرسة الحي تفتح أبوابها", "والمدرسة", id="wal-in-query"),
    pytest.param("مدرسة الحي تفتح أبوابها", "بالمدرسة", id="bal-in-query"),
    pytest.param("مدرسة الحي تفتح أبوابها", "للمدرسة", id="lil-in-query"),
    pytest.param("لقاء بين الأهالي والمدرسة", "مدرسة", id="wal-in-doc"),
    pytest.param("الطلاب يعودون للمدرسة", "المدرسة", id="lil-in-doc"),
    pytest.param("تكريم المعلمين في يومهم", "معلم", id="plural-masculine"),
    pytest.param("المعلمون يطالبون بزيادة الرواتب", "المعلمين", id="plural-cases"),
    pytest.param("السيارات الكهربائية تنتشر", "سيارة", id="plural-feminine"),
    pytest.param("تأخر القطارات بسبب الثلوج", "قطار", id="plural-at"),
    pytest.param("أمريكا تفرض رسوما جديدة", "أميركا", id="america-variant"),
    pytest.param("السفارة الأميركية تغلق أبوابها", "أمريكا", id="american-adjective"),
    pytest.param("ترمب يلقي خطابا في الكونغرس", "ترامب", id="trump-short"),
    pytest.param("ترامب يلقي خطابا في الكونغرس", "ترمب", id="trump-long"),
    pytest.param("لقاء بين ماكرون وبوتين في باريس", "بوتين", id="protected-with-waw"),
    pytest.param("بوتين يستقبل ضيوفه في موسكو", "وبوتين", id="protected-query-with-waw"),
    pytest.param("وفد يصل للقاهرة صباح اليوم", "القاهرة", id="protected-with-lil"),
    pytest.param("انتخابات بلدية في عام ٢٠٢٦", "2026", id="arabic-indic-digits-in-doc"),
    pytest.param("انتخابات بلدية في عام 2026", "٢٠٢٦", id="arabic-indic-digits-in-query"),
    pytest.param("Local elections were held on Sunday", "election", id="english-plural"),
    pytest.param("The election was held on Sunday", "ELECTIONS", id="english-case-and-plural"),
    pytest.param("إطلاق هاتف iPhone الجديد في دبي", "iphone", id="latin-in-arabic"),
    pytest.param("إطلاق هاتف iPhone الجديد في دبي", "iPhone دبي", id="mixed-query"),
    pytest.param("مقابلة حصرية لـCNN مع الوزير", "CNN", id="clitic-glued-to-latin"),
    pytest.param("لقاح جديد ضد كوفيد-19", "كوفيد19", id="arabic-glued-to-digits"),
]


class TestArabicVariants:
    @pytest.mark.parametrize(("text", "query"), VARIANTS)
    def test_found(self, client: TestClient, editor: Key, text: str, query: str) -> None:
        article = make(client, editor, text)
        make(client, editor, UNRELATED)
        assert found(client, query) == [article["id"]]

    def test_different_words_stay_apart(self, client: TestClient, editor: Key) -> None:
        """Folding must not merge words a reader would keep apart."""
        make(client, editor, "المدارس الحكومية تغلق أبوابها")
        make(client, editor, "Elephants return to the park", lang="en")
        assert found(client, "مدرسة") == []
        assert found(client, "election") == []


class TestFields:
    @pytest.mark.parametrize(
        "where",
        [
            {"headline": "هزة قوية يشعر بها السكان: الزلزال"},
            {"summary": "الزلزال وقع فجرا"},
            {"body": "سجلت المراصد الزلزال فجرا"},
            {"kicker": "الزلزال"},
            {"subheadline": "الزلزال في ساعات الفجر"},
            {"body_html": "<p>سجلت المراصد <strong>الزلزال</strong> فجرا</p>"},
        ],
        ids=["headline", "summary", "body", "kicker", "subheadline", "body_html"],
    )
    def test_each_text_field_is_searched(
        self, client: TestClient, editor: Key, where: dict[str, str]
    ) -> None:
        fields: dict[str, Any] = {"headline": "خبر من المرصد الوطني", "summary": None, **where}
        if "body" in fields:
            fields["body"] = [{"type": "paragraph", "html": fields["body"]}]
        else:
            fields["body"] = None if "body_html" in fields else []
        article = create_article(client, editor, **fields)
        make(client, editor, UNRELATED)
        assert found(client, "زلزال") == [article["id"]]

    def test_tag_name_is_searched(self, client: TestClient, editor: Key) -> None:
        tag = create_tag(client, editor, name="الطاقة الشمسية", slug="solar")
        article = make(client, editor, "خبر عن الألواح", tags=[tag["slug"]])
        make(client, editor, UNRELATED)
        assert found(client, "الشمسية") == [article["id"]]

    def test_author_name_is_searched(self, client: TestClient, editor: Key) -> None:
        author = create_author(client, editor, name="نادية العمري", slug="nadia")
        article = make(client, editor, "تقرير من الميدان", authors=[author["slug"]])
        make(client, editor, UNRELATED)
        assert found(client, "نادية") == [article["id"]]

    def test_headline_ranks_above_body(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        # Made first, so that the id tie-break would favour the other one.
        in_headline = make(client, editor, "الزلزال يهز المدينة", body="سكان يخرجون إلى الشوارع")
        in_body = make(client, editor, "هزة تضرب المدينة", body="سكان يخرجون بعد الزلزال")
        for n in range(3):  # so that the word is rare, as in a real store
            make(client, editor, f"{UNRELATED} {n}")
        when = days_ago(2)
        for article in (in_headline, in_body):
            set_published_at(database, article["id"], when)
        assert found(client, "زلزال") == [in_headline["id"], in_body["id"]]


class TestRanking:
    def test_newer_ranks_first_at_equal_relevance(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        recent = make(client, editor, "فيضان في الوادي", body="الأهالي يغادرون")
        old = make(client, editor, "فيضان في الوادي", body="الأهالي يغادرون")
        make(client, editor, UNRELATED)
        set_published_at(database, recent["id"], days_ago(1))
        set_published_at(database, old["id"], days_ago(400))
        hits = search(client, "فيضان")["items"]
        assert [hit["id"] for hit in hits] == [recent["id"], old["id"]]
        assert hits[0]["score"] > hits[1]["score"] > 0

    def test_recency_weight_zero_ignores_age(
        self, client: TestClient, editor: Key, database: Database, settings: Settings
    ) -> None:
        recent = make(client, editor, "فيضان في الوادي", body="الأهالي يغادرون")
        old = make(client, editor, "فيضان في الوادي", body="الأهالي يغادرون")
        make(client, editor, UNRELATED)
        set_published_at(database, recent["id"], days_ago(1))
        set_published_at(database, old["id"], days_ago(400))
        untuned = settings.model_copy(update={"search_recency_weight": 0.0})
        with TestClient(create_app(untuned, database=database)) as plain:
            hits = search(plain, "فيضان")["items"]
        assert {hit["id"] for hit in hits} == {recent["id"], old["id"]}
        assert hits[0]["score"] == pytest.approx(hits[1]["score"])


class TestFilters:
    def test_section_includes_sub_sections(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        create_section(client, editor, slug="news-local", names={"ar": "محلي"}, parent="news")
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        parent = make(client, editor, "حريق في مصنع", section="news")
        child = make(client, editor, "حريق في سوق", section="news-local")
        make(client, editor, "حريق في ملعب", section="sport")
        make(client, editor, "حريق في غابة")
        assert found_set(client, "حريق", section="news") == {parent["id"], child["id"]}
        assert found_set(client, "حريق", section="news-local") == {child["id"]}

    def test_tag(self, client: TestClient, editor: Key) -> None:
        tag = create_tag(client, editor, name="المناخ", slug="climate")
        tagged = make(client, editor, "موجة حر في الصيف", tags=[tag["slug"]])
        make(client, editor, "موجة حر جديدة")
        assert found(client, "موجة", tag="climate") == [tagged["id"]]

    def test_author(self, client: TestClient, editor: Key) -> None:
        author = create_author(client, editor, name="سامر خليل", slug="samer")
        hers = make(client, editor, "جولة في الأسواق القديمة", authors=[author["slug"]])
        make(client, editor, "جولة في المتاحف")
        assert found(client, "جولة", author="samer") == [hers["id"]]

    def test_lang(self, client: TestClient, editor: Key) -> None:
        arabic = make(client, editor, "فوز فريق Barcelona")
        english = make(client, editor, "Barcelona wins again", lang="en")
        assert found(client, "barcelona", lang="ar") == [arabic["id"]]
        assert found(client, "barcelona", lang="en") == [english["id"]]

    def test_since_and_until(self, client: TestClient, editor: Key, database: Database) -> None:
        made = [make(client, editor, f"جلسة البرلمان رقم {n}") for n in range(3)]
        times = [datetime(2026, 3, day, 12, tzinfo=UTC) for day in (1, 2, 3)]
        for article, when in zip(made, times, strict=True):
            set_published_at(database, article["id"], when)
        ids = [a["id"] for a in made]
        assert found_set(client, "البرلمان", since="2026-03-02T12:00:00Z") == set(ids[1:])
        assert found_set(client, "البرلمان", until="2026-03-02T12:00:00Z") == {ids[0]}
        window = {"since": "2026-03-02T00:00:00+03:00", "until": "2026-03-03T00:00:00Z"}
        page = search(client, "البرلمان", **window)
        assert [hit["id"] for hit in page["items"]] == [ids[1]]
        assert page["total"] == 1

    @pytest.mark.parametrize("name", ["section", "tag", "author"])
    def test_unknown_filter_is_404(self, client: TestClient, editor: Key, name: str) -> None:
        make(client, editor, "جلسة البرلمان")
        problem = assert_problem(
            client.get("/v1/search", params={"q": "البرلمان", name: "no-such-slug"}), 404
        )
        assert "no-such-slug" in problem["detail"]


def words_of(html: str) -> list[str]:
    return re.sub("</?mark>", "", html).replace("…", " ").split()


class TestSnippets:
    def test_headline_marks_the_word_as_written(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "كَتَبَ المراسلُ تقريرًا عن الميناء")
        (hit,) = search(client, "كتب")["items"]
        assert hit["headline"] == "كَتَبَ المراسلُ تقريرًا عن الميناء"
        assert hit["headline_html"] == "<mark>كَتَبَ</mark> المراسلُ تقريرًا عن الميناء"

    def test_marks_the_whole_word_with_its_proclitics(
        self, client: TestClient, editor: Key
    ) -> None:
        make(client, editor, "لقاء بين الأهالي والمدرسة")
        (hit,) = search(client, "مدرسة")["items"]
        assert hit["headline_html"] == "لقاء بين الأهالي <mark>والمدرسة</mark>"

    def test_marks_variants_and_prefixes(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "ترمب يناقش الاقتصاد الأميركي")
        (hit,) = search(client, "ترامب اقتصا*")["items"]
        assert hit["headline_html"] == "<mark>ترمب</mark> يناقش <mark>الاقتصاد</mark> الأميركي"

    def test_html_in_the_text_is_escaped(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "وسم <b> في عنوان & خبر", summary="نص <script>مريب</script> هنا")
        (hit,) = search(client, "وسم")["items"]
        assert hit["headline_html"] == "<mark>وسم</mark> &lt;b&gt; في عنوان &amp; خبر"
        assert "<script>" not in hit["snippet_html"]
        assert "&lt;script&gt;" in hit["snippet_html"]

    def test_snippet_is_a_marked_window_of_the_body(self, client: TestClient, editor: Key) -> None:
        body = " ".join(["كلام"] * 40 + ["الزلزال"] + ["كلام"] * 40)
        make(client, editor, "تقرير طويل من المرصد", body=body)
        (hit,) = search(client, "زلزال")["items"]
        snippet = hit["snippet_html"]
        assert "<mark>الزلزال</mark>" in snippet
        assert snippet.startswith("… ")
        assert snippet.endswith(" …")
        assert len(words_of(snippet)) <= 30

    def test_short_text_is_not_cut(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "تقرير قصير", summary="ملخص عن الزلزال", body="تفاصيل قليلة")
        (hit,) = search(client, "زلزال")["items"]
        assert hit["snippet_html"] == "ملخص عن <mark>الزلزال</mark> تفاصيل قليلة"

    def test_summary_is_in_each_hit(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "سوق الذهب اليوم", summary="الأسعار مستقرة")
        make(client, editor, "الذهب يتراجع", summary="هبوط طفيف في التداولات")
        hits = search(client, "الذهب")["items"]
        assert {hit["summary"] for hit in hits} == {"الأسعار مستقرة", "هبوط طفيف في التداولات"}
        assert all(hit["url"] and hit["published_at"] for hit in hits)


class TestFacets:
    def build(self, client: TestClient, editor: Key) -> dict[str, list[str]]:
        create_section(client, editor, slug="local", names={"ar": "محليات"})
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        create_section(client, editor, slug="economy", names={"ar": "اقتصاد"})
        made: dict[str, list[str]] = {}
        for section, count in (("local", 3), ("sport", 2), ("economy", 1)):
            made[section] = [
                make(client, editor, f"مهرجان الربيع {n}", section=section)["id"]
                for n in range(count)
            ]
        made["none"] = [make(client, editor, "مهرجان الربيع بلا قسم")["id"]]
        make(client, editor, "خبر رياضي آخر", section="sport")
        return made

    EXPECTED = [
        {"slug": "local", "name": "محليات", "count": 3},
        {"slug": "sport", "name": "رياضة", "count": 2},
        {"slug": "economy", "name": "اقتصاد", "count": 1},
    ]

    @staticmethod
    def counts(page: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {k: facet[k] for k in ("slug", "name", "count")} for facet in page["facets"]["sections"]
        ]

    def test_sections_with_counts(self, client: TestClient, editor: Key) -> None:
        self.build(client, editor)
        page = search(client, "مهرجان")
        assert self.counts(page) == self.EXPECTED
        assert page["total"] == 7

    def test_counted_without_the_section_filter(self, client: TestClient, editor: Key) -> None:
        made = self.build(client, editor)
        page = search(client, "مهرجان", section="sport")
        assert {hit["id"] for hit in page["items"]} == set(made["sport"])
        assert page["total"] == 2
        assert self.counts(page) == self.EXPECTED

    def test_total_applies_every_other_filter(self, client: TestClient, editor: Key) -> None:
        self.build(client, editor)
        make(client, editor, "Spring festival", lang="en", section="local")
        page = search(client, "مهرجان", lang="ar", limit=2)
        assert len(page["items"]) == 2
        assert page["total"] == 7
        english = search(client, "festival", lang="en")
        assert english["total"] == 1
        assert self.counts(english) == [{"slug": "local", "name": "محليات", "count": 1}]


class TestPagination:
    def test_pages_cover_every_hit_once(self, client: TestClient, editor: Key) -> None:
        made = {make(client, editor, f"أمطار غزيرة في المنطقة {n}")["id"] for n in range(25)}
        make(client, editor, UNRELATED)
        seen: list[str] = []
        scores: list[float] = []
        sizes: list[int] = []
        params: dict[str, Any] = {"q": "أمطار", "limit": 10}
        while True:
            response = client.get("/v1/search", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["total"] == 25
            sizes.append(len(page["items"]))
            seen += [hit["id"] for hit in page["items"]]
            scores += [hit["score"] for hit in page["items"]]
            if page["next_cursor"] is None:
                assert page["links"]["next"] is None
                break
            assert page["links"]["next"].startswith("http://testserver/v1/search?")
            assert "cursor=" in page["links"]["next"]
            assert response.headers["link"] == f'<{page["links"]["next"]}>; rel="next"'
            params["cursor"] = page["next_cursor"]
        assert sizes == [10, 10, 5]
        assert len(seen) == len(set(seen)) == 25
        assert set(seen) == made
        assert scores == sorted(scores, reverse=True)

    def test_links_next_gives_the_next_page(self, client: TestClient, editor: Key) -> None:
        made = {make(client, editor, f"أمطار غزيرة {n}")["id"] for n in range(3)}
        first = search(client, "أمطار", limit=2)
        response = client.get(first["links"]["next"])
        assert response.status_code == 200, response.text
        second = response.json()
        assert {hit["id"] for hit in first["items"] + second["items"]} == made
        assert second["next_cursor"] is None

    def test_cursor_of_another_query_is_refused(self, client: TestClient, editor: Key) -> None:
        for n in range(3):
            make(client, editor, f"أمطار غزيرة في الشمال {n}")
        cursor = search(client, "أمطار", limit=1)["next_cursor"]
        assert cursor is not None
        other_q = client.get("/v1/search", params={"q": "غزيرة", "limit": 1, "cursor": cursor})
        problem = assert_problem(other_q, 422)
        assert problem["errors"][0]["loc"] == ["query", "q"]
        other_filter = client.get(
            "/v1/search", params={"q": "أمطار", "limit": 1, "cursor": cursor, "lang": "en"}
        )
        assert_problem(other_filter, 422)

    @pytest.mark.parametrize(
        "cursor",
        ["garbage", "eyJ4IjoxfQ", "WyJwdWJsaXNoZWQiLCIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsMV0"],
        ids=["not-base64-json", "not-a-list", "cursor-of-another-list"],
    )
    def test_garbage_cursor_is_400(self, client: TestClient, editor: Key, cursor: str) -> None:
        make(client, editor, "أمطار غزيرة")
        assert_problem(client.get("/v1/search", params={"q": "أمطار", "cursor": cursor}), 400)


class TestNeverFound:
    def assert_hidden(self, client: TestClient, editor: Key, q: str) -> None:
        assert found(client, q) == []
        assert found(client, q, key=editor) == []
        assert search(client, q)["total"] == 0

    def test_draft(self, client: TestClient, editor: Key) -> None:
        make(client, editor, "مسودة عن البركان", publish=False)
        self.assert_hidden(client, editor, "البركان")

    def test_unpublished(self, client: TestClient, editor: Key) -> None:
        made = make(client, editor, "خبر عن البركان")
        assert found(client, "البركان") == [made["id"]]
        response = act(client, editor, made["id"], "unpublish")
        assert response.status_code == 200, response.text
        self.assert_hidden(client, editor, "البركان")
        response = act(client, editor, made["id"], "publish")
        assert response.status_code == 200, response.text
        assert found(client, "البركان") == [made["id"]]

    def test_deleted(self, client: TestClient, editor: Key) -> None:
        made = make(client, editor, "خبر عن البركان")
        assert trash(client, editor, made["id"]).status_code == 200
        self.assert_hidden(client, editor, "البركان")

    def test_scheduled_for_later(self, client: TestClient, editor: Key, database: Database) -> None:
        made = make(client, editor, "خبر عن البركان")
        set_published_at(database, made["id"], datetime.now(UTC) + timedelta(days=1))
        self.assert_hidden(client, editor, "البركان")

    @pytest.mark.parametrize("status", ["scheduled", "archived", "draft"])
    def test_other_status_even_with_an_index_row(
        self, client: TestClient, editor: Key, database: Database, status: str
    ) -> None:
        """The query itself checks the article, not only the index."""
        made = make(client, editor, "خبر عن البركان")
        set_status(database, made["id"], status)
        self.assert_hidden(client, editor, "البركان")


class TestIndexFollowsEdits:
    def test_edited_headline(self, client: TestClient, editor: Key) -> None:
        made = make(client, editor, "عاصفة رملية تضرب الجنوب")
        response = client.patch(
            f"/v1/articles/{made['id']}",
            json={"headline": "أمطار غزيرة في الشمال"},
            headers={**editor, "If-Match": "*"},
        )
        assert response.status_code == 200, response.text
        assert found(client, "أمطار") == [made["id"]]
        assert found(client, "رملية") == []

    def test_edited_body(self, client: TestClient, editor: Key) -> None:
        made = make(client, editor, "تقرير الطقس", body="عاصفة رملية")
        response = client.patch(
            f"/v1/articles/{made['id']}",
            json={"body": [{"type": "paragraph", "html": "أمطار غزيرة"}]},
            headers={**editor, "If-Match": "*"},
        )
        assert response.status_code == 200, response.text
        assert found(client, "غزيرة") == [made["id"]]
        assert found(client, "رملية") == []

    def test_retagged(self, client: TestClient, editor: Key) -> None:
        old = create_tag(client, editor, name="الزراعة", slug="farming")
        new = create_tag(client, editor, name="السياحة", slug="tourism")
        made = make(client, editor, "موسم جديد", tags=[old["slug"]])
        response = client.patch(
            f"/v1/articles/{made['id']}",
            json={"tags": [new["slug"]]},
            headers={**editor, "If-Match": "*"},
        )
        assert response.status_code == 200, response.text
        assert found(client, "السياحة") == [made["id"]]
        assert found(client, "الزراعة") == []
        assert found(client, "موسم", tag="tourism") == [made["id"]]

    def test_renamed_tag(self, client: TestClient, editor: Key) -> None:
        tag = create_tag(client, editor, name="الزراعة", slug="farming")
        made = make(client, editor, "موسم جديد", tags=[tag["slug"]])
        response = client.patch("/v1/tags/farming", json={"name": "الفلاحة"}, headers=editor)
        assert response.status_code == 200, response.text
        assert found(client, "الفلاحة") == [made["id"]]
        assert found(client, "الزراعة") == []

    def test_renamed_author(self, client: TestClient, editor: Key) -> None:
        author = create_author(client, editor, name="هالة منصور", slug="hala")
        made = make(client, editor, "موسم جديد", authors=[author["slug"]])
        response = client.patch("/v1/authors/hala", json={"name": "هالة يوسف"}, headers=editor)
        assert response.status_code == 200, response.text
        assert found(client, "يوسف") == [made["id"]]
        assert found(client, "منصور") == []

    def test_deleted_tag(self, client: TestClient, editor: Key) -> None:
        tag = create_tag(client, editor, name="الزراعة", slug="farming")
        made = make(client, editor, "موسم جديد", tags=[tag["slug"]])
        assert found(client, "الزراعة") == [made["id"]]
        assert client.delete("/v1/tags/farming", headers=editor).status_code == 204
        assert found(client, "الزراعة") == []
        assert found(client, "موسم") == [made["id"]]


class TestBadInput:
    @pytest.mark.parametrize(
        "params",
        [
            pytest.param({}, id="missing-q"),
            pytest.param({"q": ""}, id="empty-q"),
            pytest.param({"q": "   "}, id="blank-q"),
            pytest.param({"q": "خبر " * 126}, id="q-over-500-characters"),
            pytest.param({"q": " ".join(f"كلمة{n}" for n in range(21))}, id="too-many-words"),
            pytest.param({"q": "-البركان"}, id="only-an-excluded-word"),
            pytest.param({"q": '-"جسر الميناء" -البركان'}, id="only-excluded"),
            pytest.param({"q": "!!! ؟؟ ... ،،"}, id="only-punctuation"),
            pytest.param({"q": '"" * -'}, id="only-operators"),
            pytest.param({"q": "البركان", "limit": 0}, id="limit-0"),
            pytest.param({"q": "البركان", "limit": 101}, id="limit-101"),
            pytest.param({"q": "البركان", "since": "yesterday"}, id="bad-since"),
            pytest.param({"q": "البركان", "lang": "not a language"}, id="bad-lang"),
        ],
    )
    def test_422(self, client: TestClient, params: dict[str, Any]) -> None:
        assert_problem(client.get("/v1/search", params=params), 422)

    def test_q_of_500_characters_is_fine(self, client: TestClient, editor: Key) -> None:
        made = make(client, editor, "البركان يثور")
        q = "البركان" + " " * 493
        assert len(q) == 500
        assert found(client, q) == [made["id"]]


# The same data and queries on every database: the expected hits are written down (by
# headline), so the SQLite and PostgreSQL runs must agree with each other.
CORPUS: list[dict[str, Any]] = [
    {"headline": "الرئيس الأمريكي يزور القاهرة", "body": "زيارة رسمية تستمر يومين"},
    {"headline": "ترمب يلتقي بوتين في قمة جديدة", "body": "اللقاء يناقش الحرب في أوكرانيا"},
    {
        "headline": "وزارة التعليم تعلن نتائج الامتحانات",
        "summary": "نسبة النجاح بلغت ٨٥ بالمئة",
    },
    {"headline": "افتتاح مدرسة جديدة في حي الزهور", "body": "المدرسة تستقبل ٥٠٠ طالب"},
    {"headline": "المدارس تغلق أبوابها بسبب العاصفة", "body": "القرار يشمل المدارس الحكومية"},
    {"headline": "أسعار النفط ترتفع في الأسواق العالمية", "body": "الاقتصاد العالمي يترقب"},
    {
        "headline": "خطة اقتصادية لدعم المشاريع الصغيرة",
        "body": "الحكومة تخصص مليار دولار لخفض الأسعار",
    },
    {
        "headline": "Election results expected tonight",
        "body": "Voters turned out in record numbers",
        "lang": "en",
    },
    {
        "headline": "Electricity prices rise again",
        "body": "The energy regulator approved a new cap",
        "lang": "en",
    },
    {"headline": "مستشفى الأطفال يفتتح قسم الطوارئ", "body": "القسم يضم ٤٠ سريرا"},
    {"headline": "إطلاق هاتف iPhone الجديد في دبي", "body": "الهاتف متوفر في المتاجر"},
    {"headline": "انتخابات بلدية في عام ٢٠٢٦", "body": "المرشحون يقدمون برامجهم للناخبين"},
]
QUERIES: dict[str, set[str]] = {
    "أميركا": {"الرئيس الأمريكي يزور القاهرة"},
    "ترامب": {"ترمب يلتقي بوتين في قمة جديدة"},
    "وبوتين": {"ترمب يلتقي بوتين في قمة جديدة"},
    "مدرسه": {"افتتاح مدرسة جديدة في حي الزهور"},
    "المدارس": {"المدارس تغلق أبوابها بسبب العاصفة"},
    '"مدرسة جديدة"': {"افتتاح مدرسة جديدة في حي الزهور"},
    "جديد*": {
        "ترمب يلتقي بوتين في قمة جديدة",
        "افتتاح مدرسة جديدة في حي الزهور",
        "إطلاق هاتف iPhone الجديد في دبي",
    },
    "اقتصا*": {
        "أسعار النفط ترتفع في الأسواق العالمية",
        "خطة اقتصادية لدعم المشاريع الصغيرة",
    },
    "أسعار -النفط": {"خطة اقتصادية لدعم المشاريع الصغيرة"},
    "election": {"Election results expected tonight"},
    "elect*": {"Election results expected tonight", "Electricity prices rise again"},
    "prices": {"Electricity prices rise again"},
    "2026": {"انتخابات بلدية في عام ٢٠٢٦"},
    "iPhone بدبي": {"إطلاق هاتف iPhone الجديد في دبي"},
    "مستشفي الاطفال": {"مستشفى الأطفال يفتتح قسم الطوارئ"},
    "النتائج": {"وزارة التعليم تعلن نتائج الامتحانات"},
    '"الاقتصاد العالمي"': {"أسعار النفط ترتفع في الأسواق العالمية"},
    "ترمب -بوتين": set(),
    "أوكرانيا": {"ترمب يلتقي بوتين في قمة جديدة"},
}


class TestSameHitsOnEveryDatabase:
    def test_corpus(self, client: TestClient, editor: Key) -> None:
        for fields in CORPUS:
            text = {k: v for k, v in fields.items() if k != "body"}
            make(client, editor, body=fields.get("body", ""), **text)
        results = {
            q: {hit["headline"] for hit in search(client, q, limit=100)["items"]} for q in QUERIES
        }
        assert results == QUERIES

    def test_phrase_does_not_join_two_fields(self, client: TestClient, editor: Key) -> None:
        """A phrase is within one field: the last word of the headline and the first of the
        summary (or the body) are not adjacent."""
        make(client, editor, "افتتاح جسر الميناء", summary="جديد بعد ثلاث سنوات")
        make(client, editor, "زيارة إلى السوق", body="القديم في وسط المدينة")
        across = ['"الميناء جديد"', '"السوق القديم"', 'الميناء -"الميناء جديد"']
        results = {q: len(found(client, q)) for q in across}
        assert results == {'"الميناء جديد"': 0, '"السوق القديم"': 0, 'الميناء -"الميناء جديد"': 1}
        assert len(found(client, "الميناء جديد")) == 1
