"""Word counts and reading time for Arabic and other languages."""

import math
import re

import lxml.etree
import lxml.html

from app.text.arabic import WORD, strip_marks

# Reading speeds from the IReST study: Trauzettel-Klosinski S, Dietz K; IReST Study Group,
# "Standardized Assessment of Reading Performance: The New International Reading Speed Texts
# IReST", Investigative Ophthalmology & Visual Science 2012;53(9):5452-5461,
# doi:10.1167/iovs.11-8284. Equivalent texts in 17 languages, 25 adult native readers each:
# Arabic about 138 words per minute, English about 228, all languages 184 on average. The
# texts were read aloud, so the estimate errs on the generous side for silent reading. Arabic
# counts fewer words per minute partly because one written word often carries what English
# spells as several (و + سـ + verb + pronoun).
WORDS_PER_MINUTE = {
    "ar": 138,
    "en": 228,
}
DEFAULT_WORDS_PER_MINUTE = 200

# A word may contain an apostrophe between letters ("don't", "l'homme") and a decimal or
# thousands separator between digits ("3.5", "1,200", "٣٫٥"); each of those is still one word.
_COUNTED_WORD = re.compile(rf"{WORD.pattern}(?:(?:['’]|(?<=\d)[.,٫٬](?=\d)){WORD.pattern})*")

# Elements that start a new line when rendered; their text must not run into the next word.
_SEPARATING_TAGS = (
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "iframe",
    "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
)  # fmt: skip

# Control characters and lone surrogates: libxml2 refuses them, nh3 cannot encode surrogates,
# and no reader can see them. Pasted text and JSON escapes sometimes carry them.
INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def count_words(text: str) -> int:
    """Number of words in plain text; Arabic diacritics and tatweel never split a word."""
    return len(_COUNTED_WORD.findall(strip_marks(text)))


def reading_time_minutes(words: int, lang: str) -> int:
    """Minutes a reader of lang needs for that many words; at least 1 for any text."""
    if words <= 0:
        return 0
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    wpm = WORDS_PER_MINUTE.get(primary, DEFAULT_WORDS_PER_MINUTE)
    return max(1, math.ceil(words / wpm))


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """An HTML fragment parsed under a <div>; never raises on malformed or empty input."""
    # huge_tree: without it libxml2 silently drops everything after 255 levels of nesting.
    # A parser per call (about 2 microseconds) because lxml parsers must not be shared between
    # threads, and sync code runs in a thread pool.
    parser = lxml.html.HTMLParser(huge_tree=True)
    return lxml.html.fragment_fromstring(
        INVALID_CHARACTERS.sub("", html), create_parent="div", parser=parser
    )


def text_of_html(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed to single spaces."""
    if not html or html.isspace():
        return ""
    root = parse_fragment(html)
    lxml.etree.strip_elements(
        root,
        lxml.etree.Comment,
        lxml.etree.ProcessingInstruction,
        "script",
        "style",
        "template",
        with_tail=False,
    )
    for element in root.iter(_SEPARATING_TAGS):
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return " ".join("".join(root.itertext()).split())
