"""Feeds: the newest published articles as RSS 2.0 (with Media RSS), Atom 1.0 and JSON Feed 1.1.

A feed is the newest ``feed_items`` public articles (``list_articles`` with the public rule, so
drafts, scheduled, archived and trashed articles never appear, whoever asks), narrowed by
section (with its sub-sections), tag, author and language. The pages are read in a fixed number
of queries (``full_many``) and rendered from ``ArticleRead``, the very presentation the JSON API
gives, so a feed item and the article's JSON agree on URLs, images and captions: from the
article's ready-made page where there is one (the router reads those, and passes the presenter
in for the others, which keeps this module free of the HTTP layer).

The bytes depend only on the content: every date in them comes from the articles (the feed's
``updated`` is the newest item's), never from the clock, so an unchanged feed keeps its ETag.
An empty feed has no date to give; Atom still requires ``updated`` and gets the Unix epoch.

WebSub: ``topic_urls`` lists every feed URL an article appears in; the pinger calls it when an
article is published, changed or withdrawn, and the feeds advertise the same URLs as ``self``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal
from urllib.parse import parse_qsl, quote, urlsplit

import orjson
from lxml import etree
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import __version__
from app.config import Settings
from app.errors import NotFound
from app.models import Section
from app.schemas.articles import ArticleRead
from app.schemas.media import ImageRead
from app.services import articles as article_service
from app.services import authors as author_service
from app.services import sections as section_service
from app.services import tags as tag_service
from app.services.articles import ArticleFilters, Full
from app.services.site import Site
from app.services.site import site as site_of
from app.text.reading import INVALID_CHARACTERS

Kind = Literal["rss", "atom", "json"]
FORMATS: tuple[Kind, ...] = ("rss", "atom", "json")
MEDIA_TYPES: dict[Kind, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The Media RSS thumbnail: the rendition nearest this width (feed readers' cards are small).
THUMBNAIL_WIDTH = 480
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
MEDIA = "http://search.yahoo.com/mrss/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_IMAGE_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
_SRCSET_WIDTH = re.compile(r"\s(\d+)w$")
_SRC_WIDTH = re.compile(r"([?&])w=\d+")


@dataclass(frozen=True)
class FeedQuery:
    """What a feed was asked for: the filters, and ``content`` ("full", "summary" or None for
    the site's default)."""

    section: str | None = None
    tag: str | None = None
    author: str | None = None
    lang: str | None = None
    content: str | None = None


class _Named(BaseModel):
    name: str


class FeedItem(BaseModel):
    """What a feed item shows of an article: the fields of its public JSON (``ArticleRead``)
    that the formats use, read from a ready-made page (app.services.ready) without the rest."""

    id: str
    lang: str
    dir: str
    headline: str
    summary: str | None
    public_url: str
    body_html: str
    hero: ImageRead | None
    section: _Named | None
    sections: list[_Named]
    tags: list[_Named]
    authors: list[_Named]
    published_at: datetime | None
    first_published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, article: ArticleRead) -> FeedItem:
        return cls.model_validate(article, from_attributes=True)


@dataclass
class Feed:
    kind: Kind
    title: str
    description: str
    lang: str
    site: Site
    self_url: str
    topic_url: str
    hubs: list[str]
    full_content: bool
    ids: list[int] = field(default_factory=list)  # the articles, newest first
    items: list[FeedItem] = field(default_factory=list)  # theirs, filled by the caller

    @property
    def updated(self) -> datetime | None:
        """The newest change among the items; None for an empty feed."""
        return max((_updated(item) for item in self.items), default=None)


# URLs --------------------------------------------------------------------------------------


def feed_url(base_url: str, kind: Kind, query: FeedQuery) -> str:
    """The public URL of a feed, its query in one stable order (section, tag, author, lang,
    content) with only the parameters given: the same string the feed gives as ``self`` and
    ``topic_urls`` gives the pinger."""
    params = [
        (name, value)
        for name, value in (
            ("section", query.section),
            ("tag", query.tag),
            ("author", query.author),
            ("lang", query.lang),
            ("content", query.content),
        )
        if value is not None
    ]
    tail = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
    return f"{base_url.rstrip('/')}/v1/feeds/{kind}" + (f"?{tail}" if tail else "")


