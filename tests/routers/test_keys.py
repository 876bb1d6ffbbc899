"""API keys over HTTP, admin only: the list (never a secret), creating one (its token shown
once), revoking; and what a partner key may do: read what the public reads, privately, and write
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.errors import ValidationFailed
from app.models.api_key import ROLES, SCOPES
from app.schemas.keys import Role, Scope
from app.services import keys as key_service
from tests.assertions import Key, assert_needs_key, assert_problem
from tests.conftest import make_key
from tests.factories import create_article, create_author, create_section, create_tag, upload_media

SECTION = {"slug": "local", "names": {"ar": "محليات"}}
NOT_ADMIN = ["editor", "writer", "partner"]


def prefix_of(key: Key) -> str:
    return key["Authorization"].removeprefix("Bearer ").split("_")[1]


def bearer(token: str) -> Key:
    return {"Authorization": f"Bearer {token}"}


def listed(client: TestClient, admin: Key) -> dict[str, dict[str, Any]]:
    """The keys the API lists, by prefix."""
    response = client.get("/v1/keys", headers=admin)
    assert response.status_code == 200, response.text
    return {item["prefix"]: item for item in response.json()["items"]}


def create(client: TestClient, admin: Key, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/keys", json={"name": "wire", "role": "editor", **overrides}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestSchema:
    def test_roles_and_scopes_match_the_model(self) -> None:
        assert get_args(Role) == ROLES
        assert get_args(Scope) == SCOPES


class TestListKeys:
    def test_lists_every_key_without_its_secret(
        self, client: TestClient, admin: Key, editor: Key
    ) -> None:
        response = client.get("/v1/keys", headers=admin)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        items = response.json()["items"]
        assert [(k["prefix"], k["name"], k["role"]) for k in items] == [
            (prefix_of(admin), "test admin", "admin"),
            (prefix_of(editor), "test editor", "editor"),
        ]
        for item in items:
            assert set(item) == {
                "prefix",
                "name",
                "role",
                "scopes",
                "created_at",
                "expires_at",
                "revoked_at",
                "state",
            }
            assert item["state"] == "active"
            assert item["scopes"] == []
        assert editor["Authorization"].split("_", 2)[2] not in response.text

    def test_states(self, client: TestClient, admin: Key, database: Database) -> None:
        revoked = create(client, admin, name="gone")
        assert client.delete(f"/v1/keys/{revoked['prefix']}", headers=admin).status_code == 204
        with database.session(write=True) as session:
            expired, _token = key_service.create_key(
                session, name="old", role="editor", expires_at=datetime(2020, 1, 1, tzinfo=UTC)
            )
            session.commit()
        keys = listed(client, admin)
        assert keys[revoked["prefix"]]["state"] == "revoked"
        assert keys[revoked["prefix"]]["revoked_at"] is not None
        assert keys[expired.prefix]["state"] == "expired"
        assert keys[prefix_of(admin)]["state"] == "active"

    @pytest.mark.parametrize("role", NOT_ADMIN)
    def test_other_roles_are_403(self, client: TestClient, database: Database, role: str) -> None:
        assert_problem(client.get("/v1/keys", headers=make_key(database, role)), 403)

    def test_without_a_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.get("/v1/keys"))


class TestCreateKey:
    def test_the_token_is_shown_once_and_works(self, client: TestClient, admin: Key) -> None:
        response = client.post(
            "/v1/keys", json={"name": "news desk", "role": "editor"}, headers=admin
        )
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "private, no-store"
        made = response.json()
        assert made["name"] == "news desk"
        assert made["role"] == "editor"
        assert made["state"] == "active"
        assert made["scopes"] == []
        assert made["expires_at"] is None
        assert made["token"].startswith(f"khb_{made['prefix']}_")

        created = client.post("/v1/sections", json=SECTION, headers=bearer(made["token"]))
        assert created.status_code == 201, created.text
        listing = client.get("/v1/keys", headers=admin)
        assert made["token"] not in listing.text
        assert "token" not in listing.json()["items"][-1]
        assert listing.json()["items"][-1]["prefix"] == made["prefix"]

    def test_partner_with_the_embargo_scope(self, client: TestClient, admin: Key) -> None:
        made = create(client, admin, role="partner", scopes=["embargo"])
        assert made["scopes"] == ["embargo"]
        assert listed(client, admin)[made["prefix"]]["scopes"] == ["embargo"]
        assert client.get("/v1/sections", headers=bearer(made["token"])).status_code == 200

    def test_a_scope_given_twice_is_kept_once(self, client: TestClient, admin: Key) -> None:
        made = create(client, admin, role="partner", scopes=["embargo", "embargo"])
        assert made["scopes"] == ["embargo"]

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("2099-01-01T03:00:00+03:00", datetime(2099, 1, 1, tzinfo=UTC)),
            ("2099-01-01T00:00:00Z", datetime(2099, 1, 1, tzinfo=UTC)),
            ("2099-01-01T00:00:00", datetime(2099, 1, 1, tzinfo=UTC)),  # no offset: UTC
        ],
    )
    def test_expiry_is_stored_in_utc(
        self, client: TestClient, admin: Key, given: str, stored: datetime
    ) -> None:
        made = create(client, admin, expires_at=given)
        for shown in (made["expires_at"], listed(client, admin)[made["prefix"]]["expires_at"]):
            parsed = datetime.fromisoformat(shown)
            assert parsed == stored
            assert parsed.utcoffset() == timedelta(0)

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "x", "role": "owner"},
            {"name": "x", "role": "partner", "scopes": ["publish"]},
            {"name": "x", "role": "editor", "expires_at": "2020-01-01T00:00:00Z"},
            {"name": "x", "role": "editor", "expires_at": "not a time"},
            {"name": "", "role": "editor"},
            {"name": "   ", "role": "editor"},
            {"name": "x"},
            {"role": "editor"},
            {"name": "x", "role": "editor", "token": "khb_mine_secret"},
        ],
    )
    def test_invalid_body_is_422_and_creates_nothing(
        self, client: TestClient, admin: Key, body: dict[str, Any]
    ) -> None:
        assert_problem(client.post("/v1/keys", json=body, headers=admin), 422)
        assert list(listed(client, admin)) == [prefix_of(admin)]

    def test_expiry_in_the_past_names_the_field(self, client: TestClient, admin: Key) -> None:
        response = client.post(
            "/v1/keys",
            json={"name": "x", "role": "editor", "expires_at": "2020-01-01T00:00:00+02:00"},
            headers=admin,
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "expires_at"]
        assert "future" in problem["errors"][0]["msg"]

    @pytest.mark.parametrize("role", NOT_ADMIN)
    def test_other_roles_are_403(
        self, client: TestClient, admin: Key, database: Database, role: str
    ) -> None:
        response = client.post(
            "/v1/keys", json={"name": "mine", "role": "admin"}, headers=make_key(database, role)
        )
        assert_problem(response, 403)
        assert [k["name"] for k in listed(client, admin).values()] == ["test admin", f"test {role}"]

    def test_without_a_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.post("/v1/keys", json={"name": "mine", "role": "admin"}))


class TestRevokeKey:
    def test_the_key_stops_working(self, client: TestClient, admin: Key) -> None:
        made = create(client, admin)
        assert (
            client.post("/v1/sections", json=SECTION, headers=bearer(made["token"])).status_code
            == 201
        )

        response = client.delete(f"/v1/keys/{made['prefix']}", headers=admin)

        assert response.status_code == 204, response.text
        assert response.content == b""
        assert_needs_key(client.get("/v1/sections", headers=bearer(made["token"])))
        assert listed(client, admin)[made["prefix"]]["state"] == "revoked"

    def test_other_keys_keep_working(self, client: TestClient, admin: Key, editor: Key) -> None:
        made = create(client, admin)
        assert client.delete(f"/v1/keys/{made['prefix']}", headers=admin).status_code == 204
        assert client.post("/v1/sections", json=SECTION, headers=editor).status_code == 201

    def test_twice_is_fine(self, client: TestClient, admin: Key) -> None:
        made = create(client, admin)
        assert client.delete(f"/v1/keys/{made['prefix']}", headers=admin).status_code == 204
        first = listed(client, admin)[made["prefix"]]["revoked_at"]
        assert client.delete(f"/v1/keys/{made['prefix']}", headers=admin).status_code == 204
        assert listed(client, admin)[made["prefix"]]["revoked_at"] == first

    def test_an_admin_may_revoke_its_own_key(self, client: TestClient, admin: Key) -> None:
        assert client.delete(f"/v1/keys/{prefix_of(admin)}", headers=admin).status_code == 204
        assert_needs_key(client.get("/v1/keys", headers=admin))

    def test_unknown_prefix_is_404(self, client: TestClient, admin: Key) -> None:
        problem = assert_problem(client.delete("/v1/keys/deadbeef", headers=admin), 404)
        assert "deadbeef" in problem["detail"]

    def test_overlong_prefix_is_422(self, client: TestClient, admin: Key) -> None:
        assert_problem(client.delete(f"/v1/keys/{'a' * 17}", headers=admin), 422)

    @pytest.mark.parametrize("role", NOT_ADMIN)
    def test_other_roles_are_403(
        self, client: TestClient, admin: Key, database: Database, role: str
    ) -> None:
        other = make_key(database, role)
        assert_problem(client.delete(f"/v1/keys/{prefix_of(admin)}", headers=other), 403)
        assert client.get("/v1/keys", headers=admin).status_code == 200

    def test_without_a_key_is_401(self, client: TestClient, admin: Key) -> None:
        assert_needs_key(client.delete(f"/v1/keys/{prefix_of(admin)}"))
        assert client.get("/v1/keys", headers=admin).status_code == 200


class TestExpiredKey:
    def test_is_401(self, client: TestClient, database: Database) -> None:
        with database.session(write=True) as session:
            _key, token = key_service.create_key(
                session,
                name="last year",
                role="admin",
                expires_at=datetime.now(UTC) - timedelta(days=1),
            )
            session.commit()
        assert_needs_key(client.get("/v1/keys", headers=bearer(token)))
        assert_needs_key(client.get("/v1/sections", headers=bearer(token)))


class TestCreateKeyService:
    @pytest.mark.parametrize(("role", "scopes"), [("owner", None), ("partner", ["publish"])])
    def test_refuses_unknown_roles_and_scopes(
        self, database: Database, role: str, scopes: list[str] | None
    ) -> None:
        with database.session(write=True) as session, pytest.raises(ValidationFailed):
            key_service.create_key(session, name="x", role=role, scopes=scopes)


# Partner keys ------------------------------------------------------------------------------


def private(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    return response.json()


class TestPartnerReads:
    def test_media_of_a_draft_only_is_hidden(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        media = upload_media(client, editor)
        create_article(client, editor, publish=False, hero={"media": media["id"]})
        for path in ("", "/image", "/original"):
            url = f"/v1/media/{media['id']}{path}"
            assert_problem(client.get(url, headers=partner), 404)
            assert_problem(client.get(url), 404)
            assert client.get(url, headers=editor).status_code == 200

    def test_unused_media_is_hidden(self, client: TestClient, editor: Key, partner: Key) -> None:
        media = upload_media(client, editor)
        assert_problem(client.get(f"/v1/media/{media['id']}", headers=partner), 404)

    def test_public_media_is_shown_privately(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        media = upload_media(client, editor)
        create_article(client, editor, hero={"media": media["id"]})
        assert private(client.get(f"/v1/media/{media['id']}", headers=partner))["id"] == media["id"]
        for path in ("/image", "/original"):
            image = client.get(f"/v1/media/{media['id']}{path}?v=whatever", headers=partner)
            assert image.status_code == 200
            assert image.headers["cache-control"] == "private, no-store"

    def test_media_list_is_the_public_list(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        shown = upload_media(client, editor)
        create_article(client, editor, hero={"media": shown["id"]})
        draft_hero = upload_media(client, editor)
        create_article(client, editor, publish=False, hero={"media": draft_hero["id"]})
        upload_media(client, editor)

        items = private(client.get("/v1/media", headers=partner))["items"]

        assert [item["id"] for item in items] == [shown["id"]]
        assert client.get("/v1/media").json()["items"] == items
        assert len(client.get("/v1/media", headers=editor).json()["items"]) == 3

    def test_search_finds_published_articles_only(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        published = create_article(client, editor, headline="فيضان النهر يغمر الحقول")
        create_article(client, editor, headline="فيضان آخر في الوادي", publish=False)
        body = private(client.get("/v1/search", params={"q": "فيضان"}, headers=partner))
        assert [hit["id"] for hit in body["items"]] == [published["id"]]

    def test_section_front_has_no_drafts(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        create_section(client, editor)
        published = create_article(client, editor, section="local")
        create_article(client, editor, section="local", publish=False, headline="مسودة")
        body = private(client.get("/v1/sections/local", headers=partner))
        assert [card["id"] for card in body["front"]["latest"]] == [published["id"]]
        tree = private(client.get("/v1/sections", headers=partner))
        assert [s["slug"] for s in tree["items"]] == ["local"]

    def test_tags_and_authors_are_private(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        tag = create_tag(client, editor)
        author = create_author(client, editor)
        assert private(client.get("/v1/tags", headers=partner))["items"] == [tag]
        assert private(client.get(f"/v1/tags/{tag['slug']}", headers=partner)) == tag
        assert private(client.get("/v1/authors", headers=partner))["items"] == [author]
        assert private(client.get(f"/v1/authors/{author['slug']}", headers=partner)) == author


class TestPartnerWrites:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "/v1/sections", SECTION),
            ("PATCH", "/v1/sections/local", {"position": 1}),
            ("DELETE", "/v1/sections/local", None),
            ("POST", "/v1/tags", {"name": "وسم", "type": "topic"}),
            ("PATCH", "/v1/tags/tag", {"name": "وسم"}),
            ("DELETE", "/v1/tags/tag", None),
            ("POST", "/v1/authors", {"name": "كاتب"}),
            ("PATCH", "/v1/authors/salma-haddad", {"name": "كاتب"}),
            ("DELETE", "/v1/authors/salma-haddad", None),
            ("PATCH", "/v1/media/MEDIA", {"archive": True}),
            ("DELETE", "/v1/media/MEDIA", None),
            ("POST", "/v1/articles", {"headline": "خبر"}),
            ("POST", "/v1/keys", {"name": "mine", "role": "admin"}),
        ],
    )
    def test_is_403(
        self,
        client: TestClient,
        editor: Key,
        partner: Key,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        create_section(client, editor)
        create_tag(client, editor, slug="tag")
        create_author(client, editor)
        media = upload_media(client, editor)
        path = path.replace("MEDIA", media["id"])
        response = client.request(method, path, json=body, headers={**partner, "If-Match": "*"})
        assert_problem(response, 403)

    def test_upload_is_403(self, client: TestClient, partner: Key) -> None:
        response = client.post(
            "/v1/media", headers=partner, files={"file": ("a.jpg", b"not read", "image/jpeg")}
        )
        assert_problem(response, 403)
