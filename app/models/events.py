"""Events out: the outbox of content changes, the sync log, and webhook subscriptions with
their deliveries (see app.services.events, app.services.sync and app.services.webhooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONValue, utcnow

COUNTER = "event"  # the name of the row that numbers events


class EventCounter(Base):
    """The one row that numbers events. Taking the next number locks the row until the
    transaction ends, so numbers are handed out in commit order: a reader that has seen event
    ``n`` has seen every event before it (what sync tokens and webhook fan-out rely on)."""

    __tablename__ = "event_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(Base):
    """One content change, written in the change's own transaction (the outbox)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_item", "item_type", "item_id", "id"),)

    # From EventCounter, not autoincrement: the order of ids is the order of commits.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[str] = mapped_column(String(64))  # article.published, tag.deleted, …
    item_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(255))
    # What receivers are told: the item's ids, state, sections, …
    data: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)
    # Cache keys of every public response the change affects (for CDN purges).
    surrogate_keys: Mapped[list[str]] = mapped_column(JSONValue, default=list)


class SyncItem(Base):
    """The latest change of every item the public has seen: what ``GET /v1/sync`` pages
    through. ``seq`` is the number of the event that last touched it; ``deleted`` is set when
    it left the public (unpublished, trashed, purged, deleted)."""

    __tablename__ = "sync_item"
    __table_args__ = (Index("ix_sync_item_seq", "seq", "item_type", "item_id"),)

    item_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Webhook(Base):
    """A subscription: POST these events to this URL, signed with this secret."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    # Event types or patterns ("article.*", "*").
    events: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    section: Mapped[str | None] = mapped_column(String(255))  # a section slug, sub-sections too
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL")
    )
    # The last event already turned into deliveries for this subscription.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookDelivery(Base):
    """One event to one subscription: pending → delivered, or dead after too many attempts."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_order", "webhook_id", "order_key", "status", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("event.id", ondelete="CASCADE"))
    # Deliveries with the same key (one article, one tag, …) go out in event order.
    order_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[float | None]


class WebhookAttempt(Base):
    """One request to a receiver (a delivery attempt, a redelivery or a test ping): the log."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (
        Index("ix_webhook_attempt_webhook", "webhook_id", "id"),
        Index("ix_webhook_attempt_delivery", "delivery_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE")
    )
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
