"""Preview tokens: a short-lived, signed permission to read one article as it is now, drafts
included, without a key (for a front end's preview page).

A token is ``p1.<payload>.<signature>``: the payload (article id, expiry, the key that made it)
in base64url JSON, signed with HMAC-SHA256. It is checked without a lookup of its own, but it
dies early when the key that made it is revoked or expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import Forbidden, Unauthorized
from app.models import ApiKey, AppSecret, Article
from app.models.base import utcnow
from app.services import keys as key_service

VERSION = "p1"
_SECRET_NAME = "preview"


@dataclass(frozen=True)
class Grant:
    article_id: str
    expires_at: datetime
    key_id: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret(session: Session, settings: Settings, *, create: bool) -> bytes | None:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    value = session.scalar(select(AppSecret.value).where(AppSecret.name == _SECRET_NAME))
    if value is None and create:
        # Two processes may race to make it: the primary key lets one win, the other reads it.
        try:
            with session.begin_nested():
                session.add(AppSecret(name=_SECRET_NAME, value=secrets.token_urlsafe(48)))
        except IntegrityError:
            pass
        value = session.scalar(select(AppSecret.value).where(AppSecret.name == _SECRET_NAME))
    return value.encode("utf-8") if value is not None else None


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, f"{VERSION}.{payload}".encode("ascii"), hashlib.sha256).digest())


def mint(
    session: Session, settings: Settings, *, article: Article, key: ApiKey, ttl: int
) -> tuple[str, datetime]:
    """A token for this article that expires ``ttl`` seconds from now."""
    expires_at = (utcnow() + timedelta(seconds=ttl)).replace(microsecond=0)
    secret = _secret(session, settings, create=True)
    assert secret is not None
    payload = _b64(
        orjson.dumps({"a": article.public_id, "e": int(expires_at.timestamp()), "k": key.id})
    )
    return f"{VERSION}.{payload}.{_sign(secret, payload)}", expires_at


def verify(session: Session, settings: Settings, token: str) -> Grant:
    """The grant a token carries; 401 when it is malformed, tampered with, expired or its key
    is no longer live."""
    invalid = Unauthorized("The preview token is not valid: ask for a new one.")
    parts = token.split(".")
    if not token.isascii() or len(parts) != 3 or parts[0] != VERSION:
        raise invalid
    _, payload, signature = parts
    secret = _secret(session, settings, create=False)
    if secret is None or not hmac.compare_digest(_sign(secret, payload), signature):
        raise invalid
    try:
        data = orjson.loads(_unb64(payload))
        grant = Grant(
            article_id=str(data["a"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            key_id=int(data["k"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise invalid from exc
    if grant.expires_at <= utcnow():
        raise Unauthorized(
            f"The preview token expired at {grant.expires_at.isoformat()}: ask for a new one."
        )
    key = session.get(ApiKey, grant.key_id)
    if key is None or key_service.key_state(key) != "active":
        raise Unauthorized("The key that made this preview token is revoked or expired.")
    return grant


def check_article(grant: Grant, article_id: str) -> None:
    if grant.article_id != article_id:
        raise Forbidden("This preview token is for another article.")
