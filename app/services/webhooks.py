"""Webhooks: signed POSTs of outbox events to subscribers, delivered at least once, in order.

Subscriptions (``webhook``) name a URL, the event types they want and optionally a section.
Every server process runs a dispatcher (``run``) that works only from the database, so that
deliveries survive restarts and several processes share the work without sending twice:

1. fan-out: for each active subscription, the events after its ``cursor`` (numbered in commit
   order, see app.services.events, so none is skipped) that match its filters become
   ``webhook_delivery`` rows, and the cursor moves past them, in one transaction. On
   PostgreSQL the subscriptions are locked ``FOR UPDATE SKIP LOCKED``, so two processes never
   fan out the same one; SQLite's write lock serialises writers anyway. The unique
   (webhook, event) pair is the safety net: a duplicate insert does nothing.
   A delivery whose subscription already has one queued about the same item (``order_key``:
   one article, one tag, …) is ``waiting``; otherwise it is ``pending``. So each item has at
   most one pending delivery per subscription, the head of its queue: event n+1 about an item
   goes out only once event n is delivered or dead, and settling n makes n+1 pending.
2. claim: in a short write transaction, take due pending deliveries (an index range, however
   long the queues behind them) and lease them (``next_attempt_at`` = now + lease). Only as
   many are claimed as there are free slots (``KHABAR_WEBHOOK_CONCURRENCY``), so nothing
   claimed waits behind a slow receiver and no lease runs out before its request is sent.
3. deliver: outside any transaction, concurrently, each to the address the SSRF guard checked
   (app.services.netguard; a refused address is dead at once), with a total timeout.
4. settle: each attempt is logged (``webhook_attempt``); a 2xx is delivered, anything else
   waits with exponential backoff and jitter (app.services.websub.backoff), and after
   ``KHABAR_WEBHOOK_MAX_ATTEMPTS`` the delivery is dead (an admin may redeliver it). A process
   that dies mid-delivery leaves a lease that expires: another process sends again, which is
   why receivers dedupe on ``Khabar-Event-Id``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import quote

import httpx
import orjson
from sqlalchemy import (
    ScalarSelect,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import __version__
from app.config import Settings
from app.db import Database
from app.errors import ValidationFailed, field_error
from app.models import ApiKey, Event, EventCounter, Webhook, WebhookAttempt, WebhookDelivery
from app.models.base import utcnow
from app.services import articles as article_service
from app.services import events as event_service
from app.services import netguard
from app.services import sections as section_service
from app.services.pagination import decode_cursor, encode_cursor
from app.services.websub import backoff

log = logging.getLogger("khabar.webhooks")

SECRET_PREFIX = "whsec_"
USER_AGENT = f"Khabar-Webhooks/{__version__}"
FAN_OUT_BATCH = 500  # events read per pass (every subscription gets them in one transaction)
LEASE_MARGIN = 60.0  # seconds a claimed delivery stays reserved beyond the request's timeout
KINDS = tuple(dict.fromkeys(t.split(".", 1)[0] for t in event_service.TYPES))
QUEUED = ("waiting", "pending")


# Subscriptions -------------------------------------------------------------------------------


def new_secret() -> str:
    """256 random bits, shown to the admin once (at creation and rotation)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_events(patterns: Iterable[str]) -> list[str]:
    """The event types a subscription wants, each once: known types, ``<kind>.*`` or ``*``."""
    known = set(event_service.TYPES)
    out: list[str] = []
    for index, pattern in enumerate(patterns):
        valid = (
            pattern == "*"
            or pattern in known
            or (pattern.endswith(".*") and pattern.removesuffix(".*") in KINDS)
        )
        if not valid:
            raise ValidationFailed(
                f"Unknown event type «{pattern}»: use a type such as «article.published», "
                f"«<kind>.*» (kinds: {', '.join(KINDS)}) or «*».",
                errors=[field_error(["body", "events", index], "unknown event type")],
            )
        if pattern not in out:
            out.append(pattern)
    return out


def wants(patterns: Iterable[str], event_type: str) -> bool:
    """Whether a subscription's event types take this one."""
    kind = event_type.split(".", 1)[0]
    return any(p in ("*", event_type, f"{kind}.*") for p in patterns)


