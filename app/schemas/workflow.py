"""The editorial workflow's contract: schedule, preview tokens, revisions and their diffs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.schemas.common import Links


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"at": "2026-12-01T06:00:00+03:00", "embargo": False}]},
    )

    at: AwareDatetime = Field(
        description="When it goes live: ISO 8601 with a timezone offset, in the future."
    )
    embargo: bool = Field(
        default=False,
        description="Share it ahead with partners granted `embargo`, who may not publish it "
        "before `at`.",
    )


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ttl: int | None = Field(
        default=None,
        ge=60,
        description="Lifetime in seconds (default KHABAR_PREVIEW_TTL, at most "
        "KHABAR_PREVIEW_MAX_TTL).",
    )


class PreviewToken(BaseModel):
    article: str = Field(description="The one article this token shows.")
    token: str
    expires_at: datetime
    url: str = Field(description="The article's API URL with the token: what a front end fetches.")


class RevisionSummary(BaseModel):
    version: int = Field(description="The article's version this revision saved.")
    created_at: datetime
    action: str = Field(
        description="create, update, publish, unpublish, schedule, unschedule, archive, trash, "
        "restore, revert (an old revision written back) or baseline (the article as it was "
        "before revisions were kept)."
    )
    actor: str = Field(description="The key's name and prefix, or `scheduler`.")
    key: str | None = Field(description="Prefix of the key that made it (null: the server).")
    changed: list[str] = Field(description="Fields that differ from the revision before.")
    restored_from: int | None = Field(description="For a revert: the version written back.")


class RevisionRead(RevisionSummary):
    snapshot: dict[str, Any] = Field(
        description="The article as saved: content with links by slug or id, and its state."
    )


class RevisionList(BaseModel):
    items: list[RevisionSummary]
    next_cursor: str | None
    links: Links


class FieldDiff(BaseModel):
    field: str
    before: Any
    after: Any
    blocks: list[dict[str, Any]] | None = Field(
        default=None,
        description="For `body`: the block-level edits (`replace`, `insert`, `delete`), each "
        "with the blocks before and after and their positions.",
    )


class RevisionDiff(BaseModel):
    article: str
    from_version: int
    to_version: int
    changes: list[FieldDiff]
