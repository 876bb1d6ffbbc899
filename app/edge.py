"""The edge cache: public GET responses kept as ready bytes and served before routing.

A pure ASGI layer in front of the app. A request that the public could make (``GET`` or
``HEAD``, no ``Authorization``, no cookie, no ``preview`` token) is looked up by its path, its
query (parameters sorted by name) and nothing else: the app's public bodies vary on no request
header. A hit is answered from memory: no routing, no dependencies, no database, no
serialisation. A miss goes to the app without its conditional headers, so that the full 200 can
be kept; it is kept when it is a public 200 (``Cache-Control: public``, no cookie) and carries
its ``Surrogate-Key``s. Then ``If-None-Match`` is answered from the entry.

Bodies over 1 KB of a textual type are compressed once per encoding the clients ask for
(brotli when the package is installed, gzip) and kept compressed beside the original; such
responses say ``Vary: Accept-Encoding``. The ETag stays the app's, whatever the encoding: it is
also the article version that ``If-Match`` takes, so it must read the same to every client.

Memory is bounded (``KHABAR_CACHE_MAX_MB``; least recently used entries go first) and every
entry expires after ``KHABAR_CACHE_S_MAXAGE`` seconds at the latest. Content changes purge
exactly the entries whose surrogate keys their events name (app.services.events): see
``app.cache_sync`` for how every process learns of them before it answers.
"""

from __future__ import annotations

import gzip
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

try:  # the package is optional: without it, gzip only
    import brotli
except ImportError:  # pragma: no cover - installed with the app
    brotli = None

MIN_COMPRESS = 1024
_TEXTUAL = (b"application/json", b"application/xml", b"application/rss", b"application/atom",
            b"application/feed+json", b"application/ld+json", b"text/")  # fmt: skip
# Never kept: sync pages (no-cache), everything a key needs, and the image bytes (served from
# storage, with their own long-lived caching).
_NEVER_PREFIXES = ("/v1/sync", "/v1/keys", "/v1/audit", "/v1/webhooks")
_NEVER_SUFFIXES = ("/image", "/original")
_DROPPED = {b"content-length", b"x-cache", b"date", b"server"}
_CONDITIONAL = {b"if-none-match", b"if-modified-since"}
ENTRY_OVERHEAD = 512  # bytes counted per entry besides its bodies and headers


def _now() -> float:
    return time.monotonic()


@dataclass
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]  # as the app sent them, without Content-Length
    body: bytes
    etag: bytes | None
    keys: frozenset[str]
    expires: float
    compressible: bool
    encoded: dict[str, bytes] = field(default_factory=dict)  # "br" / "gzip" → body
    key: str = ""
    # (encoding, X-Cache) → the headers and body to send, made on first use
    prepared: dict[tuple[str | None, bytes], tuple[list[tuple[bytes, bytes]], bytes]] = field(
        default_factory=dict
    )

    @property
    def size(self) -> int:
        headers = sum(len(k) + len(v) for k, v in self.headers)
        return len(self.body) + sum(map(len, self.encoded.values())) + headers + ENTRY_OVERHEAD