def topic_urls(
    base_url: str, *, sections: list[str], tags: list[str], authors: list[str], lang: str
) -> list[str]:
    """Every feed URL (each format, without ``content``) an article with these section slugs
    (primary, extra and their parents: the caller passes them all), tags, authors and language
    appears in: site-wide, site-wide in its language, per section, per tag, per author.

    The WebSub pinger pings the hubs with these when an article is published, changed or
    withdrawn; they are exactly the ``self`` URLs those feeds advertise."""
    queries = [
        FeedQuery(),
        FeedQuery(lang=lang),
        *(FeedQuery(section=slug) for slug in sections),
        *(FeedQuery(tag=slug) for slug in tags),
        *(FeedQuery(author=slug) for slug in authors),
    ]
    urls = [feed_url(base_url, kind, query) for query in queries for kind in FORMATS]
    return list(dict.fromkeys(urls))


# Reading -----------------------------------------------------------------------------------


def build(session: Session, settings: Settings, *, kind: Kind, query: FeedQuery) -> Feed:
    """The feed's articles (``ids``; the caller fills ``items``, with ``items_of`` or from
    ready-made pages) and everything said about it; unknown section, tag or author slugs raise
    NotFound, as the article list does."""
    site = site_of(settings)
    lang = query.lang or site.default_language
    canonical, names, descriptions = _subjects(session, query, lang=lang, site=site)
    filters = ArticleFilters(
        section=canonical.section, tag=canonical.tag, author=canonical.author, lang=query.lang
    )
    ids, _ = article_service.list_ids(
        session, filters=filters, cursor=None, limit=settings.feed_items
    )
    full_content = (
        query.content == "full" if query.content is not None else settings.feed_full_content
    )
    title = " — ".join([site.name(lang), *names])
    return Feed(
        kind=kind,
        title=title,
        description=next((d for d in descriptions if d), title),
        lang=lang,
        site=site,
        self_url=feed_url(site.api_url, kind, canonical),
        topic_url=feed_url(site.api_url, kind, replace(canonical, content=None)),
        hubs=list(settings.websub_hubs),
        full_content=full_content,
        ids=ids,
    )


def items_of(
    session: Session, ids: list[int], present: Callable[[Full], ArticleRead]
) -> list[FeedItem]:
    """The feed items of these articles, built from their pages (those unpublished since the
    ids were read are left out)."""
    return [FeedItem.of(present(page)) for page in article_service.full_by_ids(session, ids)]


def _subjects(
    session: Session, query: FeedQuery, *, lang: str, site: Site
) -> tuple[FeedQuery, list[str], list[str | None]]:
    """The query with each slug as stored, and the names and descriptions of what it filters by
    (in the feed's language where there is a choice)."""
    names: list[str] = []
    descriptions: list[str | None] = []
    section_slug = tag_slug = author_slug = None
    if query.section is not None:
        section = section_service.get_section(session, slug=query.section)
        if section is None:
            raise NotFound(f"No section has the slug «{query.section}».")
        section_slug = section.slug
        text_lang = _section_lang(section, lang, site.default_language)
        names.append(section.names[text_lang])
        descriptions.append(section.descriptions.get(text_lang))
    if query.tag is not None:
        tag = tag_service.get_tag(session, slug=query.tag)
        if tag is None:
            raise NotFound(f"No tag has the slug «{query.tag}».")
        tag_slug = tag.slug
        names.append(tag.name)
        descriptions.append(tag.description)
    if query.author is not None:
        author = author_service.get_author(session, slug=query.author)
        if author is None:
            raise NotFound(f"No author has the slug «{query.author}».")
        author_slug = author.slug
        names.append(author.name)
        descriptions.append(author.job_title)
    canonical = FeedQuery(
        section=section_slug,
        tag=tag_slug,
        author=author_slug,
        lang=query.lang,
        content=query.content,
    )
    return canonical, names, descriptions


def _section_lang(section: Section, lang: str, default_lang: str) -> str:
    for wanted in (lang, default_lang):
        if wanted in section.names:
            return wanted
    return min(section.names)  # jsonb keeps no key order: never depend on it


# Rendering ---------------------------------------------------------------------------------


def render(feed: Feed) -> bytes:
    """The feed's bytes in its format (UTF-8)."""
    if feed.kind == "rss":
        return rss(feed)
    if feed.kind == "atom":
        return atom(feed)
    if feed.kind == "json":
        return json_feed(feed)
    raise ValueError(f"unknown feed format {feed.kind!r}")


