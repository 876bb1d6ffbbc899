"""The edge cache in front of the real app: byte-identical answers, nothing private kept, and
every content change purging what it affects, in this process and in another one."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from app.cache_sync import Signal, signal_path
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.services import scheduler
from tests.assertions import Key
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    make_due,
    upload_media,
)


@pytest.fixture
def cached_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"cache_max_mb": 16})


@pytest.fixture
def api(cached_settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(cached_settings, database=database)) as client:
        yield client


@pytest.fixture
def content(api: TestClient, editor: Key) -> dict[str, Any]:
    create_section(api, editor, slug="sport", names={"ar": "رياضة", "en": "Sport"})
    tag = create_tag(api, editor, name="كرة القدم", slug="football")["slug"]
    author = create_author(api, editor, slug="salma")["slug"]
    photo = upload_media(api, editor, caption="الملعب")
    article = create_article(
        api,
        editor,
        headline="فوز كبير في الديربي",
        section="sport",
        tags=[tag],
        authors=[author],
        hero={"media": photo["id"]},
    )
    return {"article": article, "tag": tag, "author": author, "photo": photo}


def public_urls(content: dict[str, Any]) -> list[str]:
    article = content["article"]
    return [
        f"/v1/articles/{article['id']}",
        f"/v1/articles/slug/{article['slug']}",
        f"/v1/articles/{article['id']}/jsonld",
        f"/v1/articles/{article['id']}/ninjs",
        "/v1/articles",
        "/v1/articles?section=sport&limit=5",
        "/v1/sections",
        "/v1/sections/sport",
        "/v1/tags",
        f"/v1/tags/{content['tag']}",
        "/v1/authors",
        f"/v1/authors/{content['author']}",
        "/v1/search?q=الديربي",
        "/v1/feeds/rss",
        "/v1/feeds/atom",
        "/v1/feeds/json?section=sport",
        "/v1/sitemap.xml",
        "/v1/sitemaps/articles-1.xml",
        "/v1/sitemaps/news.xml",
        "/v1/ninjs",
        f"/v1/media/{content['photo']['id']}",
    ]


def unscored(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in hit.items() if k != "score"} for hit in page["items"]]


class TestHits:
    def test_cached_answers_are_byte_identical(
        self, api: TestClient, content: dict[str, Any], settings: Settings, database: Database
    ) -> None:
        with TestClient(create_app(settings, database=database)) as uncached:
            for url in public_urls(content):
                miss = api.get(url)
                hit = api.get(url)
                plain = uncached.get(url)
                assert miss.status_code == 200, (url, miss.text)
                assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT"), url
                assert miss.content == hit.content, url
                if url.startswith("/v1/search"):
                    # Scores decay with age (recency): the same hits, a moment later.
                    assert unscored(hit.json()) == unscored(plain.json()), url
                else:
                    assert hit.content == plain.content, url
                    assert hit.headers["etag"] == plain.headers["etag"], url
                assert hit.headers["content-type"] == plain.headers["content-type"], url

    def test_compressed_when_asked(self, api: TestClient, content: dict[str, Any]) -> None:
        plain = api.get("/v1/feeds/rss", headers={"Accept-Encoding": "identity"})
        zipped = api.get("/v1/feeds/rss", headers={"Accept-Encoding": "gzip"})
        squeezed = api.get("/v1/feeds/rss", headers={"Accept-Encoding": "br"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert squeezed.headers["content-encoding"] == "br"
        # httpx decodes both: the same document.
        assert zipped.content == squeezed.content == plain.content
        assert "Accept-Encoding" in zipped.headers["vary"]

    def test_if_none_match_from_the_cache(self, api: TestClient, content: dict[str, Any]) -> None:
        first = api.get("/v1/feeds/rss")
        again = api.get("/v1/feeds/rss", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["x-cache"] == "HIT"

    @pytest.mark.parametrize(
        "headers",
        [
            {"Accept-Language": "en"},
            {"X-Forwarded-Host": "evil.example"},
            {"X-Forwarded-Proto": "http"},
            {"User-Agent": "Googlebot"},
            {"Origin": "https://evil.example"},
            {"Accept": "application/xml"},
        ],
    )
    def test_headers_the_cache_ignores_do_not_change_the_body(
        self,
        api: TestClient,
        content: dict[str, Any],
        settings: Settings,
        database: Database,
        headers: dict[str, str],
    ) -> None:
        """No poisoning: whatever a first request sends in headers the cache does not key on,
        the body is what anyone gets without them."""
        with TestClient(create_app(settings, database=database)) as uncached:
            for url in public_urls(content)[:8]:
                cached = api.get(url, headers=headers)
                plain = uncached.get(url)
                assert cached.content == plain.content, (url, headers)


class TestNothingPrivateIsKept:
    def test_drafts_previews_and_keyed_answers(
        self, api: TestClient, editor: Key, content: dict[str, Any]
    ) -> None:
        draft = create_article(api, editor, publish=False, headline="مسودة")
        assert api.get(f"/v1/articles/{draft['id']}", headers=editor).status_code == 200
        assert api.get(f"/v1/articles/{draft['id']}").status_code == 404
        token = api.post(f"/v1/articles/{draft['id']}/preview", headers=editor).json()["token"]
        previewed = api.get(f"/v1/articles/{draft['id']}", params={"preview": token})
        assert previewed.status_code == 200
        assert "x-cache" not in previewed.headers  # not even looked up
        listed = api.get("/v1/articles?status=draft", headers=editor)
        assert "x-cache" not in listed.headers
        store = api.app.state.edge  # type: ignore[attr-defined]
        assert all("preview" not in key and "status=" not in key for key in store.entries)
        assert api.get(f"/v1/articles/{draft['id']}").status_code == 404


class TestInvalidation:
    def test_an_unpublished_article_leaves_every_cached_page(
        self, api: TestClient, editor: Key, content: dict[str, Any]
    ) -> None:
        article = content["article"]
        urls = [u for u in public_urls(content) if "/media/" not in u]
        for url in urls:
            assert api.get(url).status_code == 200
            assert api.get(url).headers["x-cache"] == "HIT"
        assert act(api, editor, article["id"], "unpublish").status_code == 200
        assert api.get(f"/v1/articles/{article['id']}").status_code == 404
        for url in ("/v1/articles", "/v1/articles?section=sport&limit=5", "/v1/ninjs"):
            assert article["id"] not in api.get(url).text, url
        for url in ("/v1/feeds/rss", "/v1/feeds/atom", "/v1/feeds/json?section=sport"):
            assert article["headline"] not in api.get(url).text, url
        assert api.get("/v1/search?q=الديربي").json()["items"] == []
        assert article["slug"] not in api.get("/v1/sitemaps/articles-1.xml").text
        front = api.get("/v1/sections/sport").json()
        assert article["id"] not in str(front)

    def test_an_edit_and_a_tag_rename_show_at_once(
        self, api: TestClient, editor: Key, content: dict[str, Any]
    ) -> None:
        article = content["article"]
        path = f"/v1/articles/{article['id']}"
        api.get(path)
        etag = api.get(path, headers=editor).headers["etag"]
        edited = api.patch(
            path, json={"headline": "عنوان معدل"}, headers={**editor, "If-Match": etag}
        )
        assert edited.status_code == 200
        assert api.get(path).json()["headline"] == "عنوان معدل"
        api.get(f"/v1/tags/{content['tag']}")
        renamed = api.patch(f"/v1/tags/{content['tag']}", json={"name": "الكرة"}, headers=editor)
        assert renamed.status_code == 200
        assert api.get(f"/v1/tags/{content['tag']}").json()["name"] == "الكرة"
        assert api.get(path).json()["tags"][0]["name"] == "الكرة"

    def test_scheduled_publication_shows_when_it_happens(
        self, api: TestClient, editor: Key, database: Database, content: dict[str, Any]
    ) -> None:
        story = create_article(api, editor, publish=False, headline="خبر مجدول")
        at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert act(api, editor, story["id"], "schedule", {"at": at}).status_code == 200
        assert story["id"] not in api.get("/v1/articles").text
        assert api.get("/v1/articles").headers["x-cache"] == "HIT"
        make_due(database, story["id"])
        assert scheduler.publish_due(database) == [story["id"]]
        assert story["id"] in api.get("/v1/articles").text

    def test_a_write_through_another_process_is_read_at_once(
        self, cached_settings: Settings, editor: Key, content: dict[str, Any]
    ) -> None:
        """Two server processes (each its own engine and cache) on one store: after the
        first acknowledges a write, the second never answers with the old version."""
        article = content["article"]
        path = f"/v1/articles/{article['id']}"
        one, two = Database(cached_settings.database_url), Database(cached_settings.database_url)
        try:
            with (
                TestClient(create_app(cached_settings, database=one)) as first,
                TestClient(create_app(cached_settings, database=two)) as second,
            ):
                for n in range(5):
                    before = second.get(path)
                    assert second.get(path).headers["x-cache"] == "HIT"
                    etag = first.get(path, headers=editor).headers["etag"]
                    saved = first.patch(
                        path,
                        json={"headline": f"تعديل رقم {n}"},
                        headers={**editor, "If-Match": etag},
                    )
                    assert saved.status_code == 200
                    after = second.get(path)
                    assert after.json()["headline"] == f"تعديل رقم {n}", before.json()["headline"]
                    listed = second.get("/v1/articles").json()["items"]
                    assert listed[0]["headline"] == f"تعديل رقم {n}"
        finally:
            one.dispose()
            two.dispose()

    def test_the_database_poll_catches_writes_without_the_signal(
        self, cached_settings: Settings, editor: Key, content: dict[str, Any]
    ) -> None:
        """A write from elsewhere (another host, the command line) that does not raise this
        host's signal is purged by the poll within its interval."""
        article = content["article"]
        path = f"/v1/articles/{article['id']}"
        fast = cached_settings.model_copy(update={"cache_poll_interval": 0.05})
        other, mine = Database(cached_settings.database_url), Database(fast.database_url)
        try:
            with TestClient(create_app(fast, database=mine)) as reader:
                reader.get(path)
                # The writer has no edge cache, so no hook on its commits.
                with TestClient(create_app(cached_settings.model_copy(
                    update={"cache_max_mb": 0}), database=other)) as writer:  # fmt: skip
                    etag = writer.get(path, headers=editor).headers["etag"]
                    writer.patch(
                        path, json={"headline": "من مكان آخر"}, headers={**editor, "If-Match": etag}
                    )
                deadline = datetime.now(UTC) + timedelta(seconds=5)
                while reader.get(path).json()["headline"] != "من مكان آخر":
                    assert datetime.now(UTC) < deadline, "not purged by the poll"
        finally:
            other.dispose()
            mine.dispose()


