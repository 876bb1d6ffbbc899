"""Authors (bylines): listing, one author, and their management."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.assertions import BAD_KEY, Key, assert_needs_key, assert_problem
from tests.factories import act, create_article, create_author, trash


class TestListAuthors:
    def test_empty(self, client: TestClient) -> None:
        body = client.get("/v1/authors").json()
        assert body == {
            "items": [],
            "next_cursor": None,
            "links": {"self": "http://testserver/v1/authors", "next": None},
        }

    def test_lists_in_slug_order(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, name="عمر الخطيب", slug="omar-khatib")
        create_author(client, editor, name="سلمى الحداد", slug="salma-haddad")
        create_author(client, editor, name="ليلى منصور", slug="layla-mansour")
        items = client.get("/v1/authors").json()["items"]
        assert [a["slug"] for a in items] == ["layla-mansour", "omar-khatib", "salma-haddad"]

    def test_every_author_has_lang_and_dir(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, name="سلمى الحداد", slug="salma-haddad")
        create_author(client, editor, name="Jane Porter", slug="jane-porter", lang="en")
        items = client.get("/v1/authors").json()["items"]
        assert [(a["slug"], a["lang"], a["dir"]) for a in items] == [
            ("jane-porter", "en", "ltr"),
            ("salma-haddad", "ar", "rtl"),
        ]

    def test_pages_with_a_cursor(self, client: TestClient, editor: Key) -> None:
        for n in range(5):
            create_author(client, editor, name=f"كاتب رقم {n}", slug=f"writer-{n}")
        first = client.get("/v1/authors?limit=2")
        body = first.json()
        assert [a["slug"] for a in body["items"]] == ["writer-0", "writer-1"]
        assert first.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'
        second = client.get(body["links"]["next"]).json()
        third = client.get(second["links"]["next"]).json()
        assert [a["slug"] for a in second["items"]] == ["writer-2", "writer-3"]
        assert [a["slug"] for a in third["items"]] == ["writer-4"]
        assert third["next_cursor"] is None

    def test_bad_cursor_is_400(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/authors?cursor=not-a-cursor"), 400)

    def test_etag_gives_304(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        first = client.get("/v1/authors")
        assert first.headers["cache-control"].startswith("public")
        again = client.get("/v1/authors", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""

    def test_with_a_key_is_private(self, client: TestClient, editor: Key) -> None:
        response = client.get("/v1/authors", headers=editor)
        assert response.headers["cache-control"] == "private, no-store"

    def test_bad_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.get("/v1/authors", headers=BAD_KEY))


class TestGetAuthor:
    def test_by_slug(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, job_title="مراسلة الشؤون المحلية", bio="تكتب عن المدينة.")
        response = client.get("/v1/authors/salma-haddad")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "slug": "salma-haddad",
            "name": "سلمى الحداد",
            "lang": "ar",
            "dir": "rtl",
            "job_title": "مراسلة الشؤون المحلية",
            "bio": "تكتب عن المدينة.",
            "avatar": None,
            "links": {
                "self": "http://testserver/v1/authors/salma-haddad",
                "articles": "http://testserver/v1/articles?author=salma-haddad",
                "feeds": {
                    "rss": "http://testserver/v1/feeds/rss?author=salma-haddad",
                    "atom": "http://testserver/v1/feeds/atom?author=salma-haddad",
                    "jsonfeed": "http://testserver/v1/feeds/json?author=salma-haddad",
                },
            },
        }

    def test_by_arabic_slug(self, client: TestClient, editor: Key) -> None:
        made = create_author(client, editor, name="سلمى الحداد", slug=None)
        response = client.get(f"/v1/authors/{quote(made['slug'])}")
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "سلمى-الحداد"

    def test_unknown_is_404(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/authors/nobody"), 404)

    def test_etag_gives_304(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        first = client.get("/v1/authors/salma-haddad")
        again = client.get(
            "/v1/authors/salma-haddad", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        assert_needs_key(client.get("/v1/authors/salma-haddad", headers=BAD_KEY))


class TestCreateAuthor:
    def test_creates(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/authors",
            json={"name": "ليلى منصور", "slug": "layla-mansour", "job_title": "محررة الاقتصاد"},
            headers=editor,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["slug"], body["name"], body["job_title"], body["bio"]) == (
            "layla-mansour",
            "ليلى منصور",
            "محررة الاقتصاد",
            None,
        )
        assert (body["lang"], body["dir"]) == ("ar", "rtl")
        assert client.get("/v1/authors/layla-mansour").json() == body

    def test_slug_from_an_arabic_name_stays_arabic(self, client: TestClient, editor: Key) -> None:
        made = create_author(client, editor, name="ليلى مَنصور", slug=None)
        assert made["slug"] == "ليلى-منصور"

    def test_english_author_is_ltr(self, client: TestClient, editor: Key) -> None:
        made = create_author(client, editor, name="Jane Porter", slug=None, lang="en")
        assert (made["slug"], made["lang"], made["dir"]) == ("jane-porter", "en", "ltr")

    def test_duplicate_slug_is_409(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.post(
            "/v1/authors", json={"name": "سلمى حداد", "slug": "salma-haddad"}, headers=editor
        )
        assert_problem(response, 409)

    def test_duplicate_name_is_409(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, slug=None)
        response = client.post("/v1/authors", json={"name": "سلمى الحداد"}, headers=editor)
        assert_problem(response, 409)

    def test_invalid_slug_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/authors", json={"name": "سلمى", "slug": "Salma Haddad"}, headers=editor
        )
        assert_problem(response, 422)

    def test_invalid_lang_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/authors", json={"name": "سلمى", "lang": "Arabic"}, headers=editor
        )
        assert_problem(response, 422)

    def test_empty_name_is_422(self, client: TestClient, editor: Key) -> None:
        assert_problem(client.post("/v1/authors", json={"name": ""}, headers=editor), 422)

    def test_admin_may(self, client: TestClient, admin: Key) -> None:
        create_author(client, admin)

    def test_without_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.post("/v1/authors", json={"name": "سلمى الحداد"}))

    def test_bad_key_is_401(self, client: TestClient) -> None:
        response = client.post("/v1/authors", json={"name": "سلمى الحداد"}, headers=BAD_KEY)
        assert_needs_key(response)

    def test_writer_is_403(self, client: TestClient, writer: Key) -> None:
        response = client.post("/v1/authors", json={"name": "سلمى الحداد"}, headers=writer)
        assert_problem(response, 403)
        assert client.get("/v1/authors").json()["items"] == []


class TestUpdateAuthor:
    def test_changes_what_is_sent(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, job_title="مراسلة", bio="تكتب عن المدينة.")
        response = client.patch(
            "/v1/authors/salma-haddad", json={"job_title": "رئيسة القسم المحلي"}, headers=editor
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["name"], body["job_title"], body["bio"]) == (
            "سلمى الحداد",
            "رئيسة القسم المحلي",
            "تكتب عن المدينة.",
        )

    def test_clears_the_bio(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, bio="تكتب عن المدينة.")
        response = client.patch("/v1/authors/salma-haddad", json={"bio": None}, headers=editor)
        assert response.json()["bio"] is None
        assert client.get("/v1/authors/salma-haddad").json()["bio"] is None

    def test_changes_lang_and_dir(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, name="Salma Haddad")
        response = client.patch("/v1/authors/salma-haddad", json={"lang": "en"}, headers=editor)
        assert (response.json()["lang"], response.json()["dir"]) == ("en", "ltr")

    def test_changes_the_slug(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.patch(
            "/v1/authors/salma-haddad", json={"slug": "سلمى-الحداد"}, headers=editor
        )
        assert response.json()["slug"] == "سلمى-الحداد"
        assert client.get("/v1/authors/سلمى-الحداد").status_code == 200
        assert_problem(client.get("/v1/authors/salma-haddad"), 404)

    def test_renamed_author_shows_on_articles(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        made = create_article(client, editor, authors=["salma-haddad"])
        client.patch("/v1/authors/salma-haddad", json={"name": "سلمى حداد"}, headers=editor)
        (byline,) = client.get(f"/v1/articles/{made['id']}").json()["authors"]
        assert (byline["name"], byline["lang"], byline["dir"]) == ("سلمى حداد", "ar", "rtl")

    def test_own_slug_in_another_form_is_no_conflict(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.patch(
            "/v1/authors/salma-haddad", json={"slug": "Salma-Haddad"}, headers=editor
        )
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "salma-haddad"

    def test_slug_taken_is_409(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        create_author(client, editor, name="عمر الخطيب", slug="omar-khatib")
        response = client.patch(
            "/v1/authors/omar-khatib", json={"slug": "salma-haddad"}, headers=editor
        )
        assert_problem(response, 409)

    def test_null_name_is_422(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.patch("/v1/authors/salma-haddad", json={"name": None}, headers=editor)
        assert_problem(response, 422)

    def test_unknown_field_is_422(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.patch("/v1/authors/salma-haddad", json={"email": "x"}, headers=editor)
        assert_problem(response, 422)

    def test_unknown_is_404(self, client: TestClient, editor: Key) -> None:
        response = client.patch("/v1/authors/nobody", json={"bio": "?"}, headers=editor)
        assert_problem(response, 404)

    def test_without_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        assert_needs_key(client.patch("/v1/authors/salma-haddad", json={"bio": "?"}))

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.patch("/v1/authors/salma-haddad", json={"bio": "?"}, headers=BAD_KEY)
        assert_needs_key(response)

    def test_writer_is_403(self, client: TestClient, editor: Key, writer: Key) -> None:
        create_author(client, editor, bio="تكتب عن المدينة.")
        response = client.patch("/v1/authors/salma-haddad", json={"bio": "?"}, headers=writer)
        assert_problem(response, 403)
        assert client.get("/v1/authors/salma-haddad").json()["bio"] == "تكتب عن المدينة."


class TestDeleteAuthor:
    def test_deletes(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        response = client.delete("/v1/authors/salma-haddad", headers=editor)
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(client.get("/v1/authors/salma-haddad"), 404)

    def test_with_a_byline_is_409(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        made = create_article(client, editor, authors=["salma-haddad"])
        assert_problem(client.delete("/v1/authors/salma-haddad", headers=editor), 409)
        assert client.get("/v1/authors/salma-haddad").status_code == 200
        (byline,) = client.get(f"/v1/articles/{made['id']}").json()["authors"]
        assert byline["slug"] == "salma-haddad"

    def test_with_a_byline_on_a_draft_is_409(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        create_article(client, editor, publish=False, authors=["salma-haddad"])
        assert_problem(client.delete("/v1/authors/salma-haddad", headers=editor), 409)

    def test_once_the_article_is_gone(self, client: TestClient, editor: Key, admin: Key) -> None:
        create_author(client, editor)
        made = create_article(client, editor, authors=["salma-haddad"])
        assert trash(client, editor, made["id"]).status_code == 200
        assert_problem(client.delete("/v1/authors/salma-haddad", headers=editor), 409)
        assert act(client, admin, made["id"], "purge").status_code == 204
        assert client.delete("/v1/authors/salma-haddad", headers=editor).status_code == 204

    def test_unknown_is_404(self, client: TestClient, editor: Key) -> None:
        assert_problem(client.delete("/v1/authors/nobody", headers=editor), 404)

    def test_without_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        assert_needs_key(client.delete("/v1/authors/salma-haddad"))

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor)
        assert_needs_key(client.delete("/v1/authors/salma-haddad", headers=BAD_KEY))

    def test_writer_is_403(self, client: TestClient, editor: Key, writer: Key) -> None:
        create_author(client, editor)
        assert_problem(client.delete("/v1/authors/salma-haddad", headers=writer), 403)
        assert client.get("/v1/authors/salma-haddad").status_code == 200
