"""Engine and sessions.

One URL selects the store: SQLite (embedded default) or PostgreSQL. SQLite runs in WAL mode
with foreign keys and a busy timeout. Write transactions on SQLite start with
``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of one failing when
it tries to upgrade a read lock (the classic SQLITE_BUSY on deferred transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000


def sync_url(url: str) -> URL:
    """The URL with the driver Khabar uses: pysqlite or psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return make_url(str(url) if isinstance(url, URL) else url).get_backend_name() == "sqlite"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = sync_url(url)
    kwargs: dict[str, Any] = {
        "echo": echo,
        # JSON columns (bodies) stored as plain UTF-8, not \uXXXX-escaped: far smaller for Arabic.
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
        # The most recently used connection first: a quiet process keeps reusing a few warm
        # ones (SQLite's page cache is per connection) instead of cycling through the pool.
        "pool_use_lifo": True,
    }
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        # As many pooled connections as the thread pool has threads (anyio's default is 40):
        # an overflow connection is opened, set up and closed for one request.
        kwargs["pool_size"] = 40
        kwargs["max_overflow"] = 10
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs["pool_pre_ping"] = True
    kwargs["pool_size"] = 10
    kwargs["max_overflow"] = 20
    return create_engine(parsed, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The engine plus two session factories: one for reads, one for writes."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_db_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self.read_session = sessionmaker(self.engine, expire_on_commit=False)
        self.write_session = sessionmaker(write_bind, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        factory = self.write_session if write else self.read_session
        with factory() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