def _check_url(url: str, *, allow_private: bool) -> str:
    try:
        netguard.check(url, allow_private=allow_private)
    except netguard.UnsafeURL as exc:
        raise ValidationFailed(str(exc), errors=[field_error(["body", "url"], str(exc))]) from exc
    return url


def _check_section(session: Session, slug: str | None) -> str | None:
    if slug is not None and section_service.get_section(session, slug=slug) is None:
        raise ValidationFailed(
            f"No section has the slug «{slug}».",
            errors=[field_error(["body", "section"], "no such section")],
        )
    return slug


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def get_webhook(session: Session, *, webhook_id: str) -> Webhook | None:
    return session.scalar(select(Webhook).where(Webhook.public_id == webhook_id))


def create_webhook(
    session: Session,
    *,
    name: str,
    url: str,
    events: list[str],
    section: str | None,
    active: bool,
    key: ApiKey | None,
    allow_private: bool,
) -> Webhook:
    """A new subscription, with its secret. It starts at the current event: it receives only
    the events that commit after it."""
    now = utcnow()
    webhook = Webhook(
        public_id=article_service.new_public_id(),
        name=name,
        url=_check_url(url, allow_private=allow_private),
        events=check_events(events),
        section=_check_section(session, section),
        secret=new_secret(),
        active=active,
        created_at=now,
        updated_at=now,
        created_by_key_id=key.id if key is not None else None,
        cursor=event_service.current_number(session),
    )
    session.add(webhook)
    session.flush()
    return webhook


def update_webhook(
    session: Session, *, webhook: Webhook, changes: dict[str, Any], allow_private: bool
) -> Webhook:
    """Apply a PATCH. Filters apply to events not yet fanned out; a paused subscription keeps
    its place and, once active again, receives what happened meanwhile."""
    if "name" in changes:
        webhook.name = changes["name"]
    if "url" in changes:
        webhook.url = _check_url(changes["url"], allow_private=allow_private)
    if "events" in changes:
        webhook.events = check_events(changes["events"])
    if "section" in changes:
        webhook.section = _check_section(session, changes["section"])
    if "active" in changes:
        webhook.active = changes["active"]
    webhook.updated_at = utcnow()
    session.flush()
    return webhook


def delete_webhook(session: Session, *, webhook: Webhook) -> None:
    """The subscription goes with its deliveries and their log."""
    session.execute(delete(Webhook).where(Webhook.id == webhook.id))


def rotate_secret(session: Session, *, webhook: Webhook) -> str:
    """A new secret, used from the next attempt on; the old one stops at once."""
    webhook.secret = new_secret()
    webhook.updated_at = utcnow()
    session.flush()
    return webhook.secret


# Deliveries as the admin sees them -------------------------------------------------------------


def list_deliveries(
    session: Session,
    *,
    webhook: Webhook,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[tuple[WebhookDelivery, Event]], str | None]:
    """Newest first, with the event of each, and the next page's cursor."""
    query = (
        select(WebhookDelivery, Event)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.webhook_id == webhook.id)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if cursor is not None:
        (after,) = decode_cursor(cursor, "deliveries", int)
        query = query.where(WebhookDelivery.id < after)
    rows = [
        (delivery, event)
        for delivery, event in session.execute(
            query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)
        )
    ]
    next_cursor = encode_cursor("deliveries", rows[limit - 1][0].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_delivery(
    session: Session, *, webhook: Webhook, delivery_id: int
) -> tuple[WebhookDelivery, Event] | None:
    row = session.execute(
        select(WebhookDelivery, Event)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.id == delivery_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def delivery_log(session: Session, *, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """Every request made for a delivery, oldest first."""
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.id)
        )
    )


def redeliver(session: Session, *, delivery: WebhookDelivery) -> WebhookDelivery:
    """Back in the queue, due now, with a fresh count of attempts (delivered or dead alike).
    Deliveries about the same item that are waiting go after it. One that is waiting its turn
    stays as it is."""
    if delivery.status == "waiting":
        return delivery
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.delivered_at = None
    session.flush()
    return delivery


# The request ---------------------------------------------------------------------------------


