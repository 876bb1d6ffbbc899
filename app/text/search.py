"""Search terms for Arabic and English text: one pipeline for articles and for queries.

What this module returns is what the search index stores and what a query is matched against,
so documents and queries must go through exactly the same steps, in this order:

1. Words are found in the original text, so every term keeps the offsets of the word it came
   from (diacritics, tatweel and invisible controls inside a word stay inside its span). A word
   is split where Arabic letters meet Latin letters or digits ("كوفيد19", "iPhoneالجديد"); a
   bare proclitic glued to a Latin word or a number ("لـCNN", "بـ2018", "الـ") is dropped.
2. normalise(): NFKC (presentation forms such as ﻻ become ordinary letters), Arabic marks and
   tatweel removed, hamza seats and letter variants folded, Persian/Urdu letters mapped to the
   Arabic ones readers type, digits to ASCII, Latin case-folded and stripped of accents.
3. Arabic words: a protected word (protected.txt) is kept whole, also behind a glued و ف ب ل ك
   or article; any other word gets light stemming (Larkey's light10, slightly changed: see
   _light10); then newsroom spelling variants (variants.txt) map the stem to a canonical one.
   Latin words: Snowball English, then the same variant table.

Hamza seats. Readers type أ إ آ as ا, so those are folded. ؤ and ئ are folded to their seats
و and ي, which leaves two real ambiguities:
- The same hamza before و is written ؤو or ئو (مسؤول, مسئول; شؤون, شئون) or ءو (رؤوس, رءوس).
  A hamza directly before و becomes ي in every spelling (مسيول, شيون, ريوس). ي rather than و,
  because ئو is also the ئ of a word before the plural ون: لاجئون must stay with لاجئين and
  لاجئ (all لاجي before stemming). The cost: a reader who types مسؤول as مسوول misses it.
- A final ئ is also spelled يء (شاطئ, شاطيء; مبادئ, مباديء), so a final يء becomes ي like ئ
  does (شيء and شئ both end up as شي).
Other ء stay: dropping them would merge ماء with ما and بناء with بنا.

Changing a rule or either table changes the terms of existing articles: reindex after it
(PIPELINE_VERSION changes with the tables).
"""

import hashlib
import itertools
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer

from app.text.arabic import strip_marks, to_ascii_digits

