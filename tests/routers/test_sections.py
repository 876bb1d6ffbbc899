"""Sections: the tree, a section with its front, and their management."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.services import keys as key_service
from tests.assertions import BAD_KEY, Key, assert_needs_key, assert_problem
from tests.factories import act, create_article, create_section


def slugs(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["slug"] for node in nodes]


def front(client: TestClient, slug: str, key: Key | None = None) -> dict[str, list[str]]:
    response = client.get(f"/v1/sections/{slug}", headers=key)
    assert response.status_code == 200, response.text
    got = response.json()["front"]
    return {part: [card["id"] for card in got[part]] for part in ("pinned", "latest")}


def pin(client: TestClient, key: Key, slug: str, ids: list[str]) -> httpx2.Response:
    return client.patch(f"/v1/sections/{slug}", json={"pinned": ids}, headers=key)


class TestListSections:
    def test_empty(self, client: TestClient) -> None:
        response = client.get("/v1/sections")
        assert response.status_code == 200
        assert response.json() == {"items": []}

    def test_nests_children_under_parents_in_position_order(
        self, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor, slug="world", names={"ar": "العالم"}, position=2)
        create_section(client, editor, slug="local", names={"ar": "محليات"}, position=1)
        create_section(
            client, editor, slug="schools", names={"ar": "مدارس"}, parent="local", position=5
        )
        create_section(
            client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local", position=3
        )
        create_section(client, editor, slug="markets", names={"ar": "أسواق"}, parent="municipal")

        items = client.get("/v1/sections").json()["items"]

        assert slugs(items) == ["local", "world"]
        local, world = items
        assert slugs(local["children"]) == ["municipal", "schools"]
        assert [c["parent"] for c in local["children"]] == ["local", "local"]
        assert slugs(local["children"][0]["children"]) == ["markets"]
        assert local["children"][0]["children"][0]["parent"] == "municipal"
        assert local["parent"] is None
        assert world["children"] == []

    def test_names_are_arabic_by_default(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات", "en": "Local"})
        (item,) = client.get("/v1/sections").json()["items"]
        assert (item["name"], item["lang"], item["dir"]) == ("محليات", "ar", "rtl")

    def test_names_in_the_language_asked_for(self, client: TestClient, editor: Key) -> None:
        create_section(
            client,
            editor,
            names={"ar": "محليات", "en": "Local"},
            descriptions={"ar": "أخبار المدينة", "en": "City news"},
        )
        (item,) = client.get("/v1/sections?lang=en").json()["items"]
        assert (item["name"], item["lang"], item["dir"]) == ("Local", "en", "ltr")
        assert item["description"] == "City news"

    def test_falls_back_to_the_site_language(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات"})
        (item,) = client.get("/v1/sections?lang=en").json()["items"]
        assert (item["name"], item["lang"], item["dir"]) == ("محليات", "ar", "rtl")

    def test_falls_back_to_the_language_it_has(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"en": "Local"})
        (item,) = client.get("/v1/sections?lang=fr").json()["items"]
        assert (item["name"], item["lang"], item["dir"]) == ("Local", "en", "ltr")

    def test_lists_the_name_in_every_language(self, client: TestClient, editor: Key) -> None:
        create_section(
            client,
            editor,
            names={"ar": "محليات", "en": "Local"},
            descriptions={"ar": "أخبار المدينة"},
        )
        (item,) = client.get("/v1/sections?lang=en").json()["items"]
        by_lang = {name["lang"]: name for name in item["names"]}
        assert by_lang == {
            "ar": {"lang": "ar", "dir": "rtl", "name": "محليات", "description": "أخبار المدينة"},
            "en": {"lang": "en", "dir": "ltr", "name": "Local", "description": None},
        }

    def test_invalid_lang_is_422(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/sections?lang=English"), 422)

    def test_etag_gives_304(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        first = client.get("/v1/sections")
        assert first.headers["cache-control"].startswith("public")
        again = client.get("/v1/sections", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]

    def test_etag_changes_with_the_tree(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        etag = client.get("/v1/sections").headers["etag"]
        create_section(client, editor, slug="world", names={"ar": "العالم"})
        response = client.get("/v1/sections", headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response.headers["etag"] != etag

    def test_etag_differs_per_language(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        etag = client.get("/v1/sections").headers["etag"]
        response = client.get("/v1/sections?lang=en", headers={"If-None-Match": etag})
        assert response.status_code == 200

    def test_with_a_key_is_private(self, client: TestClient, editor: Key) -> None:
        response = client.get("/v1/sections", headers=editor)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"

    def test_bad_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.get("/v1/sections", headers=BAD_KEY))


class TestGetSection:
    def test_returns_the_section_with_children(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات", "en": "Local"})
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")

        response = client.get("/v1/sections/local")

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["slug"], body["name"], body["lang"], body["dir"]) == (
            "local",
            "محليات",
            "ar",
            "rtl",
        )
        assert body["parent"] is None
        assert [(c["slug"], c["parent"]) for c in body["children"]] == [("municipal", "local")]
        assert body["links"]["self"] == "http://testserver/v1/sections/local"
        assert body["front"] == {"pinned": [], "latest": []}

    def test_sub_section_names_its_parent(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        assert client.get("/v1/sections/municipal").json()["parent"] == "local"

    def test_names_in_the_language_asked_for(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات", "en": "Local"})
        body = client.get("/v1/sections/local?lang=en").json()
        assert (body["name"], body["lang"], body["dir"]) == ("Local", "en", "ltr")
        assert {n["lang"]: n["dir"] for n in body["names"]} == {"ar": "rtl", "en": "ltr"}

    def test_falls_back_when_the_language_is_missing(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات"})
        body = client.get("/v1/sections/local?lang=en").json()
        assert (body["name"], body["lang"], body["dir"]) == ("محليات", "ar", "rtl")

    def test_arabic_slug(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="رياضة", names={"ar": "رياضة"})
        response = client.get("/v1/sections/رياضة")
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "رياضة"
        assert response.json()["links"]["self"].endswith(
            "/v1/sections/%D8%B1%D9%8A%D8%A7%D8%B6%D8%A9"
        )

    def test_arabic_is_plain_utf8(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات"})
        response = client.get("/v1/sections/local")
        assert response.headers["content-type"] == "application/json"
        assert "محليات".encode() in response.content
        assert b"\\u" not in response.content

    def test_unknown_is_404(self, client: TestClient) -> None:
        body = assert_problem(client.get("/v1/sections/nowhere"), 404)
        assert "nowhere" in body["detail"]

    def test_front_lists_pins_in_order_then_latest(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        first = create_article(client, editor, headline="افتتاح سوق الخضار", section="local")
        second = create_article(client, editor, headline="مجلس البلدية يجتمع", section="municipal")
        third = create_article(client, editor, headline="حملة لتنظيف الشاطئ", section="local")
        fourth = create_article(client, editor, headline="ميزانية البلدية", section="municipal")
        assert pin(client, editor, "local", [third["id"], first["id"]]).status_code == 200

        assert front(client, "local") == {
            "pinned": [third["id"], first["id"]],
            "latest": [fourth["id"], second["id"]],
        }

    def test_front_includes_articles_filed_as_extra_section(
        self, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="economy", names={"ar": "اقتصاد"})
        made = create_article(client, editor, section="economy", sections=["local"])
        assert front(client, "local") == {"pinned": [], "latest": [made["id"]]}

    def test_sub_section_front_leaves_out_the_parent(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        create_article(client, editor, headline="افتتاح سوق الخضار", section="local")
        inner = create_article(client, editor, headline="مجلس البلدية يجتمع", section="municipal")
        assert front(client, "municipal") == {"pinned": [], "latest": [inner["id"]]}

    def test_drafts_are_never_on_the_front(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        shown = create_article(client, editor, headline="افتتاح سوق الخضار", section="local")
        draft = create_article(
            client, editor, publish=False, headline="مسودة عن الميزانية", section="local"
        )
        assert pin(client, editor, "local", [draft["id"], shown["id"]]).status_code == 200

        assert front(client, "local") == {"pinned": [shown["id"]], "latest": []}
        assert front(client, "local", editor) == {"pinned": [shown["id"]], "latest": []}

    def test_unpublished_article_leaves_the_front(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        assert pin(client, editor, "local", [made["id"]]).status_code == 200
        response = act(client, editor, made["id"], "unpublish")
        assert response.status_code == 200, response.text
        assert front(client, "local") == {"pinned": [], "latest": []}

    def test_pins_do_not_use_up_the_latest(
        self, settings: Settings, database: Database, editor: Key
    ) -> None:
        small = settings.model_copy(update={"section_front_latest": 2})
        with TestClient(create_app(small, database=database)) as client:
            create_section(client, editor)
            made = [
                create_article(client, editor, headline=f"خبر رقم {n}", section="local")
                for n in range(4)
            ]
            assert pin(client, editor, "local", [made[3]["id"]]).status_code == 200
            assert front(client, "local") == {
                "pinned": [made[3]["id"]],
                "latest": [made[2]["id"], made[1]["id"]],
            }

    def test_cards_carry_lang_and_dir(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_article(client, editor, section="local")
        create_article(client, editor, headline="Harbour bridge opens", lang="en", section="local")
        cards = client.get("/v1/sections/local").json()["front"]["latest"]
        assert [(c["lang"], c["dir"]) for c in cards] == [("en", "ltr"), ("ar", "rtl")]

    def test_etag_gives_304(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_article(client, editor, section="local")
        first = client.get("/v1/sections/local")
        assert first.headers["cache-control"].startswith("public")
        again = client.get("/v1/sections/local", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""

    def test_etag_changes_when_the_front_changes(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        etag = client.get("/v1/sections/local").headers["etag"]
        create_article(client, editor, section="local")
        response = client.get("/v1/sections/local", headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert len(response.json()["front"]["latest"]) == 1

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        assert_needs_key(client.get("/v1/sections/local", headers=BAD_KEY))


class TestCreateSection:
    def test_creates(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/sections",
            json={
                "slug": "economy",
                "names": {"ar": "اقتصاد", "en": "Economy"},
                "descriptions": {"ar": "أسواق وشركات"},
                "position": 4,
            },
            headers=editor,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["slug"] == "economy"
        assert (body["name"], body["lang"], body["dir"]) == ("اقتصاد", "ar", "rtl")
        assert body["description"] == "أسواق وشركات"
        assert body["position"] == 4
        assert body["parent"] is None
        assert body["links"] == {
            "self": "http://testserver/v1/sections/economy",
            "articles": "http://testserver/v1/articles?section=economy",
            "feeds": {
                "rss": "http://testserver/v1/feeds/rss?section=economy",
                "atom": "http://testserver/v1/feeds/atom?section=economy",
                "jsonfeed": "http://testserver/v1/feeds/json?section=economy",
            },
        }
        assert slugs(client.get("/v1/sections").json()["items"]) == ["economy"]

    def test_under_a_parent(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_section(
            client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local"
        )
        assert made["parent"] == "local"

    def test_arabic_slug_stays_arabic(self, client: TestClient, editor: Key) -> None:
        made = create_section(client, editor, slug="ثقافة", names={"ar": "ثقافة"})
        assert made["slug"] == "ثقافة"

    def test_with_pins(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        create_section(client, editor, slug="world", names={"ar": "العالم"}, pinned=[made["id"]])
        assert front(client, "world")["pinned"] == [made["id"]]

    def test_duplicate_slug_is_409(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.post(
            "/v1/sections", json={"slug": "local", "names": {"ar": "محلي"}}, headers=editor
        )
        assert_problem(response, 409)

    def test_slug_that_normalises_to_a_taken_one_is_409(
        self, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor, slug="رياضة", names={"ar": "رياضة"})
        response = client.post(
            "/v1/sections", json={"slug": "رِياضة", "names": {"ar": "رياضة"}}, headers=editor
        )
        assert_problem(response, 409)

    def test_invalid_slug_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/sections", json={"slug": "local news!", "names": {"ar": "محليات"}}, headers=editor
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "slug"]

    def test_unknown_parent_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/sections",
            json={"slug": "municipal", "names": {"ar": "بلديات"}, "parent": "nowhere"},
            headers=editor,
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "parent"]
        assert client.get("/v1/sections").json()["items"] == []

    def test_unknown_pinned_article_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/sections",
            json={"slug": "local", "names": {"ar": "محليات"}, "pinned": ["nosucharticle000"]},
            headers=editor,
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "pinned", 0]
        assert client.get("/v1/sections").json()["items"] == []

    def test_without_names_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post("/v1/sections", json={"slug": "local", "names": {}}, headers=editor)
        assert_problem(response, 422)

    def test_admin_may(self, client: TestClient, admin: Key) -> None:
        create_section(client, admin)

    def test_without_key_is_401(self, client: TestClient) -> None:
        response = client.post("/v1/sections", json={"slug": "local", "names": {"ar": "محليات"}})
        assert_needs_key(response)

    def test_bad_key_is_401(self, client: TestClient) -> None:
        response = client.post(
            "/v1/sections", json={"slug": "local", "names": {"ar": "محليات"}}, headers=BAD_KEY
        )
        assert_needs_key(response)

    def test_not_bearer_is_401(self, client: TestClient) -> None:
        response = client.post(
            "/v1/sections",
            json={"slug": "local", "names": {"ar": "محليات"}},
            headers={"Authorization": "Basic dXNlcjpwYXNz"},
        )
        assert_needs_key(response)

    def test_revoked_key_is_401(self, client: TestClient, database: Database) -> None:
        with database.session(write=True) as session:
            key, token = key_service.create_key(session, name="old desk", role="editor")
            key_service.revoke_key(session, prefix=key.prefix)
            session.commit()
        response = client.post(
            "/v1/sections",
            json={"slug": "local", "names": {"ar": "محليات"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert_needs_key(response)

    def test_expired_key_is_401(self, client: TestClient, database: Database) -> None:
        with database.session(write=True) as session:
            _key, token = key_service.create_key(
                session,
                name="night desk",
                role="editor",
                expires_at=datetime.now(UTC) - timedelta(minutes=1),
            )
            session.commit()
        response = client.post(
            "/v1/sections",
            json={"slug": "local", "names": {"ar": "محليات"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert_needs_key(response)

    def test_writer_is_403(self, client: TestClient, writer: Key) -> None:
        response = client.post(
            "/v1/sections", json={"slug": "local", "names": {"ar": "محليات"}}, headers=writer
        )
        assert_problem(response, 403)
        assert client.get("/v1/sections").json()["items"] == []


class TestUpdateSection:
    def test_renames(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch(
            "/v1/sections/local",
            json={"names": {"ar": "شؤون محلية", "en": "Local affairs"}},
            headers=editor,
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "شؤون محلية"
        assert client.get("/v1/sections/local?lang=en").json()["name"] == "Local affairs"

    def test_changes_only_what_is_sent(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, names={"ar": "محليات"}, descriptions={"ar": "أخبار المدينة"})
        response = client.patch("/v1/sections/local", json={"position": 7}, headers=editor)
        body = response.json()
        assert (body["position"], body["name"], body["description"]) == (
            7,
            "محليات",
            "أخبار المدينة",
        )

    def test_position_reorders_the_tree(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, position=1)
        create_section(client, editor, slug="world", names={"ar": "العالم"}, position=2)
        client.patch("/v1/sections/world", json={"position": 0}, headers=editor)
        assert slugs(client.get("/v1/sections").json()["items"]) == ["world", "local"]

    def test_changes_the_slug(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"slug": "city"}, headers=editor)
        assert response.json()["slug"] == "city"
        assert client.get("/v1/sections/city").status_code == 200
        assert_problem(client.get("/v1/sections/local"), 404)

    def test_null_slug_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"slug": None}, headers=editor)
        assert_problem(response, 422)
        assert client.get("/v1/sections/local").status_code == 200

    def test_null_pinned_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"pinned": None}, headers=editor)
        assert_problem(response, 422)

    def test_own_slug_in_another_form_is_no_conflict(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="رياضة", names={"ar": "رياضة"})
        response = client.patch("/v1/sections/رياضة", json={"slug": "رِياضة"}, headers=editor)
        assert response.status_code == 200, response.text
        assert response.json()["slug"] == "رياضة"

    def test_slug_taken_is_409(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="world", names={"ar": "العالم"})
        response = client.patch("/v1/sections/world", json={"slug": "local"}, headers=editor)
        assert_problem(response, 409)

    def test_pins_articles_in_order(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        older = create_article(client, editor, headline="افتتاح سوق الخضار", section="local")
        newer = create_article(client, editor, headline="حملة لتنظيف الشاطئ", section="local")
        response = pin(client, editor, "local", [older["id"], newer["id"]])
        assert response.status_code == 200, response.text
        assert front(client, "local") == {"pinned": [older["id"], newer["id"]], "latest": []}

    def test_new_pins_replace_the_old(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        older = create_article(client, editor, headline="افتتاح سوق الخضار", section="local")
        newer = create_article(client, editor, headline="حملة لتنظيف الشاطئ", section="local")
        pin(client, editor, "local", [older["id"], newer["id"]])
        pin(client, editor, "local", [newer["id"]])
        assert front(client, "local") == {"pinned": [newer["id"]], "latest": [older["id"]]}

    def test_empty_pins_unpin_everything(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        pin(client, editor, "local", [made["id"]])
        pin(client, editor, "local", [])
        assert front(client, "local") == {"pinned": [], "latest": [made["id"]]}

    def test_may_pin_an_article_from_elsewhere(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="world", names={"ar": "العالم"})
        made = create_article(client, editor, section="world")
        pin(client, editor, "local", [made["id"]])
        assert front(client, "local") == {"pinned": [made["id"]], "latest": []}

    def test_unknown_pinned_article_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        pin(client, editor, "local", [made["id"]])

        response = pin(client, editor, "local", [made["id"], "nosucharticle000"])

        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "pinned", 1]
        assert front(client, "local")["pinned"] == [made["id"]]

    def test_moves_under_another_parent(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="world", names={"ar": "العالم"})
        response = client.patch("/v1/sections/world", json={"parent": "local"}, headers=editor)
        assert response.json()["parent"] == "local"
        (local,) = client.get("/v1/sections").json()["items"]
        assert slugs(local["children"]) == ["world"]

    def test_moves_to_the_top(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        response = client.patch("/v1/sections/municipal", json={"parent": None}, headers=editor)
        assert response.json()["parent"] is None
        assert slugs(client.get("/v1/sections").json()["items"]) == ["local", "municipal"]

    def test_below_its_own_child_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        response = client.patch("/v1/sections/local", json={"parent": "municipal"}, headers=editor)
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "parent"]
        assert client.get("/v1/sections/local").json()["parent"] is None

    def test_below_its_own_grandchild_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        create_section(client, editor, slug="markets", names={"ar": "أسواق"}, parent="municipal")
        response = client.patch("/v1/sections/local", json={"parent": "markets"}, headers=editor)
        assert_problem(response, 422)

    def test_below_itself_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"parent": "local"}, headers=editor)
        assert_problem(response, 422)

    def test_unknown_parent_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"parent": "nowhere"}, headers=editor)
        assert_problem(response, 422)

    def test_unknown_field_is_422(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"colour": "red"}, headers=editor)
        assert_problem(response, 422)

    def test_unknown_section_is_404(self, client: TestClient, editor: Key) -> None:
        response = client.patch("/v1/sections/nowhere", json={"position": 1}, headers=editor)
        assert_problem(response, 404)

    def test_without_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        assert_needs_key(client.patch("/v1/sections/local", json={"position": 1}))

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"position": 1}, headers=BAD_KEY)
        assert_needs_key(response)

    def test_writer_is_403(self, client: TestClient, editor: Key, writer: Key) -> None:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        assert_problem(pin(client, writer, "local", [made["id"]]), 403)
        assert front(client, "local")["pinned"] == []


class TestDeleteSection:
    def test_deletes(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        response = client.delete("/v1/sections/local", headers=editor)
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(client.get("/v1/sections/local"), 404)
        assert client.get("/v1/sections").json()["items"] == []

    def test_deletes_a_section_with_pins(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="world", names={"ar": "العالم"})
        made = create_article(client, editor, section="local")
        pin(client, editor, "world", [made["id"]])
        assert client.delete("/v1/sections/world", headers=editor).status_code == 204
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200

    def test_with_children_is_409(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="municipal", names={"ar": "بلديات"}, parent="local")
        assert_problem(client.delete("/v1/sections/local", headers=editor), 409)
        assert client.get("/v1/sections/local").status_code == 200

    def test_with_articles_is_409(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_article(client, editor, section="local")
        assert_problem(client.delete("/v1/sections/local", headers=editor), 409)
        assert client.get("/v1/sections/local").status_code == 200

    def test_with_drafts_is_409(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        create_article(client, editor, publish=False, section="local")
        assert_problem(client.delete("/v1/sections/local", headers=editor), 409)

    def test_with_articles_filed_as_extra_section_is_409(
        self, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="world", names={"ar": "العالم"})
        create_article(client, editor, section="world", sections=["local"])
        assert_problem(client.delete("/v1/sections/local", headers=editor), 409)

    def test_unknown_is_404(self, client: TestClient, editor: Key) -> None:
        assert_problem(client.delete("/v1/sections/nowhere", headers=editor), 404)

    def test_without_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        assert_needs_key(client.delete("/v1/sections/local"))

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        assert_needs_key(client.delete("/v1/sections/local", headers=BAD_KEY))

    def test_writer_is_403(self, client: TestClient, editor: Key, writer: Key) -> None:
        create_section(client, editor)
        assert_problem(client.delete("/v1/sections/local", headers=writer), 403)
        assert client.get("/v1/sections/local").status_code == 200
