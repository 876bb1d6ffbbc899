"""The audit log: one row per write, in the same transaction as the write itself (a write that
rolls back leaves no trace; one that commits always has its row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey, AuditEvent
from app.models.base import utcnow
from app.services.pagination import decode_cursor, encode_cursor

SCHEDULER = "scheduler"


SYSTEM = "system"


def actor_of(key: ApiKey | None) -> str:
    """How a write's author reads in the record: the key's name and prefix, or ``system`` for
    the server's own writes (the demo loader; the scheduler names itself)."""
    return f"{key.name} ({key.prefix})" if key is not None else SYSTEM


def record(
    session: Session,
    *,
    key: ApiKey | None,
    action: str,
    item_type: str,
    item_id: str,
    version: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Record one write. ``key`` None means the server itself, unless ``actor`` names another
    author (``"scheduler"``; ``"cli"``: the operator at the command line)."""
    event = AuditEvent(
        at=utcnow(),
        key_id=key.id if key is not None else None,
        actor=actor if actor is not None else actor_of(key),
        role=key.role if key is not None else None,
        action=action,
        item_type=item_type,
        item_id=item_id,
        version=version,
        detail=detail or {},
    )
    session.add(event)
    return event


def update_detail(
    changes: dict[str, Any], *, old_slug: str | None = None, slug: str | None = None
) -> dict[str, Any]:
    """An update's detail: the fields it set, and the slug it had when the slug changed (the
    event's ``item_id`` is the new one)."""
    detail: dict[str, Any] = {"changed": sorted(changes)}
    if old_slug is not None and old_slug != slug:
        detail["old_slug"] = old_slug
    return detail


@dataclass
class AuditFilters:
    key: str | None = None  # a key's prefix
    action: str | None = None
    item_type: str | None = None
    item_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, *, filters: AuditFilters, cursor: str | None, limit: int
) -> tuple[list[tuple[AuditEvent, str | None]], str | None]:
    """Newest first: (event, the key's prefix) pairs and the next page's cursor."""
    query = select(AuditEvent, ApiKey.prefix).outerjoin(ApiKey, ApiKey.id == AuditEvent.key_id)
    if filters.key is not None:
        query = query.where(ApiKey.prefix == filters.key)
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action)
    if filters.item_type is not None:
        query = query.where(AuditEvent.item_type == filters.item_type)
    if filters.item_id is not None:
        query = query.where(AuditEvent.item_id == filters.item_id)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    if cursor is not None:
        (after,) = decode_cursor(cursor, "audit", int)
        query = query.where(AuditEvent.id < after)
    rows: list[tuple[AuditEvent, str | None]] = [
        (event, prefix)
        for event, prefix in session.execute(query.order_by(AuditEvent.id.desc()).limit(limit + 1))
    ]
    next_cursor = encode_cursor("audit", rows[limit - 1][0].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
