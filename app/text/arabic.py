"""Low-level Arabic text helpers shared by slugs, word counts and search.

Everything here runs on every article save and on many reads, so the tables and patterns are
built once at import.
"""

import re
import unicodedata
from typing import Literal

# Harakat, tanwin, shadda, sukun, superscript alef, Quranic annotation marks, tatweel, and the
# invisible bidi/format controls that editors paste in from word processors. None of them change
# which word is meant, so comparisons, slugs and word counts ignore them.
_MARKS = re.compile(
    "["
    "\u0610-\u061a"
    "\u061c"
    "\u0640"
    "\u064b-\u065f"
    "\u0670"
    "\u06d6-\u06ed"
    "\u200b-\u200f"
    "\u202a-\u202e"
    "\u2066-\u2069"
    "\ufeff"
    "]+"
)

_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)

RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ckb", "sd", "ug", "yi", "dv"})


def _combining_marks() -> str:
    """Ranges of every combining mark in the BMP, as the inside of a regex character class."""
    ranges: list[str] = []
    start = previous = -2
    for code in range(0x300, 0x10000):
        if not unicodedata.category(chr(code)).startswith("M"):
            continue
        if code != previous + 1:
            if start >= 0:
                ranges.append(f"{chr(start)}-{chr(previous)}")
            start = code
        previous = code
    ranges.append(f"{chr(start)}-{chr(previous)}")
    return "".join(ranges)


# Python's \w leaves out combining marks, so a word written with vowel signs (Hindi, Thai, or
# Arabic marks outside the ranges above) would fall apart at every sign. A word is therefore a
# letter or digit followed by letters, digits and marks; "_" is never part of a word.
WORD = re.compile(rf"[^\W_](?:[^\W_]|[{_combining_marks()}])*")


def strip_marks(text: str) -> str:
    """Remove Arabic diacritics, tatweel and invisible bidi/format controls."""
    return _MARKS.sub("", text)


def to_ascii_digits(text: str) -> str:
    """Turn Arabic-Indic (٠-٩) and Persian (۰-۹) digits into 0-9."""
    return text.translate(_ASCII_DIGITS)


def direction(lang: str) -> Literal["rtl", "ltr"]:
    """Writing direction of a language tag such as "ar", "ar-EG" or "en_GB"."""
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return "rtl" if primary in RTL_LANGUAGES else "ltr"
