"""Named dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.errors import Forbidden, Unauthorized
from app.models import ApiKey
from app.services import keys as key_service

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


def read_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    with db.session() as session:
        yield session


def write_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    with db.session(write=True) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(read_session)]
WriteSessionDep = Annotated[Session, Depends(write_session)]


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


async def page_limit(
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page (1–100).")] = 20,
) -> int:
    return limit


LimitDep = Annotated[int, Depends(page_limit)]
CursorQuery = Annotated[
    str | None,
    Query(max_length=500, description="Opaque cursor from the previous page's `next_cursor`."),
]
