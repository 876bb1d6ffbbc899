"""The ready lane: public reads answered from ready-made JSON before FastAPI routes them.

Most of the time of a cold public read through FastAPI went to its per-request machinery
(routing, dependency injection, the thread pool), not to the database: with the article's
page ready-made (app.services.ready), the page is one indexed lookup. This ASGI layer sits in
front of the app (behind the edge cache, when there is one) and answers, for the public (no
``Authorization``, no cookie):

- ``GET /v1/articles/{id}`` without a query: the article's ready-made page;
- ``GET /v1/articles/slug/{slug}`` without a query, for a slug in normal form that names one
  article plainly: its ready-made page;
- ``GET /v1/articles`` with at most ``limit`` and ``cursor``: the list page, when the card of
  every article on it is ready-made.

It answers with the very responses the routes make (``articles.page_response`` and
``articles.list_response``, which the routes use for the same reads), and only the happy path:
anything else (a miss, a query it does not take, a bad cursor, HEAD) goes on to the app, which
answers as before, and builds and keeps what was missing.

The lookups run on the event loop: for SQLite in this thread, a local file read in tens of
microseconds (a hop to a worker thread costs more); for PostgreSQL on asynchronous connections
of their own (``ready.AsyncLookups``), so a request waiting for its round trip holds neither
the loop nor a worker thread.
"""

from __future__ import annotations

import logging
import re
from typing import TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.db import Database
from app.errors import KhabarError
from app.routers.articles import list_response, page_response
from app.schemas.common import SLUG_MAX
from app.services import articles as article_service
from app.services import ready

log = logging.getLogger(__name__)
T = TypeVar("T")

ARTICLE = re.compile(r"/v1/articles/([0-9a-z]{1,32})")
BY_SLUG = "/v1/articles/slug/"
LIST = "/v1/articles"
LIMIT = re.compile(r"[1-9][0-9]{0,2}")
MAX_LIMIT = 100
MAX_CURSOR = 500
_PRIVATE = (b"authorization", b"cookie")


class ReadyLane:
    def __init__(self, app: ASGIApp, *, db: Database, settings: Settings) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self._lookups: ready.AsyncLookups | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = None
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not any(name in _PRIVATE for name, _ in scope["headers"])
        ):
            try:
                response = await self._answer(scope)
            except Exception:  # the app answers, and reports what is wrong as it does
                log.exception("ready lane: %s", scope["path"])
        if response is None:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        if path == LIST:
            return await self._list(scope)
        if scope["query_string"]:
            return None
        if path.startswith(BY_SLUG):
            slug = path[len(BY_SLUG) :]
            if not slug or "/" in slug or len(slug) > SLUG_MAX * 4:  # as the route allows
                return None
            return await self._by_slug(scope, slug)
        found = ARTICLE.fullmatch(path)
        if found is None:
            return None
        return await self._article(scope, found.group(1))

    async def _look(self, lookup: ready.Lookup[T]) -> T:
        if self.db.is_sqlite:
            return ready.run(self.db, lookup)
        if self._lookups is None:
            self._lookups = ready.AsyncLookups(self.db)
        return await self._lookups.run(lookup)

    async def close(self) -> None:
        """Close the connections of the PostgreSQL lookups (at shutdown)."""
        if self._lookups is not None:
            await self._lookups.close()

    async def _article(self, scope: Scope, public_id: str) -> Response | None:
        page = await self._look(ready.find_page(self.settings, public_id))
        if page is None:
            return None
        return page_response(Request(scope), self.settings, page)

    async def _by_slug(self, scope: Scope, slug: str) -> Response | None:
        page = await self._look(article_service.find_ready_by_slug(self.settings, slug))
        if page is None:
            return None
        return page_response(Request(scope), self.settings, page)

    async def _list(self, scope: Scope) -> Response | None:
        limit, cursor = 20, None
        seen: set[str] = set()
        for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            if name in seen:
                return None
            seen.add(name)
            if name == "limit" and LIMIT.fullmatch(value) and int(value) <= MAX_LIMIT:
                limit = int(value)
            elif name == "cursor" and 0 < len(value) <= MAX_CURSOR:
                cursor = value
            else:
                return None
        try:
            lookup = article_service.find_ready_list(self.settings, cursor=cursor, limit=limit)
            found = await self._look(lookup)
        except KhabarError:
            return None  # a bad cursor: the app answers the problem
        if found is None:
            return None
        ids, cards, next_cursor = found
        return list_response(Request(scope), self.settings, ids, cards, next_cursor)