def payload(event: Event) -> bytes:
    """The body of every attempt to deliver ``event`` (the same bytes each time)."""
    return orjson.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created_at": event.at.isoformat(),
            "item": {"type": event.item_type, "id": event.item_id},
            "data": event.data,
            "surrogate_keys": event.surrogate_keys,
        }
    )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>`` under the secret."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def request_headers(
    *,
    secret: str,
    body: bytes,
    event_id: str,
    event_type: str,
    delivery_id: str,
    surrogate_keys: Iterable[str],
    timestamp: int | None = None,
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Khabar-Event-Id": event_id,
        "Khabar-Event-Type": event_type,
        "Khabar-Delivery-Id": delivery_id,
        "Khabar-Timestamp": str(timestamp),
        "Khabar-Signature": signature(secret, timestamp, body),
    }
    keys = list(surrogate_keys)
    if keys:
        # Header values are ASCII: keys with Arabic slugs are percent-encoded, as in URLs.
        headers["Surrogate-Key"] = " ".join(quote(k, safe=":") for k in keys)
    return headers


@dataclass(frozen=True)
class Outcome:
    """What one request gave: ``error`` None means delivered; ``refused``: the guard refused
    the address (retrying is pointless)."""

    status_code: int | None
    duration_ms: float
    error: str | None = None
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: Settings,
) -> Outcome:
    """One POST, never raising: 2xx is success; redirects are not followed (a 3xx fails)."""
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        # httpx's timeout is per phase; this bounds the whole exchange.
        async with asyncio.timeout(settings.webhook_timeout):
            response = await netguard.apost(
                client,
                url,
                allow_private=settings.allow_private_webhooks,
                content=body,
                headers=headers,
            )
    except netguard.UnsafeURL as exc:
        return Outcome(None, elapsed(), f"refused: {exc}", refused=True)
    except TimeoutError:
        return Outcome(None, elapsed(), f"timed out after {settings.webhook_timeout:g} s")
    except Exception as exc:  # network errors, a bad response: all worth another try
        return Outcome(None, elapsed(), f"{type(exc).__name__}: {exc}"[:1000])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(code, elapsed())
    note = " (redirects are not followed)" if 300 <= code < 400 else ""
    return Outcome(code, elapsed(), f"HTTP {code}{note}")


def _client(settings: Settings) -> httpx.AsyncClient:
    # No proxies from the environment: the request goes to the very address the guard checked.
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout,
        limits=httpx.Limits(
            max_connections=settings.webhook_concurrency,
            max_keepalive_connections=settings.webhook_concurrency,
        ),
        follow_redirects=False,
        trust_env=False,
    )


# Ping ----------------------------------------------------------------------------------------


def ping(session: Session, *, webhook: Webhook, settings: Settings) -> Outcome:
    """Send a ``ping`` event now (signed like any delivery, outside the outbox) and log the
    attempt. The request is made before ``session`` is first used, so no transaction is open
    while the receiver answers."""
    ping_id = f"ping-{secrets.token_hex(8)}"
    body = orjson.dumps(
        {
            "id": ping_id,
            "type": "ping",
            "created_at": utcnow().isoformat(),
            "item": {"type": "webhook", "id": webhook.public_id},
            "data": {
                "id": webhook.public_id,
                "name": webhook.name,
                "events": webhook.events,
                "section": webhook.section,
            },
            "surrogate_keys": [],
        }
    )
    headers = request_headers(
        secret=webhook.secret,
        body=body,
        event_id=ping_id,
        event_type="ping",
        delivery_id=ping_id,
        surrogate_keys=(),
    )

    async def go() -> Outcome:
        async with _client(settings) as client:
            return await send(
                client, url=webhook.url, body=body, headers=headers, settings=settings
            )

    outcome = asyncio.run(go())
    session.add(
        WebhookAttempt(
            webhook_id=webhook.id,
            delivery_id=None,
            event_id=None,
            event_type="ping",
            at=utcnow(),
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        )
    )
    session.flush()
    return outcome


# Fan-out -------------------------------------------------------------------------------------


def _latest() -> ScalarSelect[Any]:
    return (
        select(EventCounter.value)
        .where(EventCounter.name == event_service.COUNTER)
        .scalar_subquery()
    )


