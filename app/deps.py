"""Named dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.errors import Forbidden, Unauthorized
from app.models import ApiKey
from app.schemas.common import LANG_PATTERN, SLUG_MAX
from app.services import keys as key_service
from app.services.articles import ArticleFilters

bearer = HTTPBearer(
    auto_error=False,
    description="A management key: `Authorization: Bearer khb_…` (see `khabar keys create`).",
)


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in the
# thread pool, a hop that costs more than the work itself.


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Sessions are opened here without I/O (a Session connects on first use, in the handler's
# thread) and closed after the response. On SQLite closing only ends a transaction in the same
# process, which costs less than the thread-pool hop a sync dependency would take on the way in
# and again on the way out (measured: ~0.6 ms a hop, a third of a short read); on PostgreSQL the
# close is a round trip, so it goes to the thread pool.


async def _close(db: Database, session: Session) -> None:
    if db.is_sqlite:
        session.close()
    else:
        await run_in_threadpool(session.close)


async def read_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[Session]:
    session = db.read_session()
    try:
        yield session
    finally:
        await _close(db, session)


async def write_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[Session]:
    session = db.write_session()
    try:
        yield session
    finally:
        await _close(db, session)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
# scope="function": the session is closed as soon as the handler returns, before the response
# is sent, so its connection goes back to the pool at once.
SessionDep = Annotated[Session, Depends(read_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]


async def optional_key(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKey | None:
    """The caller's key, None without an Authorization header, 401 for a bad one."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use `Authorization: Bearer <key>`.")
    key = await run_in_threadpool(_authenticate, db, token.strip())
    if key is None:
        raise Unauthorized("The API key is unknown, revoked or expired.")
    return key


def _authenticate(db: Database, token: str) -> ApiKey | None:
    with db.session() as session:
        return key_service.authenticate(session, token=token)


OptionalKey = Annotated[ApiKey | None, Depends(optional_key)]


def require_role(*roles: str) -> Callable[[ApiKey | None], Coroutine[None, None, ApiKey]]:
    async def dependency(key: OptionalKey) -> ApiKey:
        if key is None:
            raise Unauthorized("This needs an API key: `Authorization: Bearer <key>`.")
        if key.role not in roles:
            raise Forbidden(f"A {key.role} key cannot do this; it needs: {', '.join(roles)}.")
        return key

    return dependency


WriterKey = Annotated[ApiKey, Depends(require_role("admin", "editor", "writer"))]
EditorKey = Annotated[ApiKey, Depends(require_role("admin", "editor"))]
AdminKey = Annotated[ApiKey, Depends(require_role("admin"))]

# The roles that work on content and so may see what is not public yet. A partner key reads
# what the public reads (plus embargoed articles when granted); its responses are still private.
NEWSROOM_ROLES = frozenset({"admin", "editor", "writer"})


def sees_drafts(key: ApiKey | None) -> bool:
    """Whether this caller may see unpublished content (drafts, scheduled, archived, trash)."""
    return key is not None and key.role in NEWSROOM_ROLES


def sees_embargo(key: ApiKey | None) -> bool:
    """Whether this caller may read embargoed articles ahead of their time."""
    return sees_drafts(key) or (key is not None and key.has_scope("embargo"))


async def page_limit(
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page (1–100).")] = 20,
) -> int:
    return limit


LimitDep = Annotated[int, Depends(page_limit)]
CursorQuery = Annotated[
    str | None,
    Query(max_length=500, description="Opaque cursor from the previous page's `next_cursor`."),
]
LangQuery = Annotated[str | None, Query(pattern=LANG_PATTERN, max_length=16)]
IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The ETag (or version) you last read; a stale one gets 412.",
    ),
]
# The article filters that lists, search and (later) feeds share.
SectionQuery = Annotated[
    str | None,
    Query(max_length=SLUG_MAX, description="Section slug; includes its sub-sections."),
]
TagQuery = Annotated[str | None, Query(max_length=SLUG_MAX, description="Tag slug.")]
AuthorQuery = Annotated[str | None, Query(max_length=SLUG_MAX, description="Author slug.")]
SinceQuery = Annotated[datetime | None, Query(description="Published at or after (ISO 8601).")]
UntilQuery = Annotated[datetime | None, Query(description="Published before (ISO 8601).")]


async def article_filters(
    section: SectionQuery = None,
    tag: TagQuery = None,
    author: AuthorQuery = None,
    lang: LangQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> ArticleFilters:
    """The public filters of every article list (articles, search, ninjs)."""
    return ArticleFilters(
        section=section, tag=tag, author=author, lang=lang, since=as_utc(since), until=as_utc(until)
    )


FiltersDep = Annotated[ArticleFilters, Depends(article_filters)]


def as_utc(value: datetime | None) -> datetime | None:
    """A query's datetime in UTC; one without an offset is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
