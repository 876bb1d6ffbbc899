"""Slug checks shared by every resource that has one."""

from __future__ import annotations

from app.errors import ValidationFailed, field_error
from app.text.slugs import is_valid_slug, normalise_slug, slugify


def checked_slug(value: str) -> str:
    """A client-given slug, normalised, or a 422 that says what a slug may contain."""
    slug = normalise_slug(value)
    if not is_valid_slug(slug):
        raise ValidationFailed(
            f"«{value}» is not a valid slug.",
            errors=[
                field_error(
                    ["body", "slug"],
                    "use lowercase letters (Arabic allowed), digits and single hyphens",
                )
            ],
        )
    return slug


def slug_for_new(given: str | None, name: str) -> str:
    """The slug of a new tag or author: the one given (checked), else one made from the name;
    a name with nothing usable in it gets the same 422 as a bad slug."""
    if given:
        return checked_slug(given)
    return slugify(name) or checked_slug(name)
