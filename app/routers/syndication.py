"""Syndication: published articles as IPTC ninjs 2.2, for partners.

The mapping (what goes where, and why) is described in ``app.services.ninjs``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field, RootModel

from app import surrogate
from app.deps import (
    CursorQuery,
    FiltersDep,
    LimitDep,
    OptionalKey,
    SessionDep,
    SettingsDep,
    sees_drafts,
    sees_embargo,
)
from app.errors import NotFound
from app.responses import json_response, page_links
from app.routers.present import presenter
from app.schemas.common import Links, problem_responses
from app.services import articles as article_service
from app.services import ninjs as ninjs_service
from app.services.ninjs import NinjsItem

router = APIRouter(tags=["syndication"])

ArticleId = Annotated[str, Path(max_length=32, description="The article's public id.")]


# The responses wrap the ninjs items (typed in app.services.ninjs) so that they are serialised,
# validated and documented like every other body.


class NinjsDocument(RootModel[NinjsItem]):
    """An article as an IPTC ninjs 2.2 news item."""


class NinjsList(BaseModel):
    items: list[NinjsItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    links: Links


@router.get(
    "/v1/ninjs",
    response_model=NinjsList,
    summary="List published articles as IPTC ninjs",
    responses=problem_responses(304, 400, 401, 404, 422),
)
def list_ninjs(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    filters: FiltersDep,
    cursor: CursorQuery = None,
) -> Response:
    """The page `GET /v1/articles` gives with the same parameters, each article a full ninjs
    item. Published articles only, whatever the key."""
    cards, next_cursor = article_service.list_articles(
        session, filters=filters, cursor=cursor, limit=limit
    )
    view = presenter(settings)
    items = [
        ninjs_service.item(page, view.article(page), site=view.site)
        for page in ninjs_service.pages(session, cards=cards)
    ]
    links, headers = page_links(request, settings, next_cursor)
    page = NinjsList(items=items, next_cursor=next_cursor, links=links)
    return json_response(
        request, settings, page, public=key is None, headers=headers, keys=[surrogate.ARTICLES]
    )


@router.get(
    "/v1/articles/{article_id}/ninjs",
    response_model=NinjsDocument,
    summary="Get a published article as IPTC ninjs",
    responses=problem_responses(304, 401, 404, 422),
)
def get_ninjs(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    article_id: ArticleId,
) -> Response:
    """A partner key granted `embargo` also reads embargoed articles: `pubstatus` is then
    `withheld` and `embargoed` the time it may run. A newsroom key reads drafts too."""
    public = not sees_drafts(key)
    full = article_service.read_article(
        session, article_id=article_id, public=public, embargo=sees_embargo(key)
    )
    if full is None:
        raise NotFound(f"No published article has the id «{article_id}».")
    view = presenter(settings)
    read = view.article(full)
    document = NinjsDocument(ninjs_service.item(full, read, site=view.site))
    return json_response(
        request,
        settings,
        document,
        public=key is None,
        version=full.article.version,
        last_modified=full.article.updated_at,
        keys=surrogate.article_keys(read),
    )
