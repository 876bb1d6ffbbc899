"""Shapes shared by every resource: problems, links, language and direction."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Direction = Literal["rtl", "ltr"]
LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
SLUG_MAX = 200


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'headline'].")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not found",
                    "status": 404,
                    "detail": "No published article has the slug «انتخابات-بلدية».",
                }
            ]
        },
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Field-level errors, for validation problems."
    )
    current_version: int | None = Field(
        default=None, description="On 412: the version the resource has now."
    )


PROBLEM_MEDIA = "application/problem+json"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem statuses a route can return."""
    descriptions = {
        304: "Not modified (If-None-Match matched).",
        400: "Bad request: a malformed parameter or cursor.",
        401: "Missing, unknown, revoked or expired API key.",
        403: "The key's role does not allow this.",
        404: "Not found (or not published).",
        409: "Conflict with existing content (e.g. a slug in use).",
        412: "If-Match does not match the current version.",
        413: "The upload is larger than the server accepts.",
        415: "The upload is not a kind of file the server accepts.",
        422: "The request body or parameters failed validation.",
        428: "If-Match is required.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 304:
            out[status] = {"description": descriptions[status]}
            continue
        out[status] = {
            "description": descriptions[status],
            "content": {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


class Links(BaseModel):
    self: str
    next: str | None = Field(default=None, description="The next page, or null on the last one.")


class FeedLinks(BaseModel):
    """Feeds of a collection, for readers ("follow us in feedly") and partners."""

    rss: str = Field(description="RSS 2.0 with Media RSS.")
    atom: str = Field(description="Atom 1.0.")
    jsonfeed: str = Field(description="JSON Feed 1.1.")


class LangDir(BaseModel):
    lang: str = Field(description="BCP 47 language of this object's text.", examples=["ar"])
    dir: Direction = Field(description="Text direction of this object's text.", examples=["rtl"])


class Patch(BaseModel):
    """Base of every PATCH body: fields left out stay as they are, and the fields named in
    ``not_null`` may be left out but not set to null."""

    model_config = ConfigDict(extra="forbid")
    not_null: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = [
            n for n in self.not_null if n in self.model_fields_set and getattr(self, n) is None
        ]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null (leave it out to keep it)")
        return self
