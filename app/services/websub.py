"""WebSub: tell hubs when feeds change, from a durable queue.

A change to what the public sees (an article published, edited while published, or taken off
the site) queues one ping per hub and feed URL, in the same transaction as the change: if the
change commits, the ping is there; if it rolls back, so does the ping. A dispatcher in every
server process delivers them (``POST hub.mode=publish&hub.url=<feed>``), outside any database
transaction, so a slow or dead hub never holds up a publication:

1. claim: in a short write transaction, take due pings (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL; SQLite's write lock serialises the claim) and lease them for ``LEASE`` seconds;
2. deliver: POST to the hub, redirects not followed, with a timeout, and only to a public
   address unless ``KHABAR_ALLOW_PRIVATE_WEBHOOKS`` (app.services.netguard: a refused hub
   is given up at once);
3. settle: delivered, or back in the queue with exponential backoff and jitter, or dead after
   ``KHABAR_WEBSUB_MAX_ATTEMPTS``. A process that dies mid-delivery leaves a lease that expires,
   and another process retries.

A ping for a (hub, feed) pair that is already waiting is not queued twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Article, WebSubPing
from app.models.base import UTCDateTime, utcnow
from app.services import events as event_service
from app.services import feeds as feed_service
from app.services import netguard

log = logging.getLogger("khabar.websub")

LEASE = 60.0  # seconds a claimed ping is reserved for the process delivering it
BACKOFF_BASE = 5.0
BACKOFF_MAX = 3600.0
TIMEOUT = 10.0

_ANY_DUE = (
    select(WebSubPing.id)
    .where(
        WebSubPing.status == "pending",
        WebSubPing.next_attempt_at <= bindparam("now", type_=UTCDateTime()),
    )
    .limit(1)
)


# Queueing ------------------------------------------------------------------------------------


def article_topics(session: Session, article: Article, *, base_url: str) -> list[str]:
    """Every feed URL the article appears in: site-wide, its language, its sections and their
    parents, its tags and its authors, in each format."""
    links = event_service.article_links(session, article)
    return feed_service.topic_urls(
        base_url,
        sections=links["sections"],
        tags=links["tags"],
        authors=links["authors"],
        lang=article.lang,
    )


def enqueue(session: Session, *, hubs: Iterable[str], topics: Iterable[str]) -> int:
    """Queue a ping per hub and topic, unless the same one is already waiting. Returns how many
    were queued. The caller commits (with the change that made them)."""
    pairs = {(hub, topic) for hub in hubs for topic in topics}
    if not pairs:
        return 0
    waiting = set(
        session.execute(
            select(WebSubPing.hub, WebSubPing.topic).where(
                WebSubPing.status == "pending",
                tuple_(WebSubPing.hub, WebSubPing.topic).in_(list(pairs)),
            )
        ).all()
    )
    now = utcnow()
    new = sorted(pairs - {tuple(row) for row in waiting})
    session.add_all(
        WebSubPing(
            hub=hub, topic=topic, created_at=now, status="pending", attempts=0, next_attempt_at=now
        )
        for hub, topic in new
    )
    return len(new)


def article_changed(
    session: Session, article: Article, *, hubs: list[str], base_url: str, was_public: bool
) -> int:
    """Queue pings for an article's feeds if the change is one the public sees: it is
    published now, or it was before the change."""
    if not hubs or not (was_public or article.status == "published"):
        return 0
    return enqueue(session, hubs=hubs, topics=article_topics(session, article, base_url=base_url))


# Delivering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    hub: str
    topic: str
    attempts: int


def claim(db: Database, *, limit: int) -> list[Claimed]:
    """Reserve up to ``limit`` due pings for this process (see the module docstring)."""
    now = utcnow()
    with db.session(write=True) as session:
        query = (
            select(WebSubPing)
            .where(WebSubPing.status == "pending", WebSubPing.next_attempt_at <= now)
            .order_by(WebSubPing.next_attempt_at, WebSubPing.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        lease_until = now + timedelta(seconds=LEASE)
        for row in rows:
            row.next_attempt_at = lease_until
        claimed = [Claimed(r.id, r.hub, r.topic, r.attempts) for r in rows]
        session.commit()
    return claimed


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failures: exponential, capped, with
    full jitter (so that many pings to one recovering hub do not all come back at once)."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def settle(
    db: Database,
    ping: Claimed,
    *,
    error: str | None,
    max_attempts: int,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    with db.session(write=True) as session:
        if error is None:
            values: dict[str, object] = {
                "status": "delivered",
                "delivered_at": now,
                "attempts": ping.attempts + 1,
                "last_error": None,
            }
        else:
            attempts = ping.attempts + 1
            values = {
                "attempts": attempts,
                "last_error": error[:1000],
                "status": "dead" if attempts >= max_attempts else "pending",
                "next_attempt_at": now + timedelta(seconds=backoff(attempts)),
            }
        session.execute(update(WebSubPing).where(WebSubPing.id == ping.id).values(**values))
        session.commit()


def deliver_due(
    db: Database,
    *,
    max_attempts: int,
    allow_private: bool = False,
    limit: int = 100,
    client: httpx.Client | None = None,
) -> tuple[int, int]:
    """One pass: deliver what is due. Returns (delivered, failed)."""
    with db.session() as session:
        if session.scalar(_ANY_DUE, {"now": utcnow()}) is None:
            return 0, 0
    pings = claim(db, limit=limit)
    delivered = failed = 0
    own = client is None
    # trust_env off: a proxy from the environment would be asked for the pinned address.
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
    try:
        for ping in pings:
            error, permanent = _post(http, ping, allow_private=allow_private)
            settle(db, ping, error=error, max_attempts=1 if permanent else max_attempts)
            if error is None:
                delivered += 1
            else:
                failed += 1
                log.warning("WebSub ping to %s for %s failed: %s", ping.hub, ping.topic, error)
    finally:
        if own:
            http.close()
    return delivered, failed


def _post(http: httpx.Client, ping: Claimed, *, allow_private: bool) -> tuple[str | None, bool]:
    """(None when the hub accepted the ping, else what went wrong; whether retrying is
    pointless: a hub on a refused address (see app.services.netguard) is given up at once)."""
    try:
        response = netguard.post(
            http,
            ping.hub,
            allow_private=allow_private,
            data={"hub.mode": "publish", "hub.url": ping.topic},
        )
    except netguard.UnsafeURL as exc:
        return f"refused: {exc}", True
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}", False
    if 200 <= response.status_code < 300:
        return None, False
    return f"HTTP {response.status_code}", False


async def run(
    db: Database,
    *,
    interval: float,
    max_attempts: int,
    stop: asyncio.Event,
    allow_private: bool = False,
    hubs: Sequence[str] = (),
) -> None:
    """Deliver due pings every ``interval`` seconds until ``stop`` is set. First, say in the
    log which configured hubs the SSRF guard refuses (their pings will be given up)."""
    for hub, why in await asyncio.to_thread(refused_hubs, hubs, allow_private=allow_private):
        log.error("WebSub hub %s will not be pinged: %s", hub, why)
    while not stop.is_set():
        try:
            await asyncio.to_thread(
                deliver_due, db, max_attempts=max_attempts, allow_private=allow_private
            )
        except Exception:
            log.exception("WebSub pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def refused_hubs(hubs: Iterable[str], *, allow_private: bool) -> list[tuple[str, str]]:
    """The hubs that the SSRF guard refuses, and why (app.services.netguard)."""
    refused = []
    for hub in hubs:
        try:
            netguard.check(hub, allow_private=allow_private)
        except netguard.UnsafeURL as exc:
            refused.append((hub, str(exc)))
    return refused


def queue_state(session: Session) -> dict[str, int]:
    """How many pings are pending, delivered and dead (for tests and operators)."""
    rows = session.execute(select(WebSubPing.status, func.count()).group_by(WebSubPing.status))
    return {status: count for status, count in rows}
