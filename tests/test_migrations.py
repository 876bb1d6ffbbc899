"""The migrations build exactly the schema the models describe, and undo it.

Each test runs on SQLite and, when KHABAR_TEST_DATABASE_URL is set, on a throwaway PostgreSQL
database of its own (the shared test databases are already migrated and must stay that way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.db import Database, create_db_engine, sync_url
from app.main import create_app
from app.migrate import alembic_config, downgrade, include_object, upgrade
from app.models import Base, Event
from app.services import keys as key_service

PG_URL = os.environ.get("KHABAR_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
MODEL_TABLES = set(Base.metadata.tables)
# SQLite's full-text table and its shadow tables, made by the search migration.
FTS_TABLES = {f"article_fts{suffix}" for suffix in ("", "_config", "_data", "_docsize", "_idx")}


def engine_tables(url: str) -> set[str]:
    return FTS_TABLES if url.startswith("sqlite") else set()


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    assert PG_URL is not None
    base = make_url(PG_URL)
    worker_id: str = request.getfixturevalue("worker_id")
    name = f"{base.database}_khabar_mig_{worker_id}"
    admin = create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def table_names(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"the migrations have more than one head: {heads}"
    return heads[0]


class TestUpgrade:
    def test_builds_every_table_from_empty(self, empty_url: str) -> None:
        assert table_names(empty_url) == set()
        upgrade(empty_url)
        assert table_names(empty_url) == MODEL_TABLES | {"alembic_version"} | engine_tables(
            empty_url
        )
        assert current_revision(empty_url) == head()

    def test_twice_changes_nothing(self, empty_url: str) -> None:
        upgrade(empty_url)
        upgrade(empty_url)
        assert current_revision(empty_url) == head()

    def test_schema_matches_the_models(self, empty_url: str) -> None:
        upgrade(empty_url)
        engine = create_db_engine(empty_url)
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_object": include_object}
                )
                diff = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()
        assert diff == []


class TestDowngrade:
    def test_to_base_drops_every_table(self, empty_url: str) -> None:
        upgrade(empty_url)
        downgrade(empty_url, "base")
        assert table_names(empty_url) <= {"alembic_version"}
        assert current_revision(empty_url) is None

    def test_then_upgrade_again(self, empty_url: str) -> None:
        upgrade(empty_url)
        downgrade(empty_url, "base")
        upgrade(empty_url)
        assert table_names(empty_url) == MODEL_TABLES | {"alembic_version"} | engine_tables(
            empty_url
        )
        assert current_revision(empty_url) == head()

    def test_with_content(self, empty_url: str) -> None:
        """Rows in the tables do not stop the drops."""
        upgrade(empty_url)
        engine = create_db_engine(empty_url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO section (slug, position, names, descriptions, created_at,"
                        " updated_at) VALUES ('local', 0, '{\"ar\": \"محليات\"}', '{}',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
        finally:
            engine.dispose()
        downgrade(empty_url, "base")
        assert table_names(empty_url) <= {"alembic_version"}


_NOW = "'2026-01-01 00:00:00'"
_CONTENT_0001 = [
    "INSERT INTO section (id, slug, position, names, descriptions, created_at, updated_at)"
    f" VALUES (1, 'local', 0, '{{\"ar\": \"محليات\"}}', '{{}}', {_NOW}, {_NOW})",
    "INSERT INTO author (id, slug, name, lang, created_at, updated_at)"
    f" VALUES (1, 'salma', 'سلمى', 'ar', {_NOW}, {_NOW})",
    "INSERT INTO tag (id, slug, name, type, lang, created_at, updated_at)"
    f" VALUES (1, 'bridges', 'جسور', 'topic', 'ar', {_NOW}, {_NOW})",
    "INSERT INTO article (id, public_id, lang, slug, status, headline, body, body_html,"
    " word_count, reading_time, breaking, urgency, primary_section_id, created_at, updated_at,"
    " published_at, first_published_at, version) VALUES (1, 'a1', 'ar', 'jisr', 'published',"
    f" 'جسر', '[]', '', 0, 0, false, 5, 1, {_NOW}, {_NOW}, {_NOW}, {_NOW}, 3)",
    "INSERT INTO article_author (article_id, author_id, position) VALUES (1, 1, 0)",
    "INSERT INTO article_tag (article_id, tag_id, position) VALUES (1, 1, 0)",
    "INSERT INTO article_slug (id, article_id, lang, slug, created_at)"
    f" VALUES (1, 1, 'ar', 'old', {_NOW})",
]
_COUNTS = ("article", "article_author", "article_tag", "article_slug", "author", "section")


def _counts(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in _COUNTS
            }
    finally:
        engine.dispose()


def store_with_content(url: str) -> None:
    """A store at 0001 holding an article with its section, byline, tag and an old slug."""
    upgrade(url, "0001")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            for statement in _CONTENT_0001:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@contextmanager
def upgraded_api(url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The API on an upgraded store, and an editor's key for it."""
    settings = Settings(
        database_url=url,
        base_url="http://testserver",
        media_dir=str(tmp_path / "media"),
        scheduler_interval=0,
    )
    app = create_app(settings)
    with TestClient(app) as api:
        with app.state.db.session(write=True) as session:
            _key, token = key_service.create_key(session, name="desk", role="editor")
            session.commit()
        yield api, {"Authorization": f"Bearer {token}"}


