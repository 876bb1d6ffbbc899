"""The API root, the health check, and what unknown paths and methods answer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.assertions import assert_problem


class TestApiRoot:
    def test_links_to_every_collection(self, client: TestClient) -> None:
        response = client.get("/v1")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "Khabar"
        assert body["default_language"] == "ar"
        assert body["version"]
        assert body["links"] == {
            "articles": "http://testserver/v1/articles",
            "sections": "http://testserver/v1/sections",
            "tags": "http://testserver/v1/tags",
            "authors": "http://testserver/v1/authors",
            "search": "http://testserver/v1/search",
            "media": "http://testserver/v1/media",
            "site": "http://testserver/v1/site",
            "feeds": {
                "rss": "http://testserver/v1/feeds/rss",
                "atom": "http://testserver/v1/feeds/atom",
                "jsonfeed": "http://testserver/v1/feeds/json",
            },
            "sitemap": "http://testserver/v1/sitemap.xml",
            "news_sitemap": "http://testserver/v1/sitemaps/news.xml",
            "ninjs": "http://testserver/v1/ninjs",
            "docs": "http://testserver/docs",
            "openapi": "http://testserver/openapi.json",
        }

    def test_every_link_answers(self, client: TestClient) -> None:
        links = client.get("/v1").json()["links"]
        feeds = links.pop("feeds")
        search = links.pop("search")
        for url in [*links.values(), *feeds.values()]:
            assert client.get(url).status_code == 200, url
        assert client.get(search, params={"q": "خبر"}).status_code == 200

    def test_links_use_the_base_url(self, settings: Settings, database: Database) -> None:
        elsewhere = settings.model_copy(update={"base_url": "https://api.example.org/news/"})
        with TestClient(create_app(elsewhere, database=database)) as client:
            links = client.get("/v1").json()["links"]
        assert links["articles"] == "https://api.example.org/news/v1/articles"
        assert links["openapi"] == "https://api.example.org/news/openapi.json"

    def test_is_publicly_cacheable(self, client: TestClient) -> None:
        response = client.get("/v1")
        assert response.headers["cache-control"].startswith("public, max-age=60")

    def test_etag_gives_304(self, client: TestClient) -> None:
        first = client.get("/v1")
        again = client.get("/v1", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]

    def test_other_etag_gives_200(self, client: TestClient) -> None:
        response = client.get("/v1", headers={"If-None-Match": '"something-else"'})
        assert response.status_code == 200


class TestHealth:
    def test_ok(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestUnknownPath:
    def test_is_a_404_problem(self, client: TestClient) -> None:
        body = assert_problem(client.get("/v1/videos"), 404)
        assert body["title"] == "Not found"

    def test_outside_v1_is_a_404_problem(self, client: TestClient) -> None:
        assert_problem(client.get("/v2/articles"), 404)

    def test_problem_is_not_cached(self, client: TestClient) -> None:
        response = client.get("/nowhere")
        assert response.headers["cache-control"] == "no-store"


class TestWrongMethod:
    def test_is_a_405_problem(self, client: TestClient) -> None:
        response = client.put("/v1/sections", json={})
        body = assert_problem(response, 405)
        assert body["title"] == "Method not allowed"
        assert "GET" in response.headers["allow"]

    def test_allow_lists_every_method(self, client: TestClient) -> None:
        response = client.put("/v1/sections", json={})
        allowed = set(response.headers["allow"].replace(" ", "").split(","))
        assert allowed == {"GET", "HEAD", "POST"}

    def test_on_the_root(self, client: TestClient) -> None:
        assert_problem(client.delete("/v1"), 405)

    def test_on_one_tag(self, client: TestClient) -> None:
        assert_problem(client.post("/v1/tags/transport", json={}), 405)


class TestHead:
    def test_head_has_the_get_headers_and_no_body(self, client: TestClient) -> None:
        got = client.get("/v1")
        head = client.head("/v1")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == got.headers["etag"]
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers["cache-control"] == got.headers["cache-control"]

    def test_head_answers_304_to_a_matching_etag(self, client: TestClient) -> None:
        etag = client.get("/v1/sections").headers["etag"]
        assert client.head("/v1/sections", headers={"If-None-Match": etag}).status_code == 304

    def test_head_of_a_missing_article_is_404(self, client: TestClient) -> None:
        response = client.head("/v1/articles/nothing-here")
        assert response.status_code == 404
        assert response.content == b""
