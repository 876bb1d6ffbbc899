"""The scheduler: publishes scheduled articles when their time comes.

Every server process runs one (``KHABAR_SCHEDULER_INTERVAL``), so several may look at the same
due article at once; exactly one publishes it. Each article is claimed in its own transaction:

- PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` — a process skips the rows another one holds,
  and a row it does lock is checked again (still scheduled, still due) after the lock.
- SQLite: the write transaction starts with ``BEGIN IMMEDIATE``, which takes the database's
  write lock, so processes take turns; the row is read inside that transaction, and the UPDATE
  is conditional on the version read (``… WHERE id = ? AND version = ?``).

Either way a second process finds the article published and moves on. One article failing to
publish (logged) does not hold up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy import bindparam, select

from app.db import Database
from app.models import Article
from app.models.base import UTCDateTime, utcnow
from app.services import articles as article_service
from app.services import websub as websub_service

log = logging.getLogger("khabar.scheduler")
_ANY_DUE = (
    select(Article.id)
    .where(
        Article.status == "scheduled", Article.scheduled_at <= bindparam("now", type_=UTCDateTime())
    )
    .limit(1)
)


def publish_due(
    db: Database, *, limit: int = 500, hubs: Sequence[str] = (), base_url: str = ""
) -> list[str]:
    """One pass: publish every article that is due now (queueing WebSub pings to ``hubs`` for
    its feeds in the same transaction). Returns the public ids this process published (not
    those another process took)."""
    done: list[str] = []
    skip: set[int] = set()
    # Most passes find nothing: ask with a plain read first, so an idle scheduler never takes
    # SQLite's write lock (nor opens a transaction that locks rows on PostgreSQL).
    with db.session() as session:
        if session.scalar(_ANY_DUE, {"now": utcnow()}) is None:
            return done
    for _ in range(limit):
        with db.session(write=True) as session:
            query = (
                select(Article)
                .where(Article.status == "scheduled", Article.scheduled_at <= utcnow())
                .order_by(Article.scheduled_at, Article.id)
                .limit(1)
            )
            if skip:
                query = query.where(Article.id.not_in(skip))
            if not db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            article = session.scalar(query)
            if article is None:
                return done
            try:
                if article_service.publish_due(session, article=article):
                    websub_service.article_changed(
                        session, article, hubs=list(hubs), base_url=base_url, was_public=False
                    )
                    session.commit()
                    done.append(article.public_id)
                    log.info("published scheduled article %s", article.public_id)
            except Exception:
                log.exception("could not publish scheduled article %s", article.public_id)
                session.rollback()
                skip.add(article.id)
    return done


async def run(
    db: Database,
    *,
    interval: float,
    stop: asyncio.Event,
    hubs: Sequence[str] = (),
    base_url: str = "",
) -> None:
    """Look for due articles every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(publish_due, db, hubs=hubs, base_url=base_url)
        except Exception:  # the database may be down for a moment; try again next time
            log.exception("scheduler pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
