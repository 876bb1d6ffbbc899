"""The demo publication with its pictures, as the API serves it, and the drawings themselves."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database, sync_url
from app.demo import images
from app.main import create_app
from app.migrate import upgrade
from app.models import Article
from app.routers.present import presenter
from app.services import articles as article_service
from app.services import demo as demo_service
from app.services.storage import open_storage
from tests.conftest import BACKENDS, PG_URL

CONTENT = demo_service.demo_content()
BY_KEY = {a["key"]: a for a in CONTENT["articles"]}


def load(settings: Settings, database: Database, *, if_empty: bool = True) -> int:
    with database.session(write=True) as session:
        loaded = demo_service.load_demo(
            session,
            storage=open_storage(settings),
            default_lang=settings.default_language,
            if_empty=if_empty,
        )
        session.commit()
    return loaded


@contextmanager
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this module's own (the per-worker one that conftest
    provides is emptied before every test, and the demo here is shared by many)."""
    assert PG_URL is not None
    base = make_url(PG_URL)
    name = f"{base.database}_khabar_demo_{os.getpid()}"
    admin = create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """A client of a store holding the demo, loaded once per module and backend: the tests
    that use it only read."""
    tmp = tmp_path_factory.mktemp("demo")
    with ExitStack() as stack:
        if request.param == "sqlite":
            shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp / "khabar.db")
            url = f"sqlite:///{tmp / 'khabar.db'}"
        else:
            url = stack.enter_context(postgres_database())
        settings = Settings(
            database_url=url, base_url="http://testserver", media_dir=str(tmp / "media")
        )
        database = Database(url)
        stack.callback(database.dispose)
        assert load(settings, database) == len(CONTENT["articles"])
        yield stack.enter_context(TestClient(create_app(settings, database=database)))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def public_articles(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/v1/articles", params={"limit": "100"})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def read(client: TestClient, article_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/articles/{article_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_headline(client: TestClient, key: str) -> dict[str, Any]:
    (card,) = [a for a in public_articles(client) if a["headline"] == BY_KEY[key]["headline"]]
    return read(client, card["id"])


class TestDemoArticles:
    def test_every_published_article_has_a_hero(self, demo: TestClient) -> None:
        items = public_articles(demo)
        published = [a for a in CONTENT["articles"] if a.get("status", "published") == "published"]
        assert len(items) == len(published)
        for item in items:
            hero = item["hero"]
            assert hero is not None, item["headline"]
            assert len(hero["srcset"].split(", ")) >= 3
            assert hero["alt"] and hero["caption"] and hero["credit"]
            assert hero["lang"] == item["lang"]

    def test_heroes_carry_the_texts_of_the_file(self, demo: TestClient) -> None:
        texts = {a["headline"]: a["hero"] for a in CONTENT["articles"]}
        for item in public_articles(demo):
            hero, written = item["hero"], texts[item["headline"]]
            assert (hero["caption"], hero["credit"], hero["alt"]) == (
                written["caption"],
                written["credit"],
                written["alt"],
            )
            assert hero["archive"] is written["archive"]
            assert [hero["focal"]["x"], hero["focal"]["y"]] == written["focal"]

    def test_body_images_render_as_figures(self, demo: TestClient) -> None:
        illustrated = [
            a
            for a in CONTENT["articles"]
            if any(b["type"] == "image" for b in a.get("body", []))
            and a.get("status", "published") == "published"
        ]
        assert len(illustrated) >= 8
        for key in (a["key"] for a in illustrated):
            article = by_headline(demo, key)
            (block,) = [b for b in article["body"] if b["type"] == "image"]
            assert block["image"]["srcset"]
            assert block["image"]["caption"]
            assert "<figure" in article["body_html"]
            assert block["image"]["src"].replace("&", "&amp;") in article["body_html"]

    def test_a_translation_shows_its_originals_photos_in_its_own_language(
        self, demo: TestClient
    ) -> None:
        arabic = by_headline(demo, "derby-result")
        english = by_headline(demo, "en-derby-result")

        assert english["hero"]["id"] == arabic["hero"]["id"]
        assert english["hero"]["caption"] == BY_KEY["en-derby-result"]["hero"]["caption"]
        assert english["hero"]["alt"] == BY_KEY["en-derby-result"]["hero"]["alt"]
        assert arabic["hero"]["caption"] == BY_KEY["derby-result"]["hero"]["caption"]
        images_of = [
            [b["image"] for b in article["body"] if b["type"] == "image"]
            for article in (arabic, english)
        ]
        assert images_of[0][0]["id"] == images_of[1][0]["id"]
        assert images_of[1][0]["lang"] == "en"
        (written,) = [b["demo"] for b in BY_KEY["en-derby-result"]["body"] if b["type"] == "image"]
        assert images_of[1][0]["alt"] == written["alt"]


class TestDemoAuthors:
    def test_every_author_has_an_avatar(self, demo: TestClient) -> None:
        response = demo.get("/v1/authors", params={"limit": "100"})
        assert response.status_code == 200, response.text
        authors = response.json()["items"]
        assert len(authors) == len(CONTENT["authors"])
        for author in authors:
            assert author["avatar"] is not None, author["slug"]
            assert author["avatar"]["alt"] == author["name"]
            assert author["avatar"]["width"] == author["avatar"]["height"]


class TestDemoImages:
    def test_hero_src_and_srcset_are_served(self, demo: TestClient) -> None:
        hero = public_articles(demo)[0]["hero"]
        first_in_srcset = hero["srcset"].split(", ")[0].split(" ")[0]

        for url, mime, fmt in (
            (hero["src"], "image/jpeg", "JPEG"),
            (first_in_srcset, "image/webp", "WEBP"),
        ):
            response = demo.get(path_of(url))
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == mime
            with Image.open(io.BytesIO(response.content)) as image:
                assert image.format == fmt


class TestDemoMediaLibrary:
    def test_public_list_has_the_demo_images(self, demo: TestClient) -> None:
        response = demo.get("/v1/media", params={"limit": "100"})
        assert response.status_code == 200, response.text
        listed = {m["id"] for m in response.json()["items"]}

        articles = [read(demo, a["id"]) for a in public_articles(demo)]
        shown = {a["hero"]["id"] for a in articles}
        shown |= {b["image"]["id"] for a in articles for b in a["body"] if b["type"] == "image"}
        authors = demo.get("/v1/authors", params={"limit": "100"}).json()["items"]
        shown |= {a["avatar"]["id"] for a in authors}
        assert listed == shown
        assert all(m["mime"] == "image/jpeg" for m in response.json()["items"])


class TestLoadDemo:
    def test_if_empty_adds_nothing_the_second_time(
        self, client: TestClient, settings: Settings, database: Database, media_dir: Path
    ) -> None:
        assert load(settings, database) > 0
        before = client.get("/v1/media", params={"limit": "100"}).json()["items"]
        files = sorted(media_dir.rglob("*"))

        assert load(settings, database) == 0

        assert client.get("/v1/media", params={"limit": "100"}).json()["items"] == before
        assert sorted(media_dir.rglob("*")) == files

    def test_a_failed_load_leaves_no_files(
        self,
        settings: Settings,
        database: Database,
        media_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(article_service, "create_article", fail)
        with pytest.raises(RuntimeError):
            load(settings, database)
        assert not [p for p in media_dir.rglob("*") if p.is_file()]


class TestPictures:
    def test_a_key_always_draws_the_same_scene(self) -> None:
        assert images.scene("hero/a", 320, 180) == images.scene("hero/a", 320, 180)

    def test_keys_draw_different_scenes(self) -> None:
        drawn = {images.scene(f"hero/{n}", 320, 180) for n in range(12)}
        assert len(drawn) == 12

    def test_scene_is_a_jpeg_of_the_asked_size(self) -> None:
        with Image.open(io.BytesIO(images.scene("hero/a"))) as image:
            assert (image.format, image.size) == ("JPEG", (1600, 900))

    def test_portrait_is_a_square_jpeg(self) -> None:
        with Image.open(io.BytesIO(images.portrait("avatar/a", 200))) as image:
            assert (image.format, image.size) == ("JPEG", (200, 200))

    def test_without_a_font_there_is_no_label(self, monkeypatch: pytest.MonkeyPatch) -> None:
        labelled = images.scene("hero/a", 320, 180)
        monkeypatch.setattr(images, "_font", lambda size: None)
        assert images.scene("hero/a", 320, 180) == images.scene("hero/a", 320, 180, label="")
        if images._font_path() is not None:
            assert images.scene("hero/a", 320, 180) != labelled


class TestFullMany:
    """Feeds and syndication read many article pages at once (``full_many``); each must be
    exactly what the article page alone (``full``) shows, links, translations, media and all."""

    @pytest.mark.parametrize("public", [True, False])
    def test_same_as_one_by_one(self, demo: TestClient, public: bool) -> None:
        app_db: Database = demo.app.state.db  # type: ignore[attr-defined]
        settings: Settings = demo.app.state.settings  # type: ignore[attr-defined]
        view = presenter(settings)
        with app_db.session() as session:
            articles = list(session.scalars(select(Article).order_by(Article.id)))
            many = article_service.full_many(session, articles, public=public)
            one = [article_service.full(session, a, public=public) for a in articles]
            assert [view.article(p) for p in many] == [view.article(p) for p in one]
            assert any(p.translations for p in many) and any(p.related for p in many)
            assert any(p.media and p.tags and p.sections for p in many)
