from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The same names as app.models.api_key.ROLES and SCOPES (a test keeps them in step).
Role = Literal["admin", "editor", "writer", "partner"]
Scope = Literal["embargo"]
KeyState = Literal["active", "expired", "revoked"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Wire partner",
                    "role": "partner",
                    "scopes": ["embargo"],
                    "expires_at": "2027-06-30T00:00:00+03:00",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200, description="Who or what the key is for.")
    role: Role = Field(
        description="admin: keys and audit too; editor: all content; writer: own drafts; "
        "partner: reads what the public reads, privately."
    )
    scopes: list[Scope] = Field(
        default_factory=list,
        max_length=10,
        description="Rights beyond the role: `embargo` reads embargoed articles ahead of time.",
    )
    expires_at: datetime | None = Field(
        default=None, description="When the key stops working (ISO 8601; UTC without an offset)."
    )

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class KeyRead(BaseModel):
    prefix: str = Field(description="The key's public part: `khb_<prefix>_…`.")
    name: str
    role: Role
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    state: KeyState


class KeyCreated(KeyRead):
    token: str = Field(
        description="The key itself. Store it now: only a hash is kept, it is not shown again."
    )


class KeyList(BaseModel):
    items: list[KeyRead]
