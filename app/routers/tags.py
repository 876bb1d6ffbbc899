"""Tags: listing (by type) and management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app import surrogate
from app.deps import (
    CursorQuery,
    EditorKey,
    LimitDep,
    OptionalKey,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
)
from app.errors import NotFound
from app.responses import json_response, page_links
from app.routers.present import presenter
from app.schemas.common import SLUG_MAX, problem_responses
from app.schemas.tags import TagCreate, TagList, TagRead, TagType, TagUpdate
from app.services import audit as audit_service
from app.services import events as event_service
from app.services import tags as tag_service

router = APIRouter(prefix="/v1/tags", tags=["tags"])

TagSlug = Annotated[str, Path(max_length=SLUG_MAX * 4, description="The tag's slug.")]


@router.get(
    "", response_model=TagList, summary="List tags", responses=problem_responses(304, 400, 401, 422)
)
def list_tags(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    cursor: CursorQuery = None,
    type: Annotated[TagType | None, Query(description="Only tags of this type.")] = None,
) -> Response:
    """In slug order, with keyset pagination."""
    rows, next_cursor = tag_service.list_tags(session, type=type, cursor=cursor, limit=limit)
    view = presenter(settings)
    links, headers = page_links(request, settings, next_cursor)
    page = TagList(
        items=[view.tag(t) for t in rows],
        next_cursor=next_cursor,
        links=links,
    )
    return json_response(
        request, settings, page, public=key is None, headers=headers, keys=[surrogate.TAGS]
    )


@router.get(
    "/{tag_slug}",
    response_model=TagRead,
    summary="Get a tag",
    responses=problem_responses(304, 401, 404, 422),
)
def get_tag(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    tag_slug: TagSlug,
) -> Response:
    tag = tag_service.get_tag(session, slug=tag_slug)
    if tag is None:
        raise NotFound(f"No tag has the slug «{tag_slug}».")
    return json_response(
        request,
        settings,
        presenter(settings).tag(tag),
        public=key is None,
        keys=surrogate.tag_keys(tag.slug),
    )


@router.post(
    "",
    response_model=TagRead,
    status_code=201,
    summary="Create a tag",
    responses=problem_responses(401, 403, 409, 422),
)
def create_tag(
    session: WriteSessionDep, settings: SettingsDep, key: EditorKey, payload: TagCreate
) -> TagRead:
    """The slug is made from the name when not given."""
    tag = tag_service.create_tag(
        session, data=payload.model_dump(), default_lang=settings.default_language
    )
    audit_service.record(session, key=key, action="tag.create", item_type="tag", item_id=tag.slug)
    event_service.taxonomy_changed(session, "tag", tag, action="created")
    session.commit()
    return presenter(settings).tag(tag)


@router.patch(
    "/{tag_slug}",
    response_model=TagRead,
    summary="Update a tag",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_tag(
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    tag_slug: TagSlug,
    payload: TagUpdate,
) -> TagRead:
    tag = tag_service.get_tag(session, slug=tag_slug)
    if tag is None:
        raise NotFound(f"No tag has the slug «{tag_slug}».")
    changes = payload.model_dump(exclude_unset=True)
    old_slug = tag.slug
    tag_service.update_tag(session, tag=tag, changes=changes)
    audit_service.record(
        session,
        key=key,
        action="tag.update",
        item_type="tag",
        item_id=tag.slug,
        detail=audit_service.update_detail(changes, old_slug=old_slug, slug=tag.slug),
    )
    event_service.taxonomy_changed(session, "tag", tag, action="updated", old_slug=old_slug)
    session.commit()
    return presenter(settings).tag(tag)


@router.delete(
    "/{tag_slug}",
    status_code=204,
    summary="Delete a tag",
    responses=problem_responses(401, 403, 404),
)
def delete_tag(session: WriteSessionDep, key: EditorKey, tag_slug: TagSlug) -> Response:
    """Also takes the tag off every article."""
    tag = tag_service.get_tag(session, slug=tag_slug)
    if tag is None:
        raise NotFound(f"No tag has the slug «{tag_slug}».")
    event_service.taxonomy_changed(session, "tag", tag, action="deleted")  # while it has links
    tag_service.delete_tag(session, tag=tag)
    audit_service.record(session, key=key, action="tag.delete", item_type="tag", item_id=tag.slug)
    session.commit()
    return Response(status_code=204)
