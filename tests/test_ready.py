"""Ready-made public JSON (app.services.ready): article pages and list cards kept as bytes.

What is checked: the public gets the same bytes and headers from a ready-made row as from a
page built anew; rows exist only for published articles and go in the transaction of the change
that alters them (tests/test_surrogate_keys.py checks every kind of change against a rebuild);
a read that raced a change keeps nothing; rows built for other settings are not served; and
readers racing an editor never leave an old version behind.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Article, ReadyArticle, ReadyCard
from app.services import events as event_service
from app.services import ready, scheduler
from tests.assertions import Key
from tests.factories import act, create_article, create_section, create_tag, make_due, trash

HEADERS = ("etag", "cache-control", "surrogate-key", "vary", "last-modified", "link")


def same(one: httpx2.Response, other: httpx2.Response) -> None:
    assert one.status_code == other.status_code == 200, (one.text, other.text)
    assert one.content == other.content
    for name in HEADERS:
        assert one.headers.get(name) == other.headers.get(name), name


def rows(database: Database) -> tuple[int, int]:
    """Ready article pages and cards stored."""
    with database.session() as session:
        pages = session.scalar(select(func.count()).select_from(ReadyArticle)) or 0
        cards = session.scalar(select(func.count()).select_from(ReadyCard)) or 0
    return pages, cards


def clear(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(delete(ReadyArticle))
        conn.execute(delete(ReadyCard))


def patch(client: TestClient, key: Key, article_id: str, changes: dict[str, Any]) -> None:
    path = f"/v1/articles/{article_id}"
    etag = client.get(path, headers=key).headers["etag"]
    response = client.patch(path, json=changes, headers={**key, "If-Match": etag})
    assert response.status_code == 200, response.text


@pytest.fixture
def story(client: TestClient, editor: Key) -> dict[str, Any]:
    create_section(client, editor)
    tag = create_tag(client, editor)["slug"]
    related = create_article(client, editor, headline="خبر ذو صلة")["id"]
    return create_article(client, editor, section="local", tags=[tag], related=[related])


class TestSameBytes:
    def test_article_page_built_kept_and_served(
        self, client: TestClient, database: Database, story: dict[str, Any]
    ) -> None:
        path = f"/v1/articles/{story['id']}"
        assert rows(database)[0] == 0  # writers build nothing
        built = client.get(path)
        assert rows(database)[0] == 1  # kept once sent
        served = client.get(path)
        same(built, served)
        assert served.json()["headline"] == story["headline"]
        by_slug = client.get(f"/v1/articles/slug/{quote(story['slug'])}")
        same(by_slug, served)
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == served.headers["etag"]

    def test_not_modified_from_a_ready_page(
        self, client: TestClient, story: dict[str, Any]
    ) -> None:
        path = f"/v1/articles/{story['id']}"
        etag = client.get(path).headers["etag"]
        for _ in range(2):  # built, then ready-made
            again = client.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert again.headers["surrogate-key"]

    @pytest.mark.parametrize(
        "query",
        [
            "",
            "?limit=2",
            "?section=local",
            "?lang=ar",
            "?tag=%D8%A7%D9%84%D9%86%D9%82%D9%84-%D8%A7%D9%84%D8%B9%D8%A7%D9%85",
        ],
    )
    def test_list_is_the_cards_a_newsroom_key_gets(
        self,
        client: TestClient,
        database: Database,
        editor: Key,
        story: dict[str, Any],
        query: str,
    ) -> None:
        """Public lists join ready-made cards; a newsroom key's list (not ready-made, private)
        has the same body while every article is published."""
        create_article(client, editor, headline="خبر ثالث", section="local")
        path = f"/v1/articles{query}"
        built = client.get(path)
        served = client.get(path)
        same(built, served)
        assert rows(database)[1] >= len(served.json()["items"]) > 0
        keyed = client.get(path, headers=editor)
        assert keyed.content == served.content
        assert keyed.headers["cache-control"] == "private, no-store"

    def test_next_page_link_and_header(self, client: TestClient, editor: Key) -> None:
        for n in range(3):
            create_article(client, editor, headline=f"خبر رقم {n}")
        first = client.get("/v1/articles?limit=2")
        body = first.json()
        assert [len(body["items"]), body["next_cursor"] is not None] == [2, True]
        assert first.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'
        second = client.get(body["links"]["next"])
        assert len(second.json()["items"]) == 1
        assert second.json()["next_cursor"] is None

    def test_part_ready_list(
        self, client: TestClient, database: Database, editor: Key, story: dict[str, Any]
    ) -> None:
        whole = client.get("/v1/articles")
        newer = create_article(client, editor, headline="خبر أحدث")
        # The new article's card is built; the others come ready-made.
        after = client.get("/v1/articles")
        assert [i["id"] for i in after.json()["items"]] == [
            newer["id"],
            *(i["id"] for i in whole.json()["items"]),
        ]
        clear(database)
        same(client.get("/v1/articles"), after)

    def test_section_front_joins_ready_cards(
        self, client: TestClient, database: Database, editor: Key, story: dict[str, Any]
    ) -> None:
        pinned = create_article(client, editor, headline="خبر مثبت", section="local")
        withdrawn = create_article(client, editor, headline="خبر سيسحب", section="local")
        newest = create_article(client, editor, headline="أحدث خبر", section="local")
        pins = {"pinned": [withdrawn["id"], pinned["id"]]}
        assert client.patch("/v1/sections/local", json=pins, headers=editor).status_code == 200
        assert act(client, editor, withdrawn["id"], "unpublish").status_code == 200
        clear(database)
        built = client.get("/v1/sections/local")
        assert rows(database)[1] == 3  # the cards on it, kept
        served = client.get("/v1/sections/local")
        same(built, served)
        front = served.json()["front"]
        listed = client.get("/v1/articles?section=local").json()["items"]
        assert front["pinned"] == [c for c in listed if c["id"] == pinned["id"]]
        assert front["latest"] == [c for c in listed if c["id"] != pinned["id"]]
        assert [c["id"] for c in front["latest"]] == [newest["id"], story["id"]]
        # The site's language is the same front; a key holder gets the same body, private.
        same(client.get("/v1/sections/local?lang=ar"), served)
        keyed = client.get("/v1/sections/local", headers=editor)
        assert keyed.content == served.content
        assert keyed.headers["cache-control"] == "private, no-store"
        # In another language, cards built for it (an Arabic article's section keeps its
        # Arabic name).
        english = client.get("/v1/sections/local?lang=en").json()
        assert english["name"] == "Local"
        assert english["front"] == front

    @pytest.mark.parametrize(
        "path", ["/v1/feeds/rss", "/v1/feeds/atom?section=local", "/v1/feeds/json?lang=ar"]
    )
    def test_feed_items_from_ready_pages(
        self,
        client: TestClient,
        database: Database,
        editor: Key,
        story: dict[str, Any],
        path: str,
    ) -> None:
        create_article(client, editor, headline="خبر ثالث", section="local")
        clear(database)
        built = client.get(path)
        assert built.status_code == 200, built.text
        assert rows(database)[0] >= 2  # the pages of its items, kept
        served = client.get(path)
        same(served, built)
        pages = rows(database)[0]
        article = client.get(f"/v1/articles/{story['id']}")  # from the page the feed kept
        assert rows(database)[0] == pages
        clear(database)
        assert client.get(f"/v1/articles/{story['id']}").content == article.content

    def test_sparse_fields_and_keys_are_not_ready_made(
        self, client: TestClient, database: Database, editor: Key, story: dict[str, Any]
    ) -> None:
        for path in (f"/v1/articles/{story['id']}?fields=headline", "/v1/articles?fields=id"):
            assert client.get(path).status_code == 200
        assert client.get(f"/v1/articles/{story['id']}", headers=editor).status_code == 200
        assert client.get("/v1/articles", headers=editor).status_code == 200
        assert rows(database) == (0, 0)


class TestOnlyWhatIsPublished:
    def test_unpublish_and_trash_delete_the_rows(
        self, client: TestClient, database: Database, editor: Key, story: dict[str, Any]
    ) -> None:
        path = f"/v1/articles/{story['id']}"
        client.get(path)
        client.get("/v1/articles")
        assert rows(database) == (1, 2)
        assert act(client, editor, story["id"], "unpublish").status_code == 200
        assert client.get(path).status_code == 404
        assert story["id"] not in [i["id"] for i in client.get("/v1/articles").json()["items"]]
        assert rows(database) == (0, 1)  # the related article's card stays
        assert act(client, editor, story["id"], "publish").status_code == 200
        assert client.get(path).status_code == 200
        assert trash(client, editor, story["id"]).status_code == 200
        assert client.get(path).status_code == 404
        assert rows(database)[0] == 0

    def test_a_draft_is_never_kept(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        draft = create_article(client, editor, publish=False)
        assert client.get(f"/v1/articles/{draft['id']}").status_code == 404
        assert client.get(f"/v1/articles/{draft['id']}", headers=editor).status_code == 200
        assert client.get("/v1/articles").json()["items"] == []
        assert rows(database) == (0, 0)

    def test_edit_rebuilds_the_page(
        self, client: TestClient, editor: Key, story: dict[str, Any]
    ) -> None:
        path = f"/v1/articles/{story['id']}"
        old = client.get(path)
        patch(client, editor, story["id"], {"headline": "عنوان جديد"})
        new = client.get(path)
        assert new.json()["headline"] == "عنوان جديد"
        assert new.headers["etag"] != old.headers["etag"]
        assert client.get("/v1/articles").json()["items"][0]["headline"] == "عنوان جديد"


class TestScheduledPublication:
    def test_pages_that_link_to_it_show_it_at_once(
        self, client: TestClient, database: Database, editor: Key
    ) -> None:
        """The scheduler publishes outside any request: the ready-made page of an article
        related to the scheduled one, and the list's cards, are still rebuilt."""
        later = create_article(client, editor, publish=False, headline="خبر مجدول")
        at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert act(client, editor, later["id"], "schedule", {"at": at}).status_code == 200
        linking = create_article(client, editor, related=[later["id"]])
        path = f"/v1/articles/{linking['id']}"
        assert client.get(path).json()["related"] == []
        assert client.get(path).json()["related"] == []  # from its ready-made page
        client.get("/v1/articles")
        make_due(database, later["id"])
        assert scheduler.publish_due(database) == [later["id"]]
        assert [a["id"] for a in client.get(path).json()["related"]] == [later["id"]]
        listed = [i["id"] for i in client.get("/v1/articles").json()["items"]]
        assert later["id"] in listed
        assert client.get(f"/v1/articles/{later['id']}").json()["headline"] == "خبر مجدول"