class TestMemoryBound:
    def test_the_cache_stays_within_its_bound(
        self, settings: Settings, database: Database, editor: Key
    ) -> None:
        small = settings.model_copy(update={"cache_max_mb": 0.05})  # 52 KB
        with TestClient(create_app(small, database=database)) as api:
            for n in range(30):
                create_article(api, editor, headline=f"خبر رقم {n}", summary="ملخص " * 50)
            for card in api.get("/v1/articles?limit=30").json()["items"]:
                api.get(f"/v1/articles/{card['id']}")
                api.get(f"/v1/articles/{card['id']}", headers={"Accept-Encoding": "gzip"})
            store = api.app.state.edge  # type: ignore[attr-defined]
            assert store.bytes <= store.max_bytes
            assert store.stats["evictions"] > 0


class TestSignal:
    def test_shared_between_processes_and_only_rises(self, settings: Settings) -> None:
        path = signal_path(settings.database_url)
        one, two = Signal(path), Signal(path)
        try:
            start = one.read()
            one.raise_to(start + 5)
            assert two.read() == start + 5
            two.raise_to(start + 3)
            assert one.read() == start + 5
        finally:
            one.close()
            two.close()

    def test_a_rolled_back_write_does_not_raise_it(
        self, api: TestClient, editor: Key, database: Database, content: dict[str, Any]
    ) -> None:
        signal = Signal(signal_path(database.url))
        try:
            before = signal.read()
            stale = api.patch(
                f"/v1/articles/{content['article']['id']}",
                json={"headline": "x"},
                headers={**editor, "If-Match": '"v0"'},
            )
            assert stale.status_code == 412
            assert signal.read() == before
            create_article(api, editor)
            assert signal.read() == before + 1
        finally:
            signal.close()