class TestUpgradeWithContent:
    def test_media_migration_keeps_every_row_and_link(self, empty_url: str) -> None:
        """0002 rebuilds the article and author tables on SQLite (batch mode): the rows that
        reference them (bylines, tags, old slugs) must survive, which needs foreign keys off
        while the old copy is dropped."""
        store_with_content(empty_url)
        before = _counts(empty_url)
        upgrade(empty_url)
        assert _counts(empty_url) == before == dict.fromkeys(_COUNTS, 1)
        engine = create_db_engine(empty_url)
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    text("SELECT version, hero_media_id, slug FROM article WHERE id = 1")
                ).one()
                assert tuple(row) == (3, None, "jisr")
                if conn.dialect.name == "sqlite":
                    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            engine.dispose()
        downgrade(empty_url, "0001")
        assert _counts(empty_url) == before

    def test_articles_from_before_search_are_found_after_db_upgrade(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        """A store at 0002 has published articles but no index: ``khabar db upgrade`` builds
        the index as well as the tables, and search finds the old article by its headline, its
        tag and its author."""
        store_with_content(empty_url)
        upgrade(empty_url, "0002")

        env = {"KHABAR_DATABASE_URL": empty_url, "KHABAR_MEDIA_DIR": str(tmp_path / "media")}
        result = CliRunner().invoke(cli, ["db", "upgrade"], env=env)

        assert result.exit_code == 0, result.output
        assert current_revision(empty_url) == head()
        settings = Settings(
            database_url=empty_url, base_url="http://testserver", media_dir=str(tmp_path / "media")
        )
        with TestClient(create_app(settings)) as api:
            for q in ("جسر", "جسور", "سلمى"):
                response = api.get("/v1/search", params={"q": q})
                assert response.status_code == 200, response.text
                assert [hit["id"] for hit in response.json()["items"]] == ["a1"], q

    def test_articles_from_before_revisions_get_a_baseline_on_first_edit(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        """A store at 0003 has articles (version 3 here) but no revisions: after the upgrade the
        first edit stores the article as it was (a baseline at version 3), then the edit (4),
        and restoring the baseline gives back the old headline. Downgrading keeps every row."""
        store_with_content(empty_url)
        upgrade(empty_url, "0003")
        upgrade(empty_url)
        with upgraded_api(empty_url, tmp_path) as (api, auth):
            edited = api.patch(
                "/v1/articles/a1", json={"headline": "جسر جديد"}, headers={**auth, "If-Match": "3"}
            )
            assert edited.status_code == 200, edited.text
            history = api.get("/v1/articles/a1/revisions", headers=auth).json()["items"]
            assert [(r["version"], r["action"]) for r in history] == [
                (4, "update"),
                (3, "baseline"),
            ]
            assert history[0]["changed"] == ["headline"]
            restored = api.post(
                "/v1/articles/a1/revisions/3/restore", headers={**auth, "If-Match": "4"}
            )
            assert restored.status_code == 200, restored.text
            assert restored.json()["headline"] == "جسر"
            assert restored.json()["tags"][0]["slug"] == "bridges"
        before = _counts(empty_url)
        downgrade(empty_url, "0003")
        assert current_revision(empty_url) == "0003"
        assert _counts(empty_url) == before
        assert "article_revision" not in table_names(empty_url)

    def test_stores_from_before_events_sync_and_emit_after_upgrade(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        """A store at 0005 has content but no outbox: after the upgrade a first sync copies
        the old article, and the next change is event 1, which the sync token then brings.
        Downgrading drops the new tables and keeps every row of the old ones."""
        store_with_content(empty_url)
        upgrade(empty_url, "0005")
        upgrade(empty_url)
        with upgraded_api(empty_url, tmp_path) as (api, auth):
            first = api.get("/v1/sync").json()
            copied = [(e["type"], e["id"]) for e in first["items"]]
            while first["has_more"]:
                first = api.get("/v1/sync", params={"token": first["next_token"]}).json()
                copied += [(e["type"], e["id"]) for e in first["items"]]
            assert ("article", "a1") in copied
            assert ("tag", "bridges") in copied
            edited = api.patch(
                "/v1/articles/a1", json={"headline": "جسر جديد"}, headers={**auth, "If-Match": "3"}
            )
            assert edited.status_code == 200, edited.text
            store = Database(empty_url)
            try:
                with store.session() as session:
                    assert [(e.id, e.type) for e in session.scalars(select(Event))] == [
                        (1, "article.updated")
                    ]
            finally:
                store.dispose()
            changed = api.get("/v1/sync", params={"token": first["next_token"]}).json()
            assert [(e["id"], e["op"]) for e in changed["items"]] == [("a1", "upsert")]
            assert changed["items"][0]["data"]["headline"] == "جسر جديد"
        before = _counts(empty_url)
        downgrade(empty_url, "0005")
        assert _counts(empty_url) == before
        assert not {"event", "sync_item", "webhook"} & table_names(empty_url)