def fan_out(db: Database, *, batch: int = FAN_OUT_BATCH) -> int:
    """Turn new events into deliveries for every active subscription that is behind. Returns
    how many deliveries were made."""
    made = 0
    while True:
        with db.session() as session:
            behind = session.scalar(
                select(Webhook.id)
                .where(Webhook.active.is_(True), Webhook.cursor < _latest())
                .limit(1)
            )
        if behind is None:
            return made
        count, more = _fan_out_once(db, batch=batch)
        made += count
        if not more:
            return made


def _fan_out_once(db: Database, *, batch: int) -> tuple[int, bool]:
    """One transaction: up to ``batch`` events for every subscription that is behind. Returns
    (deliveries made, whether events are left over)."""
    with db.session(write=True) as session:
        latest = event_service.current_number(session)
        query = (
            select(Webhook)
            .where(Webhook.active.is_(True), Webhook.cursor < latest)
            .order_by(Webhook.id)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        webhooks = list(session.scalars(query))
        if not webhooks:
            return 0, False
        start = min(w.cursor for w in webhooks)
        new = list(
            session.scalars(
                select(Event)
                .where(Event.id > start, Event.id <= latest)
                .order_by(Event.id)
                .limit(batch)
            )
        )
        full = len(new) == batch
        # Every event up to ``latest`` has committed (numbers follow commits): without a full
        # batch, the subscriptions have seen them all.
        end = new[-1].id if full else latest
        now = utcnow()
        rows: list[dict[str, Any]] = []
        # Items that already have a delivery queued, per subscription: new ones wait behind it.
        queued: set[tuple[int, str]] = set(
            (webhook_id, key)
            for webhook_id, key in session.execute(
                select(WebhookDelivery.webhook_id, WebhookDelivery.order_key)
                .where(
                    WebhookDelivery.webhook_id.in_([w.id for w in webhooks]),
                    WebhookDelivery.order_key.in_({_order_key(e) for e in new}),
                    WebhookDelivery.status.in_(QUEUED),
                )
                .distinct()
            )
        )
        for webhook in webhooks:
            for event in new:
                if event.id <= webhook.cursor or not wants(webhook.events, event.type):
                    continue
                if webhook.section is not None and not event_service.matches_section(
                    event.data, webhook.section
                ):
                    continue
                key = _order_key(event)
                rows.append(
                    {
                        "webhook_id": webhook.id,
                        "event_id": event.id,
                        "order_key": key,
                        "status": "waiting" if (webhook.id, key) in queued else "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
                queued.add((webhook.id, key))
            webhook.cursor = max(webhook.cursor, end)
        if rows:
            insert = sqlite_insert if db.is_sqlite else pg_insert
            session.execute(
                insert(WebhookDelivery).on_conflict_do_nothing(
                    index_elements=["webhook_id", "event_id"]
                ),
                rows,
            )
        session.commit()
    return len(rows), full


def _order_key(event: Event) -> str:
    return f"{event.item_type}:{event.item_id}"[:300]


# Claim, send, settle -------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A leased delivery with everything its request needs."""

    id: int
    webhook_id: int
    order_key: str
    url: str
    secret: str
    attempts: int
    event_id: int
    event_type: str
    body: bytes
    surrogate_keys: tuple[str, ...]


def _claimable(now: datetime) -> Select[Any]:
    """Due pending deliveries (heads of their item's queue) of active subscriptions."""
    return (
        select(WebhookDelivery)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            Webhook.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )


def any_due(db: Database) -> bool:
    with db.session() as session:
        return (
            session.scalar(_claimable(utcnow()).with_only_columns(WebhookDelivery.id).limit(1))
            is not None
        )


def claim(db: Database, *, limit: int, lease: float) -> list[Claimed]:
    """Lease up to ``limit`` claimable deliveries for this process (see the module docstring)."""
    if limit <= 0 or not any_due(db):
        return []
    now = utcnow()
    with db.session(write=True) as session:
        query = (
            _claimable(now)
            .add_columns(Webhook.url, Webhook.secret, Event)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        rows = session.execute(query).all()
        until = now + timedelta(seconds=lease)
        claimed = []
        for delivery, url, secret, event in rows:
            delivery.next_attempt_at = until
            claimed.append(
                Claimed(
                    id=delivery.id,
                    webhook_id=delivery.webhook_id,
                    url=url,
                    secret=secret,
                    attempts=delivery.attempts,
                    event_id=event.id,
                    event_type=event.type,
                    body=payload(event),
                    surrogate_keys=tuple(event.surrogate_keys or ()),
                    order_key=delivery.order_key,
                )
            )
        session.commit()
    return claimed


def settle_many(db: Database, results: list[tuple[Claimed, Outcome]], *, max_attempts: int) -> None:
    """Record attempts and what becomes of their deliveries, in one transaction of a few
    statements (a busy dispatcher settles every delivery that finished meanwhile at once):
    delivered, dead, or due again after a backoff. When one is done, the next delivery about
    the same item, if one waits, becomes pending."""
    if not results:
        return
    now = utcnow()
    changes: list[dict[str, Any]] = []
    finished: set[tuple[int, str]] = set()
    for item, outcome in results:
        attempts = item.attempts + 1
        status, due, delivered_at = "pending", now + timedelta(seconds=backoff(attempts)), None
        if outcome.ok:
            status, due, delivered_at = "delivered", now, now
        elif outcome.refused or attempts >= max_attempts:
            status, due = "dead", now
        if status != "pending":
            finished.add((item.webhook_id, item.order_key))
        changes.append(
            {
                "b_id": item.id,
                "b_status": status,
                "b_attempts": attempts,
                "b_due": due,
                "b_delivered_at": delivered_at,
                "b_code": outcome.status_code,
                "b_error": outcome.error,
                "b_duration": outcome.duration_ms,
            }
        )
    attempts_log = [
        {
            "webhook_id": item.webhook_id,
            "delivery_id": item.id,
            "event_id": item.event_id,
            "event_type": item.event_type,
            "at": now,
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
            "error": outcome.error,
        }
        for item, outcome in results
    ]
    with db.session(write=True) as session:
        # Only deliveries still there and pending are settled (an admin may have deleted the
        # webhook meanwhile: its attempts go with it).
        alive = set(
            session.scalars(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.id.in_([c["b_id"] for c in changes]),
                    WebhookDelivery.status == "pending",
                )
            )
        )
        if alive:
            session.connection().execute(_SETTLE, [c for c in changes if c["b_id"] in alive])
            session.execute(
                insert(WebhookAttempt),
                [row for row in attempts_log if row["delivery_id"] in alive],
            )
        if finished:
            _promote(session, finished, now)
        session.commit()


_DELIVERY = cast(Table, WebhookDelivery.__table__)
_D = _DELIVERY.c
_SETTLE = (
    update(_DELIVERY)
    .where(_D.id == bindparam("b_id"), _D.status == "pending")
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_due"),
        delivered_at=func.coalesce(bindparam("b_delivered_at"), _D.delivered_at),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        last_duration_ms=bindparam("b_duration"),
    )
)


def _promote(session: Session, done: set[tuple[int, str]], now: datetime) -> None:
    """For each (webhook, item) whose pending delivery is done, the next delivery that waits,
    if any, becomes pending (due now), unless a redelivered one is pending already."""
    pairs = list(done)
    busy = set(
        session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.order_key).where(
                tuple_(WebhookDelivery.webhook_id, WebhookDelivery.order_key).in_(pairs),
                WebhookDelivery.status == "pending",
            )
        ).all()
    )
    free = [pair for pair in pairs if pair not in busy]
    if not free:
        return
    following = list(
        session.scalars(
            select(func.min(WebhookDelivery.id))
            .where(
                tuple_(WebhookDelivery.webhook_id, WebhookDelivery.order_key).in_(free),
                WebhookDelivery.status == "waiting",
            )
            .group_by(WebhookDelivery.webhook_id, WebhookDelivery.order_key)
        )
    )
    if following:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(following), WebhookDelivery.status == "waiting")
            .values(status="pending", next_attempt_at=now)
        )