class TestKeep:
    def test_a_read_that_raced_a_change_keeps_nothing(
        self,
        client: TestClient,
        database: Database,
        settings: Settings,
        editor: Key,
        story: dict[str, Any],
    ) -> None:
        with database.session() as session:
            seen = event_service.current_number(session)
            article = session.scalars(select(Article).where(Article.public_id == story["id"])).one()
        page = ready.Page(b"{}", '"stale"', article.updated_at, "")
        assert article.published_at is not None
        row = ready.page_row(
            settings,
            article_id=article.id,
            public_id=article.public_id,
            published_at=article.published_at,
            page=page,
        )
        patch(client, editor, story["id"], {"headline": "تغيّر أثناء القراءة"})
        assert ready.keep(database, seen, pages=[row]) is False
        assert rows(database) == (0, 0)
        served = client.get(f"/v1/articles/{story['id']}")
        assert served.json()["headline"] == "تغيّر أثناء القراءة"
        # With nothing committed since it read, the same keep stores its row.
        with database.session() as session:
            seen = event_service.current_number(session)
        clear(database)
        assert ready.keep(database, seen, pages=[row]) is True
        assert client.get(f"/v1/articles/{story['id']}").content == b"{}"

    def test_rows_for_other_settings_are_not_served(
        self,
        client: TestClient,
        database: Database,
        settings: Settings,
        story: dict[str, Any],
    ) -> None:
        path = f"/v1/articles/{story['id']}"
        assert client.get(path).json()["url"].startswith("http://testserver/")
        moved = settings.model_copy(update={"base_url": "https://api.example.com"})
        assert ready.format_of(moved) != ready.format_of(settings)
        with TestClient(create_app(moved, database=database)) as other:
            page = other.get(path)
            assert page.json()["url"] == f"https://api.example.com/v1/articles/{story['id']}"
            assert other.get(path).content == page.content  # its own row now
            listed = other.get("/v1/articles").json()["items"][0]["url"]
            assert listed.startswith("https://api.example.com/")