class EdgeStore:
    """The entries of one process: an LRU bounded in bytes, indexed by surrogate key."""

    def __init__(self, *, max_bytes: int, ttl: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.by_key: dict[str, set[str]] = {}
        self.bytes = 0
        self.generation = 0  # bumped by every purge: a miss that saw an older one is not kept
        self.stats = {"hits": 0, "misses": 0, "bypasses": 0, "stores": 0, "evictions": 0,
                      "purged": 0, "not_modified": 0}  # fmt: skip

    def get(self, key: str) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires <= _now():
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if key in self.entries:
            self._drop(key)
        if entry.size > self.max_bytes:
            return
        entry.key = key
        self.entries[key] = entry
        self.bytes += entry.size
        for name in entry.keys:
            self.by_key.setdefault(name, set()).add(key)
        self.stats["stores"] += 1
        self._evict()

    def grew(self, entry: Entry, before: int) -> None:
        """An entry got a new compressed body: count it, and evict if over the bound."""
        self.bytes += entry.size - before
        self._evict()

    def _evict(self) -> None:
        while self.bytes > self.max_bytes and self.entries:
            oldest = next(iter(self.entries))
            self._drop(oldest)
            self.stats["evictions"] += 1

    def _drop(self, key: str) -> None:
        entry = self.entries.pop(key)
        self.bytes -= entry.size
        for name in entry.keys:
            holders = self.by_key.get(name)
            if holders is not None:
                holders.discard(key)
                if not holders:
                    del self.by_key[name]

    def purge(self, keys: Iterable[str]) -> int:
        """Drop every entry tagged with one of ``keys``; returns how many."""
        self.generation += 1
        dropped = 0
        for name in keys:
            for key in list(self.by_key.get(name, ())):
                if key in self.entries:
                    self._drop(key)
                    dropped += 1
        self.stats["purged"] += dropped
        return dropped

    def clear(self) -> None:
        self.generation += 1
        self.entries.clear()
        self.by_key.clear()
        self.bytes = 0


def cache_key(scope: Scope) -> str | None:
    """The entry's key for a request the public could make, or None when it must not be
    served from (nor kept in) the cache."""
    path: str = scope["path"]
    if not path.startswith("/v1") or path.startswith(_NEVER_PREFIXES):
        return None
    if path.endswith(_NEVER_SUFFIXES):
        return None
    for name, _value in scope["headers"]:
        if name in (b"authorization", b"cookie"):
            return None
    query: bytes = scope["query_string"]
    if not query:
        return path
    normal = _QUERIES.get(query, _UNSEEN)
    if normal is _UNSEEN:
        normal = _normal_query(query)
        if len(_QUERIES) >= _QUERIES_KEPT:
            _QUERIES.clear()
        _QUERIES[query] = normal
    return None if normal is None else f"{path}?{normal}"


_UNSEEN: Any = object()
_QUERIES: dict[bytes, str | None] = {}  # query strings seen → their normal form
_QUERIES_KEPT = 10_000


def _normal_query(query: bytes) -> str | None:
    """Parameters sorted by name (repeated names keep their order), or None for a preview."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if any(name == "preview" for name, _ in pairs):
        return None
    pairs.sort(key=lambda pair: pair[0])
    return urlencode(pairs)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def _storable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    if status != 200:
        return False
    control = (_header(headers, b"cache-control") or b"").lower()
    if b"public" not in control or any(
        word in control for word in (b"private", b"no-store", b"no-cache")
    ):
        return False
    return _header(headers, b"set-cookie") is None and _header(headers, b"content-encoding") is None


def _encoding(value: bytes) -> str | None:
    """The encoding to answer an ``Accept-Encoding`` with: brotli, else gzip, else none."""
    offered = {}
    for part in value.decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        offered[name.strip()] = q
    wildcard = offered.get("*", 0.0)
    for name in ("br", "gzip"):
        if (name != "br" or brotli is not None) and offered.get(name, wildcard) > 0:
            return name
    return None


def _encode(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        assert brotli is not None
        compressed: bytes = brotli.compress(body, quality=5)
        return compressed
    return gzip.compress(body, compresslevel=6, mtime=0)


def _not_modified(scope: Scope, entry: Entry) -> bool:
    """Whether the request's condition holds (RFC 9110 §13.1.1–13.1.3): ``If-None-Match``
    decides when sent; otherwise ``If-Modified-Since`` against ``Last-Modified``."""
    match = _header(scope["headers"], b"if-none-match")
    if match is not None:
        return entry.etag is not None and _etag_matches(match, entry.etag)
    since = _header(scope["headers"], b"if-modified-since")
    modified = _header(entry.headers, b"last-modified")
    if since is None or modified is None:
        return False
    try:
        return parsedate_to_datetime(modified.decode()) <= parsedate_to_datetime(since.decode())
    except (TypeError, ValueError, UnicodeError):
        return False  # a date that does not parse is ignored


def _etag_matches(header: bytes, etag: bytes) -> bool:
    if header.strip() == b"*":
        return True
    wanted = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == wanted for tag in header.split(b","))


_NOT_MODIFIED_HEADERS = {b"etag", b"cache-control", b"vary", b"surrogate-key", b"last-modified",
                         b"expires", b"content-location"}  # fmt: skip


class EdgeCache:
    """The ASGI layer (see the module docstring). ``sync`` is awaited before each lookup: it
    brings this process's entries up to date with content changes made anywhere."""

    def __init__(self, app: ASGIApp, *, store: EdgeStore, sync: Any = None) -> None:
        self.app = app
        self.store = store
        self.sync = sync

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        key = cache_key(scope)
        if key is None:
            self.store.stats["bypasses"] += 1
            await self.app(scope, receive, send)
            return
        if self.sync is not None:
            await self.sync.catch_up(self.store)
        entry = self.store.get(key)
        if entry is not None:
            self.store.stats["hits"] += 1
            await self._answer(scope, send, entry, b"HIT")
            return
        self.store.stats["misses"] += 1
        await self._miss(scope, receive, send, key)

    async def _miss(self, scope: Scope, receive: Receive, send: Send, key: str) -> None:
        generation = self.store.generation
        inner = {
            **scope,
            "method": "GET",
            "headers": [(k, v) for k, v in scope["headers"] if k not in _CONDITIONAL],
        }
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, capture)
        if start is None:  # the app sent nothing (it raised, and the server answers)
            return
        status: int = start["status"]
        headers = [(k.lower(), v) for k, v in start.get("headers", []) if k.lower() not in _DROPPED]
        body = b"".join(chunks)
        content_type = _header(headers, b"content-type") or b""
        entry = Entry(
            status=status,
            headers=headers,
            body=body,
            etag=_header(headers, b"etag"),
            keys=frozenset(
                unquote(k) for k in (_header(headers, b"surrogate-key") or b"").decode().split()
            ),
            expires=_now() + self.store.ttl,
            compressible=len(body) >= MIN_COMPRESS and content_type.startswith(_TEXTUAL),
        )
        if entry.compressible:
            entry.headers = _with_vary(entry.headers)
        # Only an entry with surrogate keys can be purged when its content changes.
        kept = _storable(status, headers) and bool(entry.keys)
        # Not kept if a purge ran meanwhile either: the body may predate the change it purged.
        if kept and self.store.generation == generation:
            self.store.put(key, entry)
        await self._answer(scope, send, entry, b"MISS" if kept else b"BYPASS")

    async def _answer(self, scope: Scope, send: Send, entry: Entry, how: bytes) -> None:
        conditional = False
        accept = None
        for name, value in scope["headers"]:
            if name in _CONDITIONAL:
                conditional = True
            elif name == b"accept-encoding":
                accept = value
        encoding = _encoding(accept) if entry.compressible and accept else None
        prepared = entry.prepared.get((encoding, how))
        if prepared is None:
            prepared = self._prepare(entry, encoding, how)
        headers, body = prepared
        if conditional and entry.status == 200 and _not_modified(scope, entry):
            self.store.stats["not_modified"] += 1
            await self._not_modified(send, headers, how)
            return
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    def _prepare(
        self, entry: Entry, encoding: str | None, how: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The headers and body of one variant, made once: compressed on first demand."""
        before = entry.size
        headers = list(entry.headers)
        body = entry.body
        if encoding is not None:
            body = entry.encoded.get(encoding) or _encode(entry.body, encoding)
            entry.encoded[encoding] = body
            headers.append((b"content-encoding", encoding.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((b"x-cache", how))
        entry.prepared[(encoding, how)] = (headers, body)
        if self.store.entries.get(entry.key) is entry:  # kept: count what it grew by
            self.store.grew(entry, before)
        return headers, body

    @staticmethod
    async def _not_modified(send: Send, headers: list[tuple[bytes, bytes]], how: bytes) -> None:
        kept = [(k, v) for k, v in headers if k in _NOT_MODIFIED_HEADERS]
        kept.append((b"x-cache", how))
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    vary = _header(headers, b"vary")
    if vary is None:
        return [*headers, (b"vary", b"Accept-Encoding")]
    if b"accept-encoding" in vary.lower():
        return headers
    return [(k, v + b", Accept-Encoding" if k == b"vary" else v) for k, v in headers]