class _Pump:
    """Deliveries in flight: claims fill the free slots, and each delivery finishes on its
    own, so a slow receiver holds one slot, not a batch. Whatever finished meanwhile is settled
    in one transaction before the free slots are claimed again."""

    def __init__(self, db: Database, settings: Settings, client: httpx.AsyncClient) -> None:
        self.db = db
        self.settings = settings
        self.client = client
        self.tasks: set[asyncio.Task[tuple[Claimed, Outcome]]] = set()
        self.delivered = 0
        self.failed = 0

    async def fill(self, limit: int | None = None) -> int:
        """Claim deliveries for the free slots (at most ``limit``); returns how many."""
        free = self.settings.webhook_concurrency - len(self.tasks)
        if limit is not None:
            free = min(free, limit)
        if free <= 0:
            return 0
        lease = self.settings.webhook_timeout + LEASE_MARGIN
        claimed = await asyncio.to_thread(claim, self.db, limit=free, lease=lease)
        for item in claimed:
            self.tasks.add(asyncio.create_task(self._deliver(item)))
        return len(claimed)

    async def _deliver(self, item: Claimed) -> tuple[Claimed, Outcome]:
        headers = request_headers(
            secret=item.secret,
            body=item.body,
            event_id=str(item.event_id),
            event_type=item.event_type,
            delivery_id=str(item.id),
            surrogate_keys=item.surrogate_keys,
        )
        outcome = await send(
            self.client, url=item.url, body=item.body, headers=headers, settings=self.settings
        )
        return item, outcome

    async def wait(self, timeout: float | None, *others: asyncio.Future[Any]) -> None:
        """Until a delivery finishes, one of ``others`` is done, or ``timeout`` passes; then
        settle what finished."""
        waiting = {*self.tasks, *others}
        if not waiting:
            if timeout is not None:
                await asyncio.sleep(timeout)
            return
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        results: list[tuple[Claimed, Outcome]] = []
        for task in done & self.tasks:
            self.tasks.discard(task)
            try:
                results.append(task.result())
            except Exception:  # not sent: its lease runs out and it is retried
                log.exception("Webhook delivery failed")
                self.failed += 1
        if not results:
            return
        try:
            await asyncio.to_thread(
                settle_many, self.db, results, max_attempts=self.settings.webhook_max_attempts
            )
        except Exception:  # the database failed: the leases run out and they are retried
            log.exception("Could not record webhook deliveries")
            self.failed += len(results)
            return
        for item, outcome in results:
            if outcome.ok:
                self.delivered += 1
            else:
                self.failed += 1
                log.warning(
                    "Webhook delivery %s (event %s) to %s failed: %s",
                    item.id,
                    item.event_id,
                    item.url,
                    outcome.error,
                )

    async def drain(self) -> None:
        while self.tasks:
            await self.wait(None)


