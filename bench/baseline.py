"""The baseline: a bare ASGI app that answers each benchmarked URL with bytes Khabar sent for it.

Run by uvicorn exactly like Khabar (same protocol, loop, logging options, workers and CPU),
it measures what uvicorn plus the client cost on their own, so that Khabar's figures can be
read as a fraction of that ceiling. It does no routing beyond a dict lookup of the raw request
target, and builds nothing per request except the two ASGI messages.

The responses come from the JSON file named by ``KHABAR_BENCH_RESPONSES`` (written by the
harness), loaded at lifespan startup: {"/path?query": {"status": 200, "headers": [[name,
value], ...], "body": base64}}. A target revalidated by a scenario also has "not_modified":
{"etag": ..., "headers": [...]}: a request whose If-None-Match is that ETag gets a 304 with
those headers, as Khabar answers it (no body, no Content-Length). Other targets pay one dict
lookup for this.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

RESPONSES_ENV = "KHABAR_BENCH_RESPONSES"
_NOT_FOUND = (404, [(b"content-type", b"text/plain"), (b"content-length", b"9")], b"not found")

_responses: dict[bytes, tuple[int, list[tuple[bytes, bytes]], bytes]] = {}
_not_modified: dict[bytes, tuple[bytes, list[tuple[bytes, bytes]]]] = {}


def load(path: str) -> None:
    with open(path, "rb") as file:
        stored = json.load(file)
    _responses.clear()
    _not_modified.clear()
    for target, response in stored.items():
        body = base64.b64decode(response["body"])
        headers = [(name.lower().encode(), value.encode()) for name, value in response["headers"]]
        headers.append((b"content-length", str(len(body)).encode()))
        _responses[target.encode("ascii")] = (response["status"], headers, body)
        conditional = response.get("not_modified")
        if conditional is not None:
            _not_modified[target.encode("ascii")] = (
                conditional["etag"].encode(),
                [(name.lower().encode(), value.encode()) for name, value in conditional["headers"]],
            )


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    target = scope["raw_path"]
    if scope["query_string"]:
        target += b"?" + scope["query_string"]
    conditional = _not_modified.get(target)
    if conditional is not None and (b"if-none-match", conditional[0]) in scope["headers"]:
        await send({"type": "http.response.start", "status": 304, "headers": conditional[1]})
        await send({"type": "http.response.body", "body": b""})
        return
    status, headers, body = _responses.get(target, _NOT_FOUND)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                load(os.environ[RESPONSES_ENV])
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
