"""Ready-made public JSON: an article page and a list card kept as the bytes they are sent as
(see app.services.ready). A row exists only for a published article and is deleted in the same
transaction as any change that alters what it shows.

``article_id`` is not a foreign key on purpose: on PostgreSQL, checking one would make the
read that stores a row wait for an editor's lock on the article while holding the event
counter that the editor waits for (a deadlock). An article's rows are deleted with its events,
its purge included."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ReadyArticle(Base):
    """``GET /v1/articles/{id}`` as the public gets it: body, ETag and the headers it varies."""

    __tablename__ = "ready_article"

    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    # What it was built for: the presentation code and the site settings (see ready.format_of).
    format: Mapped[str] = mapped_column(String(32))
    published_at: Mapped[datetime]
    last_modified: Mapped[datetime]
    etag: Mapped[str] = mapped_column(String(64))
    surrogate_keys: Mapped[str] = mapped_column(Text)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class ReadyCard(Base):
    """An article as one item of a public list (``ArticleCard``), serialised."""

    __tablename__ = "ready_card"

    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    format: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
