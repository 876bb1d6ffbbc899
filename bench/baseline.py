"""The baseline: a bare ASGI app that answers each benchmarked URL with bytes Khabar sent for it.

Run by uvicorn exactly like Khabar (same protocol, loop, logging options, one worker, same CPU),
it measures what uvicorn plus the client cost on their own, so that Khabar's figures can be
read as a fraction of that ceiling. It does no routing beyond a dict lookup of the raw request
target, and builds nothing per request except the two ASGI messages.

The responses come from the JSON file named by ``KHABAR_BENCH_RESPONSES`` (written by the
harness), loaded at lifespan startup: {"/path?query": {"status": 200, "headers": [[name,
value], ...], "body": base64}}.
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


def load(path: str) -> None:
    with open(path, "rb") as file:
        stored = json.load(file)
    _responses.clear()
    for target, response in stored.items():
        body = base64.b64decode(response["body"])
        headers = [(name.lower().encode(), value.encode()) for name, value in response["headers"]]
        headers.append((b"content-length", str(len(body)).encode()))
        _responses[target.encode("ascii")] = (response["status"], headers, body)


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    target = scope["raw_path"]
    if scope["query_string"]:
        target += b"?" + scope["query_string"]
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
