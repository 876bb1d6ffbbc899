"""The outbox: every content change writes one event in its own transaction; a change that
fails or rolls back writes none."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import Event
from app.services import articles as article_service
from tests.assertions import Key
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    make_due,
    trash,
    upload_media,
)


def events(database: Database, after: int = 0) -> list[Event]:
    with database.session() as session:
        return list(session.scalars(select(Event).where(Event.id > after).order_by(Event.id)))


def last_id(database: Database) -> int:
    found = events(database)
    return found[-1].id if found else 0


def patch(client: TestClient, key: Key, path: str, changes: dict[str, Any]) -> Any:
    etag = client.get(path, headers=key).headers["etag"]
    return client.patch(path, json=changes, headers={**key, "If-Match": etag})


class TestArticleEvents:
    def test_the_whole_lifecycle(
        self, client: TestClient, database: Database, editor: Key, admin: Key
    ) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        tag = create_tag(client, editor, name="الطقس")["slug"]
        start = last_id(database)
        article = create_article(client, editor, publish=False, section="news", tags=[tag])
        path = f"/v1/articles/{article['id']}"
        assert patch(client, editor, path, {"headline": "عنوان جديد"}).status_code == 200
        for action in ("publish", "unpublish", "publish", "archive", "publish"):
            assert act(client, editor, article["id"], action).status_code == 200, action
        assert patch(client, editor, path, {"correction": "صححنا الاسم."}).status_code == 200
        assert trash(client, editor, article["id"]).status_code == 200
        assert act(client, editor, article["id"], "restore").status_code == 200
        assert trash(client, editor, article["id"]).status_code == 200
        etag = client.get(path, headers=admin).headers["etag"]
        assert client.post(f"{path}/purge", headers={**admin, "If-Match": etag}).status_code == 204
        found = events(database, start)
        assert [e.type for e in found] == [
            "article.created",
            "article.updated",
            "article.published",
            "article.unpublished",
            "article.published",
            "article.archived",
            "article.published",
            "article.updated",
            "article.trashed",
            "article.restored",
            "article.trashed",
            "article.purged",
        ]
        assert [e.id for e in found] == list(range(start + 1, start + 1 + len(found)))
        assert {e.item_id for e in found} == {article["id"]}
        assert [e.data["public"] for e in found[:5]] == [False, False, True, False, True]
        assert [e.data["was_public"] for e in found[:5]] == [False, False, False, True, False]
        published = found[2]
        assert published.data["sections"] == ["news"]
        assert published.data["tags"] == [tag]
        assert set(published.surrogate_keys) >= {
            f"article:{article['id']}",
            "section:news",
            f"tag:{tag}",
            "articles",
            "feeds",
            "sitemaps",
        }
        # Changes the public never saw purge nothing.
        assert found[0].surrogate_keys == []
        assert found[1].surrogate_keys == []

    def test_schedule_and_scheduler(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        from datetime import UTC, datetime, timedelta

        from app.services import scheduler

        article = create_article(client, editor, publish=False)
        at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        start = last_id(database)
        assert act(client, editor, article["id"], "schedule", {"at": at}).status_code == 200
        assert act(client, editor, article["id"], "unschedule").status_code == 200
        assert act(client, editor, article["id"], "schedule", {"at": at}).status_code == 200
        make_due(database, article["id"])
        assert scheduler.publish_due(database) == [article["id"]]
        assert [e.type for e in events(database, start)] == [
            "article.scheduled",
            "article.unscheduled",
            "article.scheduled",
            "article.published",
        ]

    def test_moving_sections_names_both(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        create_section(client, editor, slug="football", names={"ar": "كرة"}, parent="sport")
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        article = create_article(client, editor, section="football", slug="derby")
        start = last_id(database)
        response = patch(
            client, editor, f"/v1/articles/{article['id']}", {"section": "news", "slug": "derby-2"}
        )
        assert response.status_code == 200
        (event,) = events(database, start)
        assert event.data["sections"] == ["news"]
        assert event.data["previous_sections"] == ["football", "sport"]
        assert event.data["previous_slug"] == "derby"
        assert {"section:news", "section:football", "section:sport"} <= set(event.surrogate_keys)

    def test_related_articles_are_purged_with_it(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        target = create_article(client, editor)
        linking = create_article(client, editor, related=[target["id"]])
        start = last_id(database)
        assert act(client, editor, target["id"], "unpublish").status_code == 200
        (event,) = events(database, start)
        assert f"article:{linking['id']}" in event.surrogate_keys


class TestNoEventWithoutAChange:
    def test_refused_writes_leave_no_event(
        self, client: TestClient, database: Database, editor: Key, writer: Key
    ) -> None:
        article = create_article(client, editor)
        path = f"/v1/articles/{article['id']}"
        start = last_id(database)
        stale = client.patch(path, json={"headline": "x"}, headers={**editor, "If-Match": '"v0"'})
        assert stale.status_code == 412
        assert client.patch(path, json={"headline": "x"}, headers=editor).status_code == 428
        assert act(client, editor, article["id"], "restore").status_code == 409
        assert act(client, writer, article["id"], "unpublish").status_code == 403
        assert client.post("/v1/articles", json={"headline": ""}, headers=editor).status_code == 422
        assert client.delete("/v1/tags/nothing", headers=editor).status_code == 404
        assert events(database, start) == []

    def test_a_write_that_fails_after_its_event_rolls_it_back(
        self,
        client: TestClient,
        database: Database,
        editor: Key,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        article = create_article(client, editor)
        start = last_id(database)

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("the server died before the commit")

        # The response is rendered after the event is written and before the commit.
        monkeypatch.setattr(article_service, "full", broken)
        with pytest.raises(RuntimeError):
            act(client, editor, article["id"], "unpublish")
        monkeypatch.undo()
        assert events(database, start) == []
        assert client.get(f"/v1/articles/{article['id']}").status_code == 200  # still published


class TestOtherEvents:
    def test_sections_tags_authors_media(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        start = last_id(database)
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        assert (
            client.patch(
                "/v1/sections/news", json={"names": {"ar": "الأخبار"}}, headers=editor
            ).status_code
            == 200
        )
        tag = create_tag(client, editor, name="الطقس", slug="weather")
        author = create_author(client, editor, slug="salma")
        media = upload_media(client, editor)
        article = create_article(
            client,
            editor,
            section="news",
            tags=["weather"],
            authors=["salma"],
            hero={"media": media["id"]},
        )
        mid = last_id(database)
        assert (
            client.patch("/v1/tags/weather", json={"name": "طقس"}, headers=editor).status_code
            == 200
        )
        assert (
            patch(
                client, editor, f"/v1/media/{media['id']}", {"caption": {"ar": "تعليق"}}
            ).status_code
            == 200
        )
        assert (
            client.patch(
                "/v1/authors/salma", json={"job_title": "مراسلة"}, headers=editor
            ).status_code
            == 200
        )
        assert client.delete("/v1/tags/weather", headers=editor).status_code == 204
        assert (
            client.post(
                "/v1/sections", json={"slug": "x", "names": {"ar": "س"}}, headers=editor
            ).status_code
            == 201
        )
        assert client.delete("/v1/sections/x", headers=editor).status_code == 204
        found = events(database, start)
        assert [e.type for e in found] == [
            "section.created",
            "section.updated",
            "tag.created",
            "author.created",
            "media.created",
            "article.created",
            "tag.updated",
            "media.updated",
            "author.updated",
            "tag.deleted",
            "section.created",
            "section.deleted",
        ]
        assert tag["slug"] == "weather" and author["slug"] == "salma"
        later = {e.type: e for e in events(database, mid)}
        for kind in ("tag.updated", "media.updated", "author.updated", "tag.deleted"):
            assert f"article:{article['id']}" in later[kind].surrogate_keys, kind
        assert "tag:weather" in later["tag.deleted"].surrogate_keys
        assert f"media:{media['id']}" in later["media.updated"].surrogate_keys

    def test_refused_deletes_leave_no_event(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        create_author(client, editor, slug="salma")
        create_article(client, editor, section="news", authors=["salma"])
        start = last_id(database)
        assert client.delete("/v1/sections/news", headers=editor).status_code == 409
        assert client.delete("/v1/authors/salma", headers=editor).status_code == 409
        assert events(database, start) == []


def test_a_reindex_writes_an_event_that_purges_search(
    client: TestClient, database: Database, editor: Key
) -> None:
    from app.services import search_index

    create_article(client, editor)
    start = last_id(database)
    with database.session(write=True) as session:
        _total, steps = search_index.reindex(session)
        for _ in steps:
            pass
        session.commit()
    (event,) = events(database, start)
    assert (event.type, event.surrogate_keys, event.data) == (
        "search.reindexed",
        ["articles"],
        {"articles": 1},
    )
