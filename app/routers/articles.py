"""Articles: the public delivery API and the management API."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from app import surrogate
from app.config import Settings
from app.db import Database
from app.deps import (
    AdminKey,
    CursorQuery,
    DbDep,
    EditorKey,
    FiltersDep,
    IfMatch,
    LangQuery,
    LimitDep,
    OptionalKey,
    SessionDep,
    SettingsDep,
    WriterKey,
    WriteSessionDep,
    sees_drafts,
    sees_embargo,
)
from app.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from app.models import ApiKey, Article, ArticleRevision
from app.responses import json_bytes_response, json_response, make_etag, page_links
from app.routers.present import presenter
from app.schemas.articles import (
    CARD_FIELDS,
    READ_FIELDS,
    ArticleCreate,
    ArticleList,
    ArticleListFields,
    ArticleRead,
    ArticleReadFields,
    ArticleUpdate,
)
from app.schemas.common import SLUG_MAX, problem_responses
from app.schemas.workflow import (
    FieldDiff,
    PreviewRequest,
    PreviewToken,
    RevisionDiff,
    RevisionList,
    RevisionRead,
    RevisionSummary,
    ScheduleRequest,
)
from app.services import articles as article_service
from app.services import audit as audit_service
from app.services import events as event_service
from app.services import preview as preview_service
from app.services import ready
from app.services import revisions as revision_service
from app.services import websub as websub_service
from app.services.articles import Full

router = APIRouter(prefix="/v1/articles", tags=["articles"])

ArticleId = Annotated[str, Path(max_length=32, description="The article's public id.")]
PreviewQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="A preview token (see `POST /v1/articles/{id}/preview`): shows the article "
        "as it is now, drafts included; the response is `private, no-store`.",
    ),
]
FieldsQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="Comma-separated fields to return (sparse output), e.g. `id,headline,slug`. "
        "`id` is always included.",
    ),
]


def _fields(fields: str | None, allowed: frozenset[str]) -> set[str] | None:
    if fields is None:
        return None
    wanted = {name.strip() for name in fields.split(",") if name.strip()}
    unknown = sorted(wanted - allowed)
    if unknown:
        raise BadRequest(
            f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(sorted(allowed))}.",
            errors=[field_error(["query", "fields"], f"unknown field {n}") for n in unknown],
        )
    return wanted | {"id"}


def _read(
    request: Request,
    settings: Settings,
    full: Full,
    *,
    public: bool,
    include: Any = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    preview: str | None = None,
) -> Response:
    article = full.article
    read = presenter(settings, preview=preview).article(full)
    return json_response(
        request,
        settings,
        read,
        public=public,
        include=include,
        version=article.version,
        last_modified=article.updated_at,
        status_code=status_code,
        headers=headers,
        keys=surrogate.article_keys(read),
    )


def _page(settings: Settings, full: Full) -> ready.Page:
    """The public page of a published article, as ``_read`` would send it."""
    read = presenter(settings).article(full)
    body = read.model_dump_json().encode("utf-8")
    return ready.Page(
        body=body,
        etag=make_etag(body, full.article.version),
        last_modified=full.article.updated_at,
        surrogate_keys=surrogate.header(surrogate.article_keys(read)),
    )


def _page_and_row(settings: Settings, full: Full) -> tuple[ready.Page, dict[str, Any]]:
    """The public page of a published article, and its row to keep."""
    page, article = _page(settings, full), full.article
    assert article.published_at is not None  # published
    row = ready.page_row(
        settings,
        article_id=article.id,
        public_id=article.public_id,
        published_at=article.published_at,
        page=page,
    )
    return page, row


def page_response(request: Request, settings: Settings, page: ready.Page) -> Response:
    """A public article page from its ready-made bytes (also used by app.lane)."""
    return json_bytes_response(
        request,
        settings,
        page.body,
        etag=page.etag,
        public=True,
        last_modified=page.last_modified,
        surrogate_key=page.surrogate_keys,
    )


def list_response(
    request: Request,
    settings: Settings,
    ids: list[int],
    cards: dict[int, bytes],
    next_cursor: str | None,
) -> Response:
    """A public list page from serialised cards (those of ``ids`` that are in ``cards``, in
    order): the bytes ``ArticleList`` would serialise to (also used by app.lane)."""
    links, headers = page_links(request, settings, next_cursor)
    # The envelope as Pydantic writes it, with the cards in its empty list.
    empty = ArticleList(items=[], next_cursor=next_cursor, links=links).model_dump_json()
    head, tail = empty.encode("utf-8").split(b"[]", 1)
    body = b"".join((head, b"[", b",".join(cards[i] for i in ids if i in cards), b"]", tail))
    return json_bytes_response(
        request,
        settings,
        body,
        etag=make_etag(body),
        public=True,
        headers=headers,
        surrogate_key=surrogate.header([surrogate.ARTICLES]),
    )


def _public_article(
    request: Request, session: Session, db: Database, settings: Settings, public_id: str
) -> Response:
    """``GET /v1/articles/{id}`` for the public: its ready-made page (app.services.ready), or
    one built as before, kept once the response is sent."""
    page = ready.page(session, settings, public_id)
    if page is not None:
        return page_response(request, settings, page)
    seen = event_service.current_number(session)  # before reading what the page shows
    full = article_service.read_article(session, article_id=public_id, public=True)
    if full is None:
        raise NotFound(f"No published article has the id «{public_id}».")
    page, row = _page_and_row(settings, full)
    response = page_response(request, settings, page)
    response.background = BackgroundTask(ready.keep, db, seen, pages=[row])
    return response


def public_cards(
    session: Session, db: Database, settings: Settings, ids: list[int]
) -> tuple[dict[int, bytes], BackgroundTask | None]:
    """The public cards of these articles (the caller read them as public) as JSON, by id:
    ready-made, those missing built as before, with the task that keeps them once the response
    is sent (None when nothing was missing). An article unpublished since its id was read is
    left out (and nothing is kept)."""
    view = presenter(settings)

    def build(missing: list[int]) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
        for card in article_service.cards_by_ids(session, missing, public=True):
            body = view.card(card).model_dump_json().encode("utf-8")
            yield (
                card.article.id,
                body,
                ready.card_row(settings, article_id=card.article.id, body=body),
            )

    return _completed(session, db, ready.cards(session, settings, ids), ids, build, "cards")


def public_pages(
    session: Session, db: Database, settings: Settings, ids: list[int]
) -> tuple[dict[int, bytes], BackgroundTask | None]:
    """``public_cards`` for pages: the public pages of these articles as JSON, by id."""

    def build(missing: list[int]) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
        for full in article_service.full_by_ids(session, missing):
            page, row = _page_and_row(settings, full)
            yield full.article.id, page.body, row

    return _completed(session, db, ready.pages(session, settings, ids), ids, build, "pages")


def _completed(
    session: Session,
    db: Database,
    found: dict[int, bytes],
    ids: list[int],
    build: Callable[[list[int]], Iterable[tuple[int, bytes, dict[str, Any]]]],
    kind: Literal["cards", "pages"],
) -> tuple[dict[int, bytes], BackgroundTask | None]:
    """``found`` (ready-made JSON by id) with the missing of ``ids`` built (id, body, row to
    keep), and the task that keeps those rows, if nothing changed while they were read."""
    missing = [i for i in ids if i not in found]
    if not missing:
        return found, None
    seen = event_service.current_number(session)  # before reading what they show
    rows = []
    for article_id, body, row in build(missing):
        found[article_id] = body
        rows.append(row)
    return found, BackgroundTask(ready.keep, db, seen, **{kind: rows})


def _public_list(
    request: Request,
    session: Session,
    db: Database,
    settings: Settings,
    ids: list[int],
    next_cursor: str | None,
) -> Response:
    """A public list page from ready-made cards (``public_cards``)."""
    cards, keep = public_cards(session, db, settings, ids)
    response = list_response(request, settings, ids, cards, next_cursor)
    response.background = keep
    return response


@router.get(
    "",
    response_model=ArticleList | ArticleListFields,
    summary="List published articles",
    responses=problem_responses(304, 400, 401, 404, 422),
)
def list_articles(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    filters: FiltersDep,
    cursor: CursorQuery = None,
    status: Annotated[
        str | None,
        Query(
            pattern="^(draft|scheduled|published|archived|trashed)$",
            description="Needs a newsroom key: list articles in this status instead of the "
            "public ones (`trashed` is the trash). A partner key granted `embargo` may ask for "
            "`scheduled` and gets the embargoed ones.",
        ),
    ] = None,
    fields: FieldsQuery = None,
) -> Response:
    """Newest first, with keyset pagination: follow `links.next` until it is null."""
    embargo_only = False
    if status is not None and not sees_drafts(key):
        if key is None:
            raise Unauthorized("Filtering by status needs an API key.")
        if status != "scheduled" or not sees_embargo(key):
            raise Forbidden(f"A {key.role} key sees published articles only.")
        embargo_only = True
    include = _fields(fields, CARD_FIELDS)
    filters = replace(filters, status=status, embargo_only=embargo_only)
    if key is None and include is None:
        ids, next_cursor = article_service.list_ids(
            session, filters=filters, cursor=cursor, limit=limit
        )
        return _public_list(request, session, db, settings, ids, next_cursor)
    rows, next_cursor = article_service.list_articles(
        session, filters=filters, cursor=cursor, limit=limit
    )
    view = presenter(settings, filters.lang)
    links, headers = page_links(request, settings, next_cursor)
    page = ArticleList(items=[view.card(row) for row in rows], next_cursor=next_cursor, links=links)
    return json_response(
        request,
        settings,
        page,
        public=key is None,
        include={"items": {"__all__": include}, "next_cursor": True, "links": True}
        if include
        else None,
        headers=headers,
        keys=[surrogate.ARTICLES],
    )


@router.get(
    "/slug/{slug}",
    response_model=ArticleRead | ArticleReadFields,
    summary="Get a published article by slug",
    responses={
        301: {"description": "The slug changed (or was not in normal form): follow Location."},
        **problem_responses(304, 400, 401, 404, 422),
    },
)
def get_article_by_slug(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    key: OptionalKey,
    slug: Annotated[
        str, Path(max_length=SLUG_MAX * 4, description="The slug; percent-encode Arabic.")
    ],
    lang: LangQuery = None,
    fields: FieldsQuery = None,
    preview: PreviewQuery = None,
) -> Response:
    """Old slugs answer with a 301 to the article's current slug."""
    include = _fields(fields, READ_FIELDS)
    grant = preview_service.verify(session, settings, preview) if preview is not None else None
    public = grant is None and not sees_drafts(key)
    ready_made = key is None and grant is None and include is None
    found = article_service.get_article_by_slug(
        session,
        slug=slug,
        lang=lang,
        public=public,
        default_lang=settings.default_language,
        embargo=sees_embargo(key),
        body=not ready_made,  # the ready-made page is found by id
    )
    if found.redirect_to is not None:
        target = f"/v1/articles/slug/{quote(found.redirect_to.slug)}"
        if request.url.query:
            target += f"?{request.url.query}"
        return RedirectResponse(
            target,
            status_code=301,
            headers={
                "Cache-Control": "public, max-age=300",
                # Purged with the article: when its slug changes again, the target moves.
                "Surrogate-Key": surrogate.header(
                    [surrogate.key("article", found.redirect_to.public_id)]
                ),
            },
        )
    if found.article is None:
        raise NotFound(f"No published article has the slug «{slug}».")
    if ready_made:
        return _public_article(request, session, db, settings, found.article.public_id)
    if grant is not None:
        preview_service.check_article(grant, found.article.public_id)
    full = article_service.full(session, found.article, public=public)
    return _read(
        request,
        settings,
        full,
        public=key is None and grant is None,
        include=include,
        preview=preview if grant is not None else None,
    )


