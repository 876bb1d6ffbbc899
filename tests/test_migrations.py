"""The migrations build exactly the schema the models describe, and undo it.

Each test runs on SQLite and, when KHABAR_TEST_DATABASE_URL is set, on a throwaway PostgreSQL
database of its own (the shared test databases are already migrated and must stay that way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.db import create_db_engine, sync_url
from app.migrate import alembic_config, downgrade, upgrade
from app.models import Base

PG_URL = os.environ.get("KHABAR_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
MODEL_TABLES = set(Base.metadata.tables)


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
        assert table_names(empty_url) == MODEL_TABLES | {"alembic_version"}
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
                context = MigrationContext.configure(conn, opts={"compare_type": True})
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
        assert table_names(empty_url) == MODEL_TABLES | {"alembic_version"}
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
