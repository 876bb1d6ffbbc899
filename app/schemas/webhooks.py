from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import SLUG_MAX, Links, Patch

DeliveryStatus = Literal["waiting", "pending", "delivered", "dead"]

EVENTS_DESCRIPTION = (
    "Event types to receive: a type (`article.published`, `tag.deleted`, …), every type of a "
    "kind (`article.*`, `section.*`, `tag.*`, `author.*`, `media.*`) or `*` for all."
)
SECTION_DESCRIPTION = (
    "Only events about articles in this section (a slug; sub-sections included), before or "
    "after the change. Other kinds of events carry no sections and are left out."
)
URL_DESCRIPTION = (
    "Where to POST. Must resolve to a public address unless `KHABAR_ALLOW_PRIVATE_WEBHOOKS` is set."
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "تحديث ذاكرة الشبكة",
                    "url": "https://hooks.example.com/khabar",
                    "events": ["article.*"],
                    "section": "local",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200, description="Who or what it is for.")
    url: str = Field(min_length=1, max_length=2000, description=URL_DESCRIPTION)
    events: list[str] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=50, description=EVENTS_DESCRIPTION
    )
    section: str | None = Field(default=None, max_length=SLUG_MAX, description=SECTION_DESCRIPTION)
    active: bool = Field(default=True, description="Inactive: deliveries wait until reactivated.")


class WebhookUpdate(Patch):
    not_null = ("name", "url", "events", "active")
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"active": False}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(
        default=None, min_length=1, max_length=2000, description=URL_DESCRIPTION
    )
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=50, description=EVENTS_DESCRIPTION
    )
    section: str | None = Field(
        default=None, max_length=SLUG_MAX, description="A section slug, or null for every section."
    )
    active: bool | None = None


class WebhookRead(BaseModel):
    id: str
    name: str
    url: str
    events: list[str]
    section: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="Signs every request (`Khabar-Signature`). Store it now: it is not shown "
        "again (rotate it to get a new one)."
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]


class SecretRead(BaseModel):
    secret: str = Field(description="The new secret, shown this once; the old one stops now.")


class PingResult(BaseModel):
    ok: bool = Field(description="The receiver answered 2xx.")
    status_code: int | None = Field(description="The receiver's status (null: no answer).")
    duration_ms: float
    error: str | None = Field(
        description="What went wrong: an HTTP status, a network error, "
        "or why the address was refused."
    )


class ItemRef(BaseModel):
    type: str = Field(examples=["article"])
    id: str = Field(description="Public id or slug.")


class DeliveryRead(BaseModel):
    id: int = Field(description="Sent as `Khabar-Delivery-Id`.")
    event_id: str = Field(description="Sent as `Khabar-Event-Id` and the body's `id`.")
    event_type: str = Field(examples=["article.published"])
    item: ItemRef
    status: DeliveryStatus
    attempts: int = Field(description="Requests made since it was queued (or redelivered).")
    next_attempt_at: datetime | None = Field(description="When it is tried next (if pending).")
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: float | None


class AttemptRead(BaseModel):
    at: datetime
    status_code: int | None
    duration_ms: float
    error: str | None


class DeliveryDetail(DeliveryRead):
    log: list[AttemptRead] = Field(description="Every request made for it, oldest first.")


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
    links: Links
