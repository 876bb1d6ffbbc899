"""Opaque keyset cursors.

A cursor is the sort key of the last row a client saw, e.g. ``(published_at, id)``, packed as
JSON and base64url-encoded. The next page asks for rows strictly after that key, so its cost
does not grow with depth and rows inserted meanwhile never shift the pages (no duplicates, no
gaps among the rows that existed when paging started). The first element names the ordering,
so a cursor from one list cannot be replayed against another ordering.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from app.errors import BadRequest


def encode_cursor(order: str, *key: Any) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    raw = orjson.dumps([order, *values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, order: str, *kinds: type) -> tuple[Any, ...]:
    """Unpack a cursor made for ``order`` whose key values have the given types."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, list) or len(data) != len(kinds) + 1 or data[0] != order:
            raise ValueError("wrong shape")
        values: list[Any] = []
        for kind, value in zip(kinds, data[1:], strict=True):
            if kind is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError("naive datetime")
                values.append(parsed)
            elif isinstance(value, kind) and not isinstance(value, bool):
                values.append(value)
            else:
                raise ValueError("wrong type")
        return tuple(values)
    except (ValueError, TypeError, UnicodeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequest(
            "The cursor is not valid for this list: pass back the next_cursor value unchanged."
        ) from exc
