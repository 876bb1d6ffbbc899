"""The API root: what is here and where."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app import __version__
from app.deps import SettingsDep
from app.responses import json_response

router = APIRouter(tags=["meta"])


class RootLinks(BaseModel):
    articles: str
    sections: str
    tags: str
    authors: str
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
    base = settings.base_url.rstrip("/")
    body = Root(
        name="Khabar",
        version=__version__,
        default_language=settings.default_language,
        links=RootLinks(
            articles=f"{base}/v1/articles",
            sections=f"{base}/v1/sections",
            tags=f"{base}/v1/tags",
            authors=f"{base}/v1/authors",
            docs=f"{base}/docs",
            openapi=f"{base}/openapi.json",
        ),
    )
    return json_response(request, settings, body, public=True)


class Health(BaseModel):
    status: str = Field(examples=["ok"])


@router.get("/healthz", response_model=Health, summary="Liveness check")
def health() -> Health:
    return Health(status="ok")
