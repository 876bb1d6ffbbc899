"""Sitemaps (sitemaps.org) and the Google News sitemap: which published articles, in what
order, and their XML.

Article files hold ``per_file`` URLs each, in internal id order, so an older file keeps its
content as new articles are published (only a removal shifts the files after it). File ``n``
never pages with ``OFFSET`` over whole rows: its ids are picked from the published ids alone
(``ORDER BY id LIMIT per_file OFFSET (n-1)*per_file``), which the status/published_at index
covers, so no article row is read to skip the files before it; then only its own rows are
read, by primary key. A file costs one sort of the published ids plus its own rows, whatever
its number. Only the columns a URL needs are selected.

The index's ``lastmod`` (the newest ``updated_at`` of each file) needs ``updated_at`` of every
published article, which no index holds: it reads them all, once per index request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import Session

from app.models import Article, Section
from app.models.base import UTCDateTime, utcnow
from app.services.articles import published
from app.services.site import Site
from app.text.reading import INVALID_CHARACTERS

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# Google News reads articles published in the last two days, at most 1,000 a sitemap.
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000
# Far beyond any real file number (2**31 articles); keeps a silly ``n`` from overflowing the
# OFFSET parameter, an SQL INTEGER.
_MAX_SKIP = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Entry:
    """An article as a sitemap lists it."""

    public_id: str
    slug: str
    lang: str
    section: str | None
    published_at: datetime | None
    updated_at: datetime

    def url(self, site: Site) -> str:
        return site.article_url(
            public_id=self.public_id,
            slug=self.slug,
            lang=self.lang,
            section=self.section,
            published_at=self.published_at,
        )


@dataclass(frozen=True, slots=True)
class NewsEntry(Entry):
    headline: str


_NOW = bindparam("now", type_=UTCDateTime())
_PER_FILE = bindparam("per_file", type_=Integer())
_SKIP = bindparam("skip", type_=Integer())
_URL_COLUMNS = (
    Article.public_id,
    Article.slug,
    Article.lang,
    Section.slug,
    Article.published_at,
    Article.updated_at,
)
# The newest updated_at of each file: rows numbered in id order, grouped by file. op("/") is
# integer division on both backends (SQLAlchemy's // would add FLOOR() and a float).
_NUMBERED = (
    select(
        Article.updated_at,
        (func.row_number().over(order_by=Article.id) - 1)
        .self_group()
        .op("/")(_PER_FILE)
        .label("file"),
    )
    .where(published(_NOW))
    .subquery()
)
_FILES = (
    select(_NUMBERED.c.file, func.max(_NUMBERED.c.updated_at))
    .group_by(_NUMBERED.c.file)
    .order_by(_NUMBERED.c.file)
)
# A file's ids come from the published ids alone, read from the status/published_at index
# without touching a row. MATERIALIZED keeps it that way: with table statistics (ANALYZE),
# SQLite would rather walk the table in id order to skip the sort, reading every row before
# the file, which makes the last file the slowest.
_PUBLISHED_IDS = (
    select(Article.id).where(published(_NOW)).cte("published_ids").prefix_with("MATERIALIZED")
)
_FILE_IDS = (
    select(_PUBLISHED_IDS.c.id)
    .order_by(_PUBLISHED_IDS.c.id)
    .limit(_PER_FILE)
    .offset(_SKIP)
    .subquery()
)
_FILE = (
    select(*_URL_COLUMNS)
    .select_from(_FILE_IDS)
    .join(Article, Article.id == _FILE_IDS.c.id)
    .outerjoin(Section, Section.id == Article.primary_section_id)
    .order_by(_FILE_IDS.c.id)
)
_NEWS = (
    select(*_URL_COLUMNS, Article.headline)
    .outerjoin(Section, Section.id == Article.primary_section_id)
    .where(published(_NOW), Article.published_at >= bindparam("since", type_=UTCDateTime()))
    .order_by(Article.published_at.desc(), Article.id.desc())
    .limit(NEWS_LIMIT)
)


def article_files(session: Session, *, per_file: int) -> list[datetime | None]:
    """The newest ``updated_at`` of each article file, file 1 first. There is always at least
    one file: with nothing published, one empty file (``None``)."""
    rows = session.execute(_FILES, {"now": utcnow(), "per_file": per_file}).all()
    return [lastmod for _file, lastmod in rows] or [None]


def article_file(session: Session, *, number: int, per_file: int) -> list[Entry] | None:
    """The articles of file ``number`` (from 1), or None when there is no such file (file 1
    always exists, if only empty)."""
    skip = (number - 1) * per_file
    if number < 1 or skip > _MAX_SKIP:
        return None
    rows = session.execute(_FILE, {"now": utcnow(), "per_file": per_file, "skip": skip}).all()
    if not rows and number > 1:
        return None
    return [Entry(*row) for row in rows]


def news(session: Session, *, now: datetime | None = None) -> list[NewsEntry]:
    """Articles published in the last 48 hours, newest first, at most 1,000."""
    now = now or utcnow()
    rows = session.execute(_NEWS, {"now": now, "since": now - NEWS_WINDOW})
    return [NewsEntry(*row) for row in rows]


# XML --------------------------------------------------------------------------------------


def w3c(when: datetime) -> str:
    """W3C datetime (a profile of ISO 8601), to the second, in UTC."""
    return when.isoformat(timespec="seconds")


def _clean(text: str) -> str:
    """Text libxml2 accepts: a control character pasted into a headline would make it refuse
    the whole document."""
    return INVALID_CHARACTERS.sub("", text)


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def index_xml(files: Iterable[tuple[str, datetime | None]]) -> bytes:
    """A sitemap index of (URL, lastmod) pairs."""
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for loc, lastmod in files:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = loc
        if lastmod is not None:
            etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = w3c(lastmod)
    return _document(root)


def urlset_xml(site: Site, entries: Iterable[Entry]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for entry in entries:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = entry.url(site)
        etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = w3c(entry.updated_at)
    return _document(root)


def news_language(lang: str) -> str:
    """Google News wants an ISO 639 code; of a regional tag only Chinese keeps its region."""
    lang = lang.lower()
    return lang if lang in ("zh-cn", "zh-tw") else lang.split("-")[0]


def news_xml(site: Site, entries: Iterable[NewsEntry]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    for entry in entries:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = entry.url(site)
        news = etree.SubElement(item, f"{{{NEWS_NS}}}news")
        publication = etree.SubElement(news, f"{{{NEWS_NS}}}publication")
        etree.SubElement(publication, f"{{{NEWS_NS}}}name").text = _clean(site.name(entry.lang))
        etree.SubElement(publication, f"{{{NEWS_NS}}}language").text = news_language(entry.lang)
        if entry.published_at is not None:  # always set on a published article
            etree.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = w3c(entry.published_at)
        etree.SubElement(news, f"{{{NEWS_NS}}}title").text = _clean(entry.headline)
    return _document(root)
