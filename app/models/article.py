"""The article aggregate: the article row and its ordered links to authors, sections, tags,
related articles, plus the slugs it used to have (kept as redirects).

There are no ORM relationships on purpose: reads select each kind of link in one plain query
(see ``app.services.articles.full``), and deletes cascade in the database (ON DELETE CASCADE).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONValue, utcnow

# "trashed" is the trash: restorable (as a draft) until an admin purges it.
STATUSES = ("draft", "scheduled", "published", "archived", "trashed")


class Article(Base):
    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("slug", "lang"),
        Index("ix_article_status_published", "status", "published_at", "id"),
        Index("ix_article_section_published", "primary_section_id", "status", "published_at"),
        Index("ix_article_status_created", "status", "created_at", "id"),
        Index("ix_article_status_scheduled", "status", "scheduled_at"),
        # Covers the sitemap index (published ids in order, with the dates it needs), and finds
        # published articles by id without walking them all (SQLite without statistics).
        Index("ix_article_status_id", "status", "id", "published_at", "updated_at"),
        # The sync copy's order, and its lookups of published articles by public id.
        Index("ix_article_status_public_id", "status", "public_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    lang: Mapped[str] = mapped_column(String(16))
    slug: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    headline: Mapped[str] = mapped_column(Text)
    kicker: Mapped[str | None] = mapped_column(Text)
    subheadline: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue, default=list)
    body_html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    reading_time: Mapped[int] = mapped_column(Integer, default=0)
    breaking: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency: Mapped[int] = mapped_column(Integer, default=5)
    source: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    translation_group: Mapped[str | None] = mapped_column(String(24), index=True)
    primary_section_id: Mapped[int | None] = mapped_column(
        ForeignKey("section.id", ondelete="RESTRICT")
    )
    hero_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    # This article's own caption and credit for its hero image, over the media item's.
    hero_caption: Mapped[str | None] = mapped_column(Text)
    hero_credit: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    first_published_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    # A scheduled article shared ahead with partners granted "embargo" (not with the public).
    embargo: Mapped[bool] = mapped_column(Boolean, default=False)
    trashed_at: Mapped[datetime | None]
    # Public corrections, oldest first: [{"at": ISO 8601, "note": text}].
    corrections: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL")
    )
    updated_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL")
    )

    # The version column doubles as SQLAlchemy's optimistic lock: an UPDATE that finds another
    # version in the row fails instead of overwriting someone else's edit.
    __mapper_args__ = {"version_id_col": version}


class ArticleAuthor(Base):
    __tablename__ = "article_author"
    __table_args__ = (Index("ix_article_author_author", "author_id", "article_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("author.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ArticleSection(Base):
    """An extra (non-primary) section of an article."""

    __tablename__ = "article_section"
    __table_args__ = (Index("ix_article_section_section", "section_id", "article_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("section.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ArticleTag(Base):
    __tablename__ = "article_tag"
    __table_args__ = (Index("ix_article_tag_tag", "tag_id", "article_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ArticleRelated(Base):
    __tablename__ = "article_related"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    related_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ArticleSlug(Base):
    """A slug an article used to have: requests for it get a 301 to the current one."""

    __tablename__ = "article_slug"
    __table_args__ = (UniqueConstraint("slug", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    lang: Mapped[str] = mapped_column(String(16))
    slug: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