REDIS_URL = os.environ.get("KHABAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason=f"no Redis at {REDIS_URL}")
class TestRedis:
    """Two hosts: each its own signal file (monkeypatched), so only Redis can tell the one
    what the other wrote (their database polls are an hour apart)."""

    def two_hosts(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, redis_url: Any
    ) -> Settings:
        """Settings for two hosts: each app made with them gets its own signal file, and
        polls the database only once an hour."""
        hosts = iter([tmp_path / "host-a.events", tmp_path / "host-b.events"])
        monkeypatch.setattr("app.main.signal_path", lambda _url: next(hosts))
        return settings.model_copy(
            update={
                "cache_max_mb": 16,
                "redis_url": redis_url,
                "redis_channel": f"khabar-test-{uuid.uuid4().hex}",
                "cache_poll_interval": 3600,
            }
        )

    def edit_and_read(
        self, settings: Settings, editor: Key, article_id: str, *, wait: float
    ) -> tuple[str, str]:
        """(what the reader host answered before the write, what it answers ``wait`` s after
        the writer host acknowledged it)."""
        path = f"/v1/articles/{article_id}"
        one, two = Database(settings.database_url), Database(settings.database_url)
        try:
            with (
                TestClient(create_app(settings, database=one)) as writer,
                TestClient(create_app(settings, database=two)) as reader,
            ):
                if settings.redis_url:
                    for app in (writer.app, reader.app):
                        sync = app.state.cache_sync  # type: ignore[attr-defined]
                        assert sync.listening.wait(5), "not subscribed"
                before = reader.get(path).json()["headline"]
                assert reader.get(path).headers["x-cache"] == "HIT"
                etag = writer.get(path, headers=editor).headers["etag"]
                saved = writer.patch(
                    path, json={"headline": "من المضيف الآخر"}, headers={**editor, "If-Match": etag}
                )
                assert saved.status_code == 200
                deadline = time.monotonic() + wait
                after = reader.get(path).json()["headline"]
                while after == before and time.monotonic() < deadline:
                    time.sleep(0.01)
                    after = reader.get(path).json()["headline"]
                return before, after
        finally:
            one.dispose()
            two.dispose()

    def test_another_host_hears_of_a_write_through_redis(
        self,
        settings: Settings,
        editor: Key,
        content: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Any,
    ) -> None:
        hosts = self.two_hosts(settings, monkeypatch, tmp_path, REDIS_URL)
        before, after = self.edit_and_read(hosts, editor, content["article"]["id"], wait=5)
        assert (before, after) == (content["article"]["headline"], "من المضيف الآخر")

    def test_without_redis_the_other_host_keeps_its_copy_until_its_poll(
        self,
        settings: Settings,
        editor: Key,
        content: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Any,
    ) -> None:
        """The control: the same two hosts without Redis still answer the old version (so
        the test above passes through Redis and nothing else)."""
        hosts = self.two_hosts(settings, monkeypatch, tmp_path, None)
        before, after = self.edit_and_read(hosts, editor, content["article"]["id"], wait=0.5)
        assert before == after == content["article"]["headline"]
