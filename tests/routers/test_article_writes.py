"""The management API for articles: keys and roles, If-Match, bodies, translations, related
articles, and input that must change nothing."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.services import keys as key_service
from tests.assertions import Key, assert_problem
from tests.conftest import make_key
from tests.factories import act, create_article, create_author, create_section, create_tag, trash

ETAG = re.compile(r'^"v(\d+)-[0-9a-f]+"$')


def read(client: TestClient, key: Key, article_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/articles/{article_id}", headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def everything(client: TestClient, key: Key) -> list[dict[str, Any]]:
    """Every article in the store as the management API shows it."""
    articles = []
    for status in ("draft", "published"):
        page = client.get("/v1/articles", params={"status": status, "limit": 100}, headers=key)
        assert page.status_code == 200, page.text
        articles += [read(client, key, item["id"]) for item in page.json()["items"]]
    return articles


def patch(
    client: TestClient, key: Key, article_id: str, if_match: str | None, **changes: Any
) -> httpx2.Response:
    headers = dict(key) if if_match is None else {**key, "If-Match": if_match}
    return client.patch(f"/v1/articles/{article_id}", json=changes, headers=headers)


def arabic_words(count: int) -> str:
    """count Arabic words, written with harakat, shadda, tatweel and an Arabic-Indic number."""
    vocabulary = ["كَتَبَ", "الصَّحَفِيُّ", "تَقْرِيرًا", "جـــديدًا", "عَنِ", "المِينَاءِ", "٢٠٢٦"]
    return " ".join(vocabulary[n % len(vocabulary)] for n in range(count))


def bearer(key: Key) -> str:
    return key["Authorization"].removeprefix("Bearer ")


class TestCreateArticle:
    @pytest.mark.parametrize("publish", [False, True])
    def test_201_with_location_and_etag(
        self, client: TestClient, editor: Key, publish: bool
    ) -> None:
        response = client.post(
            "/v1/articles",
            json={
                "headline": "افتتاح المكتبة العامة في الحي القديم",
                "status": "published" if publish else "draft",
            },
            headers=editor,
        )
        assert response.status_code == 201, response.text
        made = response.json()
        assert response.headers["location"] == f"/v1/articles/{made['id']}"
        assert response.headers["etag"].startswith('"v1-')
        assert ETAG.match(response.headers["etag"])
        assert made["version"] == 1
        assert made["status"] == ("published" if publish else "draft")
        assert response.headers["cache-control"] == "private, no-store"
        again = client.get(response.headers["location"], headers=editor)
        assert again.json() == made
        assert again.headers["etag"] == response.headers["etag"]

    def test_new_article_with_every_link_is_version_1(
        self, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        author = create_author(client, editor)
        tag = create_tag(client, editor)
        other = create_article(client, editor, headline="خبر ذو صلة")
        arabic = create_article(client, editor)
        response = client.post(
            "/v1/articles",
            json={
                "headline": "Harbour bridge opens",
                "lang": "en",
                "status": "published",
                "section": "local",
                "sections": ["sport"],
                "authors": [author["slug"]],
                "tags": [tag["slug"]],
                "related": [other["id"]],
                "translation_of": arabic["id"],
            },
            headers=editor,
        )
        assert response.status_code == 201, response.text
        assert response.json()["version"] == 1
        assert response.headers["etag"].startswith('"v1-')

    def test_defaults(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False)
        assert made["lang"] == "ar"
        assert made["dir"] == "rtl"
        assert made["urgency"] == 5
        assert made["breaking"] is False
        assert made["published_at"] is None
        assert made["first_published_at"] is None

    def test_links_are_kept_in_order(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        create_author(client, editor)
        create_author(client, editor, name="عمر النجار", slug="omar-najjar")
        made = create_article(
            client,
            editor,
            section="local",
            sections=["sport"],
            authors=["omar-najjar", "salma-haddad"],
        )
        assert made["section"]["slug"] == "local"
        assert [s["slug"] for s in made["sections"]] == ["sport"]
        assert [a["slug"] for a in made["authors"]] == ["omar-najjar", "salma-haddad"]

    def test_html_is_sanitised(self, client: TestClient, editor: Key) -> None:
        body_html = (
            '<p onclick="alert(1)" style="color:red">افتتحت البلدية '
            '<a href="javascript:alert(2)">الجسر</a> '
            '<img src="x" onerror="alert(3)"> اليوم.</p>'
            "<script>alert(4)</script>"
            '<h2 style="font-size:90px">ماذا بعد؟</h2>'
            '<blockquote onmouseover="alert(5)">قول <a href="JaVaScRiPt:alert(6)">هنا</a>'
            "</blockquote>"
            '<ul><li style="x" onfocus="alert(7)">أول</li></ul>'
            '<table><tr><td style="color:red" onclick="alert(8)">خلية</td></tr></table>'
            '<iframe src="javascript:alert(9)"></iframe>'
        )
        response = client.post(
            "/v1/articles", json={"headline": "خبر", "body_html": body_html}, headers=editor
        )
        assert response.status_code == 201, response.text
        for needle in ("alert", "javascript:", "onerror", "onclick", "onmouseover", "style="):
            assert needle not in response.text.lower(), needle
        made = response.json()
        assert "<script" not in made["body_html"]
        assert [block["type"] for block in made["body"]] == [
            "paragraph",
            "heading",
            "quote",
            "list",
            "html",
        ]
        assert "افتتحت البلدية" in made["body"][0]["html"]

    def test_blocks_are_sanitised(self, client: TestClient, editor: Key) -> None:
        body = [
            {
                "type": "paragraph",
                "html": '<span style="color:red" onmouseover="alert(1)">نص</span> '
                '<a href="javascript:alert(2)">رابط</a><img src=x onerror="alert(3)">'
                "<script>alert(4)</script>",
            },
            {"type": "heading", "level": 2, "text": '<b onclick="alert(5)">عنوان</b>'},
            {"type": "quote", "html": '<em onclick="alert(6)">قول</em>', "cite": "قائل"},
            {"type": "list", "items": ['<a href="javascript:alert(7)">بند</a>']},
            {
                "type": "html",
                "html": '<table style="x"><tr><td onclick="alert(8)">خلية</td></tr></table>',
            },
        ]
        response = client.post(
            "/v1/articles", json={"headline": "خبر", "body": body}, headers=editor
        )
        assert response.status_code == 201, response.text
        for needle in ("alert", "javascript:", "onerror", "onclick", "onmouseover", "style="):
            assert needle not in response.text.lower(), needle
        made = response.json()
        assert made["body"][1] == {"type": "heading", "level": 2, "text": "عنوان"}
        assert "<script" not in made["body_html"]

    def test_html_becomes_blocks(self, client: TestClient, editor: Key) -> None:
        body_html = (
            "<h2>ماذا حدث؟</h2>"
            "<p>افتتحت البلدية <strong>الجسر</strong> اليوم.</p>"
            "<blockquote><p>الجسر يختصر الطريق.</p><cite>رئيسة البلدية</cite></blockquote>"
            "<ul><li>أول</li><li>ثان</li></ul>"
            "<ol><li>خطوة</li></ol>"
            "<h3>وماذا بعد؟</h3>"
        )
        response = client.post(
            "/v1/articles", json={"headline": "خبر", "body_html": body_html}, headers=editor
        )
        assert response.status_code == 201, response.text
        assert response.json()["body"] == [
            {"type": "heading", "level": 2, "text": "ماذا حدث؟"},
            {"type": "paragraph", "html": "افتتحت البلدية <strong>الجسر</strong> اليوم."},
            {"type": "quote", "html": "الجسر يختصر الطريق.", "cite": "رئيسة البلدية"},
            {"type": "list", "style": "unordered", "items": ["أول", "ثان"]},
            {"type": "list", "style": "ordered", "items": ["خطوة"]},
            {"type": "heading", "level": 3, "text": "وماذا بعد؟"},
        ]

    def test_blocks_come_back_with_body_html(self, client: TestClient, editor: Key) -> None:
        body = [
            {"type": "paragraph", "html": "افتتحت البلدية <strong>الجسر</strong>."},
            {"type": "heading", "level": 2, "text": "ماذا بعد؟"},
            {"type": "quote", "html": "الجسر يختصر الطريق.", "cite": "رئيسة البلدية"},
            {"type": "list", "style": "ordered", "items": ["أول", "ثان"]},
        ]
        made = create_article(client, editor, body=body)
        assert made["body"] == [
            body[0],
            body[1],
            body[2],
            {"type": "list", "style": "ordered", "items": ["أول", "ثان"]},
        ]
        assert made["body_html"] == (
            "<p>افتتحت البلدية <strong>الجسر</strong>.</p>\n"
            "<h2>ماذا بعد؟</h2>\n"
            "<blockquote><p>الجسر يختصر الطريق.</p><cite>رئيسة البلدية</cite></blockquote>\n"
            "<ol><li>أول</li><li>ثان</li></ol>"
        )

    def test_body_html_round_trips(self, client: TestClient, editor: Key) -> None:
        first = create_article(client, editor)
        second = create_article(client, editor, body=None, body_html=first["body_html"])
        assert second["body"] == first["body"]
        assert second["body_html"] == first["body_html"]

    def test_body_and_body_html_together_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/articles",
            json={
                "headline": "خبر",
                "body": [{"type": "paragraph", "html": "نص"}],
                "body_html": "<p>نص</p>",
            },
            headers=editor,
        )
        assert_problem(response, 422)
        assert everything(client, editor) == []

    @pytest.mark.parametrize(
        "block",
        [
            {"type": "image", "src": "https://example.com/a.jpg"},
            {"type": "paragraf", "html": "نص"},
            {"html": "نص"},
            {"type": "heading", "level": 1, "text": "عنوان"},
            {"type": "paragraph", "html": "نص", "style": "color:red"},
            {"type": "embed", "url": "javascript:alert(1)"},
        ],
    )
    def test_bad_block_is_422(self, client: TestClient, editor: Key, block: Any) -> None:
        response = client.post(
            "/v1/articles", json={"headline": "خبر", "body": [block]}, headers=editor
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"][:3] == ["body", "body", 0]
        assert everything(client, editor) == []

    @pytest.mark.parametrize(("words", "minutes"), [(138, 1), (139, 2), (276, 2), (277, 3)])
    def test_arabic_word_count_and_reading_time(
        self, client: TestClient, editor: Key, words: int, minutes: int
    ) -> None:
        # Arabic is read at 138 words a minute: ceil(words / 138).
        half = words // 2
        body = [
            {"type": "paragraph", "html": arabic_words(half)},
            {"type": "paragraph", "html": f"<strong>{arabic_words(words - half)}</strong>"},
        ]
        made = create_article(client, editor, body=body)
        assert made["word_count"] == words
        assert made["reading_time"] == minutes

    def test_marks_do_not_split_words(self, client: TestClient, editor: Key) -> None:
        # Five words: shadda, sukun, tanwin, a superscript alef, tatweel and a zero-width
        # non-joiner sit inside them.
        html = "الصَّحَفِيُّ كَتَبَ هٰذَا تَقْرِيرًا جـــ\u200cـديدًا"
        made = create_article(client, editor, body_html=f"<p>{html}</p>", body=None)
        assert made["word_count"] == 5
        assert made["reading_time"] == 1

    def test_every_block_counts(self, client: TestClient, editor: Key) -> None:
        body = [
            {"type": "paragraph", "html": "كلمة واحدة"},  # 2
            {"type": "heading", "level": 2, "text": "عنوان من ثلاث"},  # 3
            {"type": "quote", "html": "قول", "cite": "قائل معروف"},  # 1 + 2
            {"type": "list", "items": ["بند أول", "بند"]},  # 3
        ]
        made = create_article(client, editor, body=body)
        assert made["word_count"] == 11

    @pytest.mark.parametrize(("words", "minutes"), [(228, 1), (229, 2)])
    def test_english_reading_time(
        self, client: TestClient, editor: Key, words: int, minutes: int
    ) -> None:
        text = " ".join(["the", "bridge", "don't", "3.5"][n % 4] for n in range(words))
        made = create_article(
            client,
            editor,
            lang="en",
            headline="Harbour bridge opens",
            body=[{"type": "paragraph", "html": text}],
        )
        assert made["word_count"] == words
        assert made["reading_time"] == minutes

    def test_empty_body(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, body=[])
        assert (made["body"], made["body_html"]) == ([], "")
        assert (made["word_count"], made["reading_time"]) == (0, 0)

    def test_writer_creates_a_draft(self, client: TestClient, writer: Key) -> None:
        made = create_article(client, writer, publish=False)
        assert made["status"] == "draft"

    def test_writer_cannot_create_published(self, client: TestClient, writer: Key) -> None:
        response = client.post(
            "/v1/articles", json={"headline": "خبر", "status": "published"}, headers=writer
        )
        assert_problem(response, 403)
        assert everything(client, writer) == []

    def test_admin_creates_published(self, client: TestClient, admin: Key) -> None:
        assert create_article(client, admin)["status"] == "published"

    @pytest.mark.parametrize(
        "payload",
        [
            {"headline": 123},
            {"headline": ["خبر"]},
            {"headline": ""},
            {"headline": " \n\t "},
            {"headline": "خ" * 501},
            {},
            {"headline": "خبر", "urgency": 10},
            {"headline": "خبر", "urgency": 0},
            {"headline": "خبر", "urgency": "عاجل"},
            {"headline": "خبر", "breaking": "ربما"},
            {"headline": "خبر", "body": "نص"},
            {"headline": "خبر", "status": "archived"},
            {"headline": "خبر", "lang": "العربية"},
            {"headline": "خبر", "canonical_url": "javascript:alert(1)"},
            {"headline": "خبر", "author": "salma-haddad"},
            {"headline": "خبر", "section": "لا-يوجد"},
            {"headline": "خبر", "tags": ["لا-يوجد"]},
            {"headline": "خبر", "authors": ["nobody"]},
        ],
    )
    def test_bad_input_is_422_and_changes_nothing(
        self, client: TestClient, editor: Key, payload: dict[str, Any]
    ) -> None:
        create_section(client, editor)
        existing = create_article(client, editor, section="local")
        before = everything(client, editor)
        assert_problem(client.post("/v1/articles", json=payload, headers=editor), 422)
        assert everything(client, editor) == before
        assert [a["id"] for a in before] == [existing["id"]]

    def test_body_that_is_not_json_is_a_problem(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/articles",
            content=b"{headline: ",
            headers={**editor, "Content-Type": "application/json"},
        )
        assert response.status_code in (400, 422)
        assert response.headers["content-type"].startswith("application/problem+json")


class TestAuthentication:
    def test_no_key_is_401(self, client: TestClient) -> None:
        response = client.post("/v1/articles", json={"headline": "خبر"})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "authorization",
        [
            "Bearer garbage",
            "Bearer khb_00000000_notarealsecret",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Token khb_x_y",
            "khb_x_y",
        ],
    )
    def test_bad_key_is_401(self, client: TestClient, authorization: str) -> None:
        response = client.post(
            "/v1/articles", json={"headline": "خبر"}, headers={"Authorization": authorization}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")

    def test_key_with_wrong_secret_is_401(self, client: TestClient, editor: Key) -> None:
        token = bearer(editor)
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        response = client.post(
            "/v1/articles", json={"headline": "خبر"}, headers={"Authorization": f"Bearer {forged}"}
        )
        assert_problem(response, 401)

    def test_wrong_scheme_with_a_good_key_is_401(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/articles",
            json={"headline": "خبر"},
            headers={"Authorization": f"Token {bearer(editor)}"},
        )
        assert_problem(response, 401)

    def test_scheme_is_case_insensitive(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/articles",
            json={"headline": "خبر"},
            headers={"Authorization": f"bearer {bearer(editor)}"},
        )
        assert response.status_code == 201, response.text

    def test_revoked_key_is_401(self, client: TestClient, editor: Key, database: Database) -> None:
        made = create_article(client, editor, publish=False)
        prefix = bearer(editor).split("_")[1]
        with database.session(write=True) as session:
            key_service.revoke_key(session, prefix=prefix)
            session.commit()
        assert_problem(client.post("/v1/articles", json={"headline": "خبر"}, headers=editor), 401)
        assert_problem(client.get(f"/v1/articles/{made['id']}", headers=editor), 401)
        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)

    def test_expired_key_is_401(self, client: TestClient, database: Database) -> None:
        with database.session(write=True) as session:
            _key, token = key_service.create_key(
                session,
                name="expired",
                role="editor",
                expires_at=datetime.now(UTC) - timedelta(minutes=1),
            )
            session.commit()
        response = client.post(
            "/v1/articles", json={"headline": "خبر"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(response, 401)

    def test_key_that_expires_later_works(self, client: TestClient, database: Database) -> None:
        with database.session(write=True) as session:
            _key, token = key_service.create_key(
                session,
                name="valid",
                role="editor",
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
            session.commit()
        response = client.post(
            "/v1/articles", json={"headline": "خبر"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201, response.text

    def test_bad_key_on_a_public_read_is_401(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(
            f"/v1/articles/{made['id']}", headers={"Authorization": "Bearer garbage"}
        )
        assert_problem(response, 401)

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("PATCH", "/v1/articles/{id}"),
            ("DELETE", "/v1/articles/{id}"),
            ("POST", "/v1/articles/{id}/publish"),
            ("POST", "/v1/articles/{id}/unpublish"),
        ],
    )
    def test_every_write_needs_a_key(
        self, client: TestClient, editor: Key, method: str, path: str
    ) -> None:
        made = create_article(client, editor)
        response = client.request(
            method, path.format(id=made["id"]), json={}, headers={"If-Match": "*"}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert read(client, editor, made["id"]) == made


class TestTranslations:
    def test_translations_list_each_other(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor)
        english = create_article(
            client,
            editor,
            lang="en",
            headline="New harbour bridge opens",
            translation_of=arabic["id"],
        )
        assert english["translations"] == [
            {
                "id": arabic["id"],
                "slug": arabic["slug"],
                "headline": arabic["headline"],
                "lang": "ar",
                "dir": "rtl",
                "url": f"http://testserver/v1/articles/{arabic['id']}",
            }
        ]
        original = client.get(f"/v1/articles/{arabic['id']}").json()
        assert original["translations"] == [
            {
                "id": english["id"],
                "slug": "new-harbour-bridge-opens",
                "headline": "New harbour bridge opens",
                "lang": "en",
                "dir": "ltr",
                "url": f"http://testserver/v1/articles/{english['id']}",
            }
        ]

    def test_third_language_joins_the_group(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor)
        english = create_article(
            client, editor, lang="en", headline="Bridge opens", translation_of=arabic["id"]
        )
        french = create_article(
            client, editor, lang="fr", headline="Le pont ouvre", translation_of=english["id"]
        )
        assert [t["lang"] for t in french["translations"]] == ["ar", "en"]
        original = client.get(f"/v1/articles/{arabic['id']}").json()
        assert [(t["lang"], t["dir"]) for t in original["translations"]] == [
            ("en", "ltr"),
            ("fr", "ltr"),
        ]

    def test_second_translation_in_one_language_is_409(
        self, client: TestClient, editor: Key
    ) -> None:
        arabic = create_article(client, editor)
        create_article(
            client, editor, lang="en", headline="Bridge opens", translation_of=arabic["id"]
        )
        before = everything(client, editor)
        response = client.post(
            "/v1/articles",
            json={"headline": "Bridge opens today", "lang": "en", "translation_of": arabic["id"]},
            headers=editor,
        )
        assert_problem(response, 409)
        assert everything(client, editor) == before

    def test_translation_in_the_same_language_is_409(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor)
        response = client.post(
            "/v1/articles",
            json={"headline": "نسخة أخرى", "translation_of": arabic["id"]},
            headers=editor,
        )
        assert_problem(response, 409)

    def test_translation_of_unknown_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/articles",
            json={"headline": "Bridge opens", "lang": "en", "translation_of": "nosucharticle000"},
            headers=editor,
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "translation_of"]
        assert everything(client, editor) == []

    def test_unpublished_translation_leaves_the_list(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor)
        english = create_article(
            client, editor, lang="en", headline="Bridge opens", translation_of=arabic["id"]
        )
        act(client, editor, english["id"], "unpublish")
        assert client.get(f"/v1/articles/{arabic['id']}").json()["translations"] == []


class TestRelated:
    def test_related_in_order(self, client: TestClient, editor: Key) -> None:
        first = create_article(client, editor, headline="خبر أول")
        second = create_article(client, editor, headline="خبر ثان")
        made = create_article(client, editor, related=[second["id"], first["id"]])
        assert [(r["id"], r["lang"], r["dir"]) for r in made["related"]] == [
            (second["id"], "ar", "rtl"),
            (first["id"], "ar", "rtl"),
        ]

    def test_unknown_related_is_422(self, client: TestClient, editor: Key) -> None:
        known = create_article(client, editor)
        response = client.post(
            "/v1/articles",
            json={"headline": "خبر", "related": [known["id"], "nosucharticle000"]},
            headers=editor,
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "related", 1]
        assert [a["id"] for a in everything(client, editor)] == [known["id"]]

    def test_self_is_422(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = patch(client, editor, made["id"], "*", related=[made["id"]])
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "related"]
        assert read(client, editor, made["id"]) == made

    def test_only_published_related_are_public(self, client: TestClient, editor: Key) -> None:
        shown = create_article(client, editor, headline="خبر منشور")
        draft = create_article(client, editor, publish=False, headline="خبر مسودة")
        made = create_article(client, editor, related=[draft["id"], shown["id"]])
        public = client.get(f"/v1/articles/{made['id']}").json()
        assert [r["id"] for r in public["related"]] == [shown["id"]]
        act(client, editor, draft["id"], "publish")
        public = client.get(f"/v1/articles/{made['id']}").json()
        assert [r["id"] for r in public["related"]] == [draft["id"], shown["id"]]


class TestUpdateArticle:
    def test_without_if_match_is_428(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        problem = assert_problem(patch(client, editor, made["id"], None, urgency=1), 428)
        assert problem["current_version"] == made["version"]
        assert read(client, editor, made["id"]) == made

    def test_stale_if_match_is_412_and_changes_nothing(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        stale = client.get(f"/v1/articles/{made['id']}").headers["etag"]
        edited = patch(client, editor, made["id"], stale, urgency=2)
        assert edited.status_code == 200, edited.text
        current = read(client, editor, made["id"])

        for old in (stale, str(made["version"]), f'"{made["version"]}"', 'W/"v1-abc"'):
            response = patch(client, editor, made["id"], old, headline="عنوان يضيع", urgency=9)
            problem = assert_problem(response, 412)
            assert problem["current_version"] == current["version"]
        assert read(client, editor, made["id"]) == current
        public = client.get(f"/v1/articles/{made['id']}")
        assert public.json()["headline"] == made["headline"]
        assert public.json()["urgency"] == 2

    def test_etag_as_if_match(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        etag = client.get(f"/v1/articles/{made['id']}").headers["etag"]
        response = patch(client, editor, made["id"], etag, headline="عنوان جديد", urgency=2)
        assert response.status_code == 200, response.text
        edited = response.json()
        assert edited["headline"] == "عنوان جديد"
        assert edited["urgency"] == 2
        assert edited["version"] == made["version"] + 1
        assert response.headers["etag"].startswith(f'"v{edited["version"]}-')
        assert read(client, editor, made["id"]) == edited

    def test_bare_version_as_if_match(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = patch(client, editor, made["id"], str(made["version"]), kicker="عاجل")
        assert response.status_code == 200, response.text
        assert response.json()["kicker"] == "عاجل"
        assert response.json()["version"] == made["version"] + 1

    def test_weak_etag_and_lists_as_if_match(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        etag = client.get(f"/v1/articles/{made['id']}").headers["etag"]
        response = patch(client, editor, made["id"], f'"v99-00", W/{etag}', urgency=3)
        assert response.status_code == 200, response.text

    def test_star_if_match(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = patch(client, editor, made["id"], "*", urgency=1)
        assert response.status_code == 200, response.text
        assert response.json()["version"] == made["version"] + 1

    def test_versions_follow_each_other(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        etag = client.get(f"/v1/articles/{made['id']}").headers["etag"]
        for n in range(3):
            response = patch(client, editor, made["id"], etag, summary=f"ملخص رقم {n}")
            assert response.status_code == 200, response.text
            etag = response.headers["etag"]
        assert ETAG.match(etag)
        assert read(client, editor, made["id"])["version"] == made["version"] + 3

    def test_one_edit_is_one_version(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        tag = create_tag(client, editor)
        arabic = create_article(client, editor)
        made = create_article(client, editor, lang="en", headline="Bridge opens", publish=False)
        response = patch(
            client,
            editor,
            made["id"],
            str(made["version"]),
            headline="Harbour bridge opens",
            slug="harbour-bridge",
            body_html="<p>The bridge opened today.</p>",
            section="local",
            tags=[tag["slug"]],
            translation_of=arabic["id"],
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == made["version"] + 1
        assert [t["id"] for t in response.json()["translations"]] == [arabic["id"]]

    def test_only_sent_fields_change(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        tag = create_tag(client, editor)
        made = create_article(client, editor, section="local", tags=[tag["slug"]], urgency=3)
        edited = patch(client, editor, made["id"], "*", summary="ملخص جديد").json()
        unchanged = {"version", "summary", "updated_at", "body", "body_html"}
        assert {k: v for k, v in edited.items() if k not in unchanged} == {
            k: v for k, v in made.items() if k not in unchanged
        }
        assert edited["body"] == made["body"]
        assert edited["summary"] == "ملخص جديد"

    def test_body_update_recounts(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = patch(client, editor, made["id"], "*", body_html=f"<p>{arabic_words(139)}</p>")
        assert response.status_code == 200, response.text
        assert response.json()["word_count"] == 139
        assert response.json()["reading_time"] == 2
        assert response.json()["body_html"] == f"<p>{arabic_words(139)}</p>"

    def test_writer_edits_a_draft(self, client: TestClient, writer: Key) -> None:
        made = create_article(client, writer, publish=False)
        response = patch(client, writer, made["id"], str(made["version"]), headline="عنوان أدق")
        assert response.status_code == 200, response.text
        assert response.json()["headline"] == "عنوان أدق"

    def test_writer_cannot_edit_a_published_article(
        self, client: TestClient, editor: Key, writer: Key
    ) -> None:
        made = create_article(client, editor)
        response = patch(client, writer, made["id"], str(made["version"]), headline="تعديل")
        assert_problem(response, 403)
        assert read(client, editor, made["id"]) == made

    def test_editor_edits_a_published_article(
        self, client: TestClient, editor: Key, writer: Key
    ) -> None:
        made = create_article(client, writer, publish=False)
        act(client, editor, made["id"], "publish")
        current = read(client, editor, made["id"])
        response = patch(client, editor, made["id"], str(current["version"]), headline="تعديل")
        assert response.status_code == 200, response.text
        assert client.get(f"/v1/articles/{made['id']}").json()["headline"] == "تعديل"

    @pytest.mark.parametrize(
        "changes",
        [
            {"headline": 123},
            {"headline": None},
            {"headline": ""},
            {"headline": "   "},
            {"headline": "خ" * 501},
            {"urgency": 10},
            {"urgency": "عاجل"},
            {"body": [{"type": "video", "url": "https://example.com"}]},
            {"body": [{"type": "paragraph", "html": "نص"}], "body_html": "<p>نص</p>"},
            {"status": "published"},
            {"lang": "en"},
            {"colour": "أحمر"},
            {"section": "لا-يوجد"},
            {"related": ["nosucharticle000"]},
            {"translation_of": "nosucharticle000"},
        ],
    )
    def test_bad_input_is_422_and_changes_nothing(
        self, client: TestClient, editor: Key, changes: dict[str, Any]
    ) -> None:
        made = create_article(client, editor)
        before = everything(client, editor)
        response = patch(client, editor, made["id"], str(made["version"]), **changes)
        assert_problem(response, 422)
        assert everything(client, editor) == before

    def test_unknown_article_is_404(self, client: TestClient, editor: Key) -> None:
        assert_problem(patch(client, editor, "nosucharticle000", "*", urgency=1), 404)


class TestPublishArticle:
    def test_publish_makes_a_draft_public(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        response = act(client, editor, draft["id"], "publish")
        assert response.status_code == 200, response.text
        published = response.json()
        assert published["status"] == "published"
        assert published["published_at"] is not None
        assert published["first_published_at"] == published["published_at"]
        assert published["version"] == draft["version"] + 1
        assert client.get(f"/v1/articles/{draft['id']}").status_code == 200

    def test_republishing_keeps_first_published_at(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        first = made["first_published_at"]
        assert first is not None
        down = act(client, editor, made["id"], "unpublish").json()
        assert down["status"] == "draft"
        assert down["first_published_at"] == first
        up = act(client, editor, made["id"], "publish").json()
        assert up["status"] == "published"
        assert up["first_published_at"] == first
        assert client.get(f"/v1/articles/{made['id']}").json()["first_published_at"] == first

    def test_publishing_twice_changes_nothing(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        again = act(client, editor, made["id"], "publish")
        assert again.status_code == 200
        assert again.json() == made

    def test_writer_cannot_publish(self, client: TestClient, writer: Key, editor: Key) -> None:
        draft = create_article(client, writer, publish=False)
        response = act(client, writer, draft["id"], "publish")
        assert_problem(response, 403)
        assert_problem(client.get(f"/v1/articles/{draft['id']}"), 404)
        assert read(client, editor, draft["id"]) == draft

    def test_stale_if_match_is_412(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        patch(client, editor, draft["id"], "*", urgency=2)
        response = client.post(
            f"/v1/articles/{draft['id']}/publish",
            headers={**editor, "If-Match": str(draft["version"])},
        )
        problem = assert_problem(response, 412)
        assert problem["current_version"] == draft["version"] + 1
        assert_problem(client.get(f"/v1/articles/{draft['id']}"), 404)

    def test_right_if_match(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        etag = client.get(f"/v1/articles/{draft['id']}", headers=editor).headers["etag"]
        response = client.post(
            f"/v1/articles/{draft['id']}/publish", headers={**editor, "If-Match": etag}
        )
        assert response.status_code == 200, response.text


class TestUnpublishArticle:
    def test_article_vanishes_everywhere(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        english = create_article(
            client, editor, lang="en", headline="Bridge opens", translation_of=made["id"]
        )
        other = create_article(client, editor, headline="خبر آخر", related=[made["id"]])
        client.patch("/v1/sections/local", json={"pinned": [made["id"]]}, headers=editor)
        latest_before = client.get("/v1/sections/local").json()["front"]
        assert [c["id"] for c in latest_before["pinned"]] == [made["id"]]

        response = act(client, editor, made["id"], "unpublish")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "draft"

        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)
        slug_response = client.get(
            f"/v1/articles/slug/{quote(made['slug'])}", follow_redirects=False
        )
        assert_problem(slug_response, 404)
        listed = [item["id"] for item in client.get("/v1/articles").json()["items"]]
        assert made["id"] not in listed
        assert {english["id"], other["id"]} <= set(listed)
        for params in ({"section": "local"}, {"lang": "ar"}):
            page = client.get("/v1/articles", params=params).json()
            assert made["id"] not in [item["id"] for item in page["items"]]
        section_front = client.get("/v1/sections/local").json()["front"]
        assert section_front == {"pinned": [], "latest": []}
        assert client.get(f"/v1/articles/{other['id']}").json()["related"] == []
        assert client.get(f"/v1/articles/{english['id']}").json()["translations"] == []
        # Still there for the newsroom.
        assert read(client, editor, made["id"])["status"] == "draft"

    def test_writer_cannot_unpublish(self, client: TestClient, editor: Key, writer: Key) -> None:
        made = create_article(client, editor)
        response = act(client, writer, made["id"], "unpublish")
        assert_problem(response, 403)
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200

    def test_stale_if_match_is_412(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        patch(client, editor, made["id"], "*", urgency=2)
        response = client.post(
            f"/v1/articles/{made['id']}/unpublish",
            headers={**editor, "If-Match": str(made["version"])},
        )
        assert_problem(response, 412)
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200


class TestDeleteArticle:
    """DELETE moves an article to the trash; an admin purges it for good."""

    def test_delete_moves_it_to_the_trash(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = trash(client, editor, made["id"])
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "trashed"
        assert response.json()["trashed_at"] is not None
        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)
        assert client.get("/v1/articles").json()["items"] == []
        kept = client.get(f"/v1/articles/{made['id']}", headers=editor)
        assert kept.status_code == 200 and kept.json()["status"] == "trashed"
        in_trash = client.get("/v1/articles?status=trashed", headers=editor).json()["items"]
        assert [item["id"] for item in in_trash] == [made["id"]]

    def test_restore_brings_it_back_as_a_draft(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        trash(client, editor, made["id"])
        restored = act(client, editor, made["id"], "restore")
        assert restored.status_code == 200, restored.text
        assert restored.json()["status"] == "draft"
        assert restored.json()["trashed_at"] is None
        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)
        again = act(client, editor, made["id"], "publish").json()
        assert again["published_at"] == made["published_at"]
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200

    def test_restore_of_an_article_not_in_the_trash_is_409(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        assert_problem(act(client, editor, made["id"], "restore"), 409)

    def test_an_article_in_the_trash_cannot_be_edited_or_published(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        trash(client, editor, made["id"])
        assert_problem(patch(client, editor, made["id"], "*", urgency=2), 409)
        assert_problem(act(client, editor, made["id"], "publish"), 409)
        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)

    def test_admin_purges_from_the_trash(self, client: TestClient, editor: Key, admin: Key) -> None:
        made = create_article(client, editor)
        assert_problem(act(client, admin, made["id"], "purge"), 409)  # not in the trash yet
        trash(client, editor, made["id"])
        assert_problem(act(client, editor, made["id"], "purge"), 403)
        response = act(client, admin, made["id"], "purge")
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(client.get(f"/v1/articles/{made['id']}", headers=editor), 404)
        assert_problem(client.get(f"/v1/articles/{made['id']}/revisions", headers=editor), 404)
        assert_problem(
            client.post(f"/v1/articles/{made['id']}/purge", headers={**admin, "If-Match": "*"}),
            404,
        )

    def test_delete_removes_it_from_links(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        english = create_article(
            client, editor, lang="en", headline="Bridge opens", translation_of=made["id"]
        )
        other = create_article(client, editor, headline="خبر آخر", related=[made["id"]])
        client.patch("/v1/sections/local", json={"pinned": [made["id"]]}, headers=editor)
        old_slug = made["slug"]
        edited = patch(client, editor, made["id"], "*", slug="اسم-جديد")
        assert edited.status_code == 200, edited.text

        assert trash(client, editor, made["id"]).status_code == 200
        assert client.get(f"/v1/articles/{other['id']}").json()["related"] == []
        assert client.get(f"/v1/articles/{english['id']}").json()["translations"] == []
        assert client.get("/v1/sections/local").json()["front"]["pinned"] == []
        gone = client.get(f"/v1/articles/slug/{quote(old_slug)}", follow_redirects=False)
        assert_problem(gone, 404)

    def test_writer_trashes_and_restores_own_draft(self, client: TestClient, writer: Key) -> None:
        made = create_article(client, writer, publish=False)
        assert trash(client, writer, made["id"]).status_code == 200
        assert act(client, writer, made["id"], "restore").status_code == 200

    def test_writer_cannot_trash_a_published_article(
        self, client: TestClient, editor: Key, writer: Key
    ) -> None:
        made = create_article(client, editor)
        assert_problem(trash(client, writer, made["id"]), 403)
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200

    def test_writer_cannot_trash_another_writers_draft(
        self, client: TestClient, writer: Key, database: Database
    ) -> None:
        made = create_article(client, writer, publish=False)
        other = make_key(database, "writer")
        assert_problem(trash(client, other, made["id"]), 403)

    def test_stale_if_match_is_412(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        patch(client, editor, made["id"], "*", urgency=2)
        response = client.delete(
            f"/v1/articles/{made['id']}", headers={**editor, "If-Match": str(made["version"])}
        )
        problem = assert_problem(response, 412)
        assert problem["current_version"] == made["version"] + 1
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200

    def test_missing_if_match_is_428(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        assert_problem(client.delete(f"/v1/articles/{made['id']}", headers=editor), 428)
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200


class TestConcurrentCreate:
    def test_same_headline_at_once_gets_the_next_slug(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        """A second newsroom creates the same headline while the first has not committed:
        on PostgreSQL the INSERT waits on the unique index, then retries with the next slug;
        on SQLite the writer waits for the lock. Either way both articles exist."""
        from app.services import articles as article_service

        headline = "زلزال خفيف يهز المدينة الساحلية"
        results: list[httpx2.Response] = []
        with database.session(write=True) as first:
            made = article_service.create_article(
                first, data={"headline": headline}, key=None, default_lang="ar"
            )
            worker = threading.Thread(
                target=lambda: results.append(
                    client.post("/v1/articles", json={"headline": headline}, headers=editor)
                )
            )
            worker.start()
            time.sleep(0.5)  # the second request is now waiting on the first transaction
            first.commit()
        worker.join(timeout=30)
        assert results, "the second create never finished"
        second = results[0]
        assert second.status_code == 201, second.text
        assert second.json()["slug"] == f"{made.slug}-2"
