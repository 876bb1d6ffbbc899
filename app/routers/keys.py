"""API keys: the admin's view of who may call the management API, and revocation.

The plaintext of a key exists only in the response that creates it; the list never shows more
than its prefix.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.deps import AdminKey, SessionDep, SettingsDep, WriteSessionDep
from app.errors import NotFound
from app.models import ApiKey
from app.responses import json_response, private_response
from app.schemas.common import problem_responses
from app.schemas.keys import KeyCreate, KeyCreated, KeyList, KeyRead
from app.services import audit as audit_service
from app.services import keys as key_service

router = APIRouter(prefix="/v1/keys", tags=["keys"])

KeyPrefix = Annotated[
    str, Path(max_length=16, description="The key's prefix: `khb_<prefix>_…`, as listed.")
]


def _read(key: ApiKey) -> KeyRead:
    return KeyRead.model_validate(
        {
            "prefix": key.prefix,
            "name": key.name,
            "role": key.role,
            "scopes": key.scopes or [],
            "created_at": key.created_at,
            "expires_at": key.expires_at,
            "revoked_at": key.revoked_at,
            "state": key_service.key_state(key),
        }
    )


@router.get(
    "",
    response_model=KeyList,
    summary="List API keys",
    responses=problem_responses(304, 401, 403, 422),
)
def list_keys(
    request: Request, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> Response:
    """Every key, oldest first, revoked and expired ones included. Admin only."""
    page = KeyList(items=[_read(k) for k in key_service.list_keys(session)])
    return json_response(request, settings, page, public=False)


@router.post(
    "",
    response_model=KeyCreated,
    status_code=201,
    summary="Create an API key",
    responses=problem_responses(401, 403, 422),
)
def create_key(session: WriteSessionDep, key: AdminKey, payload: KeyCreate) -> Response:
    """The response carries the key itself (`token`), this once: only its hash is kept."""
    made, token = key_service.create_key(
        session,
        name=payload.name,
        role=payload.role,
        scopes=list(payload.scopes),
        expires_at=payload.expires_at,
    )
    audit_service.record(
        session,
        key=key,
        action="key.create",
        item_type="key",
        item_id=made.prefix,
        detail={"name": made.name, "role": made.role, "scopes": made.scopes},
    )
    session.commit()
    body = KeyCreated(**_read(made).model_dump(), token=token)
    return private_response(body, status_code=201)


@router.delete(
    "/{key_prefix}",
    status_code=204,
    summary="Revoke an API key",
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_key(session: WriteSessionDep, key: AdminKey, key_prefix: KeyPrefix) -> Response:
    """The key stops working at once (the admin's own key too). Revoking it again changes
    nothing."""
    target = key_service.get_key(session, prefix=key_prefix)
    if target is None:
        raise NotFound(f"No key has the prefix «{key_prefix}».")
    if target.revoked_at is None:
        key_service.revoke_key(session, prefix=key_prefix)
        audit_service.record(
            session,
            key=key,
            action="key.revoke",
            item_type="key",
            item_id=target.prefix,
            detail={"name": target.name, "role": target.role},
        )
        session.commit()
    return Response(status_code=204)
