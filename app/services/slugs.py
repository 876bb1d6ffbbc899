"""Slug checks shared by every resource that has one."""

from __future__ import annotations

from app.errors import ValidationFailed, field_error
from app.text.slugs import is_valid_slug, normalise_slug


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
