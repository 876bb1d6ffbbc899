"""The article contract: one schema per verb, plus the slim card used in lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from app.schemas.blocks import Block
from app.schemas.common import LANG_PATTERN, SLUG_MAX, LangDir, Links, Patch
from app.schemas.media import CAPTION_MAX, CREDIT_MAX, ImageRead

HEADLINE_MAX = 500
EXAMPLE_BODY: list[Any] = [
    {"type": "paragraph", "html": "افتتحت البلدية <strong>جسر الميناء</strong> صباح اليوم."},
    {"type": "heading", "level": 2, "text": "ماذا بعد الافتتاح؟"},
    {"type": "quote", "html": "الجسر يختصر الطريق نصف ساعة.", "cite": "رئيسة البلدية"},
]


class HeroFields(BaseModel):
    """The article's lead image. caption and credit, when given, are this article's own and
    win over the media item's."""

    model_config = ConfigDict(extra="forbid")

    media: str = Field(min_length=1, max_length=32, description="Id of a media item.")
    caption: str | None = Field(default=None, max_length=CAPTION_MAX)
    credit: str | None = Field(default=None, max_length=CREDIT_MAX)


class ArticleFields(BaseModel):
    """Fields an editor writes; shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    slug: str | None = Field(
        default=None,
        max_length=SLUG_MAX,
        description="Unicode slug (Arabic letters allowed). Generated from the headline if absent.",
    )
    kicker: str | None = Field(default=None, max_length=HEADLINE_MAX)
    subheadline: str | None = Field(default=None, max_length=1000)
    summary: str | None = Field(default=None, max_length=5000)
    body: list[Block] | None = Field(
        default=None, max_length=2000, description="Body as ordered blocks."
    )
    body_html: str | None = Field(
        default=None,
        max_length=2_000_000,
        description="Body as HTML: sanitised, then converted to blocks. Give body or body_html.",
    )
    section: str | None = Field(
        default=None, max_length=SLUG_MAX, description="Primary section slug."
    )
    sections: list[str] | None = Field(
        default=None, max_length=20, description="Extra section slugs."
    )
    authors: list[str] | None = Field(
        default=None, max_length=20, description="Author slugs, in order."
    )
    tags: list[str] | None = Field(default=None, max_length=100, description="Tag slugs.")
    related: list[str] | None = Field(
        default=None, max_length=20, description="Ids of related articles, in order."
    )
    translation_of: str | None = Field(
        default=None, max_length=32, description="Id of an article this one translates."
    )
    hero: HeroFields | None = Field(default=None, description="Lead image; null removes it.")
    breaking: bool | None = None
    urgency: int | None = Field(default=None, ge=1, le=9, description="IPTC urgency, 1 = highest.")
    source: str | None = Field(default=None, max_length=500, description="Source or credit line.")
    canonical_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")

    @model_validator(mode="after")
    def _one_body(self) -> ArticleFields:
        if self.body is not None and self.body_html is not None:
            raise ValueError("give body (blocks) or body_html, not both")
        return self


def _not_blank(value: str) -> str:
    # min_length alone lets "   " through, and the service strips that to an empty headline.
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class ArticleCreate(ArticleFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "headline": "افتتاح جسر الميناء الجديد بعد ثلاث سنوات من العمل",
                    "summary": "البلدية تفتتح الجسر وتعد بتخفيف الزحام في وسط المدينة.",
                    "section": "local",
                    "authors": ["salma-haddad"],
                    "tags": ["transport"],
                    "body": EXAMPLE_BODY,
                }
            ]
        },
    )

    headline: str = Field(min_length=1, max_length=HEADLINE_MAX)
    lang: str | None = Field(
        default=None, pattern=LANG_PATTERN, max_length=16, description="Defaults to the site's."
    )
    status: Literal["draft", "published"] = Field(
        default="draft", description="Create as published (editors only) or as a draft."
    )

    @field_validator("headline")
    @classmethod
    def _headline(cls, value: str) -> str:
        return _not_blank(value)


class ArticleUpdate(ArticleFields, Patch):
    """Every field optional; only the fields sent are changed."""

    not_null = ("headline", "breaking", "urgency", "correction")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"headline": "افتتاح جسر الميناء اليوم", "urgency": 3}]},
    )

    headline: str | None = Field(default=None, min_length=1, max_length=HEADLINE_MAX)
    correction: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="A public correction note, added to the article's `corrections` with the "
        "time (for an article that has been published).",
    )

    @field_validator("headline", "correction")
    @classmethod
    def _headline(cls, value: str | None) -> str | None:
        return None if value is None else _not_blank(value)


class SectionRef(LangDir):
    slug: str
    name: str


class AuthorRef(LangDir):
    slug: str
    name: str
    avatar: ImageRead | None = Field(
        default=None, description="On article pages (not in lists): the author's photo."
    )


class TagRef(LangDir):
    slug: str
    name: str
    type: str


class ArticleLink(LangDir):
    """Another article, as much as a link to it needs."""

    id: str
    slug: str
    headline: str
    url: str


class ArticleCard(LangDir):
    """The slim article used in lists."""

    id: str = Field(examples=["k7q2m9x4c1v8b3n6"])
    slug: str = Field(examples=["افتتاح-جسر-الميناء-الجديد"])
    status: str
    headline: str
    kicker: str | None
    summary: str | None
    hero: ImageRead | None = Field(description="Lead image, ready for <img srcset>.")
    section: SectionRef | None
    authors: list[AuthorRef]
    breaking: bool
    urgency: int
    reading_time: int = Field(description="Minutes, at the language's reading speed.")
    published_at: datetime | None
    updated_at: datetime
    url: str = Field(description="This article in the API.")
    public_url: str = Field(
        description="The article's page on the web site (KHABAR_PUBLIC_URL_TEMPLATE)."
    )


class ArticleFormats(BaseModel):
    """The article in other formats."""

    jsonld: str = Field(description="schema.org NewsArticle (application/ld+json).")
    ninjs: str = Field(description="IPTC ninjs 2.2, for partners.")


class Correction(BaseModel):
    at: datetime
    note: str


class ArticleRead(ArticleCard):
    subheadline: str | None
    body: list[Block]
    body_html: str
    word_count: int
    source: str | None
    canonical_url: str | None
    sections: list[SectionRef] = Field(description="Extra sections besides the primary one.")
    tags: list[TagRef]
    related: list[ArticleLink]
    translations: list[ArticleLink] = Field(description="The same story in other languages.")
    first_published_at: datetime | None
    created_at: datetime
    scheduled_at: datetime | None = Field(description="When a scheduled article goes live.")
    embargo: bool = Field(
        description="Scheduled and shared ahead with partners granted `embargo`, who must not "
        "publish it before `scheduled_at`."
    )
    trashed_at: datetime | None = Field(description="When it went to the trash.")
    corrections: list[Correction] = Field(description="Public corrections, oldest first.")
    version: int
    formats: ArticleFormats


class ArticleList(BaseModel):
    items: list[ArticleCard]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    links: Links


def sparse(model: type[BaseModel]) -> type[BaseModel]:
    """The shape of ``model`` under ``?fields=``: the same properties, none required but id."""
    fields: dict[str, Any] = {
        name: (info.annotation, ... if name == "id" else None)
        for name, info in model.model_fields.items()
    }
    return create_model(f"{model.__name__}Fields", **fields)


ArticleCardFields = sparse(ArticleCard)
ArticleReadFields = sparse(ArticleRead)


class ArticleListFields(BaseModel):
    items: list[ArticleCardFields]  # type: ignore[valid-type]
    next_cursor: str | None
    links: Links


CARD_FIELDS = frozenset(ArticleCard.model_fields)
READ_FIELDS = frozenset(ArticleRead.model_fields)
