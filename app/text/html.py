"""Article bodies: sanitising HTML, converting it to blocks and rendering blocks back.

A body is a list of plain dict blocks (paragraph, heading, quote, list, embed, image, html).
Every piece of markup that reaches a block has gone through nh3 with one of two allowlists: inline
markup for paragraphs, quotes and list items; block markup for "html" blocks (tables, code).
Image blocks hold no markup, only a media id and plain text; render_html() draws them from
Figures the caller resolved, since the sizes and URLs of an image live with the media item.

Pasted HTML takes this path in html_to_blocks():

1. nh3 with a wider "paste" allowlist: scripts and styles go with their content, event handlers
   and javascript:/data: URLs go, but iframes, embed blockquotes, images and classes stay long
   enough to be recognised as embeds, images and photo credits.
2. lxml parses the now well-formed result; iframe contents are discarded at once, and so are
   images that are not our own uploads (only a media id can become a block).
3. The top-level nodes are walked. Containers (div, section, ...) are unwrapped; loose text and
   inline elements gather into paragraphs; each recognised element becomes one block.
4. Each block's markup is sanitised again with its own allowlist, so nothing from step 1's wider
   list (iframes, classes) survives into a block.

render_html() produces HTML that html_to_blocks() turns back into the same blocks.
"""

import copy
import html as html_lib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit, urlunsplit

import lxml.etree
import lxml.html
import nh3

from app.text.arabic import strip_marks
from app.text.reading import INVALID_CHARACTERS, parse_fragment, text_of_html

Block = dict[str, Any]

EMBED_PROVIDERS = (
    "youtube", "vimeo", "x", "instagram", "facebook", "tiktok", "soundcloud", "other",
)  # fmt: skip

# Matched against the host and every parent domain of it ("m.youtube.com" -> "youtube.com").
_PROVIDER_DOMAINS = {
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "youtube-nocookie.com": "youtube",
    "vimeo.com": "vimeo",
    "x.com": "x",
    "twitter.com": "x",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.watch": "facebook",
    "tiktok.com": "tiktok",
    "soundcloud.com": "soundcloud",
}

_INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "em", "i", "mark", "q", "s", "small",
    "span", "strong", "sub", "sup", "u",
}  # fmt: skip
_INLINE_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "span": {"dir", "lang"},
    "bdo": {"dir"},
}
_BLOCK_TAGS = _INLINE_TAGS | {
    "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption", "figure", "h2", "h3", "h4",
    "h5", "h6", "hr", "li", "ol", "p", "pre", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
}  # fmt: skip
_BLOCK_ATTRIBUTES = {
    **_INLINE_ATTRIBUTES,
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "div": {"dir", "lang"},
}
# Removed together with their text: that text was never meant to be read.
_DROPPED_WITH_CONTENT = {
    "iframe", "noembed", "noframes", "noscript", "script", "select", "style", "template",
    "textarea", "title",
}  # fmt: skip
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_LINK_REL = "noopener noreferrer nofollow"

_CONTAINER_TAGS = {"div", "section", "article", "main", "header", "footer"}
_EMBED_QUOTE_CLASSES = {"twitter-tweet": "x", "instagram-media": "instagram"}

_inline_cleaner = nh3.Cleaner(
    tags=_INLINE_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_INLINE_ATTRIBUTES,
    link_rel=_LINK_REL,
    url_schemes=_URL_SCHEMES,
)
_block_cleaner = nh3.Cleaner(
    tags=_BLOCK_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_BLOCK_ATTRIBUTES,
    link_rel=_LINK_REL,
    url_schemes=_URL_SCHEMES,
)
# Classes on text elements are how pasted figures mark a photo credit ("credit", "wp-credit").
_PASTE_ATTRIBUTES = {
    **_BLOCK_ATTRIBUTES,
    **{tag: _BLOCK_ATTRIBUTES.get(tag, set()) | {"class"} for tag in _INLINE_TAGS | {"p", "div"}},
    "iframe": {"src"},
    "img": {"src", "alt", "data-media"},
}
_paste_cleaner = nh3.Cleaner(
    # <picture> and <source> are not listed: nh3 unwraps the one and drops the other, which
    # leaves the <img> inside.
    tags=_BLOCK_TAGS | _CONTAINER_TAGS | {"h1", "iframe", "img"},
    clean_content_tags=_DROPPED_WITH_CONTENT - {"iframe"},
    attributes=_PASTE_ATTRIBUTES,
    link_rel=_LINK_REL,
    url_schemes=_URL_SCHEMES,
    allowed_classes={"blockquote": set(_EMBED_QUOTE_CLASSES), "figure": {"embed"}},
)