@router.get(
    "/{article_id}",
    response_model=ArticleRead | ArticleReadFields,
    summary="Get a published article",
    responses=problem_responses(304, 400, 401, 404, 422),
)
def get_article(
    request: Request,
    session: SessionDep,
    db: DbDep,
    settings: SettingsDep,
    key: OptionalKey,
    article_id: ArticleId,
    fields: FieldsQuery = None,
    preview: PreviewQuery = None,
) -> Response:
    """With a newsroom key or a preview token for this article, drafts are returned too (and
    the response is private); a partner key granted `embargo` also reads embargoed ones."""
    include = _fields(fields, READ_FIELDS)
    if key is None and preview is None and include is None:
        return _public_article(request, session, db, settings, article_id)
    if preview is not None:
        preview_service.check_article(
            preview_service.verify(session, settings, preview), article_id
        )
    public = preview is None and not sees_drafts(key)
    full = article_service.read_article(
        session, article_id=article_id, public=public, embargo=sees_embargo(key)
    )
    if full is None:
        raise NotFound(f"No published article has the id «{article_id}».")
    return _read(
        request,
        settings,
        full,
        public=key is None and preview is None,
        include=include,
        preview=preview,
    )


def _load(session: Session, article_id: str) -> Article:
    """The article to write, locked for this transaction (drafts and trash included)."""
    article = article_service.get_article_for_write(session, article_id=article_id)
    if article is None:
        raise NotFound(f"No article has the id «{article_id}».")
    return article


