"""Body blocks: what mobile apps render natively. HTML inside blocks is sanitised on write."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from app.schemas.media import ImageRead

INLINE_MAX = 20_000


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParagraphBlock(_Block):
    type: Literal["paragraph"]
    html: str = Field(max_length=INLINE_MAX, description="Inline markup: a, strong, em, br, ...")


class HeadingBlock(_Block):
    type: Literal["heading"]
    level: int = Field(ge=2, le=4)
    text: str = Field(min_length=1, max_length=1000)


class QuoteBlock(_Block):
    type: Literal["quote"]
    html: str = Field(max_length=INLINE_MAX)
    cite: str | None = Field(default=None, max_length=500)


class ListBlock(_Block):
    type: Literal["list"]
    style: Literal["ordered", "unordered"] = "unordered"
    items: list[Annotated[str, Field(max_length=INLINE_MAX)]] = Field(min_length=1, max_length=500)


class EmbedBlock(_Block):
    type: Literal["embed"]
    url: HttpUrl
    provider: str | None = Field(
        default=None, description="Worked out from the URL on save (youtube, vimeo, x, ...)."
    )
    caption: str | None = Field(default=None, max_length=1000)


class ImageBlock(_Block):
    """An uploaded image (``POST /v1/media``) in the body. Caption, credit and alt given here
    override the media item's own for this article; left out, the item's are used."""

    type: Literal["image"]
    media: str = Field(min_length=1, max_length=32, description="Id of a media item.")
    caption: str | None = Field(default=None, max_length=2000)
    credit: str | None = Field(default=None, max_length=500)
    alt: str | None = Field(default=None, max_length=1000)
    image: ImageRead | None = Field(
        default=None,
        description="Read-only: the resolved image (sizes, srcset, caption) that responses "
        "carry. Ignored on write, so a body read from the API can be sent back as it is.",
    )


class HtmlBlock(_Block):
    type: Literal["html"]
    html: str = Field(max_length=200_000, description="Sanitised block-level HTML (tables, ...).")


Block = Annotated[
    ParagraphBlock | HeadingBlock | QuoteBlock | ListBlock | EmbedBlock | ImageBlock | HtmlBlock,
    Field(discriminator="type"),
]
