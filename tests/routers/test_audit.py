"""The audit log over HTTP: admin only, newest first, its filters and cursor, and the events
the writes of keys, sections, tags, authors and media leave (and that failed writes do not)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db import Database
from app.models import AuditEvent
from tests.assertions import Key, assert_needs_key, assert_problem
from tests.conftest import make_key
from tests.factories import (
    create_article,
    create_author,
    create_section,
    create_tag,
    jpeg_bytes,
    upload_media,
)


def prefix_of(key: Key) -> str:
    return key["Authorization"].removeprefix("Bearer ").split("_")[1]


def actor(key: Key, role: str) -> str:
    return f"test {role} ({prefix_of(key)})"


def events(client: TestClient, admin: Key, **params: Any) -> list[dict[str, Any]]:
    """The first page (up to 100) of the log, newest first."""
    response = client.get("/v1/audit", params={"limit": 100, **params}, headers=admin)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def actions(client: TestClient, admin: Key, **params: Any) -> list[tuple[str, str]]:
    return [(e["action"], e["item_id"]) for e in events(client, admin, **params)]


def set_times(database: Database, times: dict[int, datetime]) -> None:
    with database.session(write=True) as session:
        for event_id, at in times.items():
            session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(at=at))
        session.commit()


class TestListAudit:
    def test_empty(self, client: TestClient, admin: Key) -> None:
        response = client.get("/v1/audit", headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []
        assert response.json()["next_cursor"] is None
        assert response.json()["links"]["next"] is None

    def test_newest_first_and_private(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_tag(client, editor, slug="first")
        create_tag(client, editor, slug="second")
        response = client.get("/v1/audit", headers=admin)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        items = response.json()["items"]
        assert [(e["action"], e["item_id"]) for e in items] == [
            ("tag.create", "second"),
            ("tag.create", "first"),
        ]
        assert items[0]["id"] > items[1]["id"]
        assert set(items[0]) == {
            "id",
            "at",
            "actor",
            "key",
            "role",
            "action",
            "item_type",
            "item_id",
            "version",
            "detail",
        }

    @pytest.mark.parametrize("role", ["editor", "writer", "partner"])
    def test_other_roles_are_403(self, client: TestClient, database: Database, role: str) -> None:
        assert_problem(client.get("/v1/audit", headers=make_key(database, role)), 403)

    def test_without_a_key_is_401(self, client: TestClient) -> None:
        assert_needs_key(client.get("/v1/audit"))

    def test_pages_with_a_stable_cursor(self, client: TestClient, admin: Key, editor: Key) -> None:
        for n in range(7):
            create_tag(client, editor, slug=f"tag-{n}")
        seen: list[str] = []
        pages: list[int] = []
        url: str | None = "/v1/audit?limit=3"
        while url is not None:
            response = client.get(url, headers=admin)
            assert response.status_code == 200, response.text
            body = response.json()
            pages.append(len(body["items"]))
            seen.extend(e["item_id"] for e in body["items"])
            url = body["links"]["next"]
            if url is not None:
                assert f"cursor={body['next_cursor']}" in url
                assert response.headers["link"] == f'<{url}>; rel="next"'
            # Writes made while paging are newer than the first page: they never show up later.
            create_tag(client, editor, slug=f"meanwhile-{len(pages)}")
        assert pages == [3, 3, 1]
        assert seen == [f"tag-{n}" for n in reversed(range(7))]

    def test_cursor_keeps_the_filters(self, client: TestClient, admin: Key, editor: Key) -> None:
        for n in range(3):
            create_tag(client, editor, slug=f"tag-{n}")
            create_author(client, editor, slug=f"author-{n}")
        first = client.get("/v1/audit?limit=2&item_type=tag", headers=admin).json()
        second = client.get(first["links"]["next"], headers=admin).json()
        assert [e["item_id"] for e in first["items"] + second["items"]] == [
            "tag-2",
            "tag-1",
            "tag-0",
        ]
        assert second["next_cursor"] is None

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            "WyJ0YWciLCJhIl0",  # ["tag","a"]: a tag list's cursor
            "WyJhdWRpdCIsImEiXQ",  # ["audit","a"]: not an id
        ],
    )
    def test_bad_cursor_is_400(self, client: TestClient, admin: Key, cursor: str) -> None:
        problem = assert_problem(
            client.get("/v1/audit", params={"cursor": cursor}, headers=admin), 400
        )
        assert "cursor" in problem["detail"]

    @pytest.mark.parametrize("limit", ["0", "101", "many"])
    def test_limit_out_of_range_is_422(self, client: TestClient, admin: Key, limit: str) -> None:
        assert_problem(client.get("/v1/audit", params={"limit": limit}, headers=admin), 422)

    def test_bad_since_is_422(self, client: TestClient, admin: Key) -> None:
        assert_problem(client.get("/v1/audit", params={"since": "yesterday"}, headers=admin), 422)


class TestAuditFilters:
    @pytest.fixture
    def writes(self, client: TestClient, editor: Key, database: Database) -> Key:
        """A tag and a section by the editor, then a tag edit by another editor's key."""
        create_tag(client, editor, slug="rail")
        create_section(client, editor)
        other = make_key(database, "editor")
        response = client.patch("/v1/tags/rail", json={"name": "السكك"}, headers=other)
        assert response.status_code == 200, response.text
        return other

    def test_by_key(self, client: TestClient, admin: Key, editor: Key, writes: Key) -> None:
        assert actions(client, admin, key=prefix_of(editor)) == [
            ("section.create", "local"),
            ("tag.create", "rail"),
        ]
        assert actions(client, admin, key=prefix_of(writes)) == [("tag.update", "rail")]
        assert actions(client, admin, key="deadbeef") == []

    def test_by_action(self, client: TestClient, admin: Key, writes: Key) -> None:
        assert actions(client, admin, action="tag.create") == [("tag.create", "rail")]

    def test_by_item(self, client: TestClient, admin: Key, writes: Key) -> None:
        assert actions(client, admin, item_type="tag") == [
            ("tag.update", "rail"),
            ("tag.create", "rail"),
        ]
        assert actions(client, admin, item_type="section", item_id="local") == [
            ("section.create", "local")
        ]
        assert actions(client, admin, item_type="tag", item_id="local") == []
        assert actions(client, admin, item_id="rail", action="tag.update") == [
            ("tag.update", "rail")
        ]

    def test_by_time(self, client: TestClient, admin: Key, editor: Key, database: Database) -> None:
        for slug in ("january", "february", "march"):
            create_tag(client, editor, slug=slug)
        ids = [e["id"] for e in reversed(events(client, admin))]
        set_times(
            database,
            {
                ids[0]: datetime(2026, 1, 1, tzinfo=UTC),
                ids[1]: datetime(2026, 2, 1, tzinfo=UTC),
                ids[2]: datetime(2026, 3, 1, tzinfo=UTC),
            },
        )

        def slugs(**params: str) -> list[str]:
            return [e["item_id"] for e in events(client, admin, **params)]

        assert slugs(since="2026-02-01T00:00:00Z") == ["march", "february"]
        assert slugs(until="2026-02-01T00:00:00Z") == ["january"]
        assert slugs(since="2026-01-15T00:00:00Z", until="2026-02-15T00:00:00Z") == ["february"]
        # An offset is honoured; no offset means UTC.
        assert slugs(since="2026-02-01T03:00:00+03:00") == ["march", "february"]
        assert slugs(until="2026-02-01T00:00:01") == ["february", "january"]
        at = datetime.fromisoformat(events(client, admin, until="2026-01-02T00:00:00Z")[0]["at"])
        assert at == datetime(2026, 1, 1, tzinfo=UTC)


