"""The API root: what is here and where."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app import __version__, surrogate
from app.deps import SettingsDep
from app.responses import json_response
from app.routers.present import presenter
from app.schemas.common import FeedLinks
from app.text.arabic import direction

router = APIRouter(tags=["meta"])


class RootLinks(BaseModel):
    articles: str
    sections: str
    tags: str
    authors: str
    search: str
    media: str
    site: str
    feeds: FeedLinks
    sitemap: str
    news_sitemap: str
    ninjs: str
    docs: str
    openapi: str


class Root(BaseModel):
    name: str = Field(examples=["Khabar"])
    version: str
    default_language: str
    links: RootLinks


@router.get(
    "/v1",
    response_model=Root,
    summary="API root",
    responses={304: {"description": "Not modified."}},
)
def api_root(request: Request, settings: SettingsDep) -> Response:
    """Links to every collection."""
    view = presenter(settings)
    body = Root(
        name="Khabar",
        version=__version__,
        default_language=settings.default_language,
        links=RootLinks(
            articles=view.url("/v1/articles"),
            sections=view.url("/v1/sections"),
            tags=view.url("/v1/tags"),
            authors=view.url("/v1/authors"),
            search=view.url("/v1/search"),
            media=view.url("/v1/media"),
            site=view.url("/v1/site"),
            feeds=view.feeds(),
            sitemap=view.url("/v1/sitemap.xml"),
            news_sitemap=view.url("/v1/sitemaps/news.xml"),
            ninjs=view.url("/v1/ninjs"),
            docs=view.url("/docs"),
            openapi=view.url("/openapi.json"),
        ),
    )
    return json_response(request, settings, body, public=True, keys=[surrogate.SITE])


class SiteRead(BaseModel):
    """The publication, as feeds, sitemaps, JSON-LD and ninjs describe it."""

    name: dict[str, str] = Field(
        description="Its name per language.", examples=[{"ar": "خبر", "en": "Khabar"}]
    )
    url: str = Field(description="The web site (front end).")
    api_url: str
    logo: str | None
    default_language: str
    dir: str = Field(description="Direction of the default language.")
    copyright: str
    usage_terms: str | None
    article_url_template: str = Field(description="How an article's web URL is made.")
    feeds: FeedLinks
    websub_hubs: list[str]


@router.get(
    "/v1/site",
    response_model=SiteRead,
    summary="The publication",
    responses={304: {"description": "Not modified."}},
)
def get_site(request: Request, settings: SettingsDep) -> Response:
    """Names, web site, logo, language, copyright: from configuration (see the README)."""
    view = presenter(settings)
    site = view.site
    body = SiteRead(
        name=site.names,
        url=site.url,
        api_url=site.api_url,
        logo=site.logo_url,
        default_language=site.default_language,
        dir=direction(site.default_language),
        copyright=site.copyright,
        usage_terms=site.usage_terms,
        article_url_template=site.url_template,
        feeds=view.feeds(),
        websub_hubs=list(settings.websub_hubs),
    )
    return json_response(request, settings, body, public=True, keys=[surrogate.SITE])


class Health(BaseModel):
    status: str = Field(examples=["ok"])


@router.get("/healthz", response_model=Health, summary="Liveness check")
def health() -> Health:
    return Health(status="ok")
