from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.articles import ArticleCard
from app.schemas.common import SLUG_MAX, FeedLinks, LangDir, Patch

NAMES_EXAMPLE: Any = {"ar": "اقتصاد", "en": "Economy"}
LangMap = dict[str, str]


class SectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "economy",
                    "names": NAMES_EXAMPLE,
                    "descriptions": {"ar": "أسواق وشركات ومال", "en": "Markets and money"},
                    "position": 2,
                }
            ]
        },
    )

    slug: str = Field(min_length=1, max_length=SLUG_MAX)
    names: LangMap = Field(
        min_length=1,
        max_length=20,
        description="Name per language code, e.g. {'ar': ..., 'en': ...}.",
    )
    descriptions: LangMap | None = Field(default=None, max_length=20)
    parent: str | None = Field(default=None, max_length=SLUG_MAX, description="Parent's slug.")
    position: int | None = Field(default=None, ge=0, le=10_000)
    pinned: list[str] | None = Field(
        default=None, max_length=50, description="Ids of articles pinned to the front, in order."
    )


class SectionUpdate(Patch):
    not_null = ("slug", "names", "position", "pinned")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"position": 0}]})

    slug: str | None = Field(default=None, min_length=1, max_length=SLUG_MAX)
    names: LangMap | None = Field(default=None, min_length=1, max_length=20)
    descriptions: LangMap | None = Field(default=None, max_length=20)
    parent: str | None = Field(default=None, max_length=SLUG_MAX)
    position: int | None = Field(default=None, ge=0, le=10_000)
    pinned: list[str] | None = Field(default=None, max_length=50)


class SectionName(LangDir):
    name: str
    description: str | None


class SectionLinks(BaseModel):
    self: str
    articles: str
    feeds: FeedLinks


class SectionRead(LangDir):
    slug: str = Field(examples=["economy"])
    name: str = Field(description="Name in the requested language (or the site's).")
    description: str | None
    names: list[SectionName] = Field(description="The name in every language it has.")
    parent: str | None
    position: int
    links: SectionLinks


class SectionNode(SectionRead):
    children: list[SectionNode]


class SectionTree(BaseModel):
    items: list[SectionNode]


class SectionFront(BaseModel):
    pinned: list[ArticleCard]
    latest: list[ArticleCard]


class SectionDetail(SectionRead):
    children: list[SectionRead]
    front: SectionFront
