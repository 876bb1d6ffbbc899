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
- **Other hosts, and writers without the hook** (the command line): every process also polls
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
        self.path = path
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


def signal_commits(db: Database, signal: Signal | None = None) -> Signal:
    """Raise the host's signal after every commit through ``db`` that wrote events, so that
    every process's edge cache purges before its next answer (the command line calls it too,
    for `khabar demo` and `khabar reindex`)."""
    signal = signal or Signal(signal_path(db.url))

    def committed(session: Session) -> None:
        number = session.info.pop(SESSION_KEY, None)
        if number is not None:
            signal.raise_to(number)

    def rolled_back(session: Session) -> None:
        session.info.pop(SESSION_KEY, None)

    sa_event.listen(db.write_session, "after_commit", committed)
    sa_event.listen(db.write_session, "after_rollback", rolled_back)
    return signal


class CacheSync:
    """Keeps one process's edge cache in step with the events (see the module docstring)."""

    def __init__(self, db: Database, signal: Signal) -> None:
        self.db = db
        self.signal = signal
        self.seen = 0
        self._lock = asyncio.Lock()
        self._hooked = False

    def install(self) -> None:
        """Raise the signal after every commit that wrote events (through this database)."""
        if not self._hooked:
            self._hooked = True
            signal_commits(self.db, self.signal)

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