# Anything in here ends a run of inline content: it is a block of its own or holds blocks.
# Only images of our own media reach the walk, so every <img> there is an image block.
_BREAKING_TAGS = (_BLOCK_TAGS - _INLINE_TAGS) | _CONTAINER_TAGS | {"h1", "iframe", "img"}

_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
# What a browser would never show as text: it goes with its tags, not only the tags.
_HIDDEN = re.compile(r"<(script|style|template)\b[^<>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_PRE_NEWLINES = re.compile(r"<pre>(?:\r?\n)+")
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_EDGE_BREAKS = re.compile(r"^(?:\s|<br>)+|(?:\s|<br>)+$")
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATH_ID = re.compile(r"^/(?:embed|shorts|live|v|e)/([^/]+)")
_VIMEO_ID = re.compile(r"/(\d+)/?$")
_X_STATUS = re.compile(r"^/[^/]+/status(?:es)?/\d+|^/i/(?:web/)?status/\d+")
_INSTAGRAM_POST = re.compile(r"^(/(?:[\w.]+/)?(?:p|reel|tv)/[\w-]+)")
_CITE_DASHES = "—–―-‒ \u00a0"
# Media ids are 16 characters of lowercase Crockford base32. Images are served under
# <base_url>/v1/media/<id>/image, and the base URL may carry a path of its own.
_MEDIA_ID = re.compile(r"[0-9a-hjkmnp-tv-z]{16}")
_MEDIA_PATH = re.compile(r"/v1/media/([0-9a-hjkmnp-tv-z]{16})(?:/image)?/?$", re.IGNORECASE)
# The walk below recurses; deeper markup is unwrapped first so no input can exhaust the stack.
_MAX_DEPTH = 100


def sanitize_inline(html: str) -> str:
    """Keep only inline markup (links, emphasis, bidi spans) with safe attributes and URLs."""
    return _inline_cleaner.clean(INVALID_CHARACTERS.sub("", html))


def sanitize_block(html: str) -> str:
    """Keep inline markup plus block structure: paragraphs, lists, tables, pre, figures."""
    html = _block_cleaner.clean(INVALID_CHARACTERS.sub("", html))
    # Parsers drop one newline after <pre> and nh3 does not write it back, so sanitising
    # "<pre>\n\nx" again would lose another line. Leading newlines go at once instead.
    return _PRE_NEWLINES.sub("<pre>", html)


def embed_provider(url: str) -> str:
    """Which service an embed URL belongs to, from its host; "other" when unknown."""
    parts = _split_http(url)
    if parts is None:
        return "other"
    labels = (parts.hostname or "").rstrip(".").split(".")
    for start in range(len(labels) - 1):
        provider = _PROVIDER_DOMAINS.get(".".join(labels[start:]))
        if provider:
            return provider
    return "other"


@dataclass(frozen=True, slots=True)
class Figure:
    """What render_html needs to draw one image block (resolved by the caller from the media
    item)."""

    src: str  # fallback URL (a JPEG rendition)
    srcset: str  # "url 160w, url 320w, …"
    sizes: str
    width: int
    height: int
    alt: str
    caption: str | None
    credit: str | None
    archive_label: str | None  # e.g. "أرشيفية" or "File photo" when the photo is an archive photo


def html_to_blocks(html: str) -> list[Block]:
    """Blocks from pasted or stored HTML; unsafe markup and unknown embeds are dropped."""
    cleaned = _paste_cleaner.clean(INVALID_CHARACTERS.sub("", html))
    if not cleaned.strip():
        return []
    root = parse_fragment(cleaned)
    for img in list(root.iter("img")):
        if _media_id(img) is None:
            img.drop_tree()  # as before images were read: gone, the text around it stays
    _unwrap_below(root, _MAX_DEPTH)
    for iframe in root.iter("iframe"):
        # An iframe's content is raw text to the HTML parser, so nh3 passed it through untouched.
        iframe.text = None
        for child in list(iframe):
            iframe.remove(child)
    builder = _BlockBuilder()
    builder.walk(root)
    builder.flush()
    return builder.blocks


def sanitize_blocks(blocks: list[Block]) -> list[Block]:
    """Client-sent blocks with all markup sanitised; blocks left without content are dropped."""
    return [clean for clean in map(_sanitize_one, blocks) if clean]


def render_html(blocks: list[Block], figures: Mapping[int | str, Figure] | None = None) -> str:
    """HTML for sanitised blocks, one block per line.

    figures says what image blocks show, by the block's position in ``blocks`` (so the same
    photo twice can carry two captions) or else by media id; an image block found under
    neither (its media deleted, or not resolved) renders nothing.
    """
    figures = figures or {}
    return "\n".join(
        filter(None, (_render_block(block, figures, i) for i, block in enumerate(blocks)))
    )


def plain_text(blocks: list[Block]) -> str:
    """All text a reader sees in the blocks, one block per line."""
    texts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("paragraph", "html"):
            texts.append(text_of_html(block["html"]))
        elif kind == "heading":
            texts.append(block["text"])
        elif kind == "quote":
            texts.extend([text_of_html(block["html"]), block.get("cite") or ""])
        elif kind == "list":
            texts.extend(text_of_html(item) for item in block["items"])
        elif kind == "embed":
            texts.append(block.get("caption") or "")
        # Image captions are not body text: they would inflate word counts and reading time.
    return "\n".join(text for text in texts if text)


def image_media_ids(blocks: Iterable[Block]) -> list[str]:
    """Ids of the media that image blocks show, in order of first use, each once."""
    ids = (block.get("media") for block in blocks if block.get("type") == "image")
    return list(dict.fromkeys(media for media in ids if media))


class _BlockBuilder:
    """Walks parsed HTML, gathering inline content into paragraphs between blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._inline: list[str] = []

    def walk(self, parent: lxml.html.HtmlElement) -> None:
        self._add_text(parent.text)
        for child in parent:
            self._node(child)
            self._add_text(child.tail)

    def flush(self) -> None:
        html = _tidy_inline("".join(self._inline))
        self._inline.clear()
        if _has_text(html):
            self.blocks.append({"type": "paragraph", "html": html})

    def _add_text(self, text: str | None) -> None:
        if text:
            self._inline.append(html_lib.escape(text, quote=False))

    def _add_block(self, block: Block | None) -> None:
        self.flush()
        if block:
            self.blocks.append(block)

    def _node(self, element: lxml.html.HtmlElement) -> None:
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions
            return
        if tag in _INLINE_TAGS:
            if _holds_blocks(element):
                # Word processors wrap whole documents in <span> or <b>; keep what is inside.
                self.walk(element)
            else:
                self._inline.append(_outer_html(element))
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._add_block(_heading(element))
        elif tag == "blockquote":
            self._add_block(_quote_or_embed(element))
        elif tag in ("ul", "ol"):
            self._add_block(_list(element))
        elif tag == "iframe":
            self._add_block(_iframe_embed(element, None))
        elif tag == "img":
            self._add_block(_image(element, None))
        elif tag == "figure" and next(element.iter("img"), None) is not None:
            self._image_figure(element)
        elif tag == "figure":
            self._add_block(_figure(element))
        elif tag in ("table", "pre", "hr", "dl"):
            self._add_block(_html_block(element))
        else:
            # p, div, section, stray li/dt/dd...: a boundary around content walked in place.
            self.flush()
            self.walk(element)
            self.flush()

    def _image_figure(self, figure: lxml.html.HtmlElement) -> None:
        block = _single_image_figure(figure)
        if block:
            self._add_block(block)
        else:
            # A gallery, or images beside other content: each part becomes a block of its own
            # and the figure's caption a paragraph, rather than any of it being lost.
            self.flush()
            self.walk(figure)
            self.flush()


def _sanitize_one(block: Block) -> Block | None:
    kind = block.get("type")
    if kind == "paragraph":
        html = _tidy_inline(block["html"])
        return {"type": "paragraph", "html": html} if _has_text(html) else None
    if kind == "heading":
        text = _plain(block["text"])
        level = _clamp_level(block["level"])
        return {"type": "heading", "level": level, "text": text} if text else None
    if kind == "quote":
        html = _tidy_inline(block["html"])
        cite = _cite(block.get("cite"))
        return {"type": "quote", "html": html, "cite": cite} if _has_text(html) else None
    if kind == "list":
        items = [item for item in map(_tidy_inline, block["items"]) if _has_text(item)]
        style = "ordered" if block.get("style") == "ordered" else "unordered"
        return {"type": "list", "style": style, "items": items} if items else None
    if kind == "embed":
        return _embed(block["url"], _plain(block.get("caption")) or None)
    if kind == "html":
        html = sanitize_block(block["html"]).strip()
        return {"type": "html", "html": html} if _shows_something(html) else None
    if kind == "image":
        # "image" is the resolved media item that responses carry: read-only, so it goes.
        media = str(block.get("media") or "").strip().lower()
        if not media:
            return None
        return _image_block(media, block.get("caption"), block.get("credit"), block.get("alt"))
    # Kinds this module does not know carry no markup; their schema checked them.
    return dict(block)


def _heading(element: lxml.html.HtmlElement) -> Block | None:
    text = _plain(element.text_content())
    if not text:
        return None
    return {"type": "heading", "level": _clamp_level(int(element.tag[1])), "text": text}


def _quote_or_embed(element: lxml.html.HtmlElement) -> Block | None:
    return _embed_quote(element) or _quote(element)


def _embed_quote(element: lxml.html.HtmlElement) -> Block | None:
    """An embed for the blockquote that X and Instagram embed codes paste, else None."""
    for css_class in (element.get("class") or "").split():
        provider = _EMBED_QUOTE_CLASSES.get(css_class)
        url = provider and _post_link(element, provider)
        if url:
            return _embed(url, None)
    return None


def _quote(element: lxml.html.HtmlElement) -> Block | None:
    cite = None
    for child in element:
        if child.tag in ("cite", "footer"):
            cite = _cite(child.text_content())
            child.drop_tree()
            break
    html = _tidy_inline(_inline_html(element))
    if not _has_text(html):
        return None
    return {"type": "quote", "html": html, "cite": cite}


def _post_link(element: lxml.html.HtmlElement, provider: str) -> str | None:
    """The link to the post itself inside an X or Instagram embed blockquote."""
    pattern = _X_STATUS if provider == "x" else _INSTAGRAM_POST
    for link in element.iter("a"):
        href = link.get("href") or ""
        parts = _split_http(href)
        if parts and embed_provider(href) == provider and pattern.search(parts.path):
            return href
    return None


def _list(element: lxml.html.HtmlElement) -> Block | None:
    items = []
    for item in element:
        if isinstance(item.tag, str):
            html = _tidy_inline(_inline_html(item))
            if _has_text(html):
                items.append(html)
    if not items:
        return None
    style = "ordered" if element.tag == "ol" else "unordered"
    return {"type": "list", "style": style, "items": items}


def _figure(element: lxml.html.HtmlElement) -> Block | None:
    caption_element = next(element.iter("figcaption"), None)
    caption = _plain(caption_element.text_content()) if caption_element is not None else ""
    iframe = next(element.iter("iframe"), None)
    if iframe is not None:
        return _iframe_embed(iframe, caption or None)
    for quote in element.iter("blockquote"):
        block = _embed_quote(quote)
        if block:
            return {**block, "caption": caption or None}
    link = next(element.iter("a"), None)
    if link is not None and "embed" in (element.get("class") or "").split():
        # The shape render_html() gives embeds that have no player: a link and a caption.
        return _embed(link.get("href") or "", caption or None)
    block = _html_block(element)
    if block is None:
        return None
    # Judged on the sanitised figure, as it will be read back: a figure whose image was not
    # ours (and so dropped) leaves only its caption, and nothing to show.
    settled = parse_fragment(block["html"])
    return block if any(_figure_has_body(figure) for figure in settled) else None


def _single_image_figure(figure: lxml.html.HtmlElement) -> Block | None:
    """An image block for a figure of one image and its caption, else None."""
    images = list(figure.iter("img"))
    if len(images) != 1:
        return None
    rest = copy.deepcopy(figure)
    for caption in list(rest.iter("figcaption")):
        caption.drop_tree()
    if _has_text(_outer_html(rest)) or any(tag in ("hr", "iframe") for tag in _tags(rest)):
        return None
    return _image(images[0], next(figure.iter("figcaption"), None))


def _image(img: lxml.html.HtmlElement, caption: lxml.html.HtmlElement | None) -> Block | None:
    """An image block for an <img> of our own media, with what its figure caption says."""
    media = _media_id(img)
    if media is None:
        return None
    credit = None
    if caption is not None:
        # Our own figures write the credit and the archive label as <small class="credit">
        # and <small class="archive">; pasted ones use classes like "wp-caption-credit".
        for element in list(caption.iterdescendants()):
            classes = (element.get("class") or "").split()
            if any("credit" in css_class for css_class in classes):
                credit = credit or element.text_content()
                element.drop_tree()
            elif "archive" in classes:
                element.drop_tree()
    text = caption.text_content() if caption is not None else None
    return _image_block(media, text, credit, img.get("alt"))


def _image_block(media: str, caption: str | None, credit: str | None, alt: str | None) -> Block:
    return {
        "type": "image",
        "media": media,
        "caption": _plain(caption) or None,
        "credit": _plain(credit) or None,
        "alt": _plain(alt) or None,
    }


def _media_id(img: lxml.html.HtmlElement) -> str | None:
    """The id of the media an <img> shows, from data-media or its URL; None if not ours."""
    media = (img.get("data-media") or "").strip().lower()
    if _MEDIA_ID.fullmatch(media):
        return media
    try:
        path = urlsplit((img.get("src") or "").strip()).path
    except ValueError:
        return None
    match = _MEDIA_PATH.search(path)
    return match[1].lower() if match else None


def _figure_has_body(figure: lxml.html.HtmlElement) -> bool:
    if (figure.text or "").strip():
        return True
    for child in figure:
        if (child.tail or "").strip():
            return True
        if child.tag != "figcaption" and (child.tag == "hr" or child.text_content().strip()):
            return True
    return False


def _html_block(element: lxml.html.HtmlElement) -> Block | None:
    html = _block_html(element)
    # lxml (libxml2) and nh3 (html5ever) nest broken markup differently, e.g. a <dd> inside a
    # <dt>. Reading the block back until both agree keeps render_html() output stable.
    for _ in range(3):
        root = parse_fragment(html)
        if len(root) != 1 or (root.text or "").strip() or (root[0].tail or "").strip():
            break
        settled = _block_html(root[0])
        if settled == html:
            break
        html = settled
    return {"type": "html", "html": html} if _shows_something(html) else None


def _block_html(element: lxml.html.HtmlElement) -> str:
    if element.tag == "pre":
        # Parsers disagree on blocks inside <pre> (lxml closes the pre, nh3 does not), so a pre
        # keeps inline markup only.
        return sanitize_block(f"<pre>{sanitize_inline(_inner_html(element))}</pre>")
    return sanitize_block(_outer_html(element)).strip()


def _iframe_embed(iframe: lxml.html.HtmlElement, caption: str | None) -> Block | None:
    """An embed for an iframe from a known provider; other iframes are dropped."""
    src = (iframe.get("src") or "").strip()
    if src.startswith("//"):
        src = "https:" + src
    if embed_provider(src) == "other":
        return None
    return _embed(src, caption)


def _embed(url: str, caption: str | None) -> Block | None:
    """An embed block for url, or None when url is not an http(s) URL."""
    url = url.strip()
    if _split_http(url) is None:
        return None
    provider = embed_provider(url)
    url = _canonical_url(url, provider)
    return {"type": "embed", "url": url, "provider": provider, "caption": caption}


def _canonical_url(url: str, provider: str) -> str:
    """One URL per post, whichever embed or share form was pasted."""
    parts = urlsplit(url)
    if provider == "youtube":
        video_id = _youtube_id(url)
        if video_id:
            return f"https://www.youtube.com/watch?v={video_id}"
    elif provider == "vimeo":
        match = _VIMEO_ID.search(parts.path)
        if match:
            return f"https://vimeo.com/{match[1]}"
    elif provider == "facebook" and parts.path.startswith("/plugins/"):
        target = parse_qs(parts.query).get("href", [""])[0]
        if embed_provider(target) == "facebook":
            return _canonical_url(target, "facebook")
    elif provider == "instagram":
        match = _INSTAGRAM_POST.match(parts.path)
        path = match[1] + "/" if match else parts.path
        return urlunsplit(("https", parts.netloc.lower(), path, "", ""))
    elif provider in ("x", "tiktok"):
        # Share links carry tracking parameters (?s=20, ?ref_src=...) that name no other post.
        return urlunsplit(("https", parts.netloc.lower(), parts.path, "", ""))
    return url


def _split_http(url: str) -> SplitResult | None:
    """url split into parts when it is an absolute http(s) URL, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def _youtube_id(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "youtu.be" or host.endswith(".youtu.be"):
        candidate = parts.path.strip("/").split("/")[0]
    elif match := _YOUTUBE_PATH_ID.match(parts.path):
        candidate = match[1]
    else:
        candidate = parse_qs(parts.query).get("v", [""])[0]
    # "videoseries" (playlist embeds) has the shape of an id but names no video.
    if _YOUTUBE_ID.fullmatch(candidate) and candidate != "videoseries":
        return candidate
    return None


def _render_block(block: Block, figures: Mapping[int | str, Figure], position: int) -> str:
    kind = block.get("type")
    if kind == "paragraph":
        return f"<p>{block['html']}</p>"
    if kind == "heading":
        level = _clamp_level(block["level"])
        return f"<h{level}>{html_lib.escape(block['text'])}</h{level}>"
    if kind == "quote":
        cite = block.get("cite")
        cite_html = f"<cite>{html_lib.escape(cite)}</cite>" if cite else ""
        return f"<blockquote><p>{block['html']}</p>{cite_html}</blockquote>"
    if kind == "list":
        tag = "ol" if block.get("style") == "ordered" else "ul"
        items = "".join(f"<li>{item}</li>" for item in block["items"])
        return f"<{tag}>{items}</{tag}>"
    if kind == "embed":
        return _render_embed(block)
    if kind == "image":
        figure = figures.get(position) or figures.get(block.get("media") or "")
        return _render_figure(figure) if figure else ""
    if kind == "html":
        return block["html"]
    return ""


def _render_figure(figure: Figure) -> str:
    attributes = {
        "src": figure.src,
        "srcset": figure.srcset,
        "sizes": figure.sizes,
        "width": str(int(figure.width)),
        "height": str(int(figure.height)),
        "alt": figure.alt,
        "loading": "lazy",
        "decoding": "async",
    }
    img = "<img " + " ".join(f'{k}="{html_lib.escape(v)}"' for k, v in attributes.items()) + ">"
    parts = []
    if figure.caption:
        parts.append(html_lib.escape(figure.caption))
    if figure.credit:
        parts.append(f'<small class="credit">{html_lib.escape(figure.credit)}</small>')
    if figure.archive_label:
        parts.append(f'<small class="archive">{html_lib.escape(figure.archive_label)}</small>')
    figcaption = f"<figcaption>{' '.join(parts)}</figcaption>" if parts else ""
    return f'<figure class="image">{img}{figcaption}</figure>'


def _render_embed(block: Block) -> str:
    url = block["url"]
    if _split_http(url) is None:
        # Never write a javascript: (or any non-web) URL into an href, whatever the block says.
        return ""
    provider = embed_provider(url)
    caption = block.get("caption")
    player = None
    if provider == "youtube" and (video_id := _youtube_id(url)):
        player, title = f"https://www.youtube-nocookie.com/embed/{video_id}", "YouTube video"
    elif provider == "vimeo" and (match := _VIMEO_ID.search(urlsplit(url).path)):
        player, title = f"https://player.vimeo.com/video/{match[1]}", "Vimeo video"
    if player:
        title = html_lib.escape(caption or title)
        body = f'<iframe src="{player}" loading="lazy" allowfullscreen title="{title}"></iframe>'
    else:
        escaped = html_lib.escape(url)
        body = f'<a href="{escaped}">{escaped}</a>'
    figcaption = f"<figcaption>{html_lib.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="embed embed-{provider}">{body}{figcaption}</figure>'


def _inline_html(element: lxml.html.HtmlElement) -> str:
    """Inline markup of element's content; nested blocks become lines separated by <br>."""
    lines: list[str] = []
    current: list[str] = []
    if element.text:
        current.append(html_lib.escape(element.text, quote=False))
    for child in element:
        if not isinstance(child.tag, str) or child.tag in ("iframe", "img"):
            pass  # a list item or quote holds no player and no picture
        elif child.tag in _BREAKING_TAGS or _holds_blocks(child):
            lines.extend(("".join(current), _inline_html(child)))
            current = []
        else:
            current.append(_outer_html(child))
        if child.tail:
            current.append(html_lib.escape(child.tail, quote=False))
    lines.append("".join(current))
    return "<br>".join(line for line in lines if line.strip())


def _unwrap_below(root: lxml.html.HtmlElement, max_depth: int) -> None:
    """Unwrap blocks, and inline elements holding blocks, nested deeper than max_depth.

    Only those are walked recursively here; purely inline markup, however deep, is serialised
    by lxml and left alone, so a second pass over rendered output changes nothing.
    """
    too_deep = []
    holds_blocks = [False]  # one entry per open element: has a block been seen inside it?
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            holds_blocks.append(False)
            continue
        if holds_blocks.pop() or element.tag in _BREAKING_TAGS:
            holds_blocks[-1] = True
            if len(holds_blocks) > max_depth:
                too_deep.append(element)
    # End events come innermost first, so everything inside is unwrapped before its parent.
    for element in too_deep:
        element.drop_tag()


def _tags(element: lxml.html.HtmlElement) -> set[str]:
    return {child.tag for child in element.iter() if isinstance(child.tag, str)}


def _holds_blocks(element: lxml.html.HtmlElement) -> bool:
    return any(child.tag in _BREAKING_TAGS for child in element.iterdescendants())


def _outer_html(element: lxml.html.HtmlElement) -> str:
    return lxml.html.tostring(element, encoding="unicode", with_tail=False)


def _inner_html(element: lxml.html.HtmlElement) -> str:
    text = html_lib.escape(element.text or "", quote=False)
    return text + "".join(lxml.html.tostring(child, encoding="unicode") for child in element)


def _tidy_inline(html: str) -> str:
    """Sanitised inline markup with whitespace collapsed and no <br> at either end."""
    return _EDGE_BREAKS.sub("", _HTML_WHITESPACE.sub(" ", sanitize_inline(html)))


def _has_text(html: str) -> bool:
    return bool(strip_marks(text_of_html(html)).strip())


def _shows_something(html: str) -> bool:
    """For html blocks: some text, or at least a rule (an empty table shows nothing)."""
    return "<hr>" in html or _has_text(html)


def _plain(text: str | None) -> str:
    """Text for a field that holds no markup: complete tags and comments go, nothing else.

    Entities are left alone and a lone "<" stays, so the result is the same however often this
    runs, and "x <y" in a headline survives.
    """
    if not text:
        return ""
    text = INVALID_CHARACTERS.sub("", text)
    while True:
        stripped = _TAG.sub("", _HIDDEN.sub("", text))
        if stripped == text:
            return _collapse(text)
        text = stripped


def _cite(text: str | None) -> str | None:
    # "— Name" is how a <footer> usually credits a quote; the dash is punctuation, not the name.
    return _plain(text).lstrip(_CITE_DASHES) or None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _clamp_level(level: int) -> int:
    return min(max(int(level), 2), 4)
