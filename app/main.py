"""The application factory: routers, error handlers, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__, memory
from app.cache_sync import CacheSync, Signal, signal_path
from app.config import Settings, get_settings
from app.db import Database
from app.edge import EdgeCache, EdgeStore
from app.errors import KhabarError
from app.head import HeadAsGet
from app.lane import ReadyLane
from app.routers import (
    articles,
    audit,
    authors,
    feeds,
    keys,
    media,
    root,
    search,
    sections,
    sitemaps,
    sync,
    syndication,
    tags,
    webhooks,
)
from app.schemas.common import PROBLEM_MEDIA, FieldError, Problem
from app.services import scheduler, websub
from app.services import webhooks as webhook_service
from app.services.storage import open_storage

DESCRIPTION = """
Khabar (خبر) is a headless content API for Arabic-first newsrooms.

* **Public delivery** needs no key and only ever shows published content.
* **Management** needs `Authorization: Bearer <key>` (`khabar keys create --role editor`).
* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`.
* Every text-carrying object has `lang` and `dir` (`rtl`/`ltr`); Arabic is plain UTF-8.
* Lists use opaque keyset cursors: follow `links.next` until it is `null`.
* Public GETs carry `ETag` (send `If-None-Match` for a 304) and `Cache-Control`.
* Updates need `If-Match` with the ETag you read: a stale one gets 412 and changes nothing.
"""


def problem(status: int, title: str, detail: str | None, **extra: Any) -> Response:
    body = Problem(type="about:blank", title=title, status=status, detail=detail, **extra)
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="khabar"'
    return Response(
        body.model_dump_json(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA,
        headers=headers,
    )


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI wraps included routers
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        elif isinstance(route, Route):
            yield route


def allowed_methods(request: Request) -> list[str]:
    path = request.url.path
    methods = {
        method
        for route in _leaf_routes(request.app.router.routes)
        if route.path_regex.match(path)
        for method in route.methods or ()
    }
    if "GET" in methods:
        methods.add("HEAD")  # see app.head
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KhabarError)
    async def on_khabar_error(_request: Request, exc: KhabarError) -> Response:
        return problem(exc.status, exc.title, exc.detail, errors=exc.errors, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, "Validation failed", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        response = problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            # Starlette names the methods of the first route matching the path; RFC 9110 asks
            # for every method the resource has.
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    @app.exception_handler(StaleDataError)
    async def on_stale(_request: Request, _exc: StaleDataError) -> Response:
        return problem(
            412, "Precondition failed", "Someone else changed it meanwhile: read it again."
        )

    @app.exception_handler(IntegrityError)
    async def on_integrity(_request: Request, _exc: IntegrityError) -> Response:
        return problem(
            409, "Conflict", "The change conflicts with existing content (a duplicate?)."
        )


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Background work of every server process: scheduled publication, WebSub and webhook
        # delivery, and the edge cache's look at changes made elsewhere.
        stop = asyncio.Event()
        tasks = []
        if settings.scheduler_interval > 0:
            tasks.append(
                scheduler.run(
                    app.state.db,
                    interval=settings.scheduler_interval,
                    stop=stop,
                    hubs=settings.websub_hubs,
                    base_url=settings.base_url,
                )
            )
        if settings.websub_interval > 0 and settings.websub_hubs:
            tasks.append(
                websub.run(
                    app.state.db,
                    interval=settings.websub_interval,
                    max_attempts=settings.websub_max_attempts,
                    stop=stop,
                    allow_private=settings.allow_private_webhooks,
                    hubs=settings.websub_hubs,
                )
            )
        if settings.webhook_interval > 0:
            tasks.append(webhook_service.run(app.state.db, settings=settings, stop=stop))
        if cache_sync is not None:
            await asyncio.to_thread(cache_sync.start)
            tasks.append(
                cache_sync.poll(app.state.edge, interval=settings.cache_poll_interval, stop=stop)
            )
            if settings.redis_url:
                tasks.append(cache_sync.listen(app.state.edge, stop=stop))
        tasks.append(memory.trim_every(1.0, stop=stop))
        running = [asyncio.create_task(task) for task in tasks]
        yield
        stop.set()
        await asyncio.gather(*running)
        await lane.close()
        if database is None:
            app.state.db.dispose()

    app = Khabar(
        title="Khabar",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url, echo=settings.database_echo)
    app.state.storage = open_storage(settings)
    install_error_handlers(app)
    app.add_middleware(HeadAsGet)
    cache_sync: CacheSync | None = None
    app.front = lane = ReadyLane(app.behind, db=app.state.db, settings=settings)
    if settings.cache_max_mb > 0:
        store = EdgeStore(max_bytes=int(settings.cache_max_mb * 2**20), ttl=settings.cache_s_maxage)
        cache_sync = CacheSync(
            app.state.db,
            Signal(signal_path(settings.database_url)),
            redis_url=settings.redis_url,
            channel=settings.redis_channel,
        )
        cache_sync.install()
        app.state.edge = store
        app.state.cache_sync = cache_sync
        app.front = EdgeCache(app.front, store=store, sync=cache_sync)
    for module in (
        root,
        articles,
        sections,
        tags,
        authors,
        media,
        search,
        feeds,
        sitemaps,
        syndication,
        sync,
        keys,
        audit,
        webhooks,
    ):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


class Khabar(FastAPI):
    """FastAPI with ASGI layers in front of everything it does per request (its own dispatch,
    Starlette's error handling, the middleware), so that what they answer (an edge cache hit,
    a ready-made page: app.edge, app.lane) costs nothing else. Errors of the app behind them
    are handled as ever."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is not None and scope["type"] == "http":
            await self.front(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def behind(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app without the front layer (what the layer passes requests on to)."""
        await super().__call__(scope, receive, send)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the problem document every error route refers to."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldError):
        components[model.__name__] = _component(model)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem_content = {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            if "requestBody" in operation:
                # A body that is not JSON at all (or not UTF-8) is refused before validation.
                responses.setdefault("400", {"description": "The body could not be parsed."})
            # Every error, FastAPI's own 422 included, is a problem document.
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = problem_content
    app.openapi_schema = schema
    return schema


def _component(model: type[BaseModel]) -> dict[str, Any]:
    definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definition.pop("$defs", None)
    return definition