def rss(feed: Feed) -> bytes:
    root = etree.Element(
        "rss",
        nsmap={"atom": ATOM, "content": CONTENT, "dc": DC, "media": MEDIA},
        version="2.0",
    )
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.site.url)
    _sub(channel, "description", feed.description)
    _sub(channel, "language", feed.lang)
    _sub(channel, "copyright", feed.site.copyright)
    updated = feed.updated
    if updated is not None:
        _sub(channel, "lastBuildDate", _rfc822(updated))
    _sub(channel, "generator", f"Khabar {__version__}")
    _sub(channel, f"{{{ATOM}}}link", rel="self", type="application/rss+xml", href=feed.self_url)
    for hub in feed.hubs:
        _sub(channel, f"{{{ATOM}}}link", rel="hub", href=hub)
    if feed.site.logo_url:
        image = _sub(channel, "image")
        _sub(image, "url", feed.site.logo_url)
        _sub(image, "title", feed.title)
        _sub(image, "link", feed.site.url)
    for article in feed.items:
        item = _sub(channel, "item")
        _sub(item, "title", article.headline)
        _sub(item, "link", article.public_url)
        _sub(item, "guid", _item_id(feed.site, article), isPermaLink="false")
        if article.published_at is not None:
            _sub(item, "pubDate", _rfc822(article.published_at))
        if article.summary:
            _sub(item, "description", article.summary)
        if feed.full_content:
            _sub(item, f"{{{CONTENT}}}encoded", _cdata(_html(article)))
        for author in article.authors:
            _sub(item, f"{{{DC}}}creator", author.name)
        for name in _categories(article):
            _sub(item, "category", name)
        if article.hero is not None:
            _media_rss(item, article.hero)
    return _xml(root)


def _media_rss(item: etree._Element, hero: ImageRead) -> None:
    width, height, kind = _src_size(hero)
    content = _sub(
        item,
        f"{{{MEDIA}}}content",
        url=hero.src,
        medium="image",
        type=kind,
        width=str(width),
        height=str(height),
    )
    description = hero.caption or hero.alt
    if description:
        _sub(content, f"{{{MEDIA}}}description", description, type="plain")
    if hero.credit:
        _sub(content, f"{{{MEDIA}}}credit", hero.credit)
    url, width, height = _thumbnail(hero)
    _sub(item, f"{{{MEDIA}}}thumbnail", url=url, width=str(width), height=str(height))


