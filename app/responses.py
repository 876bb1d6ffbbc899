"""JSON responses with validators and caching headers, shared by every read endpoint.

Bodies are serialised once by Pydantic (UTF-8, Arabic as is, never ``\\uXXXX``). The strong
``ETag`` is a hash of exactly those bytes, prefixed with the content version where there is one
(``"v7-…"``) so that the same value works as ``If-Match`` on the write endpoints.

Public responses also carry ``Surrogate-Key`` (see app.surrogate): the content they show, for
a CDN to purge when it changes. A 304 carries the same headers as the 200 would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.datastructures import URL

from app import surrogate
from app.config import Settings
from app.schemas.common import Links

JSON_MEDIA = "application/json"
PRIVATE = "private, no-store"


def cache_control(settings: Settings, *, public: bool) -> str:
    if not public:
        return PRIVATE
    return (
        f"public, max-age={settings.cache_max_age}, s-maxage={settings.cache_s_maxage}, "
        f"stale-while-revalidate={settings.cache_stale_while_revalidate}, "
        f"stale-if-error={settings.cache_stale_if_error}"
    )


def caching_headers(settings: Settings, *, public: bool, surrogate_key: str) -> dict[str, str]:
    """``Cache-Control``, and for a public response with keys, ``Surrogate-Key`` (its value:
    ``surrogate.header``)."""
    out = {"Cache-Control": cache_control(settings, public=public)}
    if public and surrogate_key:
        out["Surrogate-Key"] = surrogate_key
    return out


def private_response(model: BaseModel, *, status_code: int = 200) -> Response:
    """A body that must not be cached nor revalidated: one that carries a secret (a new key,
    a webhook's signing secret) or the result of an action."""
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        media_type=JSON_MEDIA,
        headers={"Cache-Control": PRIVATE},
    )


def make_etag(body: bytes, version: int | None = None) -> str:
    digest = hashlib.blake2b(body, digest_size=10).hexdigest()
    return f'"v{version}-{digest}"' if version is not None else f'"{digest}"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Weak comparison, as If-None-Match asks for (RFC 9110 §13.1.2)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def json_response(
    request: Request,
    settings: Settings,
    model: BaseModel,
    *,
    public: bool,
    status_code: int = 200,
    include: Any = None,
    version: int | None = None,
    last_modified: datetime | None = None,
    headers: Mapping[str, str] | None = None,
    keys: Iterable[str] = (),
) -> Response:
    """``keys``: the surrogate keys of what ``model`` shows (sent when ``public``)."""
    body = model.model_dump_json(include=include).encode("utf-8")
    return json_bytes_response(
        request,
        settings,
        body,
        etag=make_etag(body, version),
        public=public,
        status_code=status_code,
        last_modified=last_modified,
        headers=headers,
        surrogate_key=surrogate.header(keys),
    )


def json_bytes_response(
    request: Request,
    settings: Settings,
    body: bytes,
    *,
    etag: str,
    public: bool,
    status_code: int = 200,
    last_modified: datetime | None = None,
    headers: Mapping[str, str] | None = None,
    surrogate_key: str = "",
) -> Response:
    """``json_response`` for a body serialised already (ready-made JSON, a list's cards joined):
    ``surrogate_key`` is the header's value (``surrogate.header``)."""
    out = {
        "ETag": etag,
        **caching_headers(settings, public=public, surrogate_key=surrogate_key),
        "Vary": "Authorization",
        **(headers or {}),
    }
    if last_modified is not None:
        out["Last-Modified"] = format_datetime(last_modified, usegmt=True)
    if request.method in ("GET", "HEAD") and etag_matches(
        request.headers.get("if-none-match"), etag
    ):
        return Response(status_code=304, headers=out)
    return Response(body, status_code=status_code, media_type=JSON_MEDIA, headers=out)


def bytes_response(
    request: Request,
    settings: Settings,
    body: bytes,
    *,
    media_type: str,
    public: bool = True,
    last_modified: datetime | None = None,
    headers: Mapping[str, str] | None = None,
    keys: Iterable[str] = (),
) -> Response:
    """``json_response`` for bytes made elsewhere (feeds, sitemaps, JSON-LD): a strong ETag
    over them, ``Last-Modified`` when given, and a 304 for ``If-None-Match`` or, when that is
    not sent, ``If-Modified-Since`` (RFC 9110 §13.2.2)."""
    etag = make_etag(body)
    out = {
        "ETag": etag,
        **caching_headers(settings, public=public, surrogate_key=surrogate.header(keys)),
        **(headers or {}),
    }
    if last_modified is not None:
        out["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if request.method in ("GET", "HEAD") and _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=out)
    return Response(body, media_type=media_type, headers=out)


def _not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False  # an unparsable date is ignored
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # Whole seconds, as Last-Modified has them.
    return last_modified.replace(microsecond=0) <= when


def page_links(
    request: Request, settings: Settings, next_cursor: str | None
) -> tuple[Links, dict[str, str]]:
    """``links`` of a list page, and its ``Link: rel="next"`` header, on the public base URL
    (not the Host the request came in with, which behind a proxy is an internal name)."""
    url = URL(settings.base_url.rstrip("/") + request.url.path).replace(query=request.url.query)
    if next_cursor is None:
        return Links(self=str(url), next=None), {}
    next_url = str(url.include_query_params(cursor=next_cursor))
    return Links(self=str(url), next=next_url), {"Link": f'<{next_url}>; rel="next"'}