__all__ = [
    "PIPELINE_VERSION",
    "Token",
    "index_text",
    "normalise",
    "prefix_term",
    "query_terms",
    "stem_arabic",
    "stem_latin",
    "terms",
    "tokens",
]


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: its span in the original text and its index term."""

    start: int
    end: int
    term: str


# --- Character classes ----------------------------------------------------------------------

_ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def _class(codes: list[int]) -> str:
    """The inside of a regex character class matching exactly these (sorted) code points."""
    parts: list[str] = []
    for _, group in itertools.groupby(enumerate(codes), lambda pair: pair[1] - pair[0]):
        run = [code for _, code in group]
        first, last = re.escape(chr(run[0])), re.escape(chr(run[-1]))
        parts.append(first if len(run) == 1 else f"{first}-{last}")
    return "".join(parts)


def _arabic_codes(kind: str) -> list[int]:
    return [
        code
        for low, high in _ARABIC_BLOCKS
        for code in range(low, high + 1)
        if unicodedata.category(chr(code))[0] == kind and code != 0x0640
    ]


_AR_LETTER = _class(_arabic_codes("L"))  # Arabic-script letters, tatweel excluded
_AR_MARK = _class(_arabic_codes("M"))  # harakat, Quranic marks
# Invisible controls that may sit inside a word (strip_marks() removes them) and soft hyphen.
_CONTROL = "\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_ALL_MARKS = _class([c for c in range(0x300, 0x10000) if unicodedata.category(chr(c))[0] == "M"])
# A letter or digit that is not Arabic-script: Latin, other scripts, and all digits (٠-٩ too).
_OTHER = rf"[^\W_{_AR_LETTER}\u0640]"

# A proclitic on its own: و/ف, ب/ل/ك, the article, and their combinations (وبال, فلل, ...).
_CLITIC = "(?:[وف]?(?:[بك]?ال|لل|[بلك])|[وف])"

# Words of the original text. The first alternative matches a bare proclitic glued to what
# follows by tatweel ("بـ", "الـ") or directly to a Latin word or number ("لCNN"); it has no
# group, so it yields no word. Possessive quantifiers keep the lookaheads from backtracking
# into the marks.
_WORD = re.compile(
    rf"{_CLITIC}[{_AR_MARK}]*+(?:\u0640[{_AR_MARK}\u0640]*+(?![{_AR_LETTER}])|(?={_OTHER}))"
    rf"|([{_AR_LETTER}][{_AR_LETTER}{_AR_MARK}\u0640]*+"
    rf"(?:[{_CONTROL}]++[{_AR_LETTER}{_AR_MARK}\u0640]++)*+"
    rf"|{_OTHER}(?:{_OTHER}|[{_ALL_MARKS}]|['’](?={_OTHER}))*+)"
)

# Runs of one script in normalised text: group 1 Arabic, group 2 anything else.
_RUN = re.compile(rf"([{_AR_LETTER}]+)|({_OTHER}+)")


# --- Normalisation --------------------------------------------------------------------------

_LETTERS = str.maketrans(
    {
        **dict.fromkeys("أإآٱٲٳٵ", "ا"),
        **dict.fromkeys("ؤٶٷ", "و"),
        **dict.fromkeys("ئىیېۍێےۓٸ", "ي"),
        **dict.fromkeys("ةۃەۀہۂھ", "ه"),
        **dict.fromkeys("کڪگڭ", "ك"),
        **dict.fromkeys("ڤڥ", "ف"),
        "ڨ": "ق",
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        "ٴ": None,  # high hamza left over by NFKC (ٵ → اٴ)
        "\u00ad": None,  # soft hyphen
    }
)
# The same hamza before و, written ؤ, ئ or ء: always ي (مسؤول = مسئول, رؤوس = رءوس).
_HAMZA_BEFORE_WAW = re.compile("[ءؤئ](?=و)")
# A final ئ spelled يء (شاطيء, مباديء); runs after ئ and ى have become ي.
_FINAL_YEH_HAMZA = re.compile(r"يء\b")
_MARKS_AFTER_NFKD = re.compile(f"[{_ALL_MARKS}]+")


def normalise(text: str) -> str:
    """Character-level folding: NFKC, marks, hamza and letter variants, digits, case, accents."""
    text = strip_marks(unicodedata.normalize("NFKC", text))
    text = _HAMZA_BEFORE_WAW.sub("ي", text)
    text = to_ascii_digits(text).translate(_LETTERS)
    text = _FINAL_YEH_HAMZA.sub("ي", text).casefold()
    if not text.isascii() and not unicodedata.is_normalized("NFKD", text):
        # Latin accents (é → e, like the index's own diacritic folding would do). Arabic
        # letters have no decomposition left at this point.
        text = _MARKS_AFTER_NFKD.sub("", unicodedata.normalize("NFKD", text))
        text = unicodedata.normalize("NFC", text)
    return text


# --- Arabic light stemming ------------------------------------------------------------------

_ARTICLES = ("ال", "وال", "بال", "كال", "فال", "لل")
# light10's suffixes in its order, after normalisation (ة is ه, so ية and ة are يه and ه).
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def _strip_prefixes(word: str) -> str:
    if len(word) >= 4 and word[0] == "و":
        word = word[1:]
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            word = word[len(article) :]
            if word.startswith("ال") and len(word) >= 4:
                word = word[2:]
            break
    if len(word) >= 4 and word[0] == "و":
        word = word[1:]
    return word


def _light10(word: str) -> str:
    """Larkey's light10, with a 3-letter minimum stem for suffixes and two consistency fixes.

    light10: remove و if 3 letters remain; remove one article (ال وال بال كال فال لل) if 2
    remain; then try each suffix once, in order, at the end of the word. Differences:
    - A suffix goes only if 3 letters remain (light10: 2), so بيان, مكان, بنات, مني keep theirs.
    - The article is removed once more if the word again starts with ال: words that start with
      أل/إل/آل (ألعاب, إلكتروني, آلاف) read ال after hamza folding, so ألعاب loses its ال and
      الألعاب must lose both to meet it.
    - و is removed once more after the article, so that الوزير meets وزير (both زير). Common
      words whose و is a root letter are in protected.txt instead.
    """
    word = _strip_prefixes(word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
    return word


# Proclitics that may stand in front of a protected word or a variant: و/ف, ب/ل/ك, the article
# and their combinations (at most 4 letters). Shorter ones are tried first.
_CLITICS = frozenset(
    f"{conjunction}{preposition}{article}"
    for conjunction in ("", "و", "ف")
    for preposition in ("", "ب", "ل", "ك")
    for article in ("", "ال")
    if conjunction or preposition or article
) | {"لل", "ولل", "فلل"}
# The ones light10 does not remove itself (it removes و and the articles).
_SHORT_CLITICS = frozenset(c for c in _CLITICS if "ال" not in c and c not in ("و", "لل", "ولل"))


def _read(name: str) -> str:
    return resources.files("app.text").joinpath(name).read_text(encoding="utf-8")


def _entries(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _load_protected(text: str) -> dict[str, str]:
    """Protected word (normalised) → its term: the word, without a leading article."""
    table: dict[str, str] = {}
    for entry in _entries(text):
        for arabic, other in _RUN.findall(normalise(entry)):
            word = arabic or other
            table[word] = word[2:] if arabic and word.startswith("ال") and len(word) >= 5 else word
    return table


_PROTECTED_TEXT = _read("protected.txt")
_VARIANTS_TEXT = _read("variants.txt")
_PROTECTED = _load_protected(_PROTECTED_TEXT)


def _protected(word: str) -> str | None:
    """The protected term for word, also behind glued proclitics (وبوتين, للقاهرة)."""
    term = _PROTECTED.get(word)
    for length in range(1, min(5, len(word) - 2)):
        if term is not None:
            break
        clitic = word[:length]
        if clitic in _CLITICS:
            rest = word[length:]
            # ل + ال is written لل: للقاهرة is ل + القاهرة.
            term = _PROTECTED.get("ال" + rest if clitic.endswith("لل") else rest)
    return term


@lru_cache(maxsize=1 << 14)
def stem_arabic(word: str) -> str:
    """Stem of a normalised Arabic word; protected words are kept (without glued proclitics)."""
    term = _protected(word)
    return _light10(word) if term is None else term


# --- Latin stemming -------------------------------------------------------------------------

_ENGLISH = Stemmer.Stemmer("english", 0)  # our own lru_cache replaces PyStemmer's cache
# PyStemmer documents its stemmer objects as not safe to call concurrently.
_ENGLISH_LOCK = threading.Lock()


@lru_cache(maxsize=1 << 14)
def stem_latin(word: str) -> str:
    """Snowball English stem of a normalised (case-folded) Latin word; numbers stay as they are."""
    if word in _PROTECTED:
        return _PROTECTED[word]
    if not word.isascii() or word.isdigit():
        return word
    with _ENGLISH_LOCK:
        return _ENGLISH.stemWord(word)


# --- Spelling variants ----------------------------------------------------------------------

# "عبدالله", "وعبدالرحمن": the name's two words written as one.
_ABD = re.compile("(?:[وف]?[بلك]?)عبد(?=ال..)")

Variants = Mapping[str, tuple[str, ...]]


def _arabic_terms(word: str, variants: Variants) -> tuple[str, ...]:
    split = _ABD.match(word)
    if split:
        return ("عبد", *_arabic_terms(word[split.end() :], variants))
    stem = stem_arabic(word)
    canonical = variants.get(stem)
    if canonical is None:
        # A variant behind a proclitic that light10 leaves on (لترمب, بفيسبوك).
        for length in range(1, min(4, len(word) - 2)):
            if word[:length] in _SHORT_CLITICS:
                canonical = variants.get(stem_arabic(word[length:]))
                if canonical is not None:
                    break
    return (stem,) if canonical is None else canonical


def _normalised_terms(text: str, variants: Variants) -> tuple[str, ...]:
    """Terms of normalised text: stems, then spelling variants."""
    if "'" in text or "’" in text:
        text = text.replace("'", "").replace("’", "")  # trump's → trumps → trump
    out: list[str] = []
    for arabic, other in _RUN.findall(text):
        if arabic:
            out.extend(_arabic_terms(arabic, variants))
        else:
            stem = stem_latin(other)
            out.extend(variants.get(stem, (stem,)))
    return tuple(out)


def _load_variants(text: str) -> dict[str, tuple[str, ...]]:
    """Stem of each spelling → the canonical spelling's terms (one, or two for "فيس بوك")."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _entries(text):
        entries = [entry.strip() for entry in re.split("[,،]", line) if entry.strip()]
        canonical = _normalised_terms(normalise(entries[0]), {})
        if not canonical:
            raise ValueError(f"variants.txt: no word in {entries[0]!r}")
        for entry in entries:
            stems = _normalised_terms(normalise(entry), {})
            if len(stems) != 1:
                if stems == canonical:
                    continue
                raise ValueError(f"variants.txt: {entry!r} is several words; only the first may be")
            if table.get(stems[0], canonical) != canonical:
                raise ValueError(f"variants.txt: {entry!r} is in two groups")
            table[stems[0]] = canonical
    for canonical in set(table.values()):
        for term in canonical:
            if table.get(term, (term,)) != (term,):
                raise ValueError(f"variants.txt: canonical {term!r} is another group's variant")
    return table


