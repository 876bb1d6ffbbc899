"""Ready-made public JSON: a published article's page and its list card, kept as bytes.

A cold public read of an article was three queries, ORM objects, the presenter and Pydantic;
with its row here it is one indexed lookup and the bytes go out as they are. A public list is
its index range scan (the ids) and one lookup of their cards by primary key, joined by commas.

The rules that keep these rows exactly what the slow path would build:

1. **Deleted with every change that alters them, in the change's transaction.** Every content
   change writes an event (app.services.events), and each event names the articles whose
   public JSON it alters (``refresh_articles``: those linking to a changed article, those
   showing a changed section, tag, author or image). ``events.emit`` deletes their rows, and an
   article's own events delete its rows. A row exists only for a published article.
2. **Written by reads, never by writers.** A public read that finds no row builds the response
   as before, sends it, then keeps it (``keep``), but only if no event has been committed since
   it began reading (``seen``, from ``events.current_number``): the event counter, read under
   the lock that every writer holds from its event to its commit, must not have moved. A read
   that raced a change keeps nothing, and the next read builds again. (Building in the
   writer's transaction would need the serving settings, the site's URLs, in every writer:
   the CLI, the scheduler, other hosts; and a change to a tag would rebuild thousands of pages
   before it could commit.)
3. **Built for one format.** Each row records a hash of the presentation code and the site
   settings it was built with (``format_of``); a row of another format is ignored and replaced
   by the next read, so a deploy or a new base URL never serves old JSON.
4. **Served only once its ``published_at`` has passed**, as the public rule says.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import logging
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Integer, Select, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.models import EventCounter, ReadyArticle, ReadyCard
from app.models.base import UTCDateTime, utcnow
from app.models.events import COUNTER
from app.services.site import site as site_of

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)
AnySelect = Select[*tuple[Any, ...]]
T = TypeVar("T")

# The code that shapes an article's public JSON: a change to any of them changes the format.
FORMAT_MODULES = (
    "app.routers.present",
    "app.schemas.articles",
    "app.schemas.authors",
    "app.schemas.blocks",
    "app.schemas.common",
    "app.schemas.media",
    "app.schemas.sections",
    "app.schemas.tags",
    "app.services.articles",
    "app.services.site",
    "app.services.ready",
    "app.surrogate",
    "app.text.html",
)


@cache
def _code_digest() -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for name in FORMAT_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        with open(spec.origin, "rb") as source:
            digest.update(source.read())
    return digest.digest()


_formats: dict[int, tuple[Settings, str]] = {}


def format_of(settings: Settings) -> str:
    """What rows built for these settings by this code are marked with (24 hex digits)."""
    known = _formats.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    digest = hashlib.blake2b(_code_digest(), digest_size=12)
    digest.update(repr(site_of(settings)).encode())
    value = digest.hexdigest()
    _formats[id(settings)] = (settings, value)
    return value


@dataclass(frozen=True, slots=True)
class Page:
    """An article page as the public gets it."""

    body: bytes
    etag: str
    last_modified: datetime
    surrogate_keys: str  # the header's value


_NOW = bindparam("now", type_=UTCDateTime())
_PAGE = select(
    ReadyArticle.body,
    ReadyArticle.etag,
    ReadyArticle.last_modified,
    ReadyArticle.surrogate_keys,
).where(
    ReadyArticle.public_id == bindparam("public_id"),
    ReadyArticle.format == bindparam("format"),
    ReadyArticle.published_at <= _NOW,
)
_CARDS = select(ReadyCard.article_id, ReadyCard.body).where(
    ReadyCard.article_id.in_(bindparam("ids", expanding=True, type_=Integer())),
    ReadyCard.format == bindparam("format"),
)
_PAGES = select(ReadyArticle.article_id, ReadyArticle.body).where(
    ReadyArticle.article_id.in_(bindparam("ids", expanding=True, type_=Integer())),
    ReadyArticle.format == bindparam("format"),
    ReadyArticle.published_at <= _NOW,
)
_COUNTER_LOCKED = select(EventCounter.value).where(EventCounter.name == COUNTER).with_for_update()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A prebuilt statement compiled for one dialect, with the type conversions SQLAlchemy
    would apply to its parameters and result columns."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for a positional paramstyle
    values: dict[str, Any]  # of the parameters with a value in the statement (literals)
    binds: dict[str, Callable[[Any], Any]]
    results: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, params: dict[str, Any]) -> Any:
        """The DBAPI parameters for these values (converted, in order when positional)."""
        values = self.values | params
        for name, process in self.binds.items():
            values[name] = process(values[name])
        return values if self.order is None else tuple(values[n] for n in self.order)


@cache
def prepare(statement: AnySelect, dialect: Dialect) -> Prepared:
    compiled = statement.compile(dialect=dialect)
    binds: dict[str, Callable[[Any], Any]] = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
    return Prepared(
        sql=compiled.string,
        order=tuple(compiled.positiontup or ()) if dialect.positional else None,
        values={k: v for k, v in compiled.params.items() if v is not None},
        binds=binds,
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ),
    )


def run_raw(db: Database, statement: AnySelect, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a prebuilt SELECT on a pooled DBAPI connection, without a Session or SQLAlchemy's
    execution layers (a tenth of the time through the ORM for a one-row lookup: 15 against
    170 µs on SQLite): app.lane answers most public reads with it on SQLite."""
    prepared = prepare(statement, db.engine.dialect)
    args = prepared.arguments(params)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(prepared.sql, args)
            rows = cursor.fetchall()
        finally:
            cursor.close()
    except Exception:
        connection.invalidate()  # not back to the pool: it may be broken
        raise
    finally:
        connection.close()  # back to the pool (rolled back, a no-op in autocommit)
    return _converted(prepared, rows)


