"""How every process learns of content changes before it answers from its edge cache.

Each content change commits an event (app.services.events) numbered in commit order. A process
that has applied events up to ``seen`` has purged every cached response they affect. So before
each lookup the edge cache asks one question: is there an event after ``seen``? It must be cheap
(it runs on every hit) and right the moment a write is acknowledged (read-your-writes, whichever
process the next request reaches):

- **Processes on one host** share a signal: an 8-byte file, mapped in memory, holding the newest
  committed event number. The writing process raises it right after the commit, before its
  response goes out; a reader compares it with ``seen`` (a memory read). When it moved, the
  reader fetches the new events' surrogate keys from the database and purges them, then answers.
  The file sits beside a SQLite database, or in the temporary directory (named after the
  database URL) for PostgreSQL.
- **Other hosts** hear of it through Redis when ``KHABAR_REDIS_URL`` is set: the writer
  publishes the event number on ``KHABAR_REDIS_CHANNEL`` after its commit, and every process
  listens, raises its own host's signal and purges (within a network round trip).
- **Anything else** (no Redis, a message lost while Redis was away): every process also polls
  the database's event counter (``KHABAR_CACHE_POLL_INTERVAL``, default 1 s), so a change made
  elsewhere is purged within that interval; entries also expire after ``s-maxage``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import mmap
import os
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import Database
from app.edge import EdgeStore
from app.models import Event
from app.services import events as event_service

log = logging.getLogger("khabar.cache")

SESSION_KEY = event_service.SESSION_KEY
MAX_KEYS_PER_CATCH_UP = 20_000  # beyond this many events at once, drop everything instead
_FORMAT = struct.Struct("<Q")


def signal_path(database_url: str) -> Path:
    """Where the processes using this database share their signal."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}-events")
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"khabar-{digest}.events"


class Signal:
    """The newest committed event number, shared through a memory-mapped file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _FORMAT.size:
            with self._locked():
                if os.fstat(self._fd).st_size < _FORMAT.size:
                    os.ftruncate(self._fd, _FORMAT.size)
        self._map = mmap.mmap(self._fd, _FORMAT.size)

    @contextlib.contextmanager
    def _locked(self) -> Any:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def read(self) -> int:
        value: int = _FORMAT.unpack_from(self._map, 0)[0]
        return value

    def raise_to(self, number: int) -> None:
        """Make the signal at least ``number`` (writers hold a lock, so it only goes up)."""
        with self._locked():
            if number > self.read():
                _FORMAT.pack_into(self._map, 0, number)

    def replace(self, expected: int, number: int) -> None:
        """Set the signal to ``number`` if it still holds ``expected``."""
        with self._locked():
            if self.read() == expected:
                _FORMAT.pack_into(self._map, 0, number)

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)


def signal_commits(
    db: Database, signal: Signal | None = None, *, publish: Callable[[int], None] | None = None
) -> Signal:
    """Raise the host's signal after every commit through ``db`` that wrote events, so that
    every process's edge cache purges before its next answer (the command line calls it too,
    for `khabar demo` and `khabar reindex`); ``publish`` tells other hosts (Redis)."""
    signal = signal or Signal(signal_path(db.url))

    def committed(session: Session) -> None:
        number = session.info.pop(SESSION_KEY, None)
        if number is not None:
            signal.raise_to(number)
            if publish is not None:
                publish(number)

    def rolled_back(session: Session) -> None:
        session.info.pop(SESSION_KEY, None)

    sa_event.listen(db.write_session, "after_commit", committed)
    sa_event.listen(db.write_session, "after_rollback", rolled_back)
    return signal


def _publisher(url: str, channel: str) -> Callable[[int], None]:
    """A function that publishes an event number on Redis (a failure is logged: the commit
    has happened, and other hosts' polls will find it)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def publish(number: int) -> None:
        try:
            client.publish(channel, number)
        except redis.RedisError:
            log.exception("could not publish event %s on Redis", number)

    return publish


class CacheSync:
    """Keeps one process's edge cache in step with the events (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        signal: Signal,
        *,
        redis_url: str | None = None,
        channel: str = "khabar:events",
    ) -> None:
        self.db = db
        self.signal = signal
        self.seen = 0
        self.redis_url = redis_url
        self.channel = channel
        self.listening = threading.Event()  # set while subscribed to Redis
        self._lock = asyncio.Lock()

    def install(self) -> None:
        """Raise the signal after every commit that wrote events (through this database), and
        publish the number on Redis when there is one. Once per database."""
        publish = _publisher(self.redis_url, self.channel) if self.redis_url else None
        signal_commits(self.db, self.signal, publish=publish)

    def start(self) -> None:
        """Begin from the events committed so far (the cache starts empty). A signal ahead of
        the database is left from a store made again under the same name: it is reset."""
        before = self.signal.read()
        try:
            with self.db.session() as session:
                self.seen = event_service.current_number(session)
        except DBAPIError:  # not migrated yet: everything the cache keeps comes after
            log.warning("the database has no event counter yet: run `khabar db upgrade`")
            self.seen = 0
            return
        if before > self.seen:
            self.signal.replace(before, self.seen)
        self.signal.raise_to(self.seen)

    async def catch_up(self, store: EdgeStore) -> None:
        """Purge what the events after ``seen`` affect, if the signal says there are any."""
        if self.signal.read() <= self.seen:
            return
        await self._apply(store)

    async def poll(self, store: EdgeStore, *, interval: float, stop: asyncio.Event) -> None:
        """Look at the database's counter every ``interval`` s (changes from other hosts)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            try:
                latest = await asyncio.to_thread(self._latest)
                if latest > self.seen:
                    self.signal.raise_to(latest)
                    await self._apply(store)
            except Exception:  # the database may be down for a moment
                log.exception("cache poll failed")

    async def listen(self, store: EdgeStore, *, stop: asyncio.Event) -> None:
        """Hear of other hosts' commits through Redis until ``stop`` is set (reconnecting
        after a failure; the poll covers what is missed meanwhile)."""
        import redis.asyncio as aioredis

        while not stop.is_set():
            client = aioredis.from_url(self.redis_url or "")
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    while not stop.is_set():
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=0.5
                        )
                        if message is None:
                            continue
                        number = int(message["data"])
                        if number > self.seen:
                            self.signal.raise_to(number)
                            await self._apply(store)
            except Exception:  # Redis away: try again in a moment
                log.exception("listening to Redis failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
            finally:
                self.listening.clear()
                await client.aclose()

    def _latest(self) -> int:
        with self.db.session() as session:
            return event_service.current_number(session)

    async def _apply(self, store: EdgeStore) -> None:
        async with self._lock:
            target = self.signal.read()
            if target <= self.seen:
                return
            rows = await asyncio.to_thread(self._keys_since, self.seen)
            # Purged on the event loop, which owns the store.
            if len(rows) >= MAX_KEYS_PER_CATCH_UP:
                store.clear()
            else:
                store.purge({key for _number, keys in rows for key in keys})
            if rows:
                self.seen = max(self.seen, rows[-1][0])
            # An event that the signal names but this read did not see yet is fetched next time.

    def _keys_since(self, seen: int) -> list[tuple[int, list[str]]]:
        with self.db.session() as session:
            return [
                (number, list(keys or ()))
                for number, keys in session.execute(
                    select(Event.id, Event.surrogate_keys)
                    .where(Event.id > seen)
                    .order_by(Event.id)
                    .limit(MAX_KEYS_PER_CATCH_UP)
                )
            ]
