"""Surrogate-Key on public responses: each names the content its body shows, with the keys the
events of app.services.events carry, so that purging a change's keys purges every cached
response that showed the change (and a CDN may keep the rest)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import httpx2
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import delete, func, select

from app.db import Database
from app.models import Event, ReadyArticle, ReadyCard
from app.services import scheduler
from tests.assertions import Key
from tests.factories import act, create_article, create_author, create_section, create_tag, make_due
from tests.factories import upload_media as upload

BASE = "http://testserver"


def keys_of(response: httpx2.Response) -> set[str]:
    """The Surrogate-Key header, decoded (empty when there is none)."""
    header = response.headers.get("surrogate-key")
    if header is None:
        return set()
    keys = header.split(" ")
    assert keys == sorted(set(keys)), header  # sorted, each once
    assert header.isascii(), header
    return {unquote(key) for key in keys}


def patch(client: TestClient, key: Key, path: str, changes: dict[str, Any]) -> None:
    etag = client.get(path, headers=key).headers["etag"]
    response = client.patch(path, json=changes, headers={**key, "If-Match": etag})
    assert response.status_code == 200, response.text


def gradient_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").rotate(90).resize((1600, 900)).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Content:
    """A published article that shows one of everything, a related article and a translation."""

    main: str
    slug: str
    related: str
    translation: str
    sections: tuple[str, str, str]  # parent, primary (under the parent), extra
    tags: tuple[str, str]
    author: str
    avatar: str
    hero: str
    inline: str


def make_content(client: TestClient, key: Key) -> Content:
    create_section(client, key, slug="news", names={"ar": "أخبار", "en": "News"})
    create_section(client, key, slug="local", names={"ar": "محليات", "en": "Local"}, parent="news")
    create_section(client, key, slug="sport", names={"ar": "رياضة", "en": "Sport"})
    transport = create_tag(client, key, name="النقل العام")["slug"]
    energy = create_tag(client, key, name="الطاقة")["slug"]
    avatar = upload(client, key, caption="صورة الكاتبة", lang="ar")["id"]
    author = create_author(client, key, avatar=avatar)["slug"]
    # Not of one colour, so that another focal point crops it differently.
    hero = upload(client, key, gradient_jpeg(), caption="الجسر من الميناء", lang="ar")["id"]
    inline = upload(client, key, caption="العمال قبل الافتتاح", lang="ar")["id"]
    related = create_article(
        client,
        key,
        headline="مترو المدينة يفتح خطاً جديداً",
        summary="خط جديد يصل الضواحي بالوسط.",
        section="sport",
    )["id"]
    main = create_article(
        client,
        key,
        section="local",
        sections=["sport"],
        tags=[transport, energy],
        authors=[author],
        hero={"media": hero},
        body=[
            {"type": "paragraph", "html": "افتتحت البلدية جسر الميناء صباح اليوم."},
            {"type": "image", "media": inline},
        ],
        related=[related],
    )
    translation = create_article(
        client,
        key,
        headline="The new harbour bridge opens",
        summary="The city opens the bridge.",
        body=[{"type": "paragraph", "html": "The city opened the bridge this morning."}],
        lang="en",
        section="local",
        translation_of=main["id"],
    )["id"]
    return Content(
        main=main["id"],
        slug=main["slug"],
        related=related,
        translation=translation,
        sections=("news", "local", "sport"),
        tags=(transport, energy),
        author=author,
        avatar=avatar,
        hero=hero,
        inline=inline,
    )


@pytest.fixture
def content(client: TestClient, editor: Key) -> Content:
    return make_content(client, editor)


def article_paths(article_id: str) -> list[str]:
    base = f"/v1/articles/{article_id}"
    return [base, f"{base}/jsonld", f"{base}/ninjs"]


def public_paths(c: Content) -> list[str]:
    """Every public GET that shows some of the content."""
    parent, primary, _extra = c.sections
    media = [
        path
        for item in (c.hero, c.inline, c.avatar)
        for path in (
            f"/v1/media/{item}",
            f"/v1/media/{item}/image?w=320&fmt=webp",
            f"/v1/media/{item}/image?w=320&h=320",
            f"/v1/media/{item}/original",
        )
    ]
    return [
        *article_paths(c.main),
        f"/v1/articles/slug/{quote(c.slug)}",
        *article_paths(c.related),
        *article_paths(c.translation),
        "/v1/articles",
        f"/v1/articles?section={primary}",
        f"/v1/articles?section={parent}",
        f"/v1/articles?tag={quote(c.tags[0])}",
        f"/v1/articles?author={c.author}",
        "/v1/articles?lang=en",
        f"/v1/search?q={quote('جسر')}",
        "/v1/ninjs",
        "/v1/sections",
        *(f"/v1/sections/{slug}" for slug in c.sections),
        "/v1/tags",
        *(f"/v1/tags/{quote(slug)}" for slug in c.tags),
        "/v1/authors",
        f"/v1/authors/{c.author}",
        "/v1/feeds/rss",
        "/v1/feeds/atom",
        "/v1/feeds/json",
        f"/v1/feeds/rss?section={primary}",
        f"/v1/feeds/json?tag={quote(c.tags[0])}",
        f"/v1/feeds/atom?author={c.author}",
        "/v1/sitemap.xml",
        "/v1/sitemaps/news.xml",
        "/v1/sitemaps/articles-1.xml",
        "/v1/media",
        *media,
        "/v1",
        "/v1/site",
    ]


# Keys of each endpoint ---------------------------------------------------------------------


def main_keys(c: Content) -> set[str]:
    return {
        f"article:{c.main}",
        "section:local",
        "section:sport",
        *(f"tag:{t}" for t in c.tags),
        f"author:{c.author}",
        f"media:{c.hero}",
        f"media:{c.inline}",
        f"media:{c.avatar}",
        f"article:{c.related}",
        f"article:{c.translation}",
    }


class TestArticleKeys:
    @pytest.mark.parametrize("suffix", ["", "/jsonld", "/ninjs"])
    def test_article_names_everything_it_shows(
        self, client: TestClient, content: Content, suffix: str
    ) -> None:
        response = client.get(f"/v1/articles/{content.main}{suffix}")
        assert response.status_code == 200, response.text
        assert keys_of(response) == main_keys(content)

    def test_by_slug(self, client: TestClient, content: Content) -> None:
        response = client.get(f"/v1/articles/slug/{quote(content.slug)}")
        assert response.status_code == 200, response.text
        assert keys_of(response) == main_keys(content)

    def test_sparse_fields_keep_every_key(self, client: TestClient, content: Content) -> None:
        response = client.get(f"/v1/articles/{content.main}?fields=headline")
        assert keys_of(response) == main_keys(content)

    def test_translation_names_the_story_it_translates(
        self, client: TestClient, content: Content
    ) -> None:
        response = client.get(f"/v1/articles/{content.translation}")
        assert keys_of(response) == {
            f"article:{content.translation}",
            f"article:{content.main}",
            "section:local",
        }

    def test_related_article(self, client: TestClient, content: Content) -> None:
        # It does not link back: the main article is not on its page.
        response = client.get(f"/v1/articles/{content.related}")
        assert keys_of(response) == {f"article:{content.related}", "section:sport"}

    def test_image_lost_by_a_draft_is_not_named(self, client: TestClient, editor: Key) -> None:
        gone = upload(client, editor)["id"]
        article = create_article(
            client, editor, publish=False, body=[{"type": "image", "media": gone}]
        )
        etag = client.get(f"/v1/media/{gone}", headers=editor).headers["etag"]
        deleted = client.delete(f"/v1/media/{gone}", headers={**editor, "If-Match": etag})
        assert deleted.status_code == 204, deleted.text
        assert act(client, editor, article["id"], "publish").status_code == 200
        assert keys_of(client.get(f"/v1/articles/{article['id']}")) == {f"article:{article['id']}"}

    def test_old_slug_redirect_is_purged_with_the_article(
        self, client: TestClient, editor: Key
    ) -> None:
        article = create_article(client, editor, slug="old-slug")
        patch(client, editor, f"/v1/articles/{article['id']}", {"slug": "new-slug"})
        response = client.get("/v1/articles/slug/old-slug", follow_redirects=False)
        assert response.status_code == 301
        assert keys_of(response) == {f"article:{article['id']}"}


LISTS = [
    "/v1/articles",
    "/v1/articles?section=local",
    "/v1/articles?section=news",
    f"/v1/articles?tag={quote('الطاقة')}",
    "/v1/articles?author=salma-haddad",
    "/v1/articles?lang=en",
    "/v1/articles?fields=id,headline",
    "/v1/articles?limit=1",
    f"/v1/search?q={quote('جسر')}",
    "/v1/search?q=nothing-matches-this",
    "/v1/ninjs",
    "/v1/ninjs?section=local",
]


class TestListKeys:
    @pytest.mark.parametrize("path", LISTS)
    def test_any_article_change_purges_them(
        self, client: TestClient, content: Content, path: str
    ) -> None:
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert keys_of(response) == {"articles"}

    def test_empty_list(self, client: TestClient) -> None:
        # Publishing the first article must purge it too.
        assert keys_of(client.get("/v1/articles")) == {"articles"}


class TestTaxonomyKeys:
    def test_section_tree(self, client: TestClient, content: Content) -> None:
        assert keys_of(client.get("/v1/sections")) == {"sections"}

    @pytest.mark.parametrize("slug", ["news", "local", "sport"])
    def test_section_page_shows_a_front(
        self, client: TestClient, content: Content, slug: str
    ) -> None:
        response = client.get(f"/v1/sections/{slug}")
        assert response.status_code == 200, response.text
        assert keys_of(response) == {"sections", f"section:{slug}", "articles"}

    def test_tags(self, client: TestClient, content: Content) -> None:
        assert keys_of(client.get("/v1/tags")) == {"tags"}
        assert keys_of(client.get("/v1/tags?type=topic")) == {"tags"}

    def test_tag_page(self, client: TestClient, content: Content) -> None:
        tag = content.tags[0]
        assert keys_of(client.get(f"/v1/tags/{quote(tag)}")) == {"tags", f"tag:{tag}"}

    def test_authors(self, client: TestClient, content: Content, editor: Key) -> None:
        create_author(client, editor, name="Bare", slug="bare")  # no photo
        assert keys_of(client.get("/v1/authors")) == {"authors", f"media:{content.avatar}"}

    def test_author_page(self, client: TestClient, content: Content) -> None:
        assert keys_of(client.get(f"/v1/authors/{content.author}")) == {
            "authors",
            f"author:{content.author}",
            f"media:{content.avatar}",
        }

    def test_author_without_photo(self, client: TestClient, editor: Key) -> None:
        create_author(client, editor, name="Bare", slug="bare")
        assert keys_of(client.get("/v1/authors/bare")) == {"authors", "author:bare"}


class TestFeedAndSitemapKeys:
    @pytest.mark.parametrize(
        "path",
        [
            "/v1/feeds/rss",
            "/v1/feeds/atom",
            "/v1/feeds/json",
            "/v1/feeds/rss?section=local",
            f"/v1/feeds/json?tag={quote('الطاقة')}&content=summary",
        ],
    )
    def test_feeds(self, client: TestClient, content: Content, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert keys_of(response) == {"feeds"}

    @pytest.mark.parametrize(
        "path", ["/v1/sitemap.xml", "/v1/sitemaps/news.xml", "/v1/sitemaps/articles-1.xml"]
    )
    def test_sitemaps(self, client: TestClient, content: Content, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert keys_of(response) == {"sitemaps"}


class TestMediaKeys:
    def test_list(self, client: TestClient, content: Content, editor: Key) -> None:
        upload(client, editor)  # in no public use: not listed, not named
        assert keys_of(client.get("/v1/media")) == {
            "articles",
            f"media:{content.hero}",
            f"media:{content.inline}",
            f"media:{content.avatar}",
        }

    def test_empty_list(self, client: TestClient) -> None:
        assert keys_of(client.get("/v1/media")) == {"articles"}

    def test_item(self, client: TestClient, content: Content) -> None:
        response = client.get(f"/v1/media/{content.hero}")
        assert keys_of(response) == {"articles", f"media:{content.hero}"}

    @pytest.mark.parametrize(
        "tail", ["/image", "/image?w=320&fmt=webp", "/image?w=320&h=320", "/original"]
    )
    def test_renditions(self, client: TestClient, content: Content, tail: str) -> None:
        response = client.get(f"/v1/media/{content.inline}{tail}")
        assert response.status_code == 200, response.text
        assert keys_of(response) == {f"media:{content.inline}"}

    def test_versioned_rendition_from_the_api(self, client: TestClient, content: Content) -> None:
        src = client.get(f"/v1/media/{content.hero}").json()["src"]
        response = client.get(src.removeprefix(BASE))
        assert "immutable" in response.headers["cache-control"]
        assert keys_of(response) == {f"media:{content.hero}"}


class TestSiteKeys:
    @pytest.mark.parametrize("path", ["/v1", "/v1/site"])
    def test_configuration(self, client: TestClient, path: str) -> None:
        assert keys_of(client.get(path)) == {"site"}

    def test_sync_is_revalidated_not_purged(self, client: TestClient, content: Content) -> None:
        response = client.get("/v1/sync")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-cache"
        assert "surrogate-key" not in response.headers


class TestCacheControl:
    def test_public(self, client: TestClient, content: Content) -> None:
        for path in (f"/v1/articles/{content.main}", "/v1/feeds/rss", "/v1/sitemap.xml"):
            response = client.get(path)
            assert response.headers["cache-control"] == (
                "public, max-age=60, s-maxage=300, stale-while-revalidate=600, stale-if-error=86400"
            ), path


class TestPrivateResponses:
    @pytest.mark.parametrize(
        "path",
        [
            "/v1/articles/{main}",
            "/v1/articles/{main}/jsonld",
            "/v1/articles/{main}/ninjs",
            "/v1/articles",
            "/v1/search?q=%D8%AC%D8%B3%D8%B1",
            "/v1/ninjs",
            "/v1/sections",
            "/v1/sections/local",
            "/v1/tags",
            "/v1/authors",
            "/v1/authors/salma-haddad",
            "/v1/media",
            "/v1/media/{hero}",
            "/v1/media/{hero}/image",
            "/v1/media/{hero}/original",
        ],
    )
    def test_keyed_responses_carry_no_keys(
        self, client: TestClient, content: Content, editor: Key, path: str
    ) -> None:
        response = client.get(path.format(main=content.main, hero=content.hero), headers=editor)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        assert "surrogate-key" not in response.headers

    def test_preview_carries_no_keys(self, client: TestClient, editor: Key) -> None:
        hero = upload(client, editor)["id"]
        draft = create_article(client, editor, publish=False, hero={"media": hero})
        made = client.post(f"/v1/articles/{draft['id']}/preview", headers=editor)
        token = made.json()["token"]
        for path in (f"/v1/articles/{draft['id']}", f"/v1/media/{hero}", f"/v1/media/{hero}/image"):
            response = client.get(path, params={"preview": token})
            assert response.status_code == 200, (path, response.text)
            assert response.headers["cache-control"] == "private, no-store", path
            assert "surrogate-key" not in response.headers, path

    def test_writes_carry_no_keys(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/articles", json={"headline": "خبر", "status": "published"}, headers=editor
        )
        assert response.status_code == 201
        assert "surrogate-key" not in response.headers


class TestArabicKeys:
    def test_percent_encoded_and_decoded_back(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="اقتصاد", names={"ar": "اقتصاد"})
        tag = create_tag(client, editor, name="الطاقة الشمسية")["slug"]
        article = create_article(client, editor, section="اقتصاد", tags=[tag])
        response = client.get(f"/v1/articles/{article['id']}")
        header = response.headers["surrogate-key"]
        assert header.isascii()
        assert f"section:{quote('اقتصاد')}" in header.split(" ")
        assert f"tag:{quote(tag)}" in header.split(" ")
        assert keys_of(response) == {f"article:{article['id']}", "section:اقتصاد", f"tag:{tag}"}
        tag_page = client.get(f"/v1/tags/{quote(tag)}")
        assert tag_page.headers["surrogate-key"] == f"tag:{quote(tag)} tags"
        assert keys_of(client.get(f"/v1/sections/{quote('اقتصاد')}")) == {
            "articles",
            "sections",
            "section:اقتصاد",
        }


class TestNotModified:
    @pytest.mark.parametrize(
        "path",
        [
            "/v1/articles/{main}",
            "/v1/articles/{main}/jsonld",
            "/v1/articles",
            "/v1/tags/{tag}",
            "/v1/feeds/rss",
            "/v1/sitemap.xml",
            "/v1/media/{hero}",
            "/v1/media/{hero}/image",
        ],
    )
    def test_304_keeps_the_caching_headers(
        self, client: TestClient, content: Content, path: str
    ) -> None:
        url = path.format(main=content.main, hero=content.hero, tag=quote(content.tags[0]))
        full = client.get(url)
        assert full.status_code == 200, full.text
        again = client.get(url, headers={"If-None-Match": full.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["surrogate-key"] == full.headers["surrogate-key"]
        assert again.headers["cache-control"] == full.headers["cache-control"]

    def test_head_has_the_headers_of_get(self, client: TestClient, content: Content) -> None:
        for path in (f"/v1/articles/{content.main}", "/v1/feeds/atom", "/v1/sections/local"):
            got = client.get(path)
            head = client.head(path)
            assert head.status_code == 200
            assert head.headers["surrogate-key"] == got.headers["surrogate-key"], path
            assert head.headers["cache-control"] == got.headers["cache-control"], path


# The contract with events --------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    status: int
    body: bytes
    keys: frozenset[str]


def look(client: TestClient, paths: list[str]) -> dict[str, Seen]:
    """What a CDN would hold: the public, cacheable answers, with their keys."""
    seen: dict[str, Seen] = {}
    for path in paths:
        response = client.get(path, follow_redirects=False)
        cacheable = response.status_code in (200, 301) and response.headers.get(
            "cache-control", ""
        ).startswith("public")
        if not cacheable:
            continue
        keys = keys_of(response)
        assert keys, f"{path} is public and cacheable but names no content"
        seen[path] = Seen(response.status_code, _stable(path, response), frozenset(keys))
    return seen


def _stable(path: str, response: httpx2.Response) -> bytes:
    if path.startswith("/v1/search"):
        # A hit's score decays with the article's age (the recency boost), from one read to
        # the next: what a change does is in the rest.
        body = response.json()
        for item in body["items"]:
            item.pop("score")
        return json.dumps(body, sort_keys=True).encode()
    return response.content


def newest_event_id(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0


def written_since(database: Database, after: int) -> list[Event]:
    with database.session() as session:
        return list(session.scalars(select(Event).where(Event.id > after).order_by(Event.id)))


Apply = Callable[[TestClient, Key, Content], None]


@dataclass(frozen=True)
class Change:
    name: str
    apply: Apply
    # Responses that must change (so that the check is not vacuous), as functions of content.
    changes: Callable[[Content], list[str]]


def _edit_headline(client: TestClient, key: Key, c: Content) -> None:
    patch(client, key, f"/v1/articles/{c.main}", {"headline": "الجسر يفتح أبوابه للمشاة"})


def _edit_translation(client: TestClient, key: Key, c: Content) -> None:
    patch(client, key, f"/v1/articles/{c.translation}", {"headline": "Bridge opens to walkers"})


def _edit_related(client: TestClient, key: Key, c: Content) -> None:
    patch(client, key, f"/v1/articles/{c.related}", {"headline": "المترو يصل إلى الضواحي"})


def _rename_tag(client: TestClient, key: Key, c: Content) -> None:
    response = client.patch(
        f"/v1/tags/{quote(c.tags[0])}",
        json={"name": "النقل الجماعي", "slug": "النقل-الجماعي"},
        headers=key,
    )
    assert response.status_code == 200, response.text


def _rename_author(client: TestClient, key: Key, c: Content) -> None:
    response = client.patch(
        f"/v1/authors/{c.author}", json={"name": "سلمى ح.", "slug": "salma-h"}, headers=key
    )
    assert response.status_code == 200, response.text


def _caption(media: Callable[[Content], str]) -> Apply:
    def apply(client: TestClient, key: Key, c: Content) -> None:
        patch(client, key, f"/v1/media/{media(c)}", {"caption": {"ar": "تعليق جديد"}})

    return apply


def _refocus_hero(client: TestClient, key: Key, c: Content) -> None:
    patch(client, key, f"/v1/media/{c.hero}", {"focal": {"x": 0.1, "y": 0.9}})


def _unpublish(article: Callable[[Content], str]) -> Apply:
    def apply(client: TestClient, key: Key, c: Content) -> None:
        assert act(client, key, article(c), "unpublish").status_code == 200

    return apply


def _replace_hero(client: TestClient, key: Key, c: Content) -> None:
    other = upload(client, key)["id"]
    patch(client, key, f"/v1/articles/{c.main}", {"hero": {"media": other}})


def _replace_avatar(client: TestClient, key: Key, c: Content) -> None:
    other = upload(client, key)["id"]
    response = client.patch(f"/v1/authors/{c.author}", json={"avatar": other}, headers=key)
    assert response.status_code == 200, response.text


def _rename_section(slug: str, new: str) -> Apply:
    def apply(client: TestClient, key: Key, c: Content) -> None:
        response = client.patch(
            f"/v1/sections/{slug}", json={"slug": new, "names": {"ar": "جديد"}}, headers=key
        )
        assert response.status_code == 200, response.text

    return apply


def _publish_new(client: TestClient, key: Key, c: Content) -> None:
    create_article(client, key, headline="جسر آخر", section="local", tags=[c.tags[1]])


def _pin(client: TestClient, key: Key, c: Content) -> None:
    response = client.patch("/v1/sections/sport", json={"pinned": [c.main]}, headers=key)
    assert response.status_code == 200, response.text


CHANGES = [
    pytest.param(
        Change(
            "headline",
            _edit_headline,
            lambda c: [
                *article_paths(c.main),
                f"/v1/articles/{c.translation}",
                "/v1/articles",
                "/v1/sections/local",
                "/v1/feeds/rss",
                "/v1/sitemaps/news.xml",
            ],
        ),
        id="edit-headline",
    ),
    pytest.param(
        Change(
            "translation",
            _edit_translation,
            lambda c: [f"/v1/articles/{c.main}", f"/v1/articles/{c.translation}"],
        ),
        id="edit-translation",
    ),
    pytest.param(
        Change(
            "related", _edit_related, lambda c: [f"/v1/articles/{c.main}", "/v1/sections/sport"]
        ),
        id="edit-related",
    ),
    pytest.param(
        Change(
            "tag",
            _rename_tag,
            lambda c: [
                f"/v1/articles/{c.main}",
                "/v1/tags",
                f"/v1/tags/{quote(c.tags[0])}",
                f"/v1/feeds/json?tag={quote(c.tags[0])}",
            ],
        ),
        id="rename-tag",
    ),
    pytest.param(
        Change(
            "author",
            _rename_author,
            lambda c: [
                f"/v1/articles/{c.main}",
                "/v1/articles",
                "/v1/authors",
                f"/v1/authors/{c.author}",
                "/v1/feeds/rss",
            ],
        ),
        id="rename-author",
    ),
    pytest.param(
        Change(
            "hero caption",
            _caption(lambda c: c.hero),
            lambda c: [f"/v1/articles/{c.main}", "/v1/articles", "/v1/media", "/v1/feeds/rss"],
        ),
        id="hero-caption",
    ),
    pytest.param(
        Change(
            "inline caption",
            _caption(lambda c: c.inline),
            lambda c: [f"/v1/articles/{c.main}", f"/v1/media/{c.inline}", "/v1/media"],
        ),
        id="body-image-caption",
    ),
    pytest.param(
        Change(
            "avatar caption",
            _caption(lambda c: c.avatar),
            lambda c: [f"/v1/articles/{c.main}", "/v1/authors", f"/v1/authors/{c.author}"],
        ),
        id="avatar-caption",
    ),
    pytest.param(
        Change(
            "hero focal point",
            _refocus_hero,
            lambda c: [f"/v1/articles/{c.main}", f"/v1/media/{c.hero}/image?w=320&h=320"],
        ),
        id="hero-focal-point",
    ),
    pytest.param(
        Change(
            "unpublish related",
            _unpublish(lambda c: c.related),
            lambda c: [
                f"/v1/articles/{c.main}",
                f"/v1/articles/{c.related}",
                "/v1/articles",
                "/v1/sections/sport",
                "/v1/sitemaps/news.xml",
            ],
        ),
        id="unpublish-related",
    ),
    pytest.param(
        Change(
            "unpublish main",
            _unpublish(lambda c: c.main),
            lambda c: [
                f"/v1/articles/{c.main}",
                f"/v1/articles/{c.translation}",
                "/v1/articles",
                "/v1/media",
                f"/v1/media/{c.hero}",
                f"/v1/media/{c.hero}/original",
            ],
        ),
        id="unpublish-main",
    ),
    pytest.param(
        Change(
            "replace hero",
            _replace_hero,
            lambda c: [f"/v1/articles/{c.main}", "/v1/media", f"/v1/media/{c.hero}"],
        ),
        id="replace-hero",
    ),
    pytest.param(
        Change(
            "replace avatar",
            _replace_avatar,
            lambda c: [
                f"/v1/articles/{c.main}",
                "/v1/authors",
                f"/v1/authors/{c.author}",
                f"/v1/media/{c.avatar}",
            ],
        ),
        id="replace-avatar",
    ),
    pytest.param(
        Change(
            "rename section",
            _rename_section("local", "local-news"),
            lambda c: [
                f"/v1/articles/{c.main}",
                f"/v1/articles/{c.translation}",
                "/v1/articles",
                "/v1/sections",
                "/v1/sections/local",
                "/v1/sections/news",
                "/v1/sitemaps/articles-1.xml",
            ],
        ),
        id="rename-section",
    ),
    pytest.param(
        Change(
            "rename parent section",
            _rename_section("news", "world"),
            lambda c: ["/v1/sections", "/v1/sections/news", "/v1/sections/local"],
        ),
        id="rename-parent-section",
    ),
    pytest.param(
        Change(
            "pin",
            _pin,
            lambda c: ["/v1/sections/sport"],
        ),
        id="pin-to-front",
    ),
    pytest.param(
        Change(
            "publish",
            _publish_new,
            lambda c: [
                "/v1/articles",
                "/v1/sections/local",
                "/v1/sections/news",
                "/v1/feeds/rss",
                "/v1/sitemaps/articles-1.xml",
            ],
        ),
        id="publish-new-article",
    ),
]


class TestEventsPurgeWhatChanged:
    """The keys of the event a change writes meet the keys of every cached response whose body
    the change altered."""

    @pytest.mark.parametrize("change", CHANGES)
    def test_change(
        self,
        client: TestClient,
        database: Database,
        editor: Key,
        content: Content,
        change: Change,
    ) -> None:
        paths = public_paths(content)
        before = look(client, paths)
        assert look(client, paths) == before  # nothing moves on its own: a diff is the change
        start = newest_event_id(database)

        change.apply(client, editor, content)

        *uploads, event = written_since(database, start)  # the newest is the change's
        assert all(e.type == "media.created" for e in uploads)
        event_keys = set(event.surrogate_keys)
        after = look(client, paths)
        changed = [
            path
            for path, seen in before.items()
            if (after.get(path) is None)
            or (after[path].status, after[path].body) != (seen.status, seen.body)
        ]
        assert set(change.changes(content)) <= set(changed), "the change did not show"
        misses = {
            path: sorted(before[path].keys)
            for path in changed
            if not before[path].keys & event_keys
        }
        assert not misses, (event.type, sorted(event_keys), misses)
        # The ready-made JSON read back (app.services.ready) is what would be built now.
        with database.engine.begin() as conn:
            ready_made = conn.scalar(select(func.count()).select_from(ReadyArticle))
            conn.execute(delete(ReadyArticle))
            conn.execute(delete(ReadyCard))
        assert ready_made
        assert look(client, paths) == after


def test_scheduled_publication_purges_like_a_publication(
    client: TestClient, database: Database, editor: Key
) -> None:
    """The scheduler writes its event outside any request: lists still get purged."""
    article = create_article(client, editor, publish=False)
    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert act(client, editor, article["id"], "schedule", {"at": at}).status_code == 200
    before = look(client, ["/v1/articles", "/v1/feeds/rss", "/v1/sitemap.xml"])
    make_due(database, article["id"])
    start = newest_event_id(database)
    assert scheduler.publish_due(database) == [article["id"]]
    (event,) = written_since(database, start)
    for path, seen in before.items():
        assert seen.keys & set(event.surrogate_keys), path
