"""A webhook receiver for `make bench webhooks`: a bare ASGI app that answers every POST with
204 and counts them (``GET /count``), run by uvicorn in a process of its own. With
``KHABAR_BENCH_RECEIVER_VERIFY=<secret>`` it checks each signature too and counts failures."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_counts = {"received": 0, "bad_signature": 0}
_secret = os.environ.get("KHABAR_BENCH_RECEIVER_VERIFY", "").encode()


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "POST":
        _counts["received"] += 1
        if _secret:
            headers = dict(scope["headers"])
            timestamp = headers.get(b"khabar-timestamp", b"")
            expected = hmac.new(_secret, timestamp + b"." + body, hashlib.sha256).hexdigest()
            if headers.get(b"khabar-signature", b"") != f"v1={expected}".encode():
                _counts["bad_signature"] += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    text = f"{_counts['received']} {_counts['bad_signature']}".encode()
    reply = [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": reply})
    await send({"type": "http.response.body", "body": text})