def _converted(prepared: Prepared, rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    if not any(prepared.results):
        return [tuple(row) for row in rows]
    return [
        tuple(
            value if process is None else process(value)
            for process, value in zip(prepared.results, row, strict=True)
        )
        for row in rows
    ]


# A read of a few prebuilt statements, written once for every way of running it (``run`` on
# raw connections, ``AsyncLookups.run`` on the event loop, ``run_in`` in a session): a
# generator that yields each statement with its parameters, is sent its rows, and returns the
# answer.
Lookup = Generator[tuple[AnySelect, dict[str, Any]], list[tuple[Any, ...]], T]


def run(db: Database, lookup: Lookup[T]) -> T:
    """Run a lookup's statements with ``run_raw`` (app.lane on SQLite)."""
    try:
        step = next(lookup)
        while True:
            step = lookup.send(run_raw(db, *step))
    except StopIteration as done:
        return done.value


def run_in(session: Session, lookup: Lookup[T]) -> T:
    """Run a lookup's statements in a session (a route, which has one open already)."""
    try:
        step = next(lookup)
        while True:
            statement, params = step
            step = lookup.send([tuple(row) for row in session.execute(statement, params)])
    except StopIteration as done:
        return done.value


LOOKUPS_NAME = "khabar lookups"  # their application_name, as pg_stat_activity shows it


class AsyncLookups:
    """Connections of their own for lookups on PostgreSQL, used on the event loop: a lookup
    waits for its round trip without a worker thread, and many wait at once. At most ``size``
    are open; the last one back is the next one out; autocommit, so a lookup is one round trip.
    A connection that fails or is cancelled during a lookup is closed, never reused."""

    def __init__(self, db: Database, *, size: int = 10) -> None:
        url = make_url(db.url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._dialect = db.engine.dialect
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []

    async def rows(self, statement: AnySelect, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        import psycopg  # only PostgreSQL deployments need it

        prepared = prepare(statement, self._dialect)
        args = prepared.arguments(params)
        async with self._slots:
            if self._idle:
                connection = self._idle.pop()
            else:
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, application_name=LOOKUPS_NAME
                )
            try:
                async with connection.cursor() as cursor:
                    await cursor.execute(prepared.sql, args)
                    rows = await cursor.fetchall()
            except BaseException:
                await connection.close()
                raise
            self._idle.append(connection)
        return _converted(prepared, rows)

    async def run(self, lookup: Lookup[T]) -> T:
        try:
            step = next(lookup)
            while True:
                step = lookup.send(await self.rows(*step))
        except StopIteration as done:
            return done.value

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


def find_page(settings: Settings, public_id: str) -> Lookup[Page | None]:
    """The article's ready-made page, if it is published and has one."""
    rows = yield _PAGE, {"public_id": public_id, "format": format_of(settings), "now": utcnow()}
    return Page(*rows[0]) if rows else None


def page(session: Session, settings: Settings, public_id: str) -> Page | None:
    """``find_page`` in a route's session."""
    return run_in(session, find_page(settings, public_id))


def cards(session: Session, settings: Settings, ids: list[int]) -> dict[int, bytes]:
    """The ready cards among these articles, by id (the caller checked they are public)."""
    if not ids:
        return {}
    rows = session.execute(_CARDS, {"ids": ids, "format": format_of(settings)})
    return {article_id: body for article_id, body in rows}


def pages(session: Session, settings: Settings, ids: list[int]) -> dict[int, bytes]:
    """The bodies of the ready pages among these articles, by id."""
    if not ids:
        return {}
    params = {"ids": ids, "format": format_of(settings), "now": utcnow()}
    return {article_id: body for article_id, body in session.execute(_PAGES, params)}


def forget(session: Session, articles: Select[Any] | Iterable[int]) -> None:
    """Delete the rows of these articles (a query of ``Article.id``, or ids): in a writing
    transaction, after its event took the counter (see ``keep``)."""
    ids: Any = articles.scalar_subquery() if isinstance(articles, Select) else list(articles)
    for table in (ReadyArticle, ReadyCard):
        session.execute(
            delete(table)
            .where(table.article_id.in_(ids))
            .execution_options(synchronize_session=False)
        )


def page_row(
    settings: Settings,
    *,
    article_id: int,
    public_id: str,
    published_at: datetime,
    page: Page,
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "public_id": public_id,
        "format": format_of(settings),
        "published_at": published_at,
        "last_modified": page.last_modified,
        "etag": page.etag,
        "surrogate_keys": page.surrogate_keys,
        "body": page.body,
    }


def card_row(settings: Settings, *, article_id: int, body: bytes) -> dict[str, Any]:
    return {"article_id": article_id, "format": format_of(settings), "body": body}


def keep(
    db: Database,
    seen: int,
    *,
    pages: Sequence[dict[str, Any]] = (),
    cards: Sequence[dict[str, Any]] = (),
) -> bool:
    """Store rows a read built from what it read after ``seen``, unless an event has been
    committed since (then one of them may show what changed, and nothing is stored).

    Writers take the counter before they delete rows and hold it until they commit; this
    takes it too (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE). So a
    change is either committed before this looks (the counter moved: nothing is stored) or
    starts after this commits (and deletes what this stored). Best effort: a busy database
    keeps nothing, and a later read tries again. Returns whether the rows were stored."""
    if not pages and not cards:
        return False
    try:
        with db.session(write=True) as session:
            if int(session.scalar(_COUNTER_LOCKED) or 0) != seen:
                return False
            if pages:
                session.execute(_upsert(session, ReadyArticle), list(pages))
            if cards:
                session.execute(_upsert(session, ReadyCard), list(cards))
            session.commit()
            return True
    except DBAPIError as error:
        log.warning("ready-made JSON not kept: %s", error)
        return False


def _upsert(session: Session, table: type[ReadyArticle] | type[ReadyCard]) -> Any:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    columns = [c.name for c in table.__table__.columns if c.name != "article_id"]
    return statement.on_conflict_do_update(
        index_elements=["article_id"],
        set_={name: statement.excluded[name] for name in columns},
    )
