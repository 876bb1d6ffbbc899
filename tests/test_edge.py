"""The edge cache as an ASGI layer, around a stand-in app that counts its calls."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from typing import Any

import brotli
import pytest
from starlette.types import Message, Receive, Scope, Send

from app.edge import EdgeCache, EdgeStore, cache_key

BIG = ('{"items": [' + ",".join(['{"headline": "خبر عاجل من المدينة"}'] * 80) + "]}").encode()


class App:
    """Answers every request with ``body`` and ``headers``; remembers what it was asked."""

    def __init__(self, body: bytes = BIG, status: int = 200, **headers: str) -> None:
        self.body = body
        self.status = status
        self.headers = {
            "content-type": "application/json",
            "cache-control": "public, max-age=60, s-maxage=300",
            "etag": '"abc"',
            "surrogate-key": "articles article:a1 section:%D8%B1%D9%8A%D8%A7%D8%B6%D8%A9",
            "vary": "Authorization",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        }
        self.calls: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append(scope)
        headers = [(k.encode(), v.encode()) for k, v in self.headers.items() if v]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def call(
    layer: EdgeCache,
    path: str = "/v1/articles",
    query: str = "",
    method: str = "GET",
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(layer(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def layer_for(app: App, *, max_bytes: int = 10 * 2**20, ttl: float = 300) -> EdgeCache:
    return EdgeCache(app, store=EdgeStore(max_bytes=max_bytes, ttl=ttl))


class TestHits:
    def test_a_hit_is_the_same_bytes_without_the_app(self) -> None:
        app = App()
        layer = layer_for(app)
        first = call(layer)
        second = call(layer)
        assert len(app.calls) == 1
        assert first[0] == second[0] == 200
        assert first[2] == second[2] == BIG
        assert (first[1]["x-cache"], second[1]["x-cache"]) == ("MISS", "HIT")
        assert int(second[1]["content-length"]) == len(BIG)
        assert layer.store.stats["hits"] == 1 and layer.store.stats["misses"] == 1

    def test_query_order_does_not_matter_but_values_do(self) -> None:
        app = App()
        layer = layer_for(app)
        call(layer, query="section=sport&lang=ar&limit=5")
        call(layer, query="lang=ar&limit=5&section=sport")
        assert len(app.calls) == 1
        call(layer, query="lang=en&limit=5&section=sport")
        assert len(app.calls) == 2

    def test_head_is_answered_from_the_get_entry(self) -> None:
        app = App()
        layer = layer_for(app)
        call(layer)
        status, headers, body = call(layer, method="HEAD")
        assert (status, body, len(app.calls)) == (200, b"", 1)
        assert headers["content-length"] == str(len(BIG))

    def test_a_head_miss_asks_the_app_for_the_get(self) -> None:
        app = App()
        layer = layer_for(app)
        assert call(layer, method="HEAD")[2] == b""
        assert app.calls[0]["method"] == "GET"
        assert call(layer)[2] == BIG
        assert len(app.calls) == 1


class TestConditional:
    def test_if_none_match_on_a_hit_and_on_a_miss(self) -> None:
        app = App()
        layer = layer_for(app)
        status, headers, body = call(layer, if_none_match='"abc"')
        assert (status, body) == (304, b"")
        assert headers["etag"] == '"abc"'
        assert "surrogate-key" in headers and "cache-control" in headers
        # The app was asked without the condition, so the full answer is kept.
        assert all(b"if-none-match" not in dict(c["headers"]) for c in app.calls)
        assert call(layer, if_none_match='"other"')[0] == 200
        assert call(layer, if_none_match='W/"abc", "x"')[0] == 304
        assert len(app.calls) == 1


class TestBypass:
    @pytest.mark.parametrize(
        ("path", "query", "headers"),
        [
            ("/v1/articles", "", {"authorization": "Bearer khb_x"}),
            ("/v1/articles", "", {"cookie": "session=1"}),
            ("/v1/articles/a1", "preview=p1.token", {}),
            ("/v1/sync", "", {}),
            ("/v1/media/m1/image", "w=300", {}),
            ("/healthz", "", {}),
        ],
    )
    def test_never_served_nor_kept(self, path: str, query: str, headers: dict[str, str]) -> None:
        app = App()
        layer = layer_for(app)
        for _ in range(2):
            status, _headers, body = call(layer, path, query, **headers)
            assert (status, body) == (200, BIG)
        assert len(app.calls) == 2
        assert layer.store.entries == {}

    @pytest.mark.parametrize(
        "overrides",
        [
            {"cache_control": "private, no-store"},
            {"cache_control": "no-cache"},
            {"cache_control": ""},
            {"set_cookie": "a=b"},
            {"surrogate_key": ""},
        ],
    )
    def test_responses_that_are_not_kept(self, overrides: dict[str, str]) -> None:
        app = App(**overrides)
        layer = layer_for(app)
        call(layer)
        assert call(layer)[1]["x-cache"] == "BYPASS"
        assert len(app.calls) == 2

    def test_errors_and_redirects_are_not_kept(self) -> None:
        for status in (301, 404, 500):
            app = App(status=status)
            layer = layer_for(app)
            call(layer)
            assert call(layer)[0] == status
            assert len(app.calls) == 2

    def test_not_kept_still_answers_if_none_match(self) -> None:
        app = App(cache_control="private, no-store")
        layer = layer_for(app)
        assert call(layer, if_none_match='"abc"')[0] == 304


class TestCompression:
    def test_gzip_and_brotli_each_made_once(self) -> None:
        app = App()
        layer = layer_for(app)
        _, plain, body = call(layer)
        assert "content-encoding" not in plain and body == BIG
        _, zipped, gz = call(layer, accept_encoding="gzip, deflate")
        assert zipped["content-encoding"] == "gzip"
        assert gzip.decompress(gz) == BIG
        assert zipped["etag"] == '"abc"'  # the app's, which If-Match also takes
        assert "Accept-Encoding" in zipped["vary"] and "Authorization" in zipped["vary"]
        _, squeezed, br = call(layer, accept_encoding="gzip, br")
        assert squeezed["content-encoding"] == "br"
        assert brotli.decompress(br) == BIG
        assert call(layer, accept_encoding="br;q=0, gzip")[1]["content-encoding"] == "gzip"
        assert "content-encoding" not in call(layer, accept_encoding="identity")[1]
        assert len(app.calls) == 1
        entry = next(iter(layer.store.entries.values()))
        assert set(entry.encoded) == {"gzip", "br"}
        assert call(layer, accept_encoding="gzip", if_none_match='W/"abc"')[0] == 304

    def test_small_or_binary_bodies_are_not_compressed(self) -> None:
        small = layer_for(App(body=b'{"a": 1}'))
        assert "content-encoding" not in call(small, accept_encoding="gzip")[1]
        binary = layer_for(App(content_type="image/jpeg"))
        assert "content-encoding" not in call(binary, accept_encoding="gzip")[1]


class TestPurge:
    def test_purge_drops_exactly_the_tagged_entries(self) -> None:
        app = App()
        layer = layer_for(app)
        call(layer, "/v1/articles/a1")
        other = App(surrogate_key="article:a2")
        layer.app = other
        call(layer, "/v1/articles/a2")
        assert layer.store.purge({"article:a1"}) == 1
        assert list(layer.store.entries) == ["/v1/articles/a2"]
        # Keys arrive percent-encoded and are indexed decoded, as events name them.
        layer.app = app
        call(layer, "/v1/articles/a1")
        assert layer.store.purge({"section:رياضة"}) == 1

    def test_a_purge_during_a_miss_keeps_the_answer_out(self) -> None:
        store = EdgeStore(max_bytes=2**20, ttl=300)

        class Racing(App):
            async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
                store.purge({"article:a1"})  # a change committed while this was rendered
                await super().__call__(scope, receive, send)

        layer = EdgeCache(Racing(), store=store)
        assert call(layer)[0] == 200
        assert store.entries == {}

    def test_entries_expire(self, monkeypatch: pytest.MonkeyPatch) -> None:
        clock = [1000.0]
        monkeypatch.setattr("app.edge._now", lambda: clock[0])
        app = App()
        layer = layer_for(app, ttl=300)
        call(layer)
        clock[0] += 299
        call(layer)
        clock[0] += 2
        call(layer)
        assert len(app.calls) == 2


class TestMemory:
    def test_the_bound_holds_and_the_least_recent_goes_first(self) -> None:
        app = App()
        store = EdgeStore(max_bytes=len(BIG) * 5, ttl=300)
        layer = EdgeCache(app, store=store)
        paths = [f"/v1/articles/a{n}" for n in range(12)]
        for path in paths[:4]:
            call(layer, path)
        call(layer, paths[0])  # recently used
        for path in paths[4:]:
            call(layer, path, accept_encoding="gzip, br")  # compressed copies count too
            assert store.bytes <= store.max_bytes
        assert store.bytes == sum(e.size for e in store.entries.values())
        assert paths[1] not in store.entries
        assert store.stats["evictions"] > 0
        assert set(store.entries) <= set(paths)
        # The index of keys follows the evictions.
        assert all(k in store.entries for ks in store.by_key.values() for k in ks)

    def test_an_entry_larger_than_the_cache_is_not_kept(self) -> None:
        layer = layer_for(App(), max_bytes=100)
        call(layer)
        assert layer.store.entries == {}


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/v1/articles", "", "/v1/articles"),
        ("/v1/articles", "b=2&a=1", "/v1/articles?a=1&b=2"),
        ("/v1/articles", "tag=x&a=1&tag=y", "/v1/articles?a=1&tag=x&tag=y"),
        ("/v1/search", "q=%D8%AE%D8%A8%D8%B1", "/v1/search?q=%D8%AE%D8%A8%D8%B1"),
        ("/docs", "", None),
        ("/v1/keys", "", None),
        ("/v1/audit", "", None),
        ("/v1/webhooks", "", None),
    ],
)
def test_cache_key(path: str, query: str, expected: str | None) -> None:
    scope: dict[str, Any] = {"path": path, "query_string": query.encode(), "headers": []}
    assert cache_key(scope) == expected


def test_stats_count_every_request() -> None:
    app = App()
    layer = layer_for(app)
    calls: list[Callable[[], object]] = [
        lambda: call(layer),
        lambda: call(layer),
        lambda: call(layer, authorization="Bearer x"),
    ]
    for make in calls:
        make()
    assert {k: layer.store.stats[k] for k in ("hits", "misses", "bypasses")} == {
        "hits": 1,
        "misses": 1,
        "bypasses": 1,
    }


class TestIfModifiedSince:
    def test_against_last_modified(self) -> None:
        app = App(last_modified="Tue, 01 Dec 2026 10:00:00 GMT")
        layer = layer_for(app)
        call(layer)
        cases = {
            "Tue, 01 Dec 2026 10:00:00 GMT": 304,
            "Tue, 01 Dec 2026 11:00:00 GMT": 304,
            "Tue, 01 Dec 2026 09:59:59 GMT": 200,
            "not a date": 200,
        }
        for since, status in cases.items():
            assert call(layer, if_modified_since=since)[0] == status, since
        # If-None-Match decides when both are sent.
        both = call(
            layer, if_none_match='"other"', if_modified_since="Tue, 01 Dec 2026 11:00:00 GMT"
        )
        assert both[0] == 200
        assert len(app.calls) == 1
