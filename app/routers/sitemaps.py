"""What search engines read: sitemaps (sitemaps.org, Google News) and an article's schema.org
JSON-LD.

Sitemaps list public content only and look the same to every caller, key or not. Their URLs
point at the front end (``public_url_template``) while the files are served by the API: submit
the index in the web site's robots.txt (``Sitemap: <api>/v1/sitemap.xml``), which the protocol
accepts for sitemaps on another host, or proxy it from the web site.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request, Response

from app import surrogate
from app.deps import OptionalKey, SessionDep, SettingsDep, sees_drafts, sees_embargo
from app.errors import NotFound
from app.responses import bytes_response
from app.routers.articles import ArticleId
from app.routers.present import presenter
from app.schemas.common import problem_responses
from app.services import articles as article_service
from app.services import jsonld as jsonld_service
from app.services import sitemaps as sitemap_service
from app.services.site import site

router = APIRouter()

XML_MEDIA = "application/xml; charset=utf-8"
LD_MEDIA = "application/ld+json"


def _xml(description: str) -> dict[int | str, dict[str, object]]:
    return {
        200: {"description": description, "content": {"application/xml": {}}},
        **problem_responses(304),
    }


@router.get(
    "/v1/sitemap.xml",
    response_class=Response,
    tags=["sitemaps"],
    summary="Sitemap index",
    responses=_xml("A sitemaps.org sitemap index."),
)
def sitemap_index(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Lists the article sitemaps (`KHABAR_SITEMAP_URLS` URLs each, at least one file) with
    the newest change in each, and the Google News sitemap. The URLs inside are the web site's
    (`KHABAR_PUBLIC_URL_TEMPLATE`): name this index in the web site's robots.txt
    (`Sitemap: …/v1/sitemap.xml`) or serve it from there."""
    files = sitemap_service.article_files(session, per_file=settings.sitemap_urls)
    base = site(settings).api_url
    entries = [
        (f"{base}/v1/sitemaps/articles-{number}.xml", lastmod)
        for number, lastmod in enumerate(files, start=1)
    ]
    entries.append((f"{base}/v1/sitemaps/news.xml", None))
    body = sitemap_service.index_xml(entries)
    changed = [lastmod for lastmod in files if lastmod is not None]
    return bytes_response(
        request,
        settings,
        body,
        media_type=XML_MEDIA,
        last_modified=max(changed, default=None),
        keys=[surrogate.SITEMAPS],
    )


@router.get(
    "/v1/sitemaps/news.xml",
    response_class=Response,
    tags=["sitemaps"],
    summary="Google News sitemap",
    responses=_xml("A sitemap with Google News tags."),
)
def news_sitemap(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Articles published in the last 48 hours, newest first (at most 1,000), with the
    publication's name in each article's language, the language, date and headline."""
    entries = sitemap_service.news(session)
    body = sitemap_service.news_xml(site(settings), entries)
    return bytes_response(request, settings, body, media_type=XML_MEDIA, keys=[surrogate.SITEMAPS])


@router.get(
    "/v1/sitemaps/articles-{n}.xml",
    response_class=Response,
    tags=["sitemaps"],
    summary="Article sitemap",
    responses={**_xml("A sitemaps.org URL set."), **problem_responses(404, 422)},
)
def article_sitemap(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    n: Annotated[int, Path(ge=1, description="The file's number, from 1 (see the index).")],
) -> Response:
    """Published articles in the order they were created, each file holding
    `KHABAR_SITEMAP_URLS` of them, so older files stay the same as new articles come."""
    entries = sitemap_service.article_file(session, number=n, per_file=settings.sitemap_urls)
    if entries is None:
        raise NotFound(f"There is no article sitemap {n}: see /v1/sitemap.xml.")
    body = sitemap_service.urlset_xml(site(settings), entries)
    return bytes_response(
        request,
        settings,
        body,
        media_type=XML_MEDIA,
        last_modified=max((entry.updated_at for entry in entries), default=None),
        keys=[surrogate.SITEMAPS],
    )


@router.get(
    "/v1/articles/{article_id}/jsonld",
    response_class=Response,
    tags=["articles"],
    summary="Get an article as schema.org JSON-LD",
    responses={
        200: {
            "description": "A schema.org `NewsArticle`.",
            "content": {LD_MEDIA: {"schema": {"type": "object"}}},
        },
        **problem_responses(304, 401, 404, 422),
    },
)
def get_article_jsonld(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: OptionalKey,
    article_id: ArticleId,
) -> Response:
    """A `NewsArticle` for the article's page (`<script type="application/ld+json">`): hero
    image in 16:9, 4:3 and 1:1, authors, publisher, section, tags and corrections. Newsroom keys
    read drafts too (the response is then private)."""
    full = article_service.read_article(
        session, article_id=article_id, public=not sees_drafts(key), embargo=sees_embargo(key)
    )
    if full is None:
        raise NotFound(f"No published article has the id «{article_id}».")
    view = presenter(settings)
    read = view.article(full)
    document = jsonld_service.news_article(read, view.site)
    return bytes_response(
        request,
        settings,
        orjson.dumps(document),
        media_type=LD_MEDIA,
        public=key is None,
        last_modified=full.article.updated_at,
        headers={"Vary": "Authorization"},
        keys=surrogate.article_keys(read),
    )