def atom(feed: Feed) -> bytes:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set(XML_LANG, feed.lang)
    _sub(root, f"{{{ATOM}}}id", feed.topic_url)
    _sub(root, f"{{{ATOM}}}title", feed.title)
    if feed.description != feed.title:
        _sub(root, f"{{{ATOM}}}subtitle", feed.description)
    _sub(root, f"{{{ATOM}}}updated", _rfc3339(feed.updated or EPOCH))
    _sub(root, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=feed.self_url)
    _sub(root, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=feed.site.url)
    for hub in feed.hubs:
        _sub(root, f"{{{ATOM}}}link", rel="hub", href=hub)
    author = _sub(root, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", feed.site.name(feed.lang))
    _sub(author, f"{{{ATOM}}}uri", feed.site.url)
    _sub(root, f"{{{ATOM}}}rights", feed.site.copyright)
    _sub(root, f"{{{ATOM}}}generator", "Khabar", version=__version__)
    if feed.site.logo_url:
        _sub(root, f"{{{ATOM}}}logo", feed.site.logo_url)
    for article in feed.items:
        entry = _sub(root, f"{{{ATOM}}}entry")
        if article.lang != feed.lang:
            entry.set(XML_LANG, article.lang)
        _sub(entry, f"{{{ATOM}}}id", _item_id(feed.site, article))
        _sub(entry, f"{{{ATOM}}}title", article.headline)
        _sub(entry, f"{{{ATOM}}}updated", _rfc3339(_updated(article)))
        if article.published_at is not None:
            _sub(entry, f"{{{ATOM}}}published", _rfc3339(article.published_at))
        _sub(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=article.public_url)
        if article.hero is not None:
            _, _, kind = _src_size(article.hero)
            link = _sub(entry, f"{{{ATOM}}}link", rel="enclosure", type=kind, href=article.hero.src)
            if article.hero.caption:
                link.set("title", _clean(article.hero.caption))
        for byline in article.authors:
            _sub(_sub(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", byline.name)
        for name in _categories(article):
            _sub(entry, f"{{{ATOM}}}category", term=name)
        if article.summary:
            _sub(entry, f"{{{ATOM}}}summary", article.summary, type="text")
        if feed.full_content:
            _sub(entry, f"{{{ATOM}}}content", _cdata(_html(article)), type="html")
    return _xml(root)


def json_feed(feed: Feed) -> bytes:
    site = feed.site
    document: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": site.url,
        "feed_url": feed.self_url,
        "description": feed.description,
        "language": feed.lang,
        "authors": [{"name": site.name(feed.lang), "url": site.url}],
    }
    if site.logo_url:
        document["icon"] = site.logo_url
    if feed.hubs:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in feed.hubs]
    items: list[dict[str, object]] = []
    for article in feed.items:
        item: dict[str, object] = {
            "id": _item_id(site, article),
            "url": article.public_url,
            "title": article.headline,
        }
        if feed.full_content:
            item["content_html"] = _html(article)
        else:
            item["content_text"] = article.summary or article.headline
        if article.summary:
            item["summary"] = article.summary
        if article.hero is not None:
            item["image"] = article.hero.src
        if article.published_at is not None:
            item["date_published"] = _rfc3339(article.published_at)
        item["date_modified"] = _rfc3339(_updated(article))
        item["authors"] = [{"name": byline.name} for byline in article.authors]
        item["tags"] = _categories(article)
        item["language"] = article.lang
        items.append(item)
    document["items"] = items
    return orjson.dumps(document)


# Pieces ------------------------------------------------------------------------------------


def _sub(
    parent: etree._Element, tag: str, text: str | etree.CDATA | None = None, **attrs: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, {name: _clean(v) for name, v in attrs.items()})
    if text is not None:
        element.text = _clean(text) if isinstance(text, str) else text  # type: ignore[assignment]
    return element


def _xml(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _clean(text: str) -> str:
    """Without the characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return INVALID_CHARACTERS.sub("", text)


def _html(article: FeedItem) -> str:
    """The body, inside an element that carries its language and direction (feed readers lay
    it out in the reader's own direction otherwise)."""
    return f'<div lang="{article.lang}" dir="{article.dir}">{article.body_html}</div>'


def _cdata(html: str) -> str | etree.CDATA:
    """HTML for an XML element: a CDATA section (readable, Arabic as is), unless the HTML holds
    the one sequence a CDATA section cannot, when it is escaped text instead."""
    html = _clean(html)
    return html if "]]>" in html else etree.CDATA(html)


def _item_id(site: Site, article: FeedItem) -> str:
    """A tag: URI (RFC 4151) that stays the same when the slug, section or URL layout changes:
    the site's host, the day the article was first published, its id."""
    host = urlsplit(site.url).hostname or "localhost"
    when = article.first_published_at or article.published_at or article.created_at
    return f"tag:{host},{when:%Y-%m-%d}:{article.id}"


def _updated(article: FeedItem) -> datetime:
    # A scheduled article's publication time may come after its last edit.
    return max(article.updated_at, article.published_at or article.updated_at)


def _categories(article: FeedItem) -> list[str]:
    sections = [article.section, *article.sections] if article.section else article.sections
    names = [s.name for s in sections] + [t.name for t in article.tags]
    return list(dict.fromkeys(names))


def _src_size(image: ImageRead) -> tuple[int, int, str]:
    """Width, height and media type of the image's ``src`` rendition (the item records those
    of the original)."""
    params = dict(parse_qsl(urlsplit(image.src).query))
    width = min(int(params.get("w", image.width)), image.width)
    return width, _height(image, width), _IMAGE_TYPES.get(params.get("fmt", ""), "image/jpeg")


def _thumbnail(image: ImageRead) -> tuple[str, int, int]:
    """The rendition nearest ``THUMBNAIL_WIDTH`` among the widths ``srcset`` offers, in the
    format of ``src`` (a JPEG, which every reader shows; srcset is WebP)."""
    widths = [int(m.group(1)) for m in map(_SRCSET_WIDTH.search, image.srcset.split(",")) if m]
    width = min(widths or [image.width], key=lambda w: (abs(w - THUMBNAIL_WIDTH), w))
    url = _SRC_WIDTH.sub(lambda m: f"{m.group(1)}w={width}", image.src, count=1)
    return url, width, _height(image, width)


def _height(image: ImageRead, width: int) -> int:
    return max(1, round(image.height * width / image.width))


def _rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
