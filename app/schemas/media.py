"""The media contract: the library item, its metadata edits, and the image as articles and
authors embed it (ready to render: sizes, srcset, caption, credit, placeholder)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.common import LANG_PATTERN, LangDir, Links, Patch

CAPTION_MAX = 2000
CREDIT_MAX = 500
ALT_MAX = 1000
URL_PATTERN = r"^https?://\S+$"

LangKey = Annotated[str, StringConstraints(pattern=LANG_PATTERN, max_length=16)]


class Focal(BaseModel):
    """The point a crop keeps in view, as fractions of the width and height (0.5, 0.5 = centre)."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class MediaLinks(BaseModel):
    self: str
    image: str = Field(
        description="Rendition endpoint: add w, h, fit, fmt and q (see GET /v1/media/{id}/image)."
    )
    original: str = Field(description="The stored original (metadata stripped).")


class MediaRead(BaseModel):
    """A library item as the management API and partners see it."""

    id: str = Field(examples=["m3k9x2c7v1b8n4q6"])
    kind: str = Field(examples=["image"])
    format: str = Field(examples=["jpeg"])
    mime: str = Field(examples=["image/jpeg"])
    width: int
    height: int
    bytes: int = Field(description="Size of the stored original.")
    sha256: str = Field(description="SHA-256 of the bytes as uploaded.")
    filename: str | None
    caption: dict[str, str] = Field(
        description="Caption per language.", examples=[{"ar": "الجسر عند الغروب"}]
    )
    credit: dict[str, str] = Field(description="Credit per language.")
    alt: dict[str, str] = Field(description="Alt text per language.")
    archive: bool = Field(description="An archive photo («أرشيفية»), not taken for this story.")
    focal: Focal
    source_url: str | None
    placeholder: str = Field(description="A tiny blurred preview as a data: URI (LQIP).")
    color: str = Field(description="Average colour, #rrggbb.", examples=["#7a8b9c"])
    animated: bool
    src: str = Field(description="A JPEG rendition up to 1200 px wide.")
    srcset: str = Field(description="WebP renditions along the width ladder, for <img srcset>.")
    created_at: datetime
    updated_at: datetime
    version: int
    links: MediaLinks


class MediaList(BaseModel):
    items: list[MediaRead]
    next_cursor: str | None
    links: Links


class MediaUpdate(Patch):
    """Only the fields sent change. caption, credit and alt merge per language: a language set
    to null or "" is removed, languages left out are kept."""

    not_null = ("caption", "credit", "alt", "archive", "focal")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "caption": {"ar": "جسر الميناء قبل الافتتاح", "en": "The harbour bridge"},
                    "credit": {"ar": "تصوير: سلمى حداد"},
                    "archive": True,
                    "focal": {"x": 0.4, "y": 0.35},
                }
            ]
        },
    )

    caption: (
        dict[LangKey, Annotated[str, StringConstraints(max_length=CAPTION_MAX)] | None] | None
    ) = Field(default=None, max_length=20)
    credit: (
        dict[LangKey, Annotated[str, StringConstraints(max_length=CREDIT_MAX)] | None] | None
    ) = Field(default=None, max_length=20)
    alt: dict[LangKey, Annotated[str, StringConstraints(max_length=ALT_MAX)] | None] | None = Field(
        default=None, max_length=20
    )
    archive: bool | None = None
    focal: Focal | None = None
    source_url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)


class MediaUploadFields(BaseModel):
    """The form fields that may come with an upload (all optional)."""

    model_config = ConfigDict(extra="forbid")

    lang: str | None = Field(default=None, pattern=LANG_PATTERN, max_length=16)
    caption: str | None = Field(default=None, max_length=CAPTION_MAX)
    credit: str | None = Field(default=None, max_length=CREDIT_MAX)
    alt: str | None = Field(default=None, max_length=ALT_MAX)
    archive: bool = False
    focal_x: float = Field(default=0.5, ge=0, le=1)
    focal_y: float = Field(default=0.5, ge=0, le=1)
    source_url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)


class ImageRead(LangDir):
    """An image as an article or author shows it: texts in the article's language (its own
    caption and credit first, then the media item's), and everything an <img> needs."""

    id: str = Field(description="The media item's id.")
    width: int
    height: int
    src: str = Field(description="A JPEG rendition up to 1200 px wide (fallback).")
    srcset: str = Field(description="WebP renditions along the width ladder.")
    sizes: str = Field(examples=["(max-width: 800px) 100vw, 800px"])
    alt: str
    caption: str | None
    credit: str | None
    archive: bool
    placeholder: str = Field(description="data: URI of a tiny blurred preview.")
    color: str
    focal: Focal
    url: str = Field(description="The media item (JSON).")
