"""The publication as configured (GET /v1/site) and the web URLs of articles."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.assertions import Key
from tests.factories import create_article, create_section


def test_defaults(client: TestClient) -> None:
    response = client.get("/v1/site")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public")
    site = response.json()
    assert site["name"] == {"ar": "خبر", "en": "Khabar"}
    assert site["url"] == site["api_url"] == "http://testserver"
    assert site["default_language"] == "ar" and site["dir"] == "rtl"
    assert site["copyright"].startswith("© ") and site["copyright"].endswith(" خبر")
    assert site["logo"] is None and site["usage_terms"] is None
    assert site["feeds"]["rss"] == "http://testserver/v1/feeds/rss"
    assert site["websub_hubs"] == []


def test_from_configuration(settings: Settings, database: Database) -> None:
    configured = settings.model_copy(
        update={
            "site_name": {"ar": "صحيفة الميناء", "en": "The Harbour Post"},
            "site_url": "https://harbour.example/",
            "site_logo_url": "https://harbour.example/logo.png",
            "site_copyright": "© صحيفة الميناء",
            "site_usage_terms": "للشركاء المشتركين فقط",
            "websub_hubs": ["https://hub.example.org/"],
        }
    )
    with TestClient(create_app(configured, database=database)) as client:
        site = client.get("/v1/site").json()
    assert site["name"]["en"] == "The Harbour Post"
    assert site["url"] == "https://harbour.example"
    assert site["logo"] == "https://harbour.example/logo.png"
    assert site["copyright"] == "© صحيفة الميناء"
    assert site["usage_terms"] == "للشركاء المشتركين فقط"
    assert site["websub_hubs"] == ["https://hub.example.org/"]


def test_article_public_url_follows_the_template(
    settings: Settings, database: Database, client: TestClient, editor: Key
) -> None:
    create_section(client, editor, slug="اقتصاد", names={"ar": "اقتصاد"})
    made = create_article(client, editor, section="اقتصاد", slug="ارتفاع-الصادرات")
    assert made["public_url"] == f"http://testserver/{quote('اقتصاد')}/{quote('ارتفاع-الصادرات')}"
    assert unquote(made["public_url"]).endswith("/اقتصاد/ارتفاع-الصادرات")
    dated = settings.model_copy(
        update={
            "site_url": "https://harbour.example",
            "public_url_template": "{site_url}/{lang}/{year}/{month}/{day}/{id}-{slug}",
        }
    )
    with TestClient(create_app(dated, database=database)) as other:
        page = other.get(f"/v1/articles/{made['id']}").json()
        card = other.get("/v1/articles").json()["items"][0]
    when = made["published_at"][:10].split("-")
    expected = (
        f"https://harbour.example/ar/{when[0]}/{when[1]}/{when[2]}/"
        f"{made['id']}-{quote('ارتفاع-الصادرات')}"
    )
    assert page["public_url"] == card["public_url"] == expected


def test_article_without_a_section(client: TestClient, editor: Key) -> None:
    made = create_article(client, editor, slug="bridge")
    assert made["public_url"] == "http://testserver/news/bridge"


def test_formats_are_linked(client: TestClient, editor: Key) -> None:
    made = create_article(client, editor)
    assert made["formats"] == {
        "jsonld": f"http://testserver/v1/articles/{made['id']}/jsonld",
        "ninjs": f"http://testserver/v1/articles/{made['id']}/ninjs",
    }


def test_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown placeholder"):
        Settings(public_url_template="{site_url}/{headline}")