class TestKeyEvents:
    def test_create_and_revoke(self, client: TestClient, admin: Key) -> None:
        response = client.post(
            "/v1/keys",
            json={"name": "wire", "role": "partner", "scopes": ["embargo"]},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        made = response.json()
        assert client.delete(f"/v1/keys/{made['prefix']}", headers=admin).status_code == 204

        log = client.get("/v1/audit", headers=admin)
        revoked, created = log.json()["items"]

        assert made["token"] not in log.text
        assert made["token"].split("_", 2)[2] not in log.text
        assert created["action"] == "key.create"
        assert created["item_type"] == "key"
        assert created["item_id"] == made["prefix"]
        assert created["actor"] == actor(admin, "admin")
        assert created["key"] == prefix_of(admin)
        assert created["role"] == "admin"
        assert created["detail"] == {"name": "wire", "role": "partner", "scopes": ["embargo"]}
        assert revoked["action"] == "key.revoke"
        assert revoked["item_id"] == made["prefix"]
        assert revoked["detail"] == {"name": "wire", "role": "partner"}

    def test_revoking_twice_records_once(self, client: TestClient, admin: Key) -> None:
        made = client.post("/v1/keys", json={"name": "x", "role": "writer"}, headers=admin).json()
        for _ in range(2):
            assert client.delete(f"/v1/keys/{made['prefix']}", headers=admin).status_code == 204
        assert actions(client, admin, action="key.revoke") == [("key.revoke", made["prefix"])]

    def test_refused_writes_record_nothing(self, client: TestClient, admin: Key) -> None:
        assert_problem(
            client.post("/v1/keys", json={"name": "x", "role": "owner"}, headers=admin), 422
        )
        assert_problem(client.delete("/v1/keys/deadbeef", headers=admin), 404)
        assert events(client, admin) == []


class TestSectionEvents:
    def test_create_update_delete(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_section(client, editor)
        response = client.patch(
            "/v1/sections/local", json={"slug": "city", "position": 3}, headers=editor
        )
        assert response.status_code == 200, response.text
        assert client.delete("/v1/sections/city", headers=editor).status_code == 204

        deleted, updated, created = events(client, admin)

        assert (created["action"], created["item_type"], created["item_id"]) == (
            "section.create",
            "section",
            "local",
        )
        assert created["actor"] == actor(editor, "editor")
        assert created["role"] == "editor"
        assert created["key"] == prefix_of(editor)
        assert created["version"] is None
        assert (updated["action"], updated["item_id"]) == ("section.update", "city")
        assert updated["detail"] == {"changed": ["position", "slug"], "old_slug": "local"}
        assert (deleted["action"], deleted["item_id"]) == ("section.delete", "city")

    def test_same_slug_is_not_a_slug_change(
        self, client: TestClient, admin: Key, editor: Key
    ) -> None:
        create_section(client, editor)
        response = client.patch("/v1/sections/local", json={"slug": "local"}, headers=editor)
        assert response.status_code == 200, response.text
        assert events(client, admin)[0]["detail"] == {"changed": ["slug"]}

    def test_refused_writes_record_nothing(
        self, client: TestClient, admin: Key, editor: Key
    ) -> None:
        create_section(client, editor)
        create_section(client, editor, slug="sport", parent="local")
        before = events(client, admin)
        duplicate = client.post(
            "/v1/sections", json={"slug": "local", "names": {"ar": "محليات"}}, headers=editor
        )
        assert_problem(duplicate, 409)
        assert_problem(client.delete("/v1/sections/local", headers=editor), 409)
        assert_problem(
            client.patch("/v1/sections/sport", json={"slug": "local"}, headers=editor), 409
        )
        assert_problem(
            client.patch("/v1/sections/sport", json={"position": -1}, headers=editor), 422
        )
        assert events(client, admin) == before


class TestTagEvents:
    def test_create_update_delete(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_tag(client, editor, slug="rail")
        response = client.patch(
            "/v1/tags/rail", json={"name": "السكك", "type": "event"}, headers=editor
        )
        assert response.status_code == 200, response.text
        assert client.delete("/v1/tags/rail", headers=editor).status_code == 204

        assert [
            (e["action"], e["item_type"], e["item_id"], e["detail"]) for e in events(client, admin)
        ] == [
            ("tag.delete", "tag", "rail", {}),
            ("tag.update", "tag", "rail", {"changed": ["name", "type"]}),
            ("tag.create", "tag", "rail", {}),
        ]

    def test_slug_change(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_tag(client, editor, slug="rail")
        response = client.patch("/v1/tags/rail", json={"slug": "trains"}, headers=editor)
        assert response.status_code == 200, response.text
        (updated,) = events(client, admin, action="tag.update")
        assert updated["item_id"] == "trains"
        assert updated["detail"] == {"changed": ["slug"], "old_slug": "rail"}

    def test_refused_writes_record_nothing(
        self, client: TestClient, admin: Key, editor: Key, writer: Key
    ) -> None:
        create_tag(client, editor, slug="rail")
        create_tag(client, editor, slug="roads")
        before = events(client, admin)
        assert_problem(
            client.post(
                "/v1/tags", json={"name": "x", "type": "topic", "slug": "rail"}, headers=editor
            ),
            409,
        )
        assert_problem(client.patch("/v1/tags/roads", json={"slug": "rail"}, headers=editor), 409)
        assert_problem(
            client.post("/v1/tags", json={"name": "x", "type": "colour"}, headers=editor), 422
        )
        assert_problem(
            client.post("/v1/tags", json={"name": "x", "type": "topic"}, headers=writer), 403
        )
        assert_problem(client.delete("/v1/tags/nothing", headers=editor), 404)
        assert events(client, admin) == before


class TestAuthorEvents:
    def test_create_update_delete(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_author(client, editor)
        response = client.patch(
            "/v1/authors/salma-haddad",
            json={"slug": "salma", "job_title": "محررة"},
            headers=editor,
        )
        assert response.status_code == 200, response.text
        assert client.delete("/v1/authors/salma", headers=editor).status_code == 204

        deleted, updated, created = events(client, admin)
        assert (created["action"], created["item_type"], created["item_id"]) == (
            "author.create",
            "author",
            "salma-haddad",
        )
        assert (updated["action"], updated["item_id"]) == ("author.update", "salma")
        assert updated["detail"] == {"changed": ["job_title", "slug"], "old_slug": "salma-haddad"}
        assert (deleted["action"], deleted["item_id"]) == ("author.delete", "salma")

    def test_refused_writes_record_nothing(
        self, client: TestClient, admin: Key, editor: Key
    ) -> None:
        author = create_author(client, editor)
        create_article(client, editor, authors=[author["slug"]])
        before = events(client, admin, item_type="author")
        assert_problem(
            client.post("/v1/authors", json={"name": "x", "slug": author["slug"]}, headers=editor),
            409,
        )
        assert_problem(client.delete(f"/v1/authors/{author['slug']}", headers=editor), 409)
        assert_problem(
            client.patch(
                f"/v1/authors/{author['slug']}", json={"avatar": "nosuchmedia"}, headers=editor
            ),
            422,
        )
        assert events(client, admin, item_type="author") == before


class TestMediaEvents:
    def test_upload_update_delete(
        self, client: TestClient, admin: Key, writer: Key, editor: Key
    ) -> None:
        media = upload_media(client, writer)
        response = client.patch(
            f"/v1/media/{media['id']}",
            json={"caption": {"ar": "الجسر"}, "archive": True},
            headers=writer,
        )
        assert response.status_code == 200, response.text
        assert client.delete(f"/v1/media/{media['id']}", headers=editor).status_code == 204

        deleted, updated, created = events(client, admin, item_type="media")

        assert (created["action"], created["item_id"], created["version"]) == (
            "media.create",
            media["id"],
            1,
        )
        assert created["actor"] == actor(writer, "writer")
        assert created["role"] == "writer"
        assert (updated["action"], updated["item_id"], updated["version"]) == (
            "media.update",
            media["id"],
            2,
        )
        assert updated["detail"] == {"changed": ["archive", "caption"]}
        assert (deleted["action"], deleted["item_id"], deleted["version"]) == (
            "media.delete",
            media["id"],
            2,
        )
        assert deleted["actor"] == actor(editor, "editor")

    def test_the_same_bytes_again_record_nothing(
        self, client: TestClient, admin: Key, editor: Key
    ) -> None:
        data = jpeg_bytes(160, 90)
        first = upload_media(client, editor, data)
        again = client.post(
            "/v1/media", headers=editor, files={"file": ("again.jpg", data, "image/jpeg")}
        )
        assert again.status_code == 200, again.text
        assert actions(client, admin) == [("media.create", first["id"])]

    def test_refused_writes_record_nothing(
        self, client: TestClient, admin: Key, editor: Key
    ) -> None:
        media = upload_media(client, editor)
        create_article(client, editor, hero={"media": media["id"]})
        before = events(client, admin, item_type="media")
        refused = client.post(
            "/v1/media", headers=editor, files={"file": ("a.jpg", b"not an image", "image/jpeg")}
        )
        assert refused.status_code in (415, 422), refused.text
        assert_problem(client.delete(f"/v1/media/{media['id']}", headers=editor), 409)
        stale = client.patch(
            f"/v1/media/{media['id']}",
            json={"archive": True},
            headers={**editor, "If-Match": '"v9"'},
        )
        assert_problem(stale, 412)
        assert events(client, admin, item_type="media") == before
