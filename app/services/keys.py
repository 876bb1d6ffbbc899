"""API keys: ``khb_<prefix>_<secret>``. The prefix finds the row; only a SHA-256 of the whole
key is stored, and it is compared in constant time. Keys are 160 random bits, so a fast hash is
the right tool here (a slow password hash protects low-entropy secrets, which these are not)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed, field_error
from app.models import ApiKey
from app.models.api_key import ROLES, SCOPES
from app.models.base import utcnow

PREFIX = "khb"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    *,
    name: str,
    role: str,
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is never stored and cannot be shown again."""
    if role not in ROLES:
        raise ValidationFailed(
            f"Unknown role «{role}»: use one of {', '.join(ROLES)}.",
            errors=[field_error(["body", "role"], f"must be one of {', '.join(ROLES)}")],
        )
    unknown = [scope for scope in scopes or [] if scope not in SCOPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown scope «{unknown[0]}»: use {', '.join(SCOPES)}.",
            errors=[field_error(["body", "scopes"], f"must be among {', '.join(SCOPES)}")],
        )
    prefix = secrets.token_hex(4)
    token = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(20)}"
    key = ApiKey(
        name=name,
        role=role,
        prefix=prefix,
        secret_hash=_digest(token),
        expires_at=expires_at,
        scopes=[scope for scope in SCOPES if scope in (scopes or [])],  # once each, in order
    )
    session.add(key)
    session.flush()
    return key, token


def authenticate(session: Session, *, token: str) -> ApiKey | None:
    """The live key this token belongs to, or None (unknown, revoked, expired, malformed)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(token)):
        return None
    return key if key_state(key) == "active" else None


def key_state(key: ApiKey, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def get_key(session: Session, *, prefix: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


def revoke_key(session: Session, *, prefix: str) -> ApiKey:
    """Revoke the key (a revoked one keeps the time it was first revoked)."""
    key = get_key(session, prefix=prefix)
    if key is None:
        raise NotFound(f"No key has the prefix «{prefix}».")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key