_VARIANTS = _load_variants(_VARIANTS_TEXT)

# Changes whenever the tables do; the rules' own version is the number in front: raise it with
# any change to the code below that changes a term, so that `khabar db upgrade` indexes again.
RULES_VERSION = 1
_TABLES_HASH = hashlib.sha256((_PROTECTED_TEXT + _VARIANTS_TEXT).encode()).hexdigest()
PIPELINE_VERSION = f"{RULES_VERSION}.{_TABLES_HASH[:12]}"


# The hot path: 65,536 words keep ~93% of a reindex's words in the cache, for about 20 MB.
@lru_cache(maxsize=1 << 16)
def _word_terms(word: str) -> tuple[str, ...]:
    """Terms of one word of the original text (usually one; "ﷺ" gives four)."""
    return _normalised_terms(normalise(word), _VARIANTS)


# --- Public API -----------------------------------------------------------------------------


def tokens(text: str) -> list[Token]:
    """Every word of text with its index term; offsets are into text as given."""
    out: list[Token] = []
    for match in _WORD.finditer(text):
        word = match.group(1)
        if word:
            start, end = match.span()
            for term in _word_terms(word):
                out.append(Token(start, end, term))
    return out


def terms(text: str) -> list[str]:
    """The index terms of text, in order (the terms of tokens(text))."""
    return [term for word in _WORD.findall(text) if word for term in _word_terms(word)]


