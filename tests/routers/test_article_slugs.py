"""Arabic slugs: made from headlines, unique per language, found through percent-encoded URLs,
and kept as 301 redirects when they change."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.assertions import Key, assert_problem
from tests.factories import act, create_article

# The headline as an editor might paste it: full harakat, tatweel, an Arabic-Indic number and a
# right-to-left mark. The slug keeps the letters and nothing else.
MARKED_HEADLINE = "افْتِتَاحُ جِسْـــرِ المِينَاءِ بَعْدَ ٣ سَنَوَاتٍ\u200f"
PLAIN_SLUG = "افتتاح-جسر-الميناء-بعد-3-سنوات"


def by_slug(
    client: TestClient, slug: str, key: Key | None = None, **params: str
) -> httpx2.Response:
    return client.get(
        f"/v1/articles/slug/{quote(slug)}", params=params, headers=key, follow_redirects=False
    )


def edit(client: TestClient, key: Key, article: dict[str, Any], **changes: Any) -> httpx2.Response:
    headers = {**key, "If-Match": str(article["version"])}
    return client.patch(f"/v1/articles/{article['id']}", json=changes, headers=headers)


class TestCreateArticleSlug:
    def test_arabic_headline_gives_arabic_slug(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, headline=MARKED_HEADLINE)
        assert made["slug"] == PLAIN_SLUG
        assert made["headline"] == MARKED_HEADLINE.strip()

    def test_same_headline_twice_gets_a_number(self, client: TestClient, editor: Key) -> None:
        first = create_article(client, editor, headline=MARKED_HEADLINE)
        second = create_article(client, editor, headline=MARKED_HEADLINE)
        # Without the marks it is still the same headline, so the same slug.
        third = create_article(client, editor, headline="افتتاح جسر الميناء بعد 3 سنوات")
        assert [first["slug"], second["slug"], third["slug"]] == [
            PLAIN_SLUG,
            f"{PLAIN_SLUG}-2",
            f"{PLAIN_SLUG}-3",
        ]

    def test_same_slug_in_another_language(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor, slug="harbour-bridge")
        english = create_article(
            client, editor, lang="en", headline="Harbour bridge opens", slug="harbour-bridge"
        )
        assert arabic["slug"] == english["slug"] == "harbour-bridge"
        assert by_slug(client, "harbour-bridge").json()["id"] == arabic["id"]
        assert by_slug(client, "harbour-bridge", lang="en").json()["id"] == english["id"]
        assert by_slug(client, "harbour-bridge", lang="ar").json()["id"] == arabic["id"]

    def test_same_headline_in_another_language_keeps_its_slug(
        self, client: TestClient, editor: Key
    ) -> None:
        arabic = create_article(client, editor)
        other = create_article(client, editor, lang="ar-EG")
        assert other["slug"] == arabic["slug"] == "افتتاح-جسر-الميناء-الجديد"

    def test_explicit_slug_conflict_is_409(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, slug="جسر-الميناء")
        response = client.post(
            "/v1/articles",
            json={"headline": "خبر آخر عن الجسر", "slug": "جسر-الميناء"},
            headers=editor,
        )
        assert_problem(response, 409)
        listed = client.get("/v1/articles", params={"status": "draft"}, headers=editor).json()
        assert listed["items"] == []

    def test_explicit_slug_is_normalised(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, slug="جِسْـرُ-الميناء-Port")
        assert made["slug"] == "جسر-الميناء-port"

    @pytest.mark.parametrize("slug", ["جسر الميناء", "جسر--الميناء", "-جسر", "جسر!", "", "_"])
    def test_invalid_slug_is_422(self, client: TestClient, editor: Key, slug: str) -> None:
        response = client.post(
            "/v1/articles", json={"headline": "خبر عن الجسر", "slug": slug}, headers=editor
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "slug"]
        listed = client.get("/v1/articles", params={"status": "draft"}, headers=editor).json()
        assert listed["items"] == []

    def test_headline_without_letters_still_gets_a_slug(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor, headline="؟!")
        assert made["slug"]
        assert by_slug(client, made["slug"]).status_code == 200


class TestGetArticleBySlug:
    def test_percent_encoded_arabic_slug(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, headline=MARKED_HEADLINE)
        path = f"/v1/articles/slug/{quote(PLAIN_SLUG)}"
        assert path.isascii()
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == made["id"]
        assert response.json()["slug"] == PLAIN_SLUG

    def test_draft_is_hidden(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        assert_problem(by_slug(client, draft["slug"]), 404)

    def test_unpublished_article_is_hidden(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        act(client, editor, made["id"], "unpublish")
        assert_problem(by_slug(client, made["slug"]), 404)

    def test_draft_is_visible_with_a_key(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        response = by_slug(client, draft["slug"], editor)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == draft["id"]
        assert response.headers["cache-control"] == "private, no-store"

    def test_published_article_wins_over_a_draft_in_another_language(
        self, client: TestClient, editor: Key
    ) -> None:
        create_article(client, editor, publish=False, slug="harbour-bridge")
        english = create_article(
            client, editor, lang="en", headline="Harbour bridge opens", slug="harbour-bridge"
        )
        assert by_slug(client, "harbour-bridge").json()["id"] == english["id"]
        assert_problem(by_slug(client, "harbour-bridge", lang="ar"), 404)

    def test_unknown_slug_is_404(self, client: TestClient) -> None:
        problem = assert_problem(by_slug(client, "لا-يوجد"), 404)
        assert "لا-يوجد" in problem["detail"]

    def test_slug_with_diacritics_redirects(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline=MARKED_HEADLINE)
        response = by_slug(client, "افْتِتَاحُ-جِسْـرِ-المِينَاءِ-بَعْدَ-٣-سَنَوَاتٍ")
        assert response.status_code == 301
        assert response.headers["location"] == f"/v1/articles/slug/{quote(PLAIN_SLUG)}"

    def test_slug_in_another_normal_form_redirects(self, client: TestClient, editor: Key) -> None:
        # Persian yeh and keheh as some keyboards type them, Arabic-Indic digits, presentation
        # forms, decomposed hamza (NFD) and an upper-case Latin letter.
        made = create_article(client, editor, slug="كتاب-الميناء-أخبار-2026")
        for variant in [
            "کتاب-المیناء-أخبار-2026",
            "كتاب-الميناء-أخبار-٢٠٢٦",
            "ﻛﺘﺎﺏ-الميناء-أخبار-2026",
            unicodedata.normalize("NFD", "كتاب-الميناء-أخبار-2026"),
        ]:
            response = by_slug(client, variant)
            assert response.status_code == 301, variant
            assert response.headers["location"] == f"/v1/articles/slug/{quote(made['slug'])}"
        english = create_article(client, editor, lang="en", headline="Port Book", slug="port-book")
        response = by_slug(client, "Port-Book", lang="en")
        assert response.status_code == 301
        assert response.headers["location"] == f"/v1/articles/slug/{english['slug']}?lang=en"

    def test_redirect_of_a_draft_is_hidden(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, publish=False, headline=MARKED_HEADLINE)
        assert_problem(by_slug(client, "افْتِتَاحُ-جِسْرِ-المِينَاءِ-بَعْدَ-3-سَنَوَاتٍ"), 404)

    def test_redirect_target_is_found(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, headline=MARKED_HEADLINE)
        response = client.get(f"/v1/articles/slug/{quote('افْتِتَاحُ-جِسْرِ-المِينَاءِ-بَعْدَ-3-سَنَوَاتٍ')}")
        assert response.status_code == 200, response.text
        assert response.json()["id"] == made["id"]


class TestUpdateArticleSlug:
    def test_old_slug_redirects_to_the_new(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        old = made["slug"]
        response = edit(client, editor, made, slug="جسر-الميناء-يفتح")
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "جسر-الميناء-يفتح"

        moved = by_slug(client, old)
        assert moved.status_code == 301
        assert moved.headers["location"] == f"/v1/articles/slug/{quote('جسر-الميناء-يفتح')}"
        followed = client.get(moved.headers["location"])
        assert followed.status_code == 200
        assert followed.json()["id"] == made["id"]

    def test_every_old_slug_redirects(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        first = made["slug"]
        made = edit(client, editor, made, slug="الاسم-الثاني").json()
        made = edit(client, editor, made, slug="الاسم-الثالث").json()
        for old in (first, "الاسم-الثاني"):
            response = by_slug(client, old)
            assert response.status_code == 301
            assert response.headers["location"] == f"/v1/articles/slug/{quote('الاسم-الثالث')}"

    def test_old_slug_of_a_draft_does_not_redirect(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        old = draft["slug"]
        assert edit(client, editor, draft, slug="مسودة-باسم-جديد").status_code == 200
        assert_problem(by_slug(client, old), 404)
        with_key = by_slug(client, old, editor)
        assert with_key.status_code == 301
        assert with_key.headers["location"] == f"/v1/articles/slug/{quote('مسودة-باسم-جديد')}"

    def test_old_slug_stops_redirecting_when_unpublished(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        old = made["slug"]
        made = edit(client, editor, made, slug="اسم-جديد").json()
        assert by_slug(client, old).status_code == 301
        act(client, editor, made["id"], "unpublish")
        assert_problem(by_slug(client, old), 404)

    def test_old_slug_is_not_given_to_a_new_article(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        edit(client, editor, made, slug="اسم-جديد")
        newer = create_article(client, editor)
        assert newer["slug"] == f"{made['slug']}-2"
        assert by_slug(client, made["slug"]).status_code == 301

    def test_old_slug_can_be_claimed_explicitly(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        edit(client, editor, made, slug="اسم-جديد")
        newer = create_article(client, editor, headline="خبر آخر", slug=made["slug"])
        response = by_slug(client, made["slug"])
        assert response.status_code == 200
        assert response.json()["id"] == newer["id"]

    def test_changing_back_reclaims_the_slug(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        first = made["slug"]
        made = edit(client, editor, made, slug="اسم-مؤقت").json()
        made = edit(client, editor, made, slug=first).json()
        assert made["slug"] == first
        assert by_slug(client, first).status_code == 200
        moved = by_slug(client, "اسم-مؤقت")
        assert moved.status_code == 301
        assert moved.headers["location"] == f"/v1/articles/slug/{quote(first)}"

    def test_taken_slug_is_409_and_changes_nothing(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="خبر أول", slug="خبر-أول")
        second = create_article(client, editor, headline="خبر ثان", slug="خبر-ثان")
        assert_problem(edit(client, editor, second, slug="خبر-أول"), 409)
        after = client.get(f"/v1/articles/{second['id']}").json()
        assert after["slug"] == "خبر-ثان"
        assert after["version"] == second["version"]

    def test_invalid_slug_is_422(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        problem = assert_problem(edit(client, editor, made, slug="جسر الميناء"), 422)
        assert problem["errors"][0]["loc"] == ["body", "slug"]
        assert client.get(f"/v1/articles/{made['id']}").json()["slug"] == made["slug"]

    def test_headline_change_keeps_the_slug(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        edited = edit(client, editor, made, headline="عنوان جديد تماما").json()
        assert edited["slug"] == made["slug"]
