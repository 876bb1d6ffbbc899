from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONValue, utcnow

ROLES = ("admin", "editor", "writer", "partner")
# What a role may be granted beyond its own rights: "embargo" lets a partner read embargoed
# (scheduled, shared-ahead) articles before their time.
SCOPES = ("embargo",)


class ApiKey(Base):
    """An API key. Only a SHA-256 of the secret is kept; the key is shown once.

    admin: keys, purge, audit, and everything an editor does; editor: everything editorial;
    writer: creates articles and edits their own drafts; partner: reads, nothing more.
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    scopes: Mapped[list[str]] = mapped_column(JSONValue, default=list)

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])
