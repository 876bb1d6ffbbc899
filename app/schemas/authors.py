from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import LANG_PATTERN, SLUG_MAX, FeedLinks, LangDir, Links, Patch
from app.schemas.media import ImageRead

AVATAR = Field(default=None, max_length=32, description="Id of a media item: the author's photo.")


class AuthorCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "سلمى الحداد",
                    "slug": "salma-haddad",
                    "job_title": "مراسلة الشؤون المحلية",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=300)
    slug: str | None = Field(default=None, max_length=SLUG_MAX)
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, max_length=16)
    job_title: str | None = Field(default=None, max_length=300)
    bio: str | None = Field(default=None, max_length=10_000)
    avatar: str | None = AVATAR


class AuthorUpdate(Patch):
    not_null = ("name", "slug", "lang")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"bio": "..."}]})

    name: str | None = Field(default=None, min_length=1, max_length=300)
    slug: str | None = Field(default=None, min_length=1, max_length=SLUG_MAX)
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, max_length=16)
    job_title: str | None = Field(default=None, max_length=300)
    bio: str | None = Field(default=None, max_length=10_000)
    avatar: str | None = AVATAR


class AuthorLinks(BaseModel):
    self: str
    articles: str
    feeds: FeedLinks


class AuthorRead(LangDir):
    slug: str = Field(examples=["salma-haddad"])
    name: str = Field(examples=["سلمى الحداد"])
    job_title: str | None
    bio: str | None
    avatar: ImageRead | None
    links: AuthorLinks


class AuthorList(BaseModel):
    items: list[AuthorRead]
    next_cursor: str | None
    links: Links
