"""An article as schema.org NewsArticle JSON-LD: its properties, the publication as publisher,
image crops that load, who may read drafts, and caching."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.assertions import Key, assert_problem
from tests.factories import (
    create_article,
    create_author,
    create_section,
    create_tag,
    upload_media,
)

BASE = "http://testserver"
OASIS = {
    "site_name": {"ar": "صحيفة الواحة", "en": "The Oasis Daily"},
    "site_url": "https://oasis.example/",
    "site_logo_url": "https://oasis.example/logo.png",
}


@pytest.fixture
def oasis(settings: Settings, database: Database) -> Iterator[TestClient]:
    """A client for a publication with its own names, web site and logo."""
    with TestClient(create_app(settings.model_copy(update=OASIS), database=database)) as client:
        yield client


def jsonld(client: TestClient, article_id: str, key: Key | None = None) -> dict[str, Any]:
    response = client.get(f"/v1/articles/{article_id}/jsonld", headers=key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    document: dict[str, Any] = response.json()
    return document


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def correct(client: TestClient, key: Key, article_id: str, note: str) -> dict[str, Any]:
    etag = client.get(f"/v1/articles/{article_id}", headers=key).headers["etag"]
    response = client.patch(
        f"/v1/articles/{article_id}", json={"correction": note}, headers={**key, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    return response.json()


def image_size(response: httpx2.Response) -> tuple[int, int]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    size: tuple[int, int] = Image.open(io.BytesIO(response.content)).size
    return size


def full_story(client: TestClient, key: Key, **overrides: Any) -> dict[str, Any]:
    """A published article with a hero, two authors, a section, two tags and a correction."""
    create_section(client, key, slug="local", names={"ar": "محليات", "en": "Local"})
    create_author(client, key, name="ريم العطار", slug="reem-attar")
    create_author(client, key, name="Omar Nasser", slug="omar-nasser", lang="en")
    create_tag(client, key, name="المياه", slug="water")
    create_tag(client, key, name="الزراعة", slug="farming")
    hero = upload_media(client, key)
    fields = {
        "headline": "سد الوادي يمتلئ للمرة الأولى منذ عقد",
        "subheadline": "المزارعون يستعدون لموسم ري طويل",
        "summary": "امتلأ سد الوادي بعد أسبوع من الأمطار المتواصلة.",
        "section": "local",
        "authors": ["reem-attar", "omar-nasser"],
        "tags": ["water", "farming"],
        "hero": {"media": hero["id"]},
    }
    made = create_article(client, key, **{**fields, **overrides})
    return correct(client, key, made["id"], "صُحّح منسوب المياه في الفقرة الأولى.")


class TestNewsArticle:
    def test_properties(self, oasis: TestClient, editor: Key) -> None:
        article = full_story(oasis, editor)
        document = jsonld(oasis, article["id"])
        assert document["@context"] == "https://schema.org"
        assert document["@type"] == "NewsArticle"
        assert document["headline"] == "سد الوادي يمتلئ للمرة الأولى منذ عقد"
        assert document["alternativeHeadline"] == "المزارعون يستعدون لموسم ري طويل"
        assert document["description"] == "امتلأ سد الوادي بعد أسبوع من الأمطار المتواصلة."
        assert instant(document["datePublished"]) == instant(article["first_published_at"])
        assert instant(document["dateModified"]) == instant(article["updated_at"])
        assert document["author"] == [
            {"@type": "Person", "name": "ريم العطار", "url": f"{BASE}/v1/authors/reem-attar"},
            {"@type": "Person", "name": "Omar Nasser", "url": f"{BASE}/v1/authors/omar-nasser"},
        ]
        assert document["publisher"] == {
            "@type": "Organization",
            "name": "صحيفة الواحة",
            "url": "https://oasis.example",
            "logo": {"@type": "ImageObject", "url": "https://oasis.example/logo.png"},
        }
        assert document["inLanguage"] == "ar"
        assert document["articleSection"] == "محليات"
        assert document["keywords"] == ["المياه", "الزراعة"]
        assert article["public_url"].startswith("https://oasis.example/local/")
        assert document["url"] == article["public_url"]
        assert document["mainEntityOfPage"] == {"@type": "WebPage", "@id": article["public_url"]}
        assert document["isAccessibleForFree"] is True
        assert document["wordCount"] == article["word_count"] > 0
        [correction] = article["corrections"]
        assert document["correction"] == [
            {
                "@type": "CorrectionComment",
                "text": "صُحّح منسوب المياه في الفقرة الأولى.",
                "datePublished": document["correction"][0]["datePublished"],
            }
        ]
        assert instant(document["correction"][0]["datePublished"]) == instant(correction["at"])

    def test_authors_urls_load(self, client: TestClient, editor: Key) -> None:
        article = full_story(client, editor)
        for author in jsonld(client, article["id"])["author"]:
            response = client.get(author["url"].removeprefix(BASE))
            assert response.status_code == 200, response.text
            assert response.json()["name"] == author["name"]

    def test_images_are_the_hero_and_its_crops(self, client: TestClient, editor: Key) -> None:
        article = full_story(client, editor)
        images = jsonld(client, article["id"])["image"]
        assert len(images) == 4
        assert images[0] == article["hero"]["src"]
        token = article["hero"]["src"].rsplit("v=", 1)[1]
        for url in images:
            assert url.startswith(f"{BASE}/v1/media/{article['hero']['id']}/image?")
            assert f"v={token}" in url
        sizes = [image_size(client.get(url.removeprefix(BASE))) for url in images]
        # The upload is 1600×900: src is 1200 wide; crops never enlarge, so 1:1 is 900×900.
        assert sizes == [(1200, 675), (1200, 675), (1200, 900), (900, 900)]

    def test_publisher_and_section_in_the_article_language(
        self, oasis: TestClient, editor: Key
    ) -> None:
        article = full_story(oasis, editor, lang="en", headline="Valley dam fills up")
        document = jsonld(oasis, article["id"])
        assert document["inLanguage"] == "en"
        assert document["publisher"]["name"] == "The Oasis Daily"
        assert document["articleSection"] == "Local"

    def test_empty_properties_are_left_out(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, headline="خبر قصير بلا صورة")
        document = jsonld(client, made["id"])
        for name in (
            "alternativeHeadline",
            "image",
            "author",
            "articleSection",
            "keywords",
            "correction",
        ):
            assert name not in document, name
        assert document["publisher"] == {
            "@type": "Organization",
            "name": "خبر",
            "url": BASE,
        }
        assert document["description"] == made["summary"]

    def test_arabic_is_plain_utf8(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor, headline="مهرجان التمور يفتتح أبوابه")
        response = client.get(f"/v1/articles/{made['id']}/jsonld")
        assert "مهرجان التمور يفتتح أبوابه".encode() in response.content
        assert b"\\u06" not in response.content

    def test_formats_link_points_here(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(made["formats"]["jsonld"].removeprefix(BASE))
        assert response.status_code == 200
        assert response.json()["headline"] == made["headline"]


class TestVisibility:
    def test_draft_is_hidden_from_the_public(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        assert_problem(client.get(f"/v1/articles/{draft['id']}/jsonld"), 404)

    def test_editor_reads_a_draft_privately(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False, headline="مسودة تقرير الميزانية")
        response = client.get(f"/v1/articles/{draft['id']}/jsonld", headers=editor)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        document = response.json()
        assert document["headline"] == "مسودة تقرير الميزانية"
        assert "datePublished" not in document

    def test_unknown_article(self, client: TestClient) -> None:
        problem = assert_problem(client.get("/v1/articles/nosucharticle000/jsonld"), 404)
        assert "nosucharticle000" in problem["detail"]


class TestCaching:
    def test_revalidates_with_etag(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        path = f"/v1/articles/{made['id']}/jsonld"
        first = client.get(path)
        assert first.headers["cache-control"].startswith("public, max-age=")
        assert first.headers["vary"] == "Authorization"
        assert "last-modified" in first.headers
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]

    def test_a_correction_changes_the_etag(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        path = f"/v1/articles/{made['id']}/jsonld"
        etag = client.get(path).headers["etag"]
        correct(client, editor, made["id"], "صُحّح اسم الجسر.")
        changed = client.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.json()["correction"][0]["text"] == "صُحّح اسم الجسر."
