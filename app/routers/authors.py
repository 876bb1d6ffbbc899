"""Authors (bylines): listing and management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.orm import Session

from app import surrogate
from app.config import Settings
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
from app.models import Author
from app.responses import json_response, page_links
from app.routers.present import presenter
from app.schemas.authors import AuthorCreate, AuthorList, AuthorRead, AuthorUpdate
from app.schemas.common import SLUG_MAX, problem_responses
from app.services import audit as audit_service
from app.services import authors as author_service
from app.services import events as event_service

router = APIRouter(prefix="/v1/authors", tags=["authors"])

AuthorSlug = Annotated[str, Path(max_length=SLUG_MAX * 4, description="The author's slug.")]


def _present(session: Session, settings: Settings, author: Author) -> AuthorRead:
    photo = author_service.avatars(session, [author]).get(author.avatar_media_id or 0)
    return presenter(settings).author(author, photo)


@router.get(
    "",
    response_model=AuthorList,
    summary="List authors",
    responses=problem_responses(304, 400, 401, 422),
)
def list_authors(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    cursor: CursorQuery = None,
) -> Response:
    """In slug order, with keyset pagination."""
    rows, next_cursor = author_service.list_authors(session, cursor=cursor, limit=limit)
    view = presenter(settings)
    links, headers = page_links(request, settings, next_cursor)
    photos = author_service.avatars(session, rows)
    page = AuthorList(
        items=[view.author(a, photos.get(a.avatar_media_id or 0)) for a in rows],
        next_cursor=next_cursor,
        links=links,
    )
    return json_response(
        request,
        settings,
        page,
        public=key is None,
        headers=headers,
        keys=surrogate.author_list_keys(page.items),
    )


@router.get(
    "/{author_slug}",
    response_model=AuthorRead,
    summary="Get a author",
    responses=problem_responses(304, 401, 404, 422),
)
def get_author(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    author_slug: AuthorSlug,
) -> Response:
    author = author_service.get_author(session, slug=author_slug)
    if author is None:
        raise NotFound(f"No author has the slug «{author_slug}».")
    read = _present(session, settings, author)
    return json_response(
        request, settings, read, public=key is None, keys=surrogate.author_keys(read)
    )


@router.post(
    "",
    response_model=AuthorRead,
    status_code=201,
    summary="Create a author",
    responses=problem_responses(401, 403, 409, 422),
)
def create_author(
    session: WriteSessionDep, settings: SettingsDep, key: EditorKey, payload: AuthorCreate
) -> AuthorRead:
    """The slug is made from the name when not given."""
    author = author_service.create_author(
        session, data=payload.model_dump(), default_lang=settings.default_language
    )
    audit_service.record(
        session, key=key, action="author.create", item_type="author", item_id=author.slug
    )
    event_service.taxonomy_changed(session, "author", author, action="created")
    session.commit()
    return _present(session, settings, author)


@router.patch(
    "/{author_slug}",
    response_model=AuthorRead,
    summary="Update a author",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_author(
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    author_slug: AuthorSlug,
    payload: AuthorUpdate,
) -> AuthorRead:
    author = author_service.get_author(session, slug=author_slug)
    if author is None:
        raise NotFound(f"No author has the slug «{author_slug}».")
    changes = payload.model_dump(exclude_unset=True)
    old_slug, old_photo = author.slug, author.avatar_media_id
    author_service.update_author(session, author=author, changes=changes)
    audit_service.record(
        session,
        key=key,
        action="author.update",
        item_type="author",
        item_id=author.slug,
        detail=audit_service.update_detail(changes, old_slug=old_slug, slug=author.slug),
    )
    event_service.taxonomy_changed(
        session,
        "author",
        author,
        action="updated",
        old_slug=old_slug,
        media=(old_photo, author.avatar_media_id),
    )
    session.commit()
    return _present(session, settings, author)


@router.delete(
    "/{author_slug}",
    status_code=204,
    summary="Delete a author",
    responses=problem_responses(401, 403, 404, 409),
)
def delete_author(session: WriteSessionDep, key: EditorKey, author_slug: AuthorSlug) -> Response:
    """Refused (409) while the author has a byline on any article."""
    author = author_service.get_author(session, slug=author_slug)
    if author is None:
        raise NotFound(f"No author has the slug «{author_slug}».")
    author_service.delete_author(session, author=author)
    audit_service.record(
        session, key=key, action="author.delete", item_type="author", item_id=author.slug
    )
    event_service.taxonomy_changed(
        session, "author", author, action="deleted", media=(author.avatar_media_id,)
    )
    session.commit()
    return Response(status_code=204)
