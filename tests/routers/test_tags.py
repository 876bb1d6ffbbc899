"""Tags: listing by type, one tag, and their management."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.assertions import BAD_KEY, Key, assert_needs_key, assert_problem
from tests.factories import create_article, create_tag

TYPES = ["topic", "person", "organisation", "place", "event"]
NAMES = {
    "topic": "التغير المناخي",
    "person": "نجيب محفوظ",
    "organisation": "الهلال الأحمر",
    "place": "وادي رم",
    "event": "معرض الكتاب",
}


def one_of_each_type(client: TestClient, key: Key) -> None:
    for kind in TYPES:
        create_tag(client, key, name=NAMES[kind], type=kind)


class TestListTags:
    def test_empty(self, client: TestClient) -> None:
        body = client.get("/v1/tags").json()
        assert body["items"] == []
        assert body["next_cursor"] is None
        assert body["links"]["next"] is None

    def test_lists_every_type_in_slug_order(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Zebra crossings", slug="zebra")
        create_tag(client, editor, name="Airports", slug="airports")
        create_tag(client, editor, name="Markets", slug="markets", type="place")
        items = client.get("/v1/tags").json()["items"]
        assert [t["slug"] for t in items] == ["airports", "markets", "zebra"]

    @pytest.mark.parametrize("kind", TYPES)
    def test_filters_by_type(self, client: TestClient, editor: Key, kind: str) -> None:
        one_of_each_type(client, editor)
        items = client.get(f"/v1/tags?type={kind}").json()["items"]
        assert [(t["name"], t["type"]) for t in items] == [(NAMES[kind], kind)]

    def test_invalid_type_is_422(self, client: TestClient) -> None:
        body = assert_problem(client.get("/v1/tags?type=colour"), 422)
        assert body["errors"][0]["loc"] == ["query", "type"]

    def test_pages_with_a_cursor(self, client: TestClient, editor: Key) -> None:
        made = {create_tag(client, editor, name=f"وسم رقم {n}")["slug"] for n in range(7)}
        seen: list[str] = []
        pages: list[int] = []
        url: str | None = "/v1/tags?limit=3"
        while url is not None:
            response = client.get(url)
            assert response.status_code == 200, response.text
            body = response.json()
            pages.append(len(body["items"]))
            seen.extend(t["slug"] for t in body["items"])
            url = body["links"]["next"]
            if url is not None:
                assert f"cursor={body['next_cursor']}" in url
                assert response.headers["link"] == f'<{url}>; rel="next"'
            else:
                assert body["next_cursor"] is None
                assert "link" not in response.headers
        assert pages == [3, 3, 1]
        assert len(seen) == len(set(seen)) == 7
        assert set(seen) == made

    def test_a_full_last_page_has_no_next(self, client: TestClient, editor: Key) -> None:
        for n in range(3):
            create_tag(client, editor, name=f"وسم رقم {n}")
        body = client.get("/v1/tags?limit=3").json()
        assert len(body["items"]) == 3
        assert body["next_cursor"] is None

    def test_pages_within_a_type(self, client: TestClient, editor: Key) -> None:
        for n in range(4):
            create_tag(client, editor, name=f"مدينة رقم {n}", type="place")
            create_tag(client, editor, name=f"موضوع رقم {n}", type="topic")
        first = client.get("/v1/tags?type=place&limit=3").json()
        second = client.get(first["links"]["next"]).json()
        seen = [t["type"] for t in first["items"] + second["items"]]
        assert seen == ["place"] * 4
        assert second["next_cursor"] is None

    def test_bad_cursor_is_400(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/tags?cursor=not-a-cursor"), 400)

    def test_cursor_of_another_list_is_400(self, client: TestClient, editor: Key) -> None:
        for slug in ("salma", "omar"):
            client.post("/v1/authors", json={"name": "سلمى", "slug": slug}, headers=editor)
        cursor = client.get("/v1/authors?limit=1").json()["next_cursor"]
        assert cursor is not None
        assert_problem(client.get(f"/v1/tags?cursor={cursor}"), 400)

    @pytest.mark.parametrize("limit", [0, 101])
    def test_limit_out_of_range_is_422(self, client: TestClient, limit: int) -> None:
        assert_problem(client.get(f"/v1/tags?limit={limit}"), 422)

    def test_every_tag_has_lang_and_dir(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="الطاقة الشمسية")
        create_tag(client, editor, name="Solar power", lang="en")
        items = client.get("/v1/tags").json()["items"]
        assert {(t["name"], t["lang"], t["dir"]) for t in items} == {
            ("الطاقة الشمسية", "ar", "rtl"),
            ("Solar power", "en", "ltr"),
        }

    def test_etag_gives_304(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor)
        first = client.get("/v1/tags")
        assert first.headers["cache-control"].startswith("public")
        again = client.get("/v1/tags", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""

    def test_with_a_key_is_private(self, client: TestClient, editor: Key) -> None:
        response = client.get("/v1/tags", headers=editor)
        assert response.headers["cache-control"] == "private, no-store"

    def test_bad_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.get("/v1/tags", headers=BAD_KEY))


class TestGetTag:
    def test_by_arabic_slug(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="النقل العام", description="الحافلات والقطارات")
        response = client.get(f"/v1/tags/{quote(made['slug'])}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["slug"], body["name"], body["type"]) == ("النقل-العام", "النقل العام", "topic")
        assert (body["lang"], body["dir"]) == ("ar", "rtl")
        assert body["description"] == "الحافلات والقطارات"
        assert body["links"] == {
            "self": f"http://testserver/v1/tags/{quote('النقل-العام')}",
            "articles": f"http://testserver/v1/articles?tag={quote('النقل-العام')}",
            "feeds": {
                kind: f"http://testserver/v1/feeds/{path}?tag={quote('النقل-العام')}"
                for kind, path in (("rss", "rss"), ("atom", "atom"), ("jsonfeed", "json"))
            },
        }

    def test_by_slug_with_diacritics(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="النقل العام")
        response = client.get("/v1/tags/النَّقل-العامّ")
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "النقل-العام"

    def test_unknown_is_404(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/tags/nothing-here"), 404)

    def test_etag_gives_304(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        first = client.get("/v1/tags/transport")
        again = client.get("/v1/tags/transport", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        assert_needs_key(client.get("/v1/tags/transport", headers=BAD_KEY))


class TestCreateTag:
    def test_slug_from_an_arabic_name_stays_arabic(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="الطاقة الشمسية")
        assert made["slug"] == "الطاقة-الشمسية"
        assert made["name"] == "الطاقة الشمسية"

    def test_slug_drops_diacritics_and_tatweel(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="الطَّاقة الشمســية")
        assert made["slug"] == "الطاقة-الشمسية"
        assert made["name"] == "الطَّاقة الشمســية"

    def test_slug_with_arabic_indic_digits(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="انتخابات ٢٠٢٦", type="event")
        assert made["slug"] == "انتخابات-2026"

    def test_explicit_slug(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="الطاقة الشمسية", slug="solar-power")
        assert made["slug"] == "solar-power"
        assert client.get("/v1/tags/solar-power").json()["name"] == "الطاقة الشمسية"

    def test_lang_defaults_to_the_site_language(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor)
        assert (made["lang"], made["dir"]) == ("ar", "rtl")

    def test_english_tag_is_ltr(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="Solar power", lang="en")
        assert (made["slug"], made["lang"], made["dir"]) == ("solar-power", "en", "ltr")

    def test_returns_201_with_the_tag(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/tags",
            json={"name": "وادي رم", "type": "place", "description": "صحراء في جنوب الأردن"},
            headers=editor,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["type"], body["description"]) == ("place", "صحراء في جنوب الأردن")

    def test_duplicate_name_is_409(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="الطاقة الشمسية")
        response = client.post(
            "/v1/tags", json={"name": "الطاقة الشمسية", "type": "topic"}, headers=editor
        )
        assert_problem(response, 409)

    def test_duplicate_slug_is_409(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Solar power", slug="solar")
        response = client.post(
            "/v1/tags",
            json={"name": "الطاقة الشمسية", "type": "topic", "slug": "solar"},
            headers=editor,
        )
        assert_problem(response, 409)
        assert client.get("/v1/tags/solar").json()["name"] == "Solar power"

    def test_invalid_slug_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/tags",
            json={"name": "شمس", "type": "topic", "slug": "Solar Power!"},
            headers=editor,
        )
        assert_problem(response, 422)

    def test_name_without_letters_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post("/v1/tags", json={"name": "!!!", "type": "topic"}, headers=editor)
        assert_problem(response, 422)

    def test_invalid_type_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post("/v1/tags", json={"name": "شمس", "type": "colour"}, headers=editor)
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "type"]

    def test_admin_may(self, client: TestClient, admin: Key) -> None:
        create_tag(client, admin)

    def test_without_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.post("/v1/tags", json={"name": "شمس", "type": "topic"}))

    def test_bad_key_is_401(self, client: TestClient) -> None:
        response = client.post("/v1/tags", json={"name": "شمس", "type": "topic"}, headers=BAD_KEY)
        assert_needs_key(response)

    def test_writer_is_403(self, client: TestClient, writer: Key) -> None:
        response = client.post("/v1/tags", json={"name": "شمس", "type": "topic"}, headers=writer)
        assert_problem(response, 403)
        assert client.get("/v1/tags").json()["items"] == []


class TestUpdateTag:
    def test_changes_name_type_and_description(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, name="معرض الكتاب", type="topic")
        response = client.patch(
            f"/v1/tags/{quote(made['slug'])}",
            json={"name": "معرض الكتاب الدولي", "type": "event", "description": "كل عام"},
            headers=editor,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["slug"], body["name"], body["type"], body["description"]) == (
            "معرض-الكتاب",
            "معرض الكتاب الدولي",
            "event",
            "كل عام",
        )
        assert client.get(f"/v1/tags/{quote(made['slug'])}").json()["type"] == "event"

    def test_clears_the_description(self, client: TestClient, editor: Key) -> None:
        made = create_tag(client, editor, description="الحافلات والقطارات")
        response = client.patch(
            f"/v1/tags/{quote(made['slug'])}", json={"description": None}, headers=editor
        )
        assert response.json()["description"] is None

    def test_changes_lang_and_dir(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.patch("/v1/tags/transport", json={"lang": "en"}, headers=editor)
        assert (response.json()["lang"], response.json()["dir"]) == ("en", "ltr")

    def test_changes_the_slug(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.patch("/v1/tags/transport", json={"slug": "النقل"}, headers=editor)
        assert response.json()["slug"] == "النقل"
        assert client.get("/v1/tags/النقل").status_code == 200
        assert_problem(client.get("/v1/tags/transport"), 404)

    def test_own_slug_in_another_form_is_no_conflict(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="النقل العام")
        response = client.patch(
            f"/v1/tags/{quote('النقل-العام')}", json={"slug": "النَّقل-العام"}, headers=editor
        )
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "النقل-العام"

    def test_slug_taken_is_409(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        create_tag(client, editor, name="Trains", slug="trains")
        response = client.patch("/v1/tags/trains", json={"slug": "transport"}, headers=editor)
        assert_problem(response, 409)

    def test_null_name_is_422(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.patch("/v1/tags/transport", json={"name": None}, headers=editor)
        assert_problem(response, 422)

    def test_invalid_type_is_422(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.patch("/v1/tags/transport", json={"type": "colour"}, headers=editor)
        assert_problem(response, 422)

    def test_unknown_is_404(self, client: TestClient, editor: Key) -> None:
        response = client.patch("/v1/tags/nothing-here", json={"type": "event"}, headers=editor)
        assert_problem(response, 404)

    def test_without_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        assert_needs_key(client.patch("/v1/tags/transport", json={"type": "event"}))

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.patch("/v1/tags/transport", json={"type": "event"}, headers=BAD_KEY)
        assert_needs_key(response)

    def test_writer_is_403(self, client: TestClient, editor: Key, writer: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.patch("/v1/tags/transport", json={"type": "event"}, headers=writer)
        assert_problem(response, 403)
        assert client.get("/v1/tags/transport").json()["type"] == "topic"


class TestDeleteTag:
    def test_deletes(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        response = client.delete("/v1/tags/transport", headers=editor)
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(client.get("/v1/tags/transport"), 404)

    def test_takes_the_tag_off_articles(self, client: TestClient, editor: Key) -> None:
        gone = create_tag(client, editor, name="النقل العام")
        kept = create_tag(client, editor, name="الطاقة الشمسية")
        made = create_article(client, editor, tags=[gone["slug"], kept["slug"]])
        before = client.get(f"/v1/articles/{made['id']}").json()["tags"]
        assert [t["slug"] for t in before] == [gone["slug"], kept["slug"]]

        response = client.delete(f"/v1/tags/{quote(gone['slug'])}", headers=editor)

        assert response.status_code == 204, response.text
        after = client.get(f"/v1/articles/{made['id']}").json()["tags"]
        assert [t["slug"] for t in after] == [kept["slug"]]
        assert_problem(client.get(f"/v1/articles?tag={quote(gone['slug'])}"), 404)

    def test_takes_the_tag_off_drafts(self, client: TestClient, editor: Key) -> None:
        gone = create_tag(client, editor, name="النقل العام")
        made = create_article(client, editor, publish=False, tags=[gone["slug"]])
        assert client.delete(f"/v1/tags/{quote(gone['slug'])}", headers=editor).status_code == 204
        assert client.get(f"/v1/articles/{made['id']}", headers=editor).json()["tags"] == []

    def test_unknown_is_404(self, client: TestClient, editor: Key) -> None:
        assert_problem(client.delete("/v1/tags/nothing-here", headers=editor), 404)

    def test_without_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        assert_needs_key(client.delete("/v1/tags/transport"))

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        assert_needs_key(client.delete("/v1/tags/transport", headers=BAD_KEY))

    def test_writer_is_403(self, client: TestClient, editor: Key, writer: Key) -> None:
        create_tag(client, editor, name="Transport", slug="transport")
        assert_problem(client.delete("/v1/tags/transport", headers=writer), 403)
        assert client.get("/v1/tags/transport").status_code == 200
