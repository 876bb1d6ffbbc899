"""The editorial record: every saved version of an article, and who did what to which item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONValue, utcnow


class ArticleRevision(Base):
    """A snapshot of an article as it was saved at ``version``.

    The snapshot names everything by its public identifier (slugs, public ids), so that a
    revision reads on its own and restoring it goes through the same checks as an edit.
    """

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # create, update, publish, schedule, … (see app.services.revisions.ACTIONS)
    action: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
    # Who, kept as text too: "scheduler", or the key's name and prefix when it was made.
    actor: Mapped[str] = mapped_column(String(255))
    changed: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    restored_from: Mapped[int | None] = mapped_column(Integer)


class AuditEvent(Base):
    """One write: who (key or scheduler), what (action), which item, when. Append-only."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_item", "item_type", "item_id", "id"),
        Index("ix_audit_event_key", "key_id", "id"),
        Index("ix_audit_event_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(255))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    item_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(255))
    version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)


class AppSecret(Base):
    """Random secrets the app makes for itself on first use (e.g. for signing preview tokens),
    kept in the database so that every process and host signs with the same one."""

    __tablename__ = "app_secret"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSubPing(Base):
    """A queued WebSub notification: tell ``hub`` that the feed ``topic`` changed.

    Written in the same transaction as the change, delivered by each server process's
    dispatcher (``app.services.websub``), retried with backoff until delivered or dead.
    """

    __tablename__ = "websub_ping"
    __table_args__ = (Index("ix_websub_ping_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # pending → delivered, or dead after too many failed attempts
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
