from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import LANG_PATTERN, SLUG_MAX, FeedLinks, LangDir, Links, Patch

TagType = Literal["topic", "person", "organisation", "place", "event"]


class TagCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "الطاقة المتجددة", "type": "topic"}]},
    )

    name: str = Field(min_length=1, max_length=300)
    type: TagType
    slug: str | None = Field(default=None, max_length=SLUG_MAX)
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, max_length=16)
    description: str | None = Field(default=None, max_length=5000)


class TagUpdate(Patch):
    not_null = ("name", "type", "slug", "lang")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"type": "event"}]})

    name: str | None = Field(default=None, min_length=1, max_length=300)
    type: TagType | None = None
    slug: str | None = Field(default=None, min_length=1, max_length=SLUG_MAX)
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, max_length=16)
    description: str | None = Field(default=None, max_length=5000)


class TagLinks(BaseModel):
    self: str
    articles: str
    feeds: FeedLinks


class TagRead(LangDir):
    slug: str = Field(examples=["الطاقة-المتجددة"])
    name: str = Field(examples=["الطاقة المتجددة"])
    type: TagType
    description: str | None
    links: TagLinks


class TagList(BaseModel):
    items: list[TagRead]
    next_cursor: str | None
    links: Links
