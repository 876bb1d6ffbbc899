from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.schemas.common import Links


class AuditEventRead(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="The key's name and prefix as they were, or `scheduler`/`cli`.")
    key: str | None = Field(description="The key's prefix (null: the server itself).")
    role: str | None
    action: str = Field(examples=["article.publish", "tag.update", "key.revoke"])
    item_type: str = Field(examples=["article", "section", "tag", "author", "media", "key"])
    item_id: str = Field(description="Public id, slug or key prefix of the item.")
    version: int | None = Field(description="The item's version after the write, where it has one.")
    detail: dict[str, Any] = Field(description="E.g. `changed`: the fields an update set.")


class AuditList(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None
    links: Links
