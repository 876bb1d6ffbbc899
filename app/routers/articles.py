"""Articles: the public delivery API and the management API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from app.config import Settings
from app.deps import (
    AuthorQuery,
    CursorQuery,
    EditorKey,
    IfMatch,
    LangQuery,
    LimitDep,
    OptionalKey,
    SectionQuery,
    SessionDep,
    SettingsDep,
    SinceQuery,
    TagQuery,
    UntilQuery,
    WriterKey,
    WriteSessionDep,
    as_utc,
)
from app.errors import BadRequest, Forbidden, NotFound, Unauthorized, field_error
from app.models import Article
from app.responses import json_response, page_links
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
from app.services import articles as article_service
from app.services.articles import ArticleFilters, Full

router = APIRouter(prefix="/v1/articles", tags=["articles"])

ArticleId = Annotated[str, Path(max_length=32, description="The article's public id.")]
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
) -> Response:
    article = full.article
    return json_response(
        request,
        settings,
        presenter(settings).article(full),
        public=public,
        include=include,
        version=article.version,
        last_modified=article.updated_at,
        status_code=status_code,
        headers=headers,
    )


@router.get(
    "",
    response_model=ArticleList | ArticleListFields,
    summary="List published articles",
    responses=problem_responses(304, 400, 401, 404, 422),
)
def list_articles(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    cursor: CursorQuery = None,
    section: SectionQuery = None,
    tag: TagQuery = None,
    author: AuthorQuery = None,
    lang: LangQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    status: Annotated[
        str | None,
        Query(
            pattern="^(draft|scheduled|published|archived)$",
            description="Needs a key: list articles in this status instead of the public ones.",
        ),
    ] = None,
    fields: FieldsQuery = None,
) -> Response:
    """Newest first, with keyset pagination: follow `links.next` until it is null."""
    if status is not None and key is None:
        raise Unauthorized("Filtering by status needs an API key.")
    include = _fields(fields, CARD_FIELDS)
    filters = ArticleFilters(
        section=section,
        tag=tag,
        author=author,
        lang=lang,
        since=as_utc(since),
        until=as_utc(until),
        status=status,
    )
    rows, next_cursor = article_service.list_articles(
        session, filters=filters, cursor=cursor, limit=limit
    )
    view = presenter(settings, lang)
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
    settings: SettingsDep,
    key: OptionalKey,
    slug: Annotated[
        str, Path(max_length=SLUG_MAX * 4, description="The slug; percent-encode Arabic.")
    ],
    lang: LangQuery = None,
    fields: FieldsQuery = None,
) -> Response:
    """Old slugs answer with a 301 to the article's current slug."""
    include = _fields(fields, READ_FIELDS)
    found = article_service.get_article_by_slug(
        session, slug=slug, lang=lang, public=key is None, default_lang=settings.default_language
    )
    if found.redirect_to is not None:
        target = f"/v1/articles/slug/{quote(found.redirect_to.slug)}"
        if request.url.query:
            target += f"?{request.url.query}"
        return RedirectResponse(
            target, status_code=301, headers={"Cache-Control": "public, max-age=300"}
        )
    if found.article is None:
        raise NotFound(f"No published article has the slug «{slug}».")
    public = key is None
    full = article_service.full(session, found.article, public=public)
    return _read(request, settings, full, public=public, include=include)


@router.get(
    "/{article_id}",
    response_model=ArticleRead | ArticleReadFields,
    summary="Get a published article",
    responses=problem_responses(304, 400, 401, 404, 422),
)
def get_article(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    article_id: ArticleId,
    fields: FieldsQuery = None,
) -> Response:
    """With a key, drafts are returned too (and the response is private)."""
    include = _fields(fields, READ_FIELDS)
    full = article_service.read_article(session, article_id=article_id, public=key is None)
    if full is None:
        raise NotFound(f"No published article has the id «{article_id}».")
    return _read(request, settings, full, public=key is None, include=include)


def _load(session: Session, article_id: str) -> Article:
    article = article_service.get_article(session, article_id=article_id, public=False)
    if article is None:
        raise NotFound(f"No article has the id «{article_id}».")
    return article


def _written(
    request: Request,
    session: Session,
    settings: Settings,
    article_id: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The article as it is after a committed write (drafts included: the caller has a key)."""
    session.expire_all()
    full = article_service.full(session, _load(session, article_id), public=False)
    return _read(request, settings, full, public=False, status_code=status_code, headers=headers)


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
    session.commit()
    return _written(
        request,
        session,
        settings,
        article.public_id,
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
    """Needs `If-Match` with the ETag you read: a stale one gets 412 and changes nothing."""
    article = _load(session, article_id)
    article_service.update_article(
        session,
        article=article,
        changes=payload.model_dump(exclude_unset=True, mode="json"),
        if_match=if_match,
        key=key,
    )
    session.commit()
    return _written(request, session, settings, article_id)


@router.delete(
    "/{article_id}",
    status_code=204,
    summary="Delete an article",
    responses=problem_responses(401, 403, 404, 412),
)
def delete_article(
    session: WriteSessionDep, key: WriterKey, article_id: ArticleId, if_match: IfMatch = None
) -> Response:
    """Deletes for good. `If-Match` is checked when sent."""
    article = _load(session, article_id)
    article_service.delete_article(session, article=article, if_match=if_match, key=key)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{article_id}/publish",
    response_model=ArticleRead,
    summary="Publish an article",
    responses=problem_responses(401, 403, 404, 412),
)
def publish_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """Makes the article public. The first publication sets `published_at` and
    `first_published_at`; they never change, so a republished article keeps its place."""
    article = _load(session, article_id)
    article_service.publish_article(session, article=article, if_match=if_match, key=key)
    session.commit()
    return _written(request, session, settings, article_id)


@router.post(
    "/{article_id}/unpublish",
    response_model=ArticleRead,
    summary="Unpublish an article",
    responses=problem_responses(401, 403, 404, 412),
)
def unpublish_article(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: EditorKey,
    article_id: ArticleId,
    if_match: IfMatch = None,
) -> Response:
    """Takes the article off every public endpoint; it becomes a draft again."""
    article = _load(session, article_id)
    article_service.unpublish_article(session, article=article, if_match=if_match, key=key)
    session.commit()
    return _written(request, session, settings, article_id)
