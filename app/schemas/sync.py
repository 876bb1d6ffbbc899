"""Delta sync pages (``GET /v1/sync``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.articles import ArticleRead
from app.schemas.authors import AuthorRead
from app.schemas.sections import SectionRead
from app.schemas.tags import TagRead


class SyncEntry(BaseModel):
    type: Literal["article", "section", "tag", "author"]
    id: str = Field(description="The article's id, or the slug of a section, tag or author.")
    op: Literal["upsert", "delete"] = Field(
        description="`upsert`: store `data` (replacing what you had under this type and id). "
        "`delete`: drop it (it may be one you never had: then do nothing)."
    )
    data: ArticleRead | SectionRead | TagRead | AuthorRead | None = Field(
        description="The item as `GET` on it gives it now; null for a deletion."
    )


class SyncLinks(BaseModel):
    self: str
    next: str = Field(description="Where to ask next: at once if `has_more`, else later.")


class SyncPage(BaseModel):
    items: list[SyncEntry]
    next_token: str = Field(description="Pass as `token` to continue from here.")
    has_more: bool = Field(
        description="More changes are waiting: ask again at once. False: you are up to date; "
        "keep `next_token` and ask again later."
    )
    links: SyncLinks