class TestReadersRacingAnEditor:
    def test_no_old_version_is_left_behind(
        self, client: TestClient, database: Database, editor: Key, story: dict[str, Any]
    ) -> None:
        """Readers fetch the page and the list while an editor saves ten headlines; once the
        editor is done, every public read shows the last one."""
        path = f"/v1/articles/{story['id']}"
        done = threading.Event()
        failures: list[str] = []

        def read() -> None:
            while not done.is_set():
                for target in (path, "/v1/articles"):
                    response = client.get(target)
                    if response.status_code != 200:
                        failures.append(f"{target}: {response.status_code}")

        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        try:
            for n in range(10):
                patch(client, editor, story["id"], {"headline": f"العنوان رقم {n}"})
        finally:
            done.set()
            for thread in readers:
                thread.join()
        assert not failures
        last = "العنوان رقم 9"
        assert client.get(path).json()["headline"] == last
        items = client.get("/v1/articles").json()["items"]
        assert [i["headline"] for i in items if i["id"] == story["id"]] == [last]


class TestLane:
    """app.lane answers ready-made reads before FastAPI, and leaves everything else to it."""

    def test_ready_reads_skip_the_app(
        self,
        client: TestClient,
        editor: Key,
        story: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        paths = [
            f"/v1/articles/{story['id']}",
            f"/v1/articles/slug/{quote(story['slug'])}",
            "/v1/articles",
            "/v1/articles?limit=1",
        ]
        before = [client.get(path) for path in paths]  # built and kept by the routes
        page = client.get(paths[3]).json()
        deep = f"/v1/articles?limit=1&cursor={page['next_cursor']}"
        before.append(client.get(deep))
        paths.append(deep)

        def no_route(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("the route ran")

        monkeypatch.setattr("app.routers.articles._public_article", no_route)
        monkeypatch.setattr("app.routers.articles._public_list", no_route)
        for path, built in zip(paths, before, strict=True):
            same(client.get(path), built)
        # What the lane does not take reaches the routes.
        with pytest.raises(AssertionError, match="the route ran"):
            client.get("/v1/articles?limit=1&limit=2")
        with pytest.raises(AssertionError, match="the route ran"):
            client.get(f"/v1/articles/{story['id']}", headers={"Cookie": "session=1"})
        assert client.get("/v1/articles", headers=editor).status_code == 200

    def test_a_lost_connection_is_not_used_again(
        self,
        client: TestClient,
        database: Database,
        story: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """On PostgreSQL the lane looks up on connections of its own: when the server ends
        them, the next read is answered by the app, and the one after by the lane again, on a
        new connection."""
        if database.is_sqlite:
            pytest.skip("on SQLite the lane uses the app's pool")
        path = f"/v1/articles/{story['id']}"
        built = client.get(path)  # built, kept
        same(client.get(path), built)  # from the lane
        ended = text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = :name AND datname = current_database()"
        )
        with database.engine.begin() as conn:
            assert conn.execute(ended, {"name": ready.LOOKUPS_NAME}).scalar_one() >= 1
        same(client.get(path), built)  # the lane failed (and logged it): the app answered

        def no_route(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("the route ran")

        monkeypatch.setattr("app.routers.articles._public_article", no_route)
        same(client.get(path), built)

    @pytest.mark.parametrize(
        ("query", "status"),
        [("cursor=not-a-cursor", 400), ("limit=0", 422), ("limit=101", 422), ("limit=ten", 422)],
    )
    def test_bad_queries_get_the_apps_problem(
        self, client: TestClient, story: dict[str, Any], query: str, status: int
    ) -> None:
        client.get("/v1/articles")  # every card ready
        response = client.get(f"/v1/articles?{query}")
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"

    def test_head_and_not_modified(self, client: TestClient, story: dict[str, Any]) -> None:
        path = f"/v1/articles/{story['id']}"
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == got.headers["etag"]
        again = client.get(path, headers={"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["surrogate-key"] == got.headers["surrogate-key"]

    def test_a_slug_in_two_languages(
        self, client: TestClient, editor: Key, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        english = create_article(client, editor, lang="en", slug="shared", headline="Bridge")
        arabic = create_article(client, editor, slug="shared", headline="جسر")
        path = "/v1/articles/slug/shared"
        built = client.get(path)
        assert built.json()["id"] == arabic["id"]  # the site's language first
        client.get(f"/v1/articles/{english['id']}")  # both ready-made
        served = client.get(path)
        same(served, built)
        assert client.get(f"{path}?lang=en").json()["id"] == english["id"]

    def test_slug_not_in_normal_form_redirects(
        self, client: TestClient, story: dict[str, Any]
    ) -> None:
        client.get(f"/v1/articles/{story['id']}")
        odd = story["slug"][0] + "\u064e" + story["slug"][1:]  # a fatha: folds to the slug
        assert odd != story["slug"]
        response = client.get(f"/v1/articles/slug/{quote(odd)}", follow_redirects=False)
        assert response.status_code == 301
        assert response.headers["location"] == f"/v1/articles/slug/{quote(story['slug'])}"

    def test_unknown_id_is_the_apps_404(self, client: TestClient) -> None:
        response = client.get("/v1/articles/0000000000000000")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
