"""The audit log: who did what to which item, newest first. Admin only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.deps import AdminKey, CursorQuery, LimitDep, SessionDep, SettingsDep, as_utc
from app.models import AuditEvent
from app.responses import json_response, page_links
from app.schemas.audit import AuditEventRead, AuditList
from app.schemas.common import problem_responses
from app.services import audit as audit_service

router = APIRouter(prefix="/v1/audit", tags=["audit"])

AtOrAfter = Annotated[datetime | None, Query(description="At or after (ISO 8601).")]
Before = Annotated[datetime | None, Query(description="Before (ISO 8601).")]


def _read(event: AuditEvent, prefix: str | None) -> AuditEventRead:
    return AuditEventRead(
        id=event.id,
        at=event.at,
        actor=event.actor,
        key=prefix,
        role=event.role,
        action=event.action,
        item_type=event.item_type,
        item_id=event.item_id,
        version=event.version,
        detail=event.detail or {},
    )


@router.get(
    "",
    response_model=AuditList,
    summary="The audit log",
    responses=problem_responses(304, 400, 401, 403, 422),
)
def list_events(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: AdminKey,
    limit: LimitDep,
    cursor: CursorQuery = None,
    key_prefix: Annotated[
        str | None, Query(alias="key", max_length=16, description="Only this key's writes.")
    ] = None,
    action: Annotated[str | None, Query(max_length=64, description="E.g. `tag.update`.")] = None,
    item_type: Annotated[
        str | None, Query(max_length=32, description="article, section, tag, author, media, key.")
    ] = None,
    item_id: Annotated[
        str | None,
        Query(max_length=255, description="One item's history (its public id, slug or prefix)."),
    ] = None,
    since: AtOrAfter = None,
    until: Before = None,
) -> Response:
    """Newest first, with keyset pagination. Every write through the API is here, in the same
    transaction as the write itself."""
    filters = audit_service.AuditFilters(
        key=key_prefix,
        action=action,
        item_type=item_type,
        item_id=item_id,
        since=as_utc(since),
        until=as_utc(until),
    )
    rows, next_cursor = audit_service.list_events(
        session, filters=filters, cursor=cursor, limit=limit
    )
    links, headers = page_links(request, settings, next_cursor)
    page = AuditList(
        items=[_read(event, prefix) for event, prefix in rows], next_cursor=next_cursor, links=links
    )
    return json_response(request, settings, page, public=False, headers=headers)
