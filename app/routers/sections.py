"""Sections: the tree, one section with its front, and their management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app import surrogate
from app.deps import DbDep, EditorKey, OptionalKey, SessionDep, SettingsDep, WriteSessionDep
from app.errors import NotFound
from app.models import Section
from app.responses import json_bytes_response, json_response, make_etag
from app.routers.articles import public_cards
from app.routers.present import Presenter, presenter
from app.schemas.common import LANG_PATTERN, SLUG_MAX, problem_responses
from app.schemas.sections import (
    SectionCreate,
    SectionDetail,
    SectionFront,
    SectionNode,
    SectionRead,
    SectionTree,
    SectionUpdate,
)
from app.services import articles as article_service
from app.services import audit as audit_service
from app.services import events as event_service
from app.services import sections as section_service
from app.text.slugs import normalise_slug

router = APIRouter(prefix="/v1/sections", tags=["sections"])

SectionSlug = Annotated[str, Path(max_length=SLUG_MAX * 4, description="The section's slug.")]
LangQuery = Annotated[
    str | None,
    Query(pattern=LANG_PATTERN, max_length=16, description="Language of names (default: site's)."),
]


def _tree(view: Presenter, sections: list[Section]) -> list[SectionNode]:
    by_parent: dict[int | None, list[Section]] = {}
    slugs = {s.id: s.slug for s in sections}
    for section in sections:
        by_parent.setdefault(section.parent_id, []).append(section)

    def node(section: Section) -> SectionNode:
        base = view.section(section, slugs.get(section.parent_id or -1))
        return SectionNode(
            **base.model_dump(), children=[node(c) for c in by_parent.get(section.id, [])]
        )

    return [node(s) for s in by_parent.get(None, [])]


@router.get(
    "",
    response_model=SectionTree,
    summary="The section tree",
    responses=problem_responses(304, 401, 422),
)
def list_sections(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    lang: LangQuery = None,
) -> Response:
    """Every section, nested under its parent, in position order."""
    view = presenter(settings, lang)
    tree = SectionTree(items=_tree(view, section_service.all_sections(session)))
    return json_response(request, settings, tree, public=key is None, keys=[surrogate.SECTIONS])


_EMPTY_FRONT = b'"front":{"pinned":[],"latest":[]}'


@router.get(
    "/{section_slug}",
    response_model=SectionDetail,
    summary="A section and its front",
    responses=problem_responses(304, 401, 404, 422),
)
def get_section(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    key: OptionalKey,
    section_slug: SectionSlug,
    lang: LangQuery = None,
) -> Response:
    """The front lists the pinned articles in order, then the latest from the section and its
    sub-sections."""
    sections = section_service.all_sections(session)
    wanted = normalise_slug(section_slug)
    section = next((s for s in sections if s.slug == wanted), None)
    if section is None:
        raise NotFound(f"No section has the slug «{section_slug}».")
    view = presenter(settings, lang)
    slugs = {s.id: s.slug for s in sections}
    pinned, latest = article_service.section_front_ids(
        session, section=section, sections=sections, latest=settings.section_front_latest
    )
    keep = None
    if view.lang == settings.default_language:  # the cards as the article list shows them
        cards, keep = public_cards(session, db, settings, pinned + latest)
    else:
        found = article_service.cards_by_ids(session, pinned + latest, public=True)
        cards = {c.article.id: view.card(c).model_dump_json().encode("utf-8") for c in found}
    detail = SectionDetail(
        **view.section(section, slugs.get(section.parent_id or -1)).model_dump(),
        children=[view.section(s, section.slug) for s in sections if s.parent_id == section.id],
        front=SectionFront(pinned=[], latest=[]),
    )
    # The cards' JSON in the front's empty lists: the bytes Pydantic writes for the whole.
    head, tail = detail.model_dump_json().encode("utf-8").split(_EMPTY_FRONT)
    body = b"".join(
        (
            head,
            b'"front":{"pinned":[',
            b",".join(cards[i] for i in pinned if i in cards),
            b'],"latest":[',
            b",".join(cards[i] for i in latest if i in cards),
            b"]}",
            tail,
        )
    )
    response = json_bytes_response(
        request,
        settings,
        body,
        etag=make_etag(body),
        public=key is None,
        surrogate_key=surrogate.header(surrogate.section_keys(section.slug)),
    )
    response.background = keep
    return response


@router.post(
    "",
    response_model=SectionRead,
    status_code=201,
    summary="Create a section",
    responses=problem_responses(401, 403, 409, 422),
)
def create_section(
    session: WriteSessionDep, settings: SettingsDep, key: EditorKey, payload: SectionCreate
) -> SectionRead:
    section = section_service.create_section(session, data=payload.model_dump())
    audit_service.record(
        session, key=key, action="section.create", item_type="section", item_id=section.slug
    )
    event_service.taxonomy_changed(session, "section", section, action="created")
    session.commit()
    return _read(session, settings, section)


@router.patch(
    "/{section_slug}",
    response_model=SectionRead,
    summary="Update a section",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_section(
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    section_slug: SectionSlug,
    payload: SectionUpdate,
) -> SectionRead:
    """Also sets the pinned articles of the front (`pinned`, in order)."""
    section = section_service.get_section(session, slug=section_slug)
    if section is None:
        raise NotFound(f"No section has the slug «{section_slug}».")
    changes = payload.model_dump(exclude_unset=True)
    old_slug = section.slug
    section_service.update_section(session, section=section, changes=changes)
    audit_service.record(
        session,
        key=key,
        action="section.update",
        item_type="section",
        item_id=section.slug,
        detail=audit_service.update_detail(changes, old_slug=old_slug, slug=section.slug),
    )
    event_service.taxonomy_changed(session, "section", section, action="updated", old_slug=old_slug)
    session.commit()
    return _read(session, settings, section)


@router.delete(
    "/{section_slug}",
    status_code=204,
    summary="Delete a section",
    responses=problem_responses(401, 403, 404, 409),
)
def delete_section(session: WriteSessionDep, key: EditorKey, section_slug: SectionSlug) -> Response:
    """Refused (409) while the section has sub-sections or articles."""
    section = section_service.get_section(session, slug=section_slug)
    if section is None:
        raise NotFound(f"No section has the slug «{section_slug}».")
    section_service.delete_section(session, section=section)
    audit_service.record(
        session, key=key, action="section.delete", item_type="section", item_id=section.slug
    )
    event_service.taxonomy_changed(session, "section", section, action="deleted")
    session.commit()
    return Response(status_code=204)


def _read(session: WriteSessionDep, settings: SettingsDep, section: Section) -> SectionRead:
    parent = session.get(Section, section.parent_id) if section.parent_id else None
    return presenter(settings).section(section, parent.slug if parent else None)
