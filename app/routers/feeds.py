"""Feeds: the newest published articles as RSS 2.0 (Media RSS), Atom 1.0 and JSON Feed 1.1.

Feeds are public whoever asks: a key unlocks nothing here (the Authorization header is not even
read), so every response is the same for everyone and cacheable as such.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from app import surrogate
from app.config import Settings
from app.db import Database
from app.deps import (
    AuthorQuery,
    DbDep,
    LangQuery,
    SectionQuery,
    SessionDep,
    SettingsDep,
    TagQuery,
)
from app.responses import bytes_response
from app.routers.articles import public_pages
from app.routers.present import presenter
from app.schemas.common import problem_responses
from app.services import feeds as feed_service
from app.services.feeds import MEDIA_TYPES, FeedItem, FeedQuery, Kind

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])

ContentQuery = Annotated[
    Literal["full", "summary"] | None,
    Query(
        description="`full`: each item carries the whole body as HTML; `summary`: the summary "
        "only. Default: KHABAR_FEED_FULL_CONTENT."
    ),
]


async def feed_query(
    section: SectionQuery = None,
    tag: TagQuery = None,
    author: AuthorQuery = None,
    lang: LangQuery = None,
    content: ContentQuery = None,
) -> FeedQuery:
    return FeedQuery(section=section, tag=tag, author=author, lang=lang, content=content)


FeedQueryDep = Annotated[FeedQuery, Depends(feed_query)]

_ERRORS = {
    **problem_responses(304, 404, 422),
    304: {"description": "Not modified (If-None-Match matched, or If-Modified-Since)."},
}
_XML = {"schema": {"type": "string"}}
# Enough of JSON Feed 1.1 (https://jsonfeed.org/version/1.1) to say what each item carries.
_JSON_FEED = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"type": "string", "const": feed_service.JSON_FEED_VERSION},
        "title": {"type": "string"},
        "home_page_url": {"type": "string"},
        "feed_url": {"type": "string"},
        "description": {"type": "string"},
        "language": {"type": "string"},
        "icon": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "object"}},
        "hubs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "url": {"type": "string"}},
            },
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": {"type": "string"},
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "authors": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                    },
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                },
            },
        },
    },
}


def _responses(media: str, schema: dict[str, Any], what: str) -> dict[int | str, Any]:
    return {200: {"description": what, "content": {media: schema}}, **_ERRORS}


@router.get(
    "/rss",
    response_class=Response,
    summary="RSS 2.0 feed",
    responses=_responses(
        "application/rss+xml", _XML, "RSS 2.0 with content:encoded, dc:creator and Media RSS."
    ),
)
def rss_feed(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    query: FeedQueryDep,
) -> Response:
    """The newest published articles (KHABAR_FEED_ITEMS), site-wide or by section (with its
    sub-sections), tag, author and language (`lang` is also the feed's language; default: the
    site's). Each item has its hero as `media:content` and `media:thumbnail`. A key unlocks
    nothing: drafts never appear. Send `If-None-Match` or `If-Modified-Since` for a 304."""
    return _feed(request, session, db, settings, "rss", query)


@router.get(
    "/atom",
    response_class=Response,
    summary="Atom 1.0 feed",
    responses=_responses(
        "application/atom+xml", _XML, "Atom 1.0; the hero as a link rel=enclosure."
    ),
)
def atom_feed(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    query: FeedQueryDep,
) -> Response:
    """The same articles as the RSS feed, in Atom 1.0."""
    return _feed(request, session, db, settings, "atom", query)


@router.get(
    "/json",
    response_class=Response,
    summary="JSON Feed 1.1",
    responses=_responses("application/feed+json", {"schema": _JSON_FEED}, "JSON Feed 1.1."),
)
def json_feed(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    query: FeedQueryDep,
) -> Response:
    """The same articles as the RSS feed, in JSON Feed 1.1."""
    return _feed(request, session, db, settings, "json", query)


def _feed(
    request: Request,
    session: Session,
    db: Database,
    settings: Settings,
    kind: Kind,
    query: FeedQuery,
) -> Response:
    view = presenter(settings, query.lang)
    feed = feed_service.build(session, settings, kind=kind, query=query)
    keep = None
    if view.lang == settings.default_language:  # the articles' pages as the public gets them
        pages, keep = public_pages(session, db, settings, feed.ids)
        feed.items = [FeedItem.model_validate_json(pages[i]) for i in feed.ids if i in pages]
    else:
        feed.items = feed_service.items_of(session, feed.ids, view.article)
    session.close()  # the connection goes back to the pool before the rendering
    body = feed_service.render(feed)
    headers = {"Vary": "Accept-Encoding"}
    if feed.hubs:
        # WebSub discovery (§4) by Link headers as well, for subscribers that look only there.
        links = [f'<{hub}>; rel="hub"' for hub in feed.hubs] + [f'<{feed.self_url}>; rel="self"']
        headers["Link"] = ", ".join(links)
    response = bytes_response(
        request,
        settings,
        body,
        media_type=MEDIA_TYPES[kind],
        last_modified=feed.updated,
        headers=headers,
        keys=[surrogate.FEEDS],
    )
    response.background = keep
    return response
