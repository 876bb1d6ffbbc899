"""Delta sync for offline apps: copy the public content once, then fetch what changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.deps import LangQuery, SessionDep, SettingsDep
from app.errors import BadRequest
from app.responses import json_response
from app.routers.present import Presenter, presenter
from app.schemas.articles import ArticleRead
from app.schemas.authors import AuthorRead
from app.schemas.common import problem_responses
from app.schemas.sections import SectionRead
from app.schemas.sync import SyncEntry, SyncLinks, SyncPage
from app.schemas.tags import TagRead
from app.services import sync as sync_service

router = APIRouter(prefix="/v1/sync", tags=["sync"])

TokenQuery = Annotated[
    str | None,
    Query(max_length=2000, description="`next_token` of the previous page; none to start."),
]
SyncLimit = Annotated[int, Query(ge=1, le=500, description="Items per page (1–500).")]


@router.get(
    "",
    response_model=SyncPage,
    summary="Sync the public content (delta)",
    responses=problem_responses(304, 400, 404, 422),
)
def sync(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: TokenQuery = None,
    section: Annotated[
        str | None, Query(max_length=800, description="Only articles in this section tree.")
    ] = None,
    lang: LangQuery = None,
    limit: SyncLimit = 100,
) -> Response:
    """Without `token`: every section, tag and author, then every published article (as
    `GET /v1/articles/{id}` gives it), page by page. Follow `next_token` while `has_more`;
    keep the last one and ask again later to get what changed since: upserts, and deletions
    of what left the public (unpublished, archived, trashed, purged, deleted) or the filters.
    `section` and `lang` filter the articles; they are fixed when the sync starts and kept in
    the token. Replaying every page in order leaves exactly what the public sees."""
    if token is None:
        position = sync_service.start(session, section=section, lang=lang)
    else:
        position = sync_service.Token.decode(token)
        if (section is not None and section != position.section) or (
            lang is not None and lang != position.lang
        ):
            raise BadRequest(
                "The filters are those the sync started with (kept in the token): drop "
                "`section` and `lang`, or start a new sync without a token."
            )
    changes, after, more = sync_service.page(session, token=position, limit=limit)
    view = presenter(settings)
    next_token = after.encode()
    body = SyncPage(
        items=[_entry(view, change) for change in changes],
        next_token=next_token,
        has_more=more,
        links=SyncLinks(
            self=str(request.url), next=view.url(f"/v1/sync?token={next_token}&limit={limit}")
        ),
    )
    # New changes can arrive at any time: caches must ask again before reusing a page.
    response = json_response(request, settings, body, public=True)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _entry(view: Presenter, change: sync_service.Change) -> SyncEntry:
    data: ArticleRead | SectionRead | TagRead | AuthorRead
    if change.deleted:
        return SyncEntry(type=change.kind, id=change.id, op="delete", data=None)  # type: ignore[arg-type]
    if change.kind == "article":
        data = view.article(change.item)
    elif change.kind == "section":
        data = view.section(change.item, change.extra)
    elif change.kind == "tag":
        data = view.tag(change.item)
    else:
        data = view.author(change.item, change.extra)
    return SyncEntry(type=change.kind, id=change.id, op="upsert", data=data)  # type: ignore[arg-type]
