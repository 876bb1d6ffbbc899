"""Media: an uploaded image (the cleaned original lives in storage under ``storage_key``) with
its editorial metadata, and the links that record which articles use it.

Caption, credit and alt text are maps of language → text, like section names: one photo serves
the Arabic and the English edition. Renditions are not rows: they are files derived from the
original, named by their parameters, and rebuilt on demand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONValue, utcnow


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (Index("ix_media_created", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="image")
    format: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the bytes as uploaded (before cleaning): the same upload twice is one item.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255))
    caption: Mapped[dict[str, str]] = mapped_column(JSONValue, default=dict)
    credit: Mapped[dict[str, str]] = mapped_column(JSONValue, default=dict)
    alt: Mapped[dict[str, str]] = mapped_column(JSONValue, default=dict)
    archive: Mapped[bool] = mapped_column(Boolean, default=False)
    focal_x: Mapped[float] = mapped_column(Float, default=0.5)
    focal_y: Mapped[float] = mapped_column(Float, default=0.5)
    source_url: Mapped[str | None] = mapped_column(Text)
    placeholder: Mapped[str] = mapped_column(Text)
    color: Mapped[str] = mapped_column(String(7))
    animated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL")
    )
    updated_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL")
    )

    __mapper_args__ = {"version_id_col": version}


class ArticleMedia(Base):
    """An article uses a media item (as its hero or in an image block). Kept in step with the
    article on every write: it answers "may the public see this image?" and "is it in use?"."""

    __tablename__ = "article_media"
    __table_args__ = (Index("ix_article_media_media", "media_id", "article_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True
    )