def _saved(
    request: Request,
    session: Session,
    settings: Settings,
    article: Article,
    *,
    was_public: bool,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Finish a write of an article: the response shows the article as this write left it
    (read in the write's own transaction: after the commit another editor's save may already
    be there), the WebSub pings for its feeds are queued when the public sees the change (in
    the same transaction: see app.services.websub), and then it commits."""
    session.expire_all()  # links and media were written with plain statements: read again
    full = article_service.full(session, article, public=False)
    response = _read(
        request, settings, full, public=False, status_code=status_code, headers=headers
    )
    websub_service.article_changed(
        session,
        article,
        hubs=settings.websub_hubs,
        base_url=settings.base_url,
        was_public=was_public,
    )
    session.commit()
    return response


@router.post(
    "",
    response_model=ArticleRead,
    status_code=201,
    summary="Create an article",
    responses=problem_responses(401, 403, 409, 422),
)
def create_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    payload: ArticleCreate,
) -> Response:
    """Body as blocks or as HTML (sanitised and converted to blocks). Writers create drafts."""
    if payload.status == "published" and key.role == "writer":
        raise Forbidden("Writers cannot publish: create a draft and ask an editor.")
    article = article_service.create_article(
        session,
        data=payload.model_dump(exclude_unset=True, mode="json"),
        key=key,
        default_lang=settings.default_language,
    )
    return _saved(
        request,
        session,
        settings,
        article,
        was_public=False,
        status_code=201,
        headers={"Location": f"/v1/articles/{article.public_id}"},
    )


@router.patch(
    "/{article_id}",
    response_model=ArticleRead,
    summary="Update an article",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
def update_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    payload: ArticleUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Needs `If-Match` with the ETag you read: a stale one gets 412 and changes nothing.
    Writers may edit only the drafts they created. Every saved change is a new revision."""
    article = _load(session, article_id)
    was_public = article.status == "published"
    article_service.update_article(
        session,
        article=article,
        changes=payload.model_dump(exclude_unset=True, mode="json"),
        if_match=if_match,
        key=key,
    )
    return _saved(request, session, settings, article, was_public=was_public)


@router.delete(
    "/{article_id}",
    response_model=ArticleRead,
    summary="Move an article to the trash",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
def trash_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """Off every public surface at once; its revisions are kept and `POST …/restore` brings
    it back as a draft. Writers may trash only their own drafts. An admin's `POST …/purge`
    deletes it for good."""
    return _transition(request, session, settings, key, article_id, if_match, "trash")


def _transition(
    request: Request,
    session: Session,
    settings: Settings,
    key: ApiKey,
    article_id: str,
    if_match: str | None,
    change: Callable[..., Article] | str,
) -> Response:
    """A state change: a service function, or the name of one of ``article_service.MOVES``."""
    article = _load(session, article_id)
    was_public = article.status == "published"
    if isinstance(change, str):
        article_service.move(session, article=article, action=change, if_match=if_match, key=key)
    else:
        change(session, article=article, if_match=if_match, key=key)
    return _saved(request, session, settings, article, was_public=was_public)


STATE_ERRORS = problem_responses(401, 403, 404, 409, 412, 428)


@router.post(
    "/{article_id}/restore",
    response_model=ArticleRead,
    summary="Restore an article from the trash",
    responses=STATE_ERRORS,
)
def restore_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """It comes back as a draft."""
    return _transition(
        request, session, settings, key, article_id, if_match, article_service.restore_article
    )


@router.post(
    "/{article_id}/purge",
    status_code=204,
    summary="Delete an article for good (admin)",
    responses=STATE_ERRORS,
)
def purge_article(
    session: WriteSessionDep, key: AdminKey, article_id: ArticleId, if_match: IfMatch = None
) -> Response:
    """Only from the trash. Its revisions go with it; the audit log keeps the record."""
    article = _load(session, article_id)
    article_service.purge_article(session, article=article, if_match=if_match, key=key)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{article_id}/publish",
    response_model=ArticleRead,
    summary="Publish an article",
    responses=STATE_ERRORS,
)
def publish_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """Makes the article public now (a scheduled one ahead of its time). The first
    publication sets `published_at` and `first_published_at`; they never change, so a
    republished article keeps its place."""
    return _transition(request, session, settings, key, article_id, if_match, "publish")


@router.post(
    "/{article_id}/unpublish",
    response_model=ArticleRead,
    summary="Unpublish an article",
    responses=STATE_ERRORS,
)
def unpublish_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """Takes the article off every public endpoint; it becomes a draft again (a scheduled one
    loses its schedule)."""
    return _transition(request, session, settings, key, article_id, if_match, "unpublish")


@router.post(
    "/{article_id}/archive",
    response_model=ArticleRead,
    summary="Archive an article",
    responses=STATE_ERRORS,
)
def archive_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """Retires the article: off every public endpoint, kept for the record; publishing it
    again puts it back in its place."""
    return _transition(request, session, settings, key, article_id, if_match, "archive")


@router.post(
    "/{article_id}/schedule",
    response_model=ArticleRead,
    summary="Schedule an article",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
def schedule_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    payload: ScheduleRequest,
    if_match: IfMatch = None,
) -> Response:
    """The server publishes it at `at` (within about a second, see
    `KHABAR_SCHEDULER_INTERVAL`); until then it is on no public endpoint. Scheduling again
    moves the time."""
    article = _load(session, article_id)
    was_public = article.status == "published"
    article_service.schedule_article(
        session,
        article=article,
        at=payload.at.astimezone(UTC),
        embargo=payload.embargo,
        if_match=if_match,
        key=key,
    )
    return _saved(request, session, settings, article, was_public=was_public)


@router.post(
    "/{article_id}/unschedule",
    response_model=ArticleRead,
    summary="Cancel an article's schedule",
    responses=STATE_ERRORS,
)
def unschedule_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """It goes back to draft."""
    return _transition(
        request, session, settings, key, article_id, if_match, article_service.unschedule_article
    )


# Preview ------------------------------------------------------------------------------------


@router.post(
    "/{article_id}/preview",
    response_model=PreviewToken,
    status_code=201,
    summary="Make a preview token",
    responses=problem_responses(401, 403, 404, 422),
)
def make_preview(
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    payload: PreviewRequest | None = None,
) -> Response:
    """A signed token that lets anyone holding it read this one article as it is now, drafts
    included, until it expires: `GET /v1/articles/{id}?preview=TOKEN`. Responses read with it
    are `private, no-store`."""
    article = _load(session, article_id)
    ttl = payload.ttl if payload is not None and payload.ttl is not None else settings.preview_ttl
    if ttl > settings.preview_max_ttl:
        raise ValidationFailed(
            f"A preview token lives at most {settings.preview_max_ttl} s.",
            errors=[field_error(["body", "ttl"], "too long")],
        )
    token, expires_at = preview_service.mint(session, settings, article=article, key=key, ttl=ttl)
    audit_service.record(
        session,
        key=key,
        action="article.preview",
        item_type="article",
        item_id=article.public_id,
        version=article.version,
        detail={"expires_at": expires_at.isoformat()},
    )
    session.commit()
    base = settings.base_url.rstrip("/")
    body = PreviewToken(
        article=article_id,
        token=token,
        expires_at=expires_at,
        url=f"{base}/v1/articles/{article_id}?preview={token}",
    )
    return Response(
        body.model_dump_json().encode("utf-8"),
        status_code=201,
        media_type="application/json",
        headers={"Cache-Control": "private, no-store"},
    )


# Revisions ----------------------------------------------------------------------------------

Version = Annotated[int, Path(ge=1, le=2_000_000_000, description="A revision's version.")]


def _summary(revision: ArticleRevision, prefixes: dict[int, str]) -> dict[str, Any]:
    return {
        "version": revision.version,
        "created_at": revision.created_at,
        "action": revision.action,
        "actor": revision.actor,
        "key": prefixes.get(revision.key_id) if revision.key_id is not None else None,
        "changed": revision.changed,
        "restored_from": revision.restored_from,
    }


@router.get(
    "/{article_id}/revisions",
    response_model=RevisionList,
    summary="List an article's revisions",
    responses=problem_responses(400, 401, 403, 404),
)
def list_revisions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    limit: LimitDep,
    cursor: CursorQuery = None,
) -> Response:
    """Newest first: who saved which version, when, and which fields it changed."""
    article = _load_any(session, article_id)
    rows, next_cursor = revision_service.list_revisions(
        session, article=article, cursor=cursor, limit=limit
    )
    prefixes = revision_service.key_prefixes(
        session, {r.key_id for r in rows if r.key_id is not None}
    )
    links, headers = page_links(request, settings, next_cursor)
    page = RevisionList(
        items=[RevisionSummary(**_summary(r, prefixes)) for r in rows],
        next_cursor=next_cursor,
        links=links,
    )
    return json_response(request, settings, page, public=False, headers=headers)