def deliver_due(db: Database, *, settings: Settings, limit: int = 100) -> tuple[int, int]:
    """One pass: deliver what is due, up to ``limit`` deliveries, including those that become
    due during the pass (the next event about an item once the one before is delivered).
    Returns (delivered, failed). Runs its own event loop: call it from synchronous code."""
    if not any_due(db):
        return 0, 0
    return asyncio.run(_deliver_due(db, settings=settings, limit=limit))


async def _deliver_due(db: Database, *, settings: Settings, limit: int) -> tuple[int, int]:
    async with _client(settings) as client:
        pump = _Pump(db, settings, client)
        remaining = limit
        while True:
            remaining -= await pump.fill(remaining)
            if not pump.tasks:
                break
            await pump.wait(None)
    return pump.delivered, pump.failed


async def run(db: Database, *, settings: Settings, stop: asyncio.Event) -> None:
    """The dispatcher of one process: fan out every ``webhook_interval`` seconds, and claim
    deliveries whenever a slot is free, until ``stop`` is set. Deliveries in flight then
    finish (each is bounded by the timeout); what is left is in the database for next time."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.ensure_future(stop.wait())
    next_fan_out = 0.0
    async with _client(settings) as client:
        pump = _Pump(db, settings, client)
        try:
            while not stop.is_set():
                try:
                    if loop.time() >= next_fan_out:
                        next_fan_out = loop.time() + settings.webhook_interval
                        await asyncio.to_thread(fan_out, db)
                    await pump.fill()
                except Exception:
                    log.exception("Webhook pass failed")
                await pump.wait(max(0.0, next_fan_out - loop.time()), stopping)
        finally:
            stopping.cancel()
            await pump.drain()
