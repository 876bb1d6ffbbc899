"""The one tree of domain errors. Services raise these; one handler renders them as RFC 9457
``application/problem+json``. Nothing here knows about HTTP beyond the status number."""

from __future__ import annotations

from typing import Any


class KhabarError(Exception):
    status = 400
    title = "Bad request"
    type = "about:blank"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class BadRequest(KhabarError):
    status = 400
    title = "Bad request"


class Unauthorized(KhabarError):
    status = 401
    title = "Unauthorized"


class Forbidden(KhabarError):
    status = 403
    title = "Forbidden"


class NotFound(KhabarError):
    status = 404
    title = "Not found"


class Conflict(KhabarError):
    status = 409
    title = "Conflict"


class PreconditionFailed(KhabarError):
    status = 412
    title = "Precondition failed"


class ContentTooLarge(KhabarError):
    status = 413
    title = "Content too large"


class UnsupportedMediaType(KhabarError):
    status = 415
    title = "Unsupported media type"


class ValidationFailed(KhabarError):
    status = 422
    title = "Validation failed"


class PreconditionRequired(KhabarError):
    status = 428
    title = "Precondition required"


def field_error(loc: list[str | int], msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}
