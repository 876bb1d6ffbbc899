"""Webhook subscriptions and their deliveries: the admin's view (see docs/webhooks.md).

The secret that signs a subscription's requests appears only in the responses that create or
rotate it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from app.deps import AdminKey, CursorQuery, LimitDep, SessionDep, SettingsDep, WriteSessionDep
from app.errors import NotFound
from app.models import Event, Webhook, WebhookAttempt, WebhookDelivery
from app.responses import json_response, page_links, private_response
from app.schemas.common import problem_responses
from app.schemas.webhooks import (
    AttemptRead,
    DeliveryDetail,
    DeliveryList,
    DeliveryRead,
    DeliveryStatus,
    ItemRef,
    PingResult,
    SecretRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
    WebhookUpdate,
)
from app.services import audit as audit_service
from app.services import webhooks as webhook_service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

WebhookId = Annotated[str, Path(max_length=32, description="The subscription's id.")]
DeliveryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The delivery's id.")]
StatusQuery = Annotated[DeliveryStatus | None, Query(description="Only deliveries in this state.")]


def _found(session: Session, webhook_id: str) -> Webhook:
    webhook = webhook_service.get_webhook(session, webhook_id=webhook_id)
    if webhook is None:
        raise NotFound(f"No webhook has the id «{webhook_id}».")
    return webhook


def _delivery_found(
    session: Session, webhook: Webhook, delivery_id: int
) -> tuple[WebhookDelivery, Event]:
    found = webhook_service.get_delivery(session, webhook=webhook, delivery_id=delivery_id)
    if found is None:
        raise NotFound(f"The webhook «{webhook.public_id}» has no delivery {delivery_id}.")
    return found


def _read(webhook: Webhook) -> WebhookRead:
    return WebhookRead(
        id=webhook.public_id,
        name=webhook.name,
        url=webhook.url,
        events=list(webhook.events),
        section=webhook.section,
        active=webhook.active,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def _delivery(delivery: WebhookDelivery, event: Event) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        event_id=str(event.id),
        event_type=event.type,
        item=ItemRef(type=event.item_type, id=event.item_id),
        status=delivery.status,  # type: ignore[arg-type]
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        last_duration_ms=delivery.last_duration_ms,
    )


def _attempt(attempt: WebhookAttempt) -> AttemptRead:
    return AttemptRead(
        at=attempt.at,
        status_code=attempt.status_code,
        duration_ms=attempt.duration_ms,
        error=attempt.error,
    )


@router.get(
    "",
    response_model=WebhookList,
    summary="List webhooks",
    responses=problem_responses(304, 401, 403, 422),
)
def list_webhooks(
    request: Request, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> Response:
    """Every subscription, oldest first, without secrets. Admin only."""
    page = WebhookList(items=[_read(w) for w in webhook_service.list_webhooks(session)])
    return json_response(request, settings, page, public=False)


@router.get(
    "/{webhook_id}",
    response_model=WebhookRead,
    summary="Get a webhook",
    responses=problem_responses(304, 401, 403, 404, 422),
)
def get_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: AdminKey,
    webhook_id: WebhookId,
) -> Response:
    """One subscription, without its secret."""
    return json_response(request, settings, _read(_found(session, webhook_id)), public=False)


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    summary="Create a webhook",
    responses=problem_responses(401, 403, 422),
)
def create_webhook(
    session: WriteSessionDep, settings: SettingsDep, key: AdminKey, payload: WebhookCreate
) -> Response:
    """It receives the events that commit after it is made. The response carries the signing
    `secret`, this once."""
    webhook = webhook_service.create_webhook(
        session,
        name=payload.name,
        url=payload.url,
        events=payload.events,
        section=payload.section,
        active=payload.active,
        key=key,
        allow_private=settings.allow_private_webhooks,
    )
    audit_service.record(
        session,
        key=key,
        action="webhook.create",
        item_type="webhook",
        item_id=webhook.public_id,
        detail={
            "name": webhook.name,
            "url": webhook.url,
            "events": webhook.events,
            "section": webhook.section,
            "active": webhook.active,
        },
    )
    session.commit()
    body = WebhookCreated(**_read(webhook).model_dump(), secret=webhook.secret)
    return private_response(body, status_code=201)


@router.patch(
    "/{webhook_id}",
    response_model=WebhookRead,
    summary="Update a webhook",
    responses=problem_responses(401, 403, 404, 422),
)
def update_webhook(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    key: AdminKey,
    webhook_id: WebhookId,
    payload: WebhookUpdate,
) -> Response:
    """Change the name, URL (checked again), event types, section or `active`. Filters apply
    to events from now on; a reactivated webhook receives what happened while it was off."""
    changes = payload.model_dump(exclude_unset=True)
    webhook = webhook_service.update_webhook(
        session,
        webhook=_found(session, webhook_id),
        changes=changes,
        allow_private=settings.allow_private_webhooks,
    )
    audit_service.record(
        session,
        key=key,
        action="webhook.update",
        item_type="webhook",
        item_id=webhook.public_id,
        detail=audit_service.update_detail(changes),
    )
    session.commit()
    return json_response(request, settings, _read(webhook), public=False)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook",
    responses=problem_responses(401, 403, 404, 422),
)
def delete_webhook(session: WriteSessionDep, key: AdminKey, webhook_id: WebhookId) -> Response:
    """The subscription goes, with its pending deliveries and their log."""
    webhook = _found(session, webhook_id)
    webhook_service.delete_webhook(session, webhook=webhook)
    audit_service.record(
        session,
        key=key,
        action="webhook.delete",
        item_type="webhook",
        item_id=webhook.public_id,
        detail={"name": webhook.name, "url": webhook.url},
    )
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/secret",
    response_model=SecretRead,
    summary="Rotate a webhook's secret",
    responses=problem_responses(401, 403, 404, 422),
)
def rotate_secret(session: WriteSessionDep, key: AdminKey, webhook_id: WebhookId) -> Response:
    """A new signing secret, shown this once. Requests from now on are signed with it only."""
    webhook = _found(session, webhook_id)
    secret = webhook_service.rotate_secret(session, webhook=webhook)
    audit_service.record(
        session, key=key, action="webhook.rotate", item_type="webhook", item_id=webhook.public_id
    )
    session.commit()
    return private_response(SecretRead(secret=secret))


@router.post(
    "/{webhook_id}/ping",
    response_model=PingResult,
    summary="Ping a webhook",
    responses=problem_responses(401, 403, 404, 422),
)
def ping_webhook(
    session: SessionDep,
    write: WriteSessionDep,
    settings: SettingsDep,
    key: AdminKey,
    webhook_id: WebhookId,
) -> Response:
    """Send a signed `ping` event now and report how the receiver answered (a refused
    address or an error is reported here, with `ok` false). The attempt is logged."""
    webhook = _found(session, webhook_id)
    outcome = webhook_service.ping(write, webhook=webhook, settings=settings)
    audit_service.record(
        write,
        key=key,
        action="webhook.ping",
        item_type="webhook",
        item_id=webhook.public_id,
        detail={"ok": outcome.ok, "status_code": outcome.status_code},
    )
    write.commit()
    result = PingResult(
        ok=outcome.ok,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
    )
    return private_response(result)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    summary="List a webhook's deliveries",
    responses=problem_responses(304, 400, 401, 403, 404, 422),
)
def list_deliveries(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: AdminKey,
    webhook_id: WebhookId,
    limit: LimitDep,
    cursor: CursorQuery = None,
    status: StatusQuery = None,
) -> Response:
    """Newest first, with keyset pagination: each event queued for the webhook, its state and
    how its last attempt went."""
    rows, next_cursor = webhook_service.list_deliveries(
        session,
        webhook=_found(session, webhook_id),
        status=status,
        cursor=cursor,
        limit=limit,
    )
    links, headers = page_links(request, settings, next_cursor)
    page = DeliveryList(
        items=[_delivery(d, e) for d, e in rows], next_cursor=next_cursor, links=links
    )
    return json_response(request, settings, page, public=False, headers=headers)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="Get a delivery with its log",
    responses=problem_responses(304, 401, 403, 404, 422),
)
def get_delivery(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: AdminKey,
    webhook_id: WebhookId,
    delivery_id: DeliveryId,
) -> Response:
    """The delivery and every request made for it: status codes, timings, errors."""
    delivery, event = _delivery_found(session, _found(session, webhook_id), delivery_id)
    detail = DeliveryDetail(
        **_delivery(delivery, event).model_dump(),
        log=[_attempt(a) for a in webhook_service.delivery_log(session, delivery=delivery)],
    )
    return json_response(request, settings, detail, public=False)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    status_code=202,
    summary="Redeliver",
    responses=problem_responses(401, 403, 404, 422),
)
def redeliver(
    session: WriteSessionDep,
    key: AdminKey,
    webhook_id: WebhookId,
    delivery_id: DeliveryId,
) -> Response:
    """Queue the delivery again, due now, with its count of attempts reset (a dead or a
    delivered one alike). The dispatcher sends it on its next pass."""
    webhook = _found(session, webhook_id)
    delivery, event = _delivery_found(session, webhook, delivery_id)
    webhook_service.redeliver(session, delivery=delivery)
    audit_service.record(
        session,
        key=key,
        action="webhook.redeliver",
        item_type="webhook",
        item_id=webhook.public_id,
        detail={"delivery_id": delivery.id, "event_id": str(event.id)},
    )
    session.commit()
    return private_response(_delivery(delivery, event), status_code=202)
