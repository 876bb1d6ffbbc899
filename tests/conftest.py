"""Databases and clients for the tests.

Every test that asks for ``client`` runs once per database: SQLite always, PostgreSQL too when
``KHABAR_TEST_DATABASE_URL`` is set. Each test gets an empty, migrated store: a copy of a
SQLite file migrated once per run, or a PostgreSQL database (one per xdist worker) emptied with
TRUNCATE.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database, sync_url
from app.main import create_app
from app.migrate import upgrade
from app.models import Base
from app.services import keys as key_service

PG_URL = os.environ.get("KHABAR_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "khabar.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A database of this xdist worker's own, migrated once."""
    assert PG_URL is not None
    base = make_url(PG_URL)
    # The process id keeps two test runs on one machine out of each other's databases.
    name = f"{base.database}_khabar_{worker_id}_{os.getpid()}"
    admin = create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "khabar.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def settings(database_url: str, media_dir: Path) -> Settings:
    # The scheduler is off unless a test turns it on: most tests schedule nothing, and a
    # background pass per client would only add noise.
    return Settings(
        database_url=database_url,
        base_url="http://testserver",
        media_dir=str(media_dir),
        scheduler_interval=0,
        websub_interval=0,
        webhook_interval=0,
        # Test receivers and hubs listen on 127.0.0.1; the SSRF tests turn this off.
        allow_private_webhooks=True,
        # The edge cache is off unless a test turns it on (tests/test_edge_http.py), or the
        # whole suite runs with it: KHABAR_TEST_CACHE_MB=16 make test.
        cache_max_mb=float(os.environ.get("KHABAR_TEST_CACHE_MB", "0")),
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database_url)
    yield db
    db.dispose()


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    app = create_app(settings, database=database)
    with TestClient(app) as test_client:
        yield test_client


def make_key(database: Database, role: str, *scopes: str) -> dict[str, str]:
    with database.session(write=True) as session:
        _key, token = key_service.create_key(
            session, name=f"test {role}", role=role, scopes=list(scopes)
        )
        session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def editor(database: Database) -> dict[str, str]:
    """Headers with an editor key."""
    return make_key(database, "editor")


@pytest.fixture
def writer(database: Database) -> dict[str, str]:
    return make_key(database, "writer")


@pytest.fixture
def admin(database: Database) -> dict[str, str]:
    return make_key(database, "admin")


@pytest.fixture
def partner(database: Database) -> dict[str, str]:
    """Headers with a partner key: reads what the public reads, privately."""
    return make_key(database, "partner")


@pytest.fixture
def embargo_partner(database: Database) -> dict[str, str]:
    """A partner key granted ``embargo``: also reads embargoed articles ahead of their time."""
    return make_key(database, "partner", "embargo")
