"""Search over published articles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app import surrogate
from app.deps import (
    CursorQuery,
    FiltersDep,
    LimitDep,
    OptionalKey,
    SessionDep,
    SettingsDep,
)
from app.responses import json_response, page_links
from app.routers.present import presenter
from app.schemas.common import problem_responses
from app.schemas.search import SearchFacets, SearchResults
from app.services import search as search_service

router = APIRouter(prefix="/v1/search", tags=["search"])


@router.get(
    "",
    response_model=SearchResults,
    summary="Search published articles",
    responses=problem_responses(304, 400, 401, 404, 422),
)
def search(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    limit: LimitDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=search_service.QUERY_MAX,
            description='Words (all must match), "exact phrases", -excluded words or '
            '-"phrases", and prefix* words. Spelling variants match: hamza or not, ة/ه, ى/ي, '
            "diacritics, ال and glued و ف ب ل ك, and newsroom spellings (أمريكا/أميركا).",
            examples=["انتخابات بلدية", '"جسر الميناء" -مترو'],
        ),
    ],
    filters: FiltersDep,
    cursor: CursorQuery = None,
) -> Response:
    """Best first: relevance (headline above summary, tags and authors above body) times a
    recency boost. Only published articles are ever found, with or without a key."""
    results = search_service.search(
        session,
        q=q,
        filters=filters,
        cursor=cursor,
        limit=limit,
        ranking=search_service.Ranking(
            recency_weight=settings.search_recency_weight,
            half_life_days=settings.search_half_life_days,
        ),
    )
    view = presenter(settings, filters.lang)
    links, headers = page_links(request, settings, results.next_cursor)
    page = SearchResults(
        items=[view.hit(hit) for hit in results.hits],
        total=results.total,
        facets=SearchFacets(sections=[view.section_facet(s) for s in results.sections]),
        next_cursor=results.next_cursor,
        links=links,
    )
    return json_response(
        request, settings, page, public=key is None, headers=headers, keys=[surrogate.ARTICLES]
    )
