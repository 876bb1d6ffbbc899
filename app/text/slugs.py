"""URL slugs that stay readable in Arabic.

A slug keeps Arabic letters as they are written (hamza forms, ta marbuta and alef maqsura
included) and drops only what does not change the word: diacritics, tatweel and invisible
controls. Persian yeh and keheh are folded to their Arabic forms because keyboards mix them and
readers cannot tell them apart.
"""

import unicodedata
from collections.abc import Callable

from app.text.arabic import WORD, strip_marks, to_ascii_digits

MAX_SLUG_LENGTH = 200

_PERSIAN_LETTERS = str.maketrans({"ی": "ي", "ک": "ك"})


def _fold(text: str) -> str:
    # NFKC first: it also turns Arabic presentation forms (ﻻ, ﷲ, ...) into ordinary letters,
    # which must happen before marks and digits are looked at.
    text = unicodedata.normalize("NFKC", text)
    text = to_ascii_digits(strip_marks(text))
    return text.lower().translate(_PERSIAN_LETTERS)


def slugify(text: str, *, max_length: int = 80) -> str:
    """Slug for a headline or name; "" when nothing sluggable remains."""
    slug = "-".join(WORD.findall(_fold(text)))
    if len(slug) <= max_length:
        return slug
    # Look one character past the limit: if it is a "-", the cut falls exactly between words.
    head, dash, _ = slug[: max_length + 1].rpartition("-")
    return head if dash and head else slug[:max_length]


def normalise_slug(value: str) -> str:
    """The form a slug from a client or a URL is compared in."""
    return _fold(value).strip()


def is_valid_slug(value: str) -> bool:
    """True when value is already in the form slugify() produces."""
    return 0 < len(value) <= MAX_SLUG_LENGTH and value == slugify(value, max_length=MAX_SLUG_LENGTH)


def unique_slug(base: str, taken: Callable[[str], bool]) -> str:
    """base, or base-2, base-3, ... whichever taken() reports free first."""
    candidate = base
    number = 1
    while taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate
