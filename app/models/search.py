"""The search index: one row per published article, holding the text pipeline's output
(``app.text.search.index_text``) of each weighted part.

The database indexes these rows with its own full-text engine, created by the migration rather
than modelled here: on SQLite an FTS5 table ``article_fts`` kept in step by triggers, on
PostgreSQL a generated ``tsvector`` column ``document`` with a GIN index. Writing this table is
therefore all the application does to keep the index current, in the same transaction as the
change that caused it.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ArticleSearch(Base):
    __tablename__ = "article_search"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    headline: Mapped[str] = mapped_column(Text)
    # Kicker, subheadline and summary.
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # Tag and author names.
    extra: Mapped[str] = mapped_column(Text)


class SearchState(Base):
    """Facts about the index as a whole: ``pipeline_version`` is the text pipeline's version
    the stored terms were made with (``app.text.search.PIPELINE_VERSION``); when the pipeline
    or its tables change, ``khabar db upgrade`` indexes again."""

    __tablename__ = "search_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