@router.get(
    "/{article_id}/revisions/{version}",
    response_model=RevisionRead,
    summary="Get one revision",
    responses=problem_responses(401, 403, 404),
)
def get_revision(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    version: Version,
) -> Response:
    article = _load_any(session, article_id)
    revision = _revision(session, article, version)
    prefixes = revision_service.key_prefixes(
        session, {revision.key_id} if revision.key_id else set()
    )
    body = RevisionRead(**_summary(revision, prefixes), snapshot=revision.snapshot)
    return json_response(request, settings, body, public=False)


@router.get(
    "/{article_id}/diff",
    response_model=RevisionDiff,
    summary="Compare two revisions",
    responses=problem_responses(401, 403, 404, 422),
)
def diff_revisions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2_000_000_000)],
    to_version: Annotated[
        int | None,
        Query(alias="to", ge=1, le=2_000_000_000, description="Defaults to the latest."),
    ] = None,
) -> Response:
    """Field by field, what changed from one revision to another (in either direction); the
    body also as block-level edits."""
    article = _load_any(session, article_id)
    before = _revision(session, article, from_version)
    after = _revision(
        session,
        article,
        to_version
        if to_version is not None
        else revision_service.latest_version(session, article) or article.version,
    )
    changes = revision_service.diff(before.snapshot, after.snapshot)
    body = RevisionDiff(
        article=article.public_id,
        from_version=before.version,
        to_version=after.version,
        changes=[FieldDiff(**vars(change)) for change in changes],
    )
    return json_response(request, settings, body, public=False)


@router.post(
    "/{article_id}/revisions/{version}/restore",
    response_model=ArticleRead,
    summary="Restore an old revision",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
def restore_revision(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: WriterKey,
    article_id: ArticleId,
    version: Version,
    if_match: IfMatch = None,
) -> Response:
    """Writes that revision's content back as a new revision (nothing is lost: the versions
    in between stay in the history). The article's state — published or not, its schedule,
    its corrections — stays as it is. Links to things deleted since are left out."""
    article = _load(session, article_id)
    was_public = article.status == "published"
    article_service.restore_revision(
        session, article=article, version=version, if_match=if_match, key=key
    )
    return _saved(request, session, settings, article, was_public=was_public)


def _load_any(session: Session, article_id: str) -> Article:
    article = article_service.get_article(session, article_id=article_id, public=False)
    if article is None:
        raise NotFound(f"No article has the id «{article_id}».")
    return article


def _revision(session: Session, article: Article, version: int) -> ArticleRevision:
    revision = revision_service.get_revision(session, article=article, version=version)
    if revision is None:
        raise NotFound(f"The article has no revision {version}.")
    return revision