def index_text(text: str) -> str:
    """What the search index stores for text: its terms separated by spaces."""
    return " ".join(terms(text))


def query_terms(word: str) -> list[str]:
    """Index terms for one query word as a reader typed it (several if it splits: "كوفيد19")."""
    return terms(word)


# Prefixes of protected words that start with و: "واشن*" must keep its و to reach واشنطن.
_PROTECTED_WAW_PREFIXES = frozenset(
    term[:end] for term in _PROTECTED.values() if term[0] == "و" for end in range(2, len(term) + 1)
)


def prefix_term(word: str) -> str | None:
    """Normalised prefix for a query "word*", to match index terms that start with it.

    Proclitics and the article are removed as light10 removes them and a spelling variant is
    mapped, but no suffix is cut: the reader's word is incomplete. None when the word mixes
    scripts, is only a proclitic or article, or less than two letters are left.
    """
    words = [w for w in _WORD.findall(word) if w]
    if len(words) != 1:
        return None
    runs = _RUN.findall(normalise(words[0]).replace("'", "").replace("’", ""))
    if len(runs) != 1:
        return None
    arabic, prefix = runs[0]
    if arabic in _CLITICS:
        return None  # "ال*", "وال*": nothing of the word itself yet
    if arabic:
        protected = _protected(arabic)
        if protected is not None:
            prefix = protected
        else:
            prefix = arabic
            if prefix not in _PROTECTED_WAW_PREFIXES:
                prefix = _strip_prefixes(prefix)
    canonical = _VARIANTS.get(prefix)
    if canonical is not None:
        prefix = canonical[0]
    return prefix if len(prefix) >= 2 else None
