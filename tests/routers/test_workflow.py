"""The editorial workflow over HTTP: scheduling and embargo, the lifecycle and its
preconditions, who may do what, what the public sees of unpublished articles, corrections,
revisions and their diffs, preview tokens, and the audit trail article writes leave.

The background scheduler is off in these tests (see ``settings`` in conftest): a scheduled
article stays scheduled until a test publishes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.models import ApiKey, Article
from app.services import keys as key_service
from app.services import preview as preview_service
from tests.assertions import Key, assert_needs_key, assert_problem
from tests.conftest import make_key
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    trash,
    upload_media,
)

RIYADH = timezone(timedelta(hours=3))
PRIVATE = "private, no-store"


# Helpers ------------------------------------------------------------------------------------


def future(**delta: float) -> str:
    """A time ahead (two days unless told), written with a +03:00 offset as a newsroom in the
    Gulf would send it."""
    when = datetime.now(UTC) + (timedelta(**delta) if delta else timedelta(days=2))
    return when.astimezone(RIYADH).isoformat(timespec="seconds")


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def prefix_of(key: Key) -> str:
    """The middle part of ``khb_<prefix>_<secret>``."""
    return key["Authorization"].removeprefix("Bearer ").split("_")[1]


def read(client: TestClient, key: Key, article_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/articles/{article_id}", headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def patch(
    client: TestClient, key: Key, article_id: str, if_match: str | None, **changes: Any
) -> httpx2.Response:
    headers = dict(key) if if_match is None else {**key, "If-Match": if_match}
    return client.patch(f"/v1/articles/{article_id}", json=changes, headers=headers)


def edit(client: TestClient, key: Key, article_id: str, **changes: Any) -> dict[str, Any]:
    """PATCH with the article's current version, expecting success."""
    version = read(client, key, article_id)["version"]
    response = patch(client, key, article_id, str(version), **changes)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def done(response: httpx2.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def schedule(
    client: TestClient, key: Key, article_id: str, *, at: str | None = None, embargo: bool = False
) -> httpx2.Response:
    return act(client, key, article_id, "schedule", json={"at": at or future(), "embargo": embargo})


# What each state of ``in_state`` shows as ``status``.
STATUS = {
    "draft": "draft",
    "published": "published",
    "unpublished": "draft",
    "scheduled": "scheduled",
    "embargoed": "scheduled",
    "rescheduled": "scheduled",
    "archived": "archived",
    "trashed": "trashed",
}


def in_state(
    client: TestClient, editor: Key, state: str, *, owner: Key | None = None, **fields: Any
) -> dict[str, Any]:
    """A draft made (and edited once) by ``owner``, then brought to ``state`` by ``editor``.
    It is at version 2 at least, so version - 1 is a real, stale version. "unpublished" and
    "rescheduled" were published once, so they keep a ``published_at`` in the past."""
    owner = owner or editor
    made = create_article(client, owner, publish=False, **fields)
    article = edit(client, owner, made["id"], kicker="عاجل")
    if state in ("published", "unpublished", "rescheduled", "archived"):
        article = done(act(client, editor, made["id"], "publish"))
    if state in ("unpublished", "rescheduled"):
        article = done(act(client, editor, made["id"], "unpublish"))
    if state == "archived":
        article = done(act(client, editor, made["id"], "archive"))
    if state in ("scheduled", "embargoed", "rescheduled"):
        article = done(schedule(client, editor, made["id"], embargo=state == "embargoed"))
    if state == "trashed":
        article = done(trash(client, editor, made["id"]))
    assert article["status"] == STATUS[state]
    return article


def perform(
    client: TestClient, key: Key, article_id: str, action: str, if_match: str | None
) -> httpx2.Response:
    """One write of an existing article, with ``if_match`` as sent (None: no header)."""
    headers = dict(key) if if_match is None else {**key, "If-Match": if_match}
    url = f"/v1/articles/{article_id}"
    if action == "update":
        return client.patch(url, json={"urgency": 2}, headers=headers)
    if action == "trash":
        return client.delete(url, headers=headers)
    if action == "schedule":
        return client.post(f"{url}/schedule", json={"at": future()}, headers=headers)
    if action == "revert":
        return client.post(f"{url}/revisions/1/restore", headers=headers)
    if action == "preview":
        return client.post(f"{url}/preview", headers=headers)
    if action == "revisions":
        return client.get(f"{url}/revisions", headers=headers)
    return client.post(f"{url}/{action}", headers=headers)


def revisions(client: TestClient, key: Key, article_id: str) -> list[dict[str, Any]]:
    response = client.get(
        f"/v1/articles/{article_id}/revisions", params={"limit": 100}, headers=key
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def audit(client: TestClient, admin: Key, article_id: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params={"item_id": article_id, "limit": 100}, headers=admin)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def preview(client: TestClient, key: Key, article_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v1/articles/{article_id}/preview", json=body or None, headers=key)
    return done(response, 201)


def flip(text: str, at: int) -> str:
    """``text`` with one character changed."""
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


# Scheduling ---------------------------------------------------------------------------------


class TestSchedule:
    def test_schedule_stores_the_instant_in_utc(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        at = future(days=3)
        scheduled = done(schedule(client, editor, draft["id"], at=at))
        assert scheduled["status"] == "scheduled"
        assert scheduled["embargo"] is False
        assert scheduled["published_at"] is None
        assert scheduled["version"] == draft["version"] + 1
        stored = instant(scheduled["scheduled_at"])
        assert stored == instant(at)
        assert stored.utcoffset() == timedelta(0)
        assert read(client, editor, draft["id"])["scheduled_at"] == scheduled["scheduled_at"]

    def test_schedule_with_embargo(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        scheduled = done(schedule(client, editor, draft["id"], embargo=True))
        assert scheduled["status"] == "scheduled"
        assert scheduled["embargo"] is True

    def test_scheduling_again_moves_the_time(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        done(schedule(client, editor, draft["id"], at=future(days=2)))
        later = future(days=5)
        moved = done(schedule(client, editor, draft["id"], at=later))
        assert moved["status"] == "scheduled"
        assert instant(moved["scheduled_at"]) == instant(later)

    @pytest.mark.parametrize(
        "ago", [timedelta(minutes=5), timedelta(days=2000)], ids=["minutes", "years"]
    )
    def test_past_time_is_422_and_changes_nothing(
        self, client: TestClient, editor: Key, ago: timedelta
    ) -> None:
        draft = create_article(client, editor, publish=False)
        past = (datetime.now(UTC) - ago).astimezone(RIYADH).isoformat(timespec="seconds")
        problem = assert_problem(schedule(client, editor, draft["id"], at=past), 422)
        assert ["body", "at"] in [error["loc"] for error in problem["errors"]]
        assert read(client, editor, draft["id"]) == draft

    def test_time_without_an_offset_is_422(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        naive = (datetime.now() + timedelta(days=2)).replace(microsecond=0).isoformat()
        assert_problem(schedule(client, editor, draft["id"], at=naive), 422)
        assert read(client, editor, draft["id"]) == draft

    def test_scheduling_a_published_article_is_409(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        assert_problem(schedule(client, editor, made["id"]), 409)
        assert read(client, editor, made["id"]) == made
        assert client.get(f"/v1/articles/{made['id']}").status_code == 200

    def test_scheduling_in_the_trash_is_409(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        trashed = done(trash(client, editor, draft["id"]))
        assert_problem(schedule(client, editor, draft["id"]), 409)
        assert read(client, editor, draft["id"]) == trashed

    def test_unschedule_makes_it_a_draft_again(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        done(schedule(client, editor, draft["id"], embargo=True))
        back = done(act(client, editor, draft["id"], "unschedule"))
        assert back["status"] == "draft"
        assert back["scheduled_at"] is None
        assert back["embargo"] is False
        assert back["published_at"] is None

    @pytest.mark.parametrize("state", ["draft", "published", "archived", "trashed"])
    def test_unschedule_of_an_unscheduled_article_is_409(
        self, client: TestClient, editor: Key, state: str
    ) -> None:
        article = in_state(client, editor, state)
        assert_problem(act(client, editor, article["id"], "unschedule"), 409)
        assert read(client, editor, article["id"]) == article

    def test_publishing_ahead_of_time(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        done(schedule(client, editor, draft["id"], at=future(days=10), embargo=True))
        published = done(act(client, editor, draft["id"], "publish"))
        assert published["status"] == "published"
        assert published["scheduled_at"] is None
        assert published["embargo"] is False
        assert instant(published["published_at"]) < datetime.now(UTC) + timedelta(days=1)
        assert client.get(f"/v1/articles/{draft['id']}").status_code == 200

    def test_unpublishing_a_scheduled_article_drops_the_schedule(
        self, client: TestClient, editor: Key
    ) -> None:
        draft = create_article(client, editor, publish=False)
        done(schedule(client, editor, draft["id"], embargo=True))
        back = done(act(client, editor, draft["id"], "unpublish"))
        assert back["status"] == "draft"
        assert back["scheduled_at"] is None
        assert back["embargo"] is False


# The lifecycle ------------------------------------------------------------------------------

# Each write of an existing article and a state from which it succeeds.
WRITES = [
    ("update", "published"),
    ("trash", "published"),
    ("publish", "draft"),
    ("unpublish", "published"),
    ("archive", "published"),
    ("schedule", "draft"),
    ("unschedule", "scheduled"),
    ("restore", "trashed"),
    ("purge", "trashed"),
    ("revert", "published"),
]


class TestLifecycle:
    @pytest.mark.parametrize(("action", "state"), WRITES)
    def test_bare_version_as_if_match(
        self, client: TestClient, editor: Key, admin: Key, action: str, state: str
    ) -> None:
        article = in_state(client, editor, state)
        response = perform(client, admin, article["id"], action, str(article["version"]))
        if action == "purge":
            assert response.status_code == 204, response.text
        else:
            assert done(response)["version"] == article["version"] + 1

    @pytest.mark.parametrize(("action", "state"), WRITES)
    def test_without_if_match_is_428_and_changes_nothing(
        self, client: TestClient, editor: Key, admin: Key, action: str, state: str
    ) -> None:
        article = in_state(client, editor, state)
        problem = assert_problem(perform(client, admin, article["id"], action, None), 428)
        assert problem["current_version"] == article["version"]
        assert read(client, editor, article["id"]) == article

    @pytest.mark.parametrize(("action", "state"), WRITES)
    def test_stale_if_match_is_412_and_changes_nothing(
        self, client: TestClient, editor: Key, admin: Key, action: str, state: str
    ) -> None:
        article = in_state(client, editor, state)
        stale = f'"v{article["version"] - 1}-00000000"'
        problem = assert_problem(perform(client, admin, article["id"], action, stale), 412)
        assert problem["current_version"] == article["version"]
        assert read(client, editor, article["id"]) == article

    def test_archive_takes_it_off_public_view(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        archived = done(act(client, editor, made["id"], "archive"))
        assert archived["status"] == "archived"
        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)
        assert made["id"] not in ids(client.get("/v1/articles"))
        archive = client.get("/v1/articles", params={"status": "archived"}, headers=editor)
        assert ids(archive) == [made["id"]]

    @pytest.mark.parametrize("retire", ["archive", "unpublish"])
    def test_publishing_again_keeps_the_dates(
        self, client: TestClient, editor: Key, retire: str
    ) -> None:
        made = create_article(client, editor)
        assert made["published_at"] is not None
        done(act(client, editor, made["id"], retire))
        again = done(act(client, editor, made["id"], "publish"))
        assert again["status"] == "published"
        assert again["published_at"] == made["published_at"]
        assert again["first_published_at"] == made["first_published_at"]
        public = client.get(f"/v1/articles/{made['id']}").json()
        assert public["published_at"] == made["published_at"]

    @pytest.mark.parametrize("action", ["update", "publish", "unpublish", "archive", "revert"])
    def test_an_article_in_the_trash_refuses_writes(
        self, client: TestClient, editor: Key, action: str
    ) -> None:
        article = in_state(client, editor, "trashed")
        response = perform(client, editor, article["id"], action, str(article["version"]))
        assert_problem(response, 409)
        assert read(client, editor, article["id"]) == article

    def test_restore_brings_a_published_article_back_as_a_draft(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        done(trash(client, editor, made["id"]))
        restored = done(act(client, editor, made["id"], "restore"))
        assert restored["status"] == "draft"
        assert restored["trashed_at"] is None
        assert_problem(client.get(f"/v1/articles/{made['id']}"), 404)

    @pytest.mark.parametrize("state", ["draft", "published", "scheduled", "archived"])
    def test_purge_outside_the_trash_is_409(
        self, client: TestClient, editor: Key, admin: Key, state: str
    ) -> None:
        article = in_state(client, editor, state)
        assert_problem(act(client, admin, article["id"], "purge"), 409)
        assert read(client, editor, article["id"]) == article

    def test_purge_deletes_for_good(self, client: TestClient, editor: Key, admin: Key) -> None:
        article = in_state(client, editor, "trashed")
        response = act(client, admin, article["id"], "purge")
        assert response.status_code == 204, response.text
        assert_problem(client.get(f"/v1/articles/{article['id']}", headers=admin), 404)
        trashed = client.get("/v1/articles", params={"status": "trashed"}, headers=admin)
        assert ids(trashed) == []


# Who may see what ---------------------------------------------------------------------------

HIDDEN = ["draft", "unpublished", "scheduled", "embargoed", "rescheduled", "archived", "trashed"]
OLIVES = "الزيتون"


def furnish(client: TestClient, editor: Key) -> dict[str, str]:
    """A section, a second section to pin on, a tag, an author and an image."""
    create_section(client, editor)
    create_section(client, editor, slug="opinion", names={"ar": "رأي"})
    tag = create_tag(client, editor, name="الزراعة")
    author = create_author(client, editor, name="نور الهدى سليمان", slug="nour-suleiman")
    media = upload_media(client, editor)
    return {"tag": tag["slug"], "author": author["slug"], "media": media["id"]}


def story(client: TestClient, editor: Key, state: str, links: dict[str, str]) -> dict[str, Any]:
    return in_state(
        client,
        editor,
        state,
        headline=f"موسم قطاف {OLIVES} يبدأ مبكرًا في قرى الجبل",
        summary="المزارعون يتوقعون محصولًا وفيرًا بعد أمطار الشتاء.",
        section="local",
        tags=[links["tag"]],
        authors=[links["author"]],
        hero={"media": links["media"]},
    )


def shown_on(
    client: TestClient, article: dict[str, Any], links: dict[str, str], sibling: str, key: Key
) -> dict[str, bool]:
    """On which public surface the article shows, as ``key`` sees them."""
    article_id = article["id"]

    def found(path: str, **params: str) -> bool:
        response = client.get(path, params=params, headers=key, follow_redirects=False)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    def listed(path: str, **params: str) -> bool:
        return article_id in ids(client.get(path, params=params, headers=key))

    def front(section: str, part: str) -> bool:
        response = client.get(f"/v1/sections/{section}", headers=key)
        assert response.status_code == 200, response.text
        return article_id in [card["id"] for card in response.json()["front"][part]]

    related = client.get(f"/v1/articles/{sibling}", headers=key).json()["related"]
    return {
        "by id": found(f"/v1/articles/{article_id}"),
        "by slug": found(f"/v1/articles/slug/{quote(article['slug'])}"),
        "list": listed("/v1/articles"),
        "section list": listed("/v1/articles", section="local"),
        "tag list": listed("/v1/articles", tag=links["tag"]),
        "author list": listed("/v1/articles", author=links["author"]),
        "section front": front("local", "latest"),
        "pinned on a front": front("opinion", "pinned"),
        "search": listed("/v1/search", q=OLIVES),
        "hero media": found(f"/v1/media/{links['media']}"),
        "hero image": found(f"/v1/media/{links['media']}/image", w="320", fmt="webp"),
        "media list": links["media"] in ids(client.get("/v1/media", headers=key)),
        "related": article_id in [link["id"] for link in related],
    }


class TestVisibility:
    @pytest.mark.parametrize("viewer", ["anonymous", "partner"])
    @pytest.mark.parametrize("state", HIDDEN)
    def test_hidden_on_every_public_surface_until_published(
        self, client: TestClient, editor: Key, database: Database, state: str, viewer: str
    ) -> None:
        key = make_key(database, "partner") if viewer == "partner" else {}
        links = furnish(client, editor)
        article = story(client, editor, state, links)
        sibling = create_article(client, editor, headline="خبر ذو صلة", related=[article["id"]])
        pinned = client.patch(
            "/v1/sections/opinion", json={"pinned": [article["id"]]}, headers=editor
        )
        assert pinned.status_code == 200, pinned.text

        hidden = shown_on(client, article, links, sibling["id"], key)
        assert not any(hidden.values()), hidden

        if state == "trashed":
            done(act(client, editor, article["id"], "restore"))
        done(act(client, editor, article["id"], "publish"))
        shown = shown_on(client, article, links, sibling["id"], key)
        assert all(shown.values()), shown

    def test_partner_cannot_list_drafts(self, client: TestClient, partner: Key) -> None:
        assert_problem(client.get("/v1/articles", params={"status": "draft"}, headers=partner), 403)

    def test_status_filter_without_a_key_is_401(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/articles", params={"status": "scheduled"}), 401)

    def test_partner_reads_are_private(self, client: TestClient, editor: Key, partner: Key) -> None:
        made = create_article(client, editor)
        response = client.get(f"/v1/articles/{made['id']}", headers=partner)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == PRIVATE
        anonymous = client.get(f"/v1/articles/{made['id']}")
        assert anonymous.headers["cache-control"].startswith("public")


class TestEmbargo:
    def test_partner_with_embargo_reads_an_embargoed_article(
        self, client: TestClient, editor: Key, embargo_partner: Key
    ) -> None:
        article = in_state(client, editor, "embargoed")
        response = client.get(f"/v1/articles/{article['id']}", headers=embargo_partner)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == PRIVATE
        body = response.json()
        assert body["embargo"] is True
        assert body["status"] == "scheduled"
        assert body["scheduled_at"] == article["scheduled_at"]
        assert body["headline"] == article["headline"]

    def test_partner_with_embargo_reads_it_by_slug_with_its_images(
        self, client: TestClient, editor: Key, embargo_partner: Key, database: Database
    ) -> None:
        hero = upload_media(client, editor)["id"]
        article = in_state(client, editor, "embargoed", hero={"media": hero})
        by_slug = client.get(f"/v1/articles/slug/{quote(article['slug'])}", headers=embargo_partner)
        assert by_slug.status_code == 200, by_slug.text
        assert by_slug.json()["id"] == article["id"]
        image = client.get(f"/v1/media/{hero}/image", headers=embargo_partner)
        assert image.status_code == 200
        assert image.headers["cache-control"] == PRIVATE
        assert client.get(f"/v1/media/{hero}", headers=embargo_partner).status_code == 200
        # Not for the public, nor for a partner without the grant.
        plain = make_key(database, "partner")
        for key in ({}, plain):
            assert_problem(
                client.get(f"/v1/articles/slug/{quote(article['slug'])}", headers=key), 404
            )
            assert_problem(client.get(f"/v1/media/{hero}/image", headers=key), 404)

    def test_partner_with_embargo_lists_only_embargoed_articles(
        self, client: TestClient, editor: Key, embargo_partner: Key
    ) -> None:
        embargoed = in_state(client, editor, "embargoed")
        in_state(client, editor, "scheduled")
        in_state(client, editor, "draft")
        published = in_state(client, editor, "published")
        response = client.get(
            "/v1/articles", params={"status": "scheduled"}, headers=embargo_partner
        )
        assert ids(response) == [embargoed["id"]]
        assert response.headers["cache-control"] == PRIVATE
        assert ids(client.get("/v1/articles", headers=embargo_partner)) == [published["id"]]

    @pytest.mark.parametrize("state", ["draft", "scheduled", "archived", "trashed"])
    def test_partner_with_embargo_sees_nothing_else_unpublished(
        self, client: TestClient, editor: Key, embargo_partner: Key, state: str
    ) -> None:
        article = in_state(client, editor, state)
        assert_problem(client.get(f"/v1/articles/{article['id']}", headers=embargo_partner), 404)

    @pytest.mark.parametrize("status", ["draft", "published", "archived", "trashed"])
    def test_partner_with_embargo_lists_no_other_status(
        self, client: TestClient, embargo_partner: Key, status: str
    ) -> None:
        response = client.get("/v1/articles", params={"status": status}, headers=embargo_partner)
        assert_problem(response, 403)

    def test_partner_without_the_scope_sees_no_embargo(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        article = in_state(client, editor, "embargoed")
        assert_problem(client.get(f"/v1/articles/{article['id']}", headers=partner), 404)
        listing = client.get("/v1/articles", params={"status": "scheduled"}, headers=partner)
        assert_problem(listing, 403)

    def test_embargo_ends_when_unscheduled(
        self, client: TestClient, editor: Key, embargo_partner: Key
    ) -> None:
        article = in_state(client, editor, "embargoed")
        done(act(client, editor, article["id"], "unschedule"))
        assert_problem(client.get(f"/v1/articles/{article['id']}", headers=embargo_partner), 404)
        listing = client.get(
            "/v1/articles", params={"status": "scheduled"}, headers=embargo_partner
        )
        assert ids(listing) == []

    def test_embargoed_article_is_not_public(self, client: TestClient, editor: Key) -> None:
        article = in_state(client, editor, "embargoed")
        assert_problem(client.get(f"/v1/articles/{article['id']}"), 404)
        assert article["id"] not in ids(client.get("/v1/articles"))

    @pytest.mark.parametrize("action", ["update", "trash", "publish", "preview", "revisions"])
    def test_partner_with_embargo_cannot_write(
        self, client: TestClient, editor: Key, embargo_partner: Key, action: str
    ) -> None:
        article = in_state(client, editor, "embargoed")
        response = perform(client, embargo_partner, article["id"], action, str(article["version"]))
        assert_problem(response, 403)
        assert read(client, editor, article["id"]) == article


# Roles --------------------------------------------------------------------------------------

ROLES = ["admin", "editor", "writer", "partner", None]
EDITORIAL = {"admin": 200, "editor": 200, "writer": 403, "partner": 403, None: 401}
NEWSROOM_READ = {"admin": 200, "editor": 200, "writer": 200, "partner": 403, None: 401}
# (action, state of an article an editor made, what each role gets)
MATRIX: list[tuple[str, str, dict[str | None, int]]] = [
    ("update", "draft", EDITORIAL),  # for a writer: somebody else's draft
    ("update", "published", EDITORIAL),
    ("trash", "draft", EDITORIAL),
    ("trash", "published", EDITORIAL),
    ("restore", "trashed", EDITORIAL),
    ("revert", "draft", EDITORIAL),
    ("publish", "draft", EDITORIAL),
    ("unpublish", "published", EDITORIAL),
    ("archive", "published", EDITORIAL),
    ("schedule", "draft", EDITORIAL),
    ("unschedule", "scheduled", EDITORIAL),
    ("purge", "trashed", {"admin": 204, "editor": 403, "writer": 403, "partner": 403, None: 401}),
    ("preview", "draft", {**NEWSROOM_READ, "admin": 201, "editor": 201, "writer": 201}),
    ("revisions", "draft", NEWSROOM_READ),
]
# A writer and the drafts it made itself: (action, state, status).
WRITER_OWN = [
    ("update", "draft", 200),
    ("trash", "draft", 200),
    ("restore", "trashed", 200),
    ("revert", "draft", 200),
    ("preview", "draft", 201),
    ("revisions", "draft", 200),
    ("publish", "draft", 403),
    ("schedule", "draft", 403),
    ("archive", "draft", 403),
    ("unschedule", "scheduled", 403),
    ("purge", "trashed", 403),
    # Once an editor has published it, it is no longer the writer's to change.
    ("update", "published", 403),
    ("trash", "published", 403),
    ("unpublish", "published", 403),
    ("revert", "published", 403),
    ("update", "scheduled", 403),
    # In the trash it is nobody's to edit until it is restored.
    ("update", "trashed", 409),
]


class TestRoles:
    @pytest.mark.parametrize(
        ("action", "state", "role", "status"),
        [
            pytest.param(action, state, role, expected[role], id=f"{action}-{state}-{role}")
            for action, state, expected in MATRIX
            for role in ROLES
        ],
    )
    def test_role_matrix(
        self,
        client: TestClient,
        database: Database,
        editor: Key,
        action: str,
        state: str,
        role: str | None,
        status: int,
    ) -> None:
        article = in_state(client, editor, state)
        key = make_key(database, role) if role is not None else {}
        response = perform(client, key, article["id"], action, str(article["version"]))
        if status == 401:
            assert_needs_key(response)
        elif status >= 400:
            assert_problem(response, status)
        else:
            assert response.status_code == status, response.text
        if status >= 400:
            assert read(client, editor, article["id"]) == article

    @pytest.mark.parametrize(
        ("action", "state", "status"),
        [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in WRITER_OWN],
    )
    def test_writer_and_its_own_drafts(
        self,
        client: TestClient,
        editor: Key,
        writer: Key,
        action: str,
        state: str,
        status: int,
    ) -> None:
        article = in_state(client, editor, state, owner=writer)
        response = perform(client, writer, article["id"], action, str(article["version"]))
        if status >= 400:
            assert_problem(response, status)
            assert read(client, editor, article["id"]) == article
        else:
            assert response.status_code == status, response.text

    def test_writer_cannot_edit_another_writers_draft(
        self, client: TestClient, database: Database, editor: Key, writer: Key
    ) -> None:
        draft = create_article(client, writer, publish=False)
        other = make_key(database, "writer")
        assert_problem(patch(client, other, draft["id"], str(draft["version"]), urgency=1), 403)
        assert read(client, editor, draft["id"]) == draft

    def test_writer_cannot_restore_a_story_that_was_published(
        self, client: TestClient, editor: Key, writer: Key
    ) -> None:
        """An editor trashed a published story the writer once wrote: undoing that is an
        editor's call."""
        made = create_article(client, writer, publish=False)
        done(act(client, editor, made["id"], "publish"))
        trashed = done(trash(client, editor, made["id"]))
        assert_problem(act(client, writer, made["id"], "restore"), 403)
        assert read(client, editor, made["id"]) == trashed
        assert done(act(client, editor, made["id"], "restore"))["status"] == "draft"

    def test_writer_creates_drafts_only(self, client: TestClient, writer: Key) -> None:
        draft = create_article(client, writer, publish=False)
        assert draft["status"] == "draft"
        response = client.post(
            "/v1/articles", json={"headline": "خبر عاجل", "status": "published"}, headers=writer
        )
        assert_problem(response, 403)

    @pytest.mark.parametrize("role", ["partner", None])
    def test_create_needs_a_newsroom_key(
        self, client: TestClient, database: Database, editor: Key, role: str | None
    ) -> None:
        key = make_key(database, role) if role is not None else {}
        response = client.post("/v1/articles", json={"headline": "خبر"}, headers=key)
        assert_problem(response, 403 if role else 401)
        assert ids(client.get("/v1/articles", params={"status": "draft"}, headers=editor)) == []


# Corrections --------------------------------------------------------------------------------


class TestCorrections:
    def test_correction_is_appended_and_public(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        assert made["corrections"] == []
        first = edit(client, editor, made["id"], correction="  صُحّح اسم الوزير في الفقرة الثانية.  ")
        assert first["version"] == made["version"] + 1
        assert first["headline"] == made["headline"]
        assert [c["note"] for c in first["corrections"]] == ["صُحّح اسم الوزير في الفقرة الثانية."]
        assert instant(first["corrections"][0]["at"]) <= datetime.now(UTC)
        second = edit(client, editor, made["id"], correction="أضيف تاريخ الافتتاح الصحيح.")
        notes = [c["note"] for c in second["corrections"]]
        assert notes == ["صُحّح اسم الوزير في الفقرة الثانية.", "أضيف تاريخ الافتتاح الصحيح."]
        public = client.get(f"/v1/articles/{made['id']}").json()
        assert public["corrections"] == second["corrections"]

    def test_correction_with_other_changes(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        changed = edit(client, editor, made["id"], correction="عُدّل العنوان.", headline="عنوان مصحح")
        assert changed["headline"] == "عنوان مصحح"
        assert [c["note"] for c in changed["corrections"]] == ["عُدّل العنوان."]
        assert changed["version"] == made["version"] + 1

    def test_correction_of_an_unpublished_story_is_kept(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        done(act(client, editor, made["id"], "unpublish"))
        changed = edit(client, editor, made["id"], correction="سُحب الخبر لمراجعة الأرقام.")
        assert [c["note"] for c in changed["corrections"]] == ["سُحب الخبر لمراجعة الأرقام."]

    @pytest.mark.parametrize("state", ["draft", "scheduled"])
    def test_correction_of_a_never_published_article_is_422(
        self, client: TestClient, editor: Key, state: str
    ) -> None:
        article = in_state(client, editor, state)
        response = patch(client, editor, article["id"], str(article["version"]), correction="خطأ")
        problem = assert_problem(response, 422)
        assert ["body", "correction"] in [error["loc"] for error in problem["errors"]]
        assert read(client, editor, article["id"]) == article

    @pytest.mark.parametrize("note", ["", "   ", "\n\t", None])
    def test_blank_correction_is_422(
        self, client: TestClient, editor: Key, note: str | None
    ) -> None:
        made = create_article(client, editor)
        response = patch(client, editor, made["id"], str(made["version"]), correction=note)
        assert_problem(response, 422)
        assert read(client, editor, made["id"]) == made


# Revisions ----------------------------------------------------------------------------------

BODY = [
    {"type": "paragraph", "html": "بدأ موسم الحصاد في السهول الشرقية."},
    {"type": "paragraph", "html": "قال المزارعون إن المحصول أفضل من العام الماضي."},
]


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [block.get("html") or block.get("text") or "" for block in blocks]


class TestRevisions:
    def test_every_write_is_one_revision(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False)
        steps = [
            ("update", lambda: edit(client, editor, made["id"], headline="عنوان جديد")),
            ("publish", lambda: done(act(client, editor, made["id"], "publish"))),
            ("unpublish", lambda: done(act(client, editor, made["id"], "unpublish"))),
            ("schedule", lambda: done(schedule(client, editor, made["id"]))),
            ("unschedule", lambda: done(act(client, editor, made["id"], "unschedule"))),
            ("archive", lambda: done(act(client, editor, made["id"], "archive"))),
            ("publish", lambda: done(act(client, editor, made["id"], "publish"))),
            ("trash", lambda: done(trash(client, editor, made["id"]))),
            ("restore", lambda: done(act(client, editor, made["id"], "restore"))),
        ]
        expected = [(1, "create")]
        for action, step in steps:
            expected.append((step()["version"], action))
        assert [version for version, _ in expected] == list(range(1, len(steps) + 2))
        items = revisions(client, editor, made["id"])
        assert [(item["version"], item["action"]) for item in items] == expected[::-1]

    def test_a_write_that_changes_nothing_stores_nothing(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        again = done(act(client, editor, made["id"], "publish"))
        assert again["version"] == made["version"]
        assert [item["version"] for item in revisions(client, editor, made["id"])] == [1]

    def test_items_say_who_and_what(self, client: TestClient, editor: Key, writer: Key) -> None:
        made = create_article(client, writer, publish=False)
        edit(client, writer, made["id"], headline="الحصاد يبدأ مبكرًا")
        done(act(client, editor, made["id"], "publish"))
        published, updated, created = revisions(client, editor, made["id"])
        assert created["key"] == updated["key"] == prefix_of(writer)
        assert published["key"] == prefix_of(editor)
        assert created["actor"] == f"test writer ({prefix_of(writer)})"
        assert published["actor"] == f"test editor ({prefix_of(editor)})"
        assert "headline" in created["changed"]
        assert "tags" not in created["changed"]
        assert updated["changed"] == ["headline"]
        assert set(published["changed"]) == {"status", "published_at"}
        assert all(item["restored_from"] is None for item in (published, updated, created))
        assert instant(created["created_at"]) <= instant(published["created_at"])
        assert "snapshot" not in created

    def test_pages_with_a_cursor(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False)
        for urgency in (1, 2, 3, 4):
            edit(client, editor, made["id"], urgency=urgency)
        seen: list[int] = []
        url: str | None = f"/v1/articles/{made['id']}/revisions?limit=2"
        pages = 0
        while url is not None:
            response = client.get(url, headers=editor)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [item["version"] for item in page["items"]]
            url = page["links"]["next"]
            if url is not None:
                assert f"cursor={page['next_cursor']}" in url
            else:
                assert page["next_cursor"] is None
            pages += 1
        assert seen == [5, 4, 3, 2, 1]
        assert pages == 3

    def test_get_one_revision_with_its_snapshot(self, client: TestClient, editor: Key) -> None:
        tag = create_tag(client, editor, name="الزراعة")["slug"]
        made = create_article(client, editor, publish=False, body=BODY, tags=[tag])
        edit(client, editor, made["id"], headline="عنوان آخر", tags=[])
        response = client.get(f"/v1/articles/{made['id']}/revisions/1", headers=editor)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == PRIVATE
        first = response.json()
        assert first["version"] == 1
        assert first["action"] == "create"
        assert first["key"] == prefix_of(editor)
        snapshot = first["snapshot"]
        assert snapshot["headline"] == made["headline"]
        assert snapshot["status"] == "draft"
        assert snapshot["tags"] == [tag]
        assert texts(snapshot["body"]) == texts(BODY)
        latest = client.get(f"/v1/articles/{made['id']}/revisions/2", headers=editor).json()
        assert latest["snapshot"]["headline"] == "عنوان آخر"
        assert latest["snapshot"]["tags"] == []

    def test_unknown_version_is_404(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        other = create_article(client, editor, headline="خبر ثان")
        edit(client, editor, other["id"], urgency=1)
        assert_problem(client.get(f"/v1/articles/{made['id']}/revisions/2", headers=editor), 404)
        diff = client.get(
            f"/v1/articles/{made['id']}/diff", params={"from": 1, "to": 2}, headers=editor
        )
        assert_problem(diff, 404)
        restore = client.post(
            f"/v1/articles/{made['id']}/revisions/2/restore", headers={**editor, "If-Match": "1"}
        )
        assert_problem(restore, 404)
        assert read(client, editor, made["id"]) == made

    @pytest.mark.parametrize(
        "path", ["/v1/articles/nosuchid/revisions", "/v1/articles/nosuchid/revisions/1"]
    )
    def test_unknown_article_is_404(self, client: TestClient, editor: Key, path: str) -> None:
        assert_problem(client.get(path, headers=editor), 404)

    @pytest.mark.parametrize("path", ["revisions", "revisions/1", "diff?from=1"])
    def test_reads_need_a_newsroom_key(
        self, client: TestClient, editor: Key, partner: Key, path: str
    ) -> None:
        made = create_article(client, editor)
        assert_needs_key(client.get(f"/v1/articles/{made['id']}/{path}"))
        assert_problem(client.get(f"/v1/articles/{made['id']}/{path}", headers=partner), 403)
        assert client.get(f"/v1/articles/{made['id']}/{path}", headers=editor).status_code == 200

    def test_diff_field_by_field(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False, body=BODY)
        edit(
            client,
            editor,
            made["id"],
            headline="موسم حصاد استثنائي",
            body=[
                {"type": "paragraph", "html": "بدأ موسم الحصاد في السهول الشرقية والغربية."},
                BODY[1],
                {"type": "heading", "level": 2, "text": "الأسعار"},
            ],
        )
        response = client.get(
            f"/v1/articles/{made['id']}/diff", params={"from": 1, "to": 2}, headers=editor
        )
        assert response.status_code == 200, response.text
        diff = response.json()
        assert (diff["article"], diff["from_version"], diff["to_version"]) == (made["id"], 1, 2)
        changes = {change["field"]: change for change in diff["changes"]}
        assert set(changes) == {"headline", "body"}
        assert changes["headline"]["before"] == made["headline"]
        assert changes["headline"]["after"] == "موسم حصاد استثنائي"
        assert changes["headline"]["blocks"] is None
        ops = changes["body"]["blocks"]
        assert [op["op"] for op in ops] == ["replace", "insert"]
        replace, insert = ops
        assert (replace["before"]["start"], replace["before"]["end"]) == (0, 1)
        assert texts(replace["before"]["blocks"]) == [BODY[0]["html"]]
        assert texts(replace["after"]["blocks"]) == ["بدأ موسم الحصاد في السهول الشرقية والغربية."]
        assert (insert["after"]["start"], insert["after"]["end"]) == (2, 3)
        assert insert["before"]["blocks"] == []
        assert texts(insert["after"]["blocks"]) == ["الأسعار"]

    def test_diff_of_a_deleted_block(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False, body=BODY)
        edit(client, editor, made["id"], body=[BODY[1]])
        diff = client.get(
            f"/v1/articles/{made['id']}/diff", params={"from": 1, "to": 2}, headers=editor
        ).json()
        (body,) = [change for change in diff["changes"] if change["field"] == "body"]
        assert [op["op"] for op in body["blocks"]] == ["delete"]
        assert texts(body["blocks"][0]["before"]["blocks"]) == [BODY[0]["html"]]

    def test_diff_defaults_to_the_latest_and_goes_both_ways(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor, publish=False)
        edit(client, editor, made["id"], urgency=2)
        edit(client, editor, made["id"], urgency=3)
        latest = client.get(
            f"/v1/articles/{made['id']}/diff", params={"from": 1}, headers=editor
        ).json()
        assert latest["to_version"] == 3
        assert [(c["field"], c["before"], c["after"]) for c in latest["changes"]] == [
            ("urgency", 5, 3)
        ]
        backwards = client.get(
            f"/v1/articles/{made['id']}/diff", params={"from": 3, "to": 2}, headers=editor
        ).json()
        assert [(c["field"], c["before"], c["after"]) for c in backwards["changes"]] == [
            ("urgency", 3, 2)
        ]
        same = client.get(
            f"/v1/articles/{made['id']}/diff", params={"from": 2, "to": 2}, headers=editor
        ).json()
        assert same["changes"] == []

    def test_diff_needs_from(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        assert_problem(client.get(f"/v1/articles/{made['id']}/diff", headers=editor), 422)

    def test_restore_writes_the_old_content_back(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False, body=BODY, kicker="حصري")
        edit(client, editor, made["id"], headline="عنوان مؤقت", body=[BODY[1]], kicker=None)
        published = done(act(client, editor, made["id"], "publish"))
        response = client.post(
            f"/v1/articles/{made['id']}/revisions/1/restore",
            headers={**editor, "If-Match": str(published["version"])},
        )
        restored = done(response)
        assert restored["version"] == published["version"] + 1
        assert restored["headline"] == made["headline"]
        assert restored["kicker"] == "حصري"
        assert texts(restored["body"]) == texts(BODY)
        assert restored["status"] == "published"
        assert restored["published_at"] == published["published_at"]
        assert client.get(f"/v1/articles/{made['id']}").json()["headline"] == made["headline"]
        newest = revisions(client, editor, made["id"])[0]
        assert newest["version"] == restored["version"]
        assert newest["action"] == "revert"
        assert newest["restored_from"] == 1
        # Nothing is lost: the versions in between are still there.
        assert [item["version"] for item in revisions(client, editor, made["id"])] == [4, 3, 2, 1]

    def test_restore_keeps_the_schedule(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, publish=False)
        edit(client, editor, made["id"], headline="عنوان مؤقت")
        scheduled = done(schedule(client, editor, made["id"], embargo=True))
        response = client.post(
            f"/v1/articles/{made['id']}/revisions/1/restore",
            headers={**editor, "If-Match": str(scheduled["version"])},
        )
        restored = done(response)
        assert restored["headline"] == made["headline"]
        assert restored["status"] == "scheduled"
        assert restored["scheduled_at"] == scheduled["scheduled_at"]
        assert restored["embargo"] is True

    def test_restore_keeps_the_corrections(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        corrected = edit(client, editor, made["id"], correction="صُحّح الرقم الوارد في العنوان.")
        response = client.post(
            f"/v1/articles/{made['id']}/revisions/1/restore",
            headers={**editor, "If-Match": str(corrected["version"])},
        )
        assert done(response)["corrections"] == corrected["corrections"]

    def test_restore_without_a_tag_deleted_since(self, client: TestClient, editor: Key) -> None:
        farming = create_tag(client, editor, name="الزراعة")["slug"]
        weather = create_tag(client, editor, name="الطقس")["slug"]
        made = create_article(client, editor, publish=False, tags=[farming, weather])
        edited = edit(client, editor, made["id"], tags=[weather], headline="عنوان لاحق")
        assert client.delete(f"/v1/tags/{quote(farming)}", headers=editor).status_code == 204
        response = client.post(
            f"/v1/articles/{made['id']}/revisions/1/restore",
            headers={**editor, "If-Match": str(edited["version"])},
        )
        restored = done(response)
        assert [tag["slug"] for tag in restored["tags"]] == [weather]
        assert restored["headline"] == made["headline"]

    def test_restore_needs_if_match(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        edited = edit(client, editor, made["id"], headline="عنوان لاحق")
        url = f"/v1/articles/{made['id']}/revisions/1/restore"
        problem = assert_problem(client.post(url, headers=editor), 428)
        assert problem["current_version"] == edited["version"]
        stale = assert_problem(client.post(url, headers={**editor, "If-Match": "1"}), 412)
        assert stale["current_version"] == edited["version"]
        assert read(client, editor, made["id"]) == edited

    def test_revisions_survive_unpublish_and_trash(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        done(act(client, editor, made["id"], "unpublish"))
        done(trash(client, editor, made["id"]))
        items = revisions(client, editor, made["id"])
        assert [item["action"] for item in items] == ["trash", "unpublish", "create"]
        first = client.get(f"/v1/articles/{made['id']}/revisions/1", headers=editor)
        assert first.status_code == 200, first.text
        assert first.json()["snapshot"]["status"] == "published"

    def test_revisions_go_with_a_purge(self, client: TestClient, editor: Key, admin: Key) -> None:
        article = in_state(client, editor, "trashed")
        assert act(client, admin, article["id"], "purge").status_code == 204
        for path in ("revisions", "revisions/1", "diff?from=1"):
            assert_problem(client.get(f"/v1/articles/{article['id']}/{path}", headers=admin), 404)


# Preview tokens -----------------------------------------------------------------------------


class TestPreview:
    def test_token_reads_the_draft_without_a_key(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        response = client.post(f"/v1/articles/{draft['id']}/preview", headers=editor)
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == PRIVATE
        token = response.json()
        assert token["article"] == draft["id"]
        assert token["url"] == (
            f"http://testserver/v1/articles/{draft['id']}?preview={token['token']}"
        )
        assert instant(token["expires_at"]) > datetime.now(UTC)
        shown = client.get(f"/v1/articles/{draft['id']}", params={"preview": token["token"]})
        assert shown.status_code == 200, shown.text
        assert shown.headers["cache-control"] == PRIVATE
        assert shown.json()["status"] == "draft"
        assert shown.json()["headline"] == draft["headline"]
        assert_problem(client.get(f"/v1/articles/{draft['id']}"), 404)

    def test_the_url_works_as_given(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        response = client.get(preview(client, editor, draft["id"])["url"])
        assert response.status_code == 200, response.text
        assert response.json()["id"] == draft["id"]

    def test_token_shows_later_edits(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        token = preview(client, editor, draft["id"])["token"]
        edit(client, editor, draft["id"], headline="عنوان بعد المراجعة")
        shown = client.get(f"/v1/articles/{draft['id']}", params={"preview": token})
        assert shown.status_code == 200, shown.text
        assert shown.json()["headline"] == "عنوان بعد المراجعة"

    @pytest.mark.parametrize("state", ["scheduled", "embargoed", "archived"])
    def test_token_reads_other_unpublished_states(
        self, client: TestClient, editor: Key, state: str
    ) -> None:
        article = in_state(client, editor, state)
        token = preview(client, editor, article["id"])["token"]
        shown = client.get(f"/v1/articles/{article['id']}", params={"preview": token})
        assert shown.status_code == 200, shown.text
        assert shown.json()["status"] == article["status"]

    def test_ttl(self, client: TestClient, editor: Key, settings: Settings) -> None:
        draft = create_article(client, editor, publish=False)
        before = datetime.now(UTC).replace(microsecond=0)
        short = preview(client, editor, draft["id"], ttl=120)
        default = preview(client, editor, draft["id"])
        after = datetime.now(UTC)
        assert before + timedelta(seconds=120) <= instant(short["expires_at"])
        assert instant(short["expires_at"]) <= after + timedelta(seconds=120)
        assert before + timedelta(seconds=settings.preview_ttl) <= instant(default["expires_at"])
        assert instant(default["expires_at"]) <= after + timedelta(seconds=settings.preview_ttl)
        longest = preview(client, editor, draft["id"], ttl=settings.preview_max_ttl)
        assert instant(longest["expires_at"]) > after + timedelta(days=1)

    @pytest.mark.parametrize("ttl", [59, 0, -60, "max+1"])
    def test_ttl_out_of_bounds_is_422(
        self, client: TestClient, editor: Key, settings: Settings, ttl: int | str
    ) -> None:
        draft = create_article(client, editor, publish=False)
        value = settings.preview_max_ttl + 1 if ttl == "max+1" else ttl
        response = client.post(
            f"/v1/articles/{draft['id']}/preview", json={"ttl": value}, headers=editor
        )
        problem = assert_problem(response, 422)
        assert ["body", "ttl"] in [error["loc"] for error in problem["errors"]]

    def test_unknown_article_is_404(self, client: TestClient, editor: Key) -> None:
        assert_problem(client.post("/v1/articles/nosuchid/preview", headers=editor), 404)

    def test_token_for_another_article_is_403(self, client: TestClient, editor: Key) -> None:
        mine = create_article(client, editor, publish=False)
        other = create_article(client, editor, publish=False, headline="مسودة أخرى")
        token = preview(client, editor, mine["id"])["token"]
        response = client.get(f"/v1/articles/{other['id']}", params={"preview": token})
        assert_problem(response, 403)
        by_slug = client.get(
            f"/v1/articles/slug/{quote(other['slug'])}",
            params={"preview": token},
            follow_redirects=False,
        )
        assert_problem(by_slug, 403)

    @pytest.mark.parametrize("part", ["payload", "signature"])
    def test_tampered_token_is_401(self, client: TestClient, editor: Key, part: str) -> None:
        draft = create_article(client, editor, publish=False)
        token = preview(client, editor, draft["id"])["token"]
        version, payload, signature = token.split(".")
        if part == "payload":
            payload = flip(payload, len(payload) // 2)
        else:
            signature = flip(signature, len(signature) // 2)
        forged = f"{version}.{payload}.{signature}"
        assert forged != token
        response = client.get(f"/v1/articles/{draft['id']}", params={"preview": forged})
        assert_problem(response, 401)

    @pytest.mark.parametrize(
        "token", ["garbage", "p1", "p1.abc", "p1..", "p2.e30.abc", "p1.e30.abc.def", "p1.%%%.x"]
    )
    def test_malformed_token_is_401(self, client: TestClient, editor: Key, token: str) -> None:
        draft = create_article(client, editor, publish=False)
        preview(client, editor, draft["id"])  # a secret exists: the signature is what fails
        response = client.get(f"/v1/articles/{draft['id']}", params={"preview": token})
        assert_problem(response, 401)

    def test_token_with_arabic_letters_is_401(self, client: TestClient, editor: Key) -> None:
        """Someone pastes a token with Arabic text in it: a 401 like any bad token (not a 500)."""
        draft = create_article(client, editor, publish=False)
        token = preview(client, editor, draft["id"])["token"]
        _version, payload, signature = token.split(".")
        response = client.get(
            f"/v1/articles/{draft['id']}", params={"preview": f"p1.{payload}معاينة.{signature}"}
        )
        assert_problem(response, 401)

    def test_expired_token_is_401(
        self, client: TestClient, editor: Key, database: Database, settings: Settings
    ) -> None:
        draft = create_article(client, editor, publish=False)
        with database.session(write=True) as session:
            article = session.scalar(select(Article).where(Article.public_id == draft["id"]))
            key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix_of(editor)))
            assert article is not None and key is not None
            token, expires_at = preview_service.mint(
                session, settings, article=article, key=key, ttl=-60
            )
            session.commit()
        assert expires_at < datetime.now(UTC)
        response = client.get(f"/v1/articles/{draft['id']}", params={"preview": token})
        problem = assert_problem(response, 401)
        assert "expired" in problem["detail"]

    def test_token_dies_with_its_key(
        self, client: TestClient, editor: Key, admin: Key, database: Database
    ) -> None:
        draft = create_article(client, editor, publish=False)
        token = preview(client, editor, draft["id"])["token"]
        url = f"/v1/articles/{draft['id']}"
        assert client.get(url, params={"preview": token}).status_code == 200
        with database.session(write=True) as session:
            key_service.revoke_key(session, prefix=prefix_of(editor))
            session.commit()
        assert_problem(client.get(url, params={"preview": token}), 401)
        # Another key's token still works.
        fresh = preview(client, admin, draft["id"])["token"]
        assert client.get(url, params={"preview": fresh}).status_code == 200

    def test_token_works_by_slug(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False, headline="مسودة عن سوق الخضار")
        token = preview(client, editor, draft["id"])["token"]
        response = client.get(
            f"/v1/articles/slug/{quote(draft['slug'])}",
            params={"preview": token},
            follow_redirects=False,
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == PRIVATE
        assert response.json()["id"] == draft["id"]
        assert_problem(
            client.get(f"/v1/articles/slug/{quote(draft['slug'])}", follow_redirects=False), 404
        )

    def test_token_never_lists_the_draft(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False, headline=f"مسودة عن {OLIVES} المعصور")
        published = create_article(client, editor, headline=f"أسعار {OLIVES} ترتفع")
        token = preview(client, editor, draft["id"])["token"]
        listed = ids(client.get("/v1/articles", params={"preview": token}))
        assert listed == [published["id"]]
        found = ids(client.get("/v1/search", params={"q": OLIVES, "preview": token}))
        assert found == [published["id"]]


# The audit trail ----------------------------------------------------------------------------


class TestArticleAudit:
    def test_every_write_is_recorded(
        self, client: TestClient, admin: Key, editor: Key, writer: Key
    ) -> None:
        made = create_article(client, writer, publish=False)
        article_id = made["id"]
        expected = [("article.create", 1, prefix_of(writer))]
        version = edit(client, writer, article_id, headline="عنوان بعد التحرير")["version"]
        expected.append(("article.update", version, prefix_of(writer)))
        preview(client, writer, article_id)
        expected.append(("article.preview", version, prefix_of(writer)))
        for action in ("publish", "unpublish", "schedule", "unschedule", "archive"):
            if action == "schedule":
                response = schedule(client, editor, article_id)
            else:
                response = act(client, editor, article_id, action)
            expected.append((f"article.{action}", done(response)["version"], prefix_of(editor)))
        version = done(trash(client, editor, article_id))["version"]
        expected.append(("article.trash", version, prefix_of(editor)))
        version = done(act(client, editor, article_id, "restore"))["version"]
        expected.append(("article.restore", version, prefix_of(editor)))
        response = client.post(
            f"/v1/articles/{article_id}/revisions/1/restore",
            headers={**editor, "If-Match": str(version)},
        )
        expected.append(("article.revert", done(response)["version"], prefix_of(editor)))

        events = audit(client, admin, article_id)
        assert [(e["action"], e["version"], e["key"]) for e in events] == expected[::-1]
        assert {(e["item_type"], e["item_id"]) for e in events} == {("article", article_id)}
        update = next(e for e in events if e["action"] == "article.update")
        assert "headline" in update["detail"]["changed"]

    def test_purge_is_recorded(self, client: TestClient, admin: Key, editor: Key) -> None:
        article = in_state(client, editor, "trashed")
        assert act(client, admin, article["id"], "purge").status_code == 204
        events = audit(client, admin, article["id"])
        assert (events[0]["action"], events[0]["key"], events[0]["version"]) == (
            "article.purge",
            prefix_of(admin),
            article["version"],
        )
        assert events[-1]["action"] == "article.create"

    def test_a_refused_write_leaves_no_event(
        self, client: TestClient, admin: Key, editor: Key, writer: Key
    ) -> None:
        draft = create_article(client, editor, publish=False)
        assert_problem(act(client, writer, draft["id"], "publish"), 403)
        stale = client.post(
            f"/v1/articles/{draft['id']}/publish", headers={**editor, "If-Match": "0"}
        )
        assert_problem(stale, 412)
        assert_problem(schedule(client, editor, draft["id"], at="2020-01-01T09:00:00+03:00"), 422)
        assert [e["action"] for e in audit(client, admin, draft["id"])] == ["article.create"]
