"""Articles: reading what is public, and writing what editors send.

Every public read goes through ``published()``; nothing public bypasses it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, defer
from sqlalchemy.sql.elements import BindParameter

from app.config import Settings
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    field_error,
)
from app.models import (
    ApiKey,
    Article,
    ArticleAuthor,
    ArticleMedia,
    ArticleRelated,
    ArticleSection,
    ArticleSlug,
    ArticleTag,
    Author,
    Media,
    ReadyArticle,
    ReadyCard,
    Section,
    SectionPin,
    Tag,
)
from app.models.base import JSONValue, UTCDateTime, utcnow
from app.services import audit as audit_service
from app.services import events as event_service
from app.services import ready
from app.services import revisions as revision_service
from app.services import search_index as search_service
from app.services import sections as section_service
from app.services.pagination import decode_cursor, encode_cursor
from app.services.slugs import checked_slug
from app.text import html as body_text
from app.text.reading import count_words, reading_time_minutes
from app.text.slugs import normalise_slug, slugify, unique_slug

Q = TypeVar("Q", bound=Select)  # type: ignore[type-arg]
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


def new_public_id() -> str:
    """16 random base32 characters (80 bits): opaque, unguessable, URL-safe."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def published(now: ColumnElement[datetime] | datetime | None = None) -> ColumnElement[bool]:
    """The one rule for what the public may see (``now`` may be a bound parameter)."""
    return and_(
        Article.status == "published",
        Article.published_at <= (now if now is not None else utcnow()),
    )


def embargoed() -> ColumnElement[bool]:
    """Scheduled articles shared ahead with partners granted the embargo scope."""
    return and_(Article.status == "scheduled", Article.embargo.is_(True))


# Reading -----------------------------------------------------------------------------------
#
# Reads run a few statements built once at import, with bound parameters: building a select()
# per request cost more than running it (SQLAlchemy's cache key for a new statement object is
# computed each time; a prebuilt one is memoised). An article page is two queries: the row, and
# one UNION ALL of everything it links to; a third fetches related articles and translations
# when it has any.


@dataclass(frozen=True, slots=True)
class Byline:
    slug: str
    name: str
    lang: str
    avatar_id: int | None = None


@dataclass(frozen=True, slots=True)
class SectionLink:
    slug: str
    names: dict[str, str]


@dataclass(frozen=True, slots=True)
class TagLink:
    slug: str
    name: str
    type: str
    lang: str


@dataclass(frozen=True, slots=True)
class Linked:
    """Another article, as much as a link to it needs."""

    public_id: str
    slug: str
    headline: str
    lang: str


@dataclass
class Card:
    """What a list shows of an article: the row (without its body), section and bylines."""

    article: Article
    section: SectionLink | None
    authors: list[Byline]
    hero: Media | None


@dataclass
class Full(Card):
    """Everything an article page shows."""

    sections: list[SectionLink]
    tags: list[TagLink]
    related: list[Linked]
    translations: list[Linked]
    media: dict[int, Media]
    """The hero, the body's images and the authors' avatars, by internal id."""

    def image(self, public_id: str) -> Media | None:
        return next((m for m in self.media.values() if m.public_id == public_id), None)


_NOW = bindparam("now", type_=UTCDateTime())
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_ARTICLE_ID = bindparam("article_id", type_=Integer())
_N = bindparam("n", type_=Integer())  # rows of a page: its length and one
_AFTER_WHEN = bindparam("after_when", type_=UTCDateTime())  # the key a page starts after
_AFTER_ID = bindparam("after_id", type_=Integer())
_SECTIONS: BindParameter[Any] = bindparam("sections", expanding=True, type_=Integer())
_WITHOUT_BODY = (
    defer(Article.body, raiseload=True),
    defer(Article.body_html, raiseload=True),
)
_BY_PUBLIC_ID = select(Article).where(Article.public_id == bindparam("public_id"))
_BY_PUBLIC_ID_PUBLIC = _BY_PUBLIC_ID.where(published(_NOW))
_BY_PUBLIC_ID_EMBARGO = _BY_PUBLIC_ID.where(or_(published(_NOW), embargoed()))
_BY_PUBLIC_ID_FOR_UPDATE = _BY_PUBLIC_ID.with_for_update()


def _no(type_: Any) -> Any:
    return cast(null(), type_)


def _link_branches(of: Callable[[Any], ColumnElement[bool]]) -> list[Select[Any]]:
    """One SELECT per kind of link of the articles ``of`` picks (by their article_id column),
    all of the same columns: kind, article id, position, slug, name, lang, type, names, target
    (an author's avatar media id, or a related article's id)."""
    return [
        select(
            literal("section"),
            ArticleSection.article_id,
            ArticleSection.position,
            Section.slug,
            _no(String()),
            _no(String()),
            _no(String()),
            Section.names,
            _no(Integer()),
        )
        .join(Section, Section.id == ArticleSection.section_id)
        .where(of(ArticleSection.article_id)),
        select(
            literal("author"),
            ArticleAuthor.article_id,
            ArticleAuthor.position,
            Author.slug,
            Author.name,
            Author.lang,
            _no(String()),
            _no(JSONValue),
            Author.avatar_media_id,
        )
        .join(Author, Author.id == ArticleAuthor.author_id)
        .where(of(ArticleAuthor.article_id)),
        select(
            literal("tag"),
            ArticleTag.article_id,
            ArticleTag.position,
            Tag.slug,
            Tag.name,
            Tag.lang,
            Tag.type,
            _no(JSONValue),
            _no(Integer()),
        )
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(of(ArticleTag.article_id)),
        select(
            literal("related"),
            ArticleRelated.article_id,
            ArticleRelated.position,
            _no(String()),
            _no(String()),
            _no(String()),
            _no(String()),
            _no(JSONValue),
            ArticleRelated.related_id,
        ).where(of(ArticleRelated.article_id)),
    ]


# One article's links, plus its primary section (position -1) and its translations.
_LINKS = union_all(
    select(
        literal("primary"),
        _no(Integer()),
        literal(-1),
        Section.slug,
        _no(String()),
        _no(String()),
        _no(String()),
        Section.names,
        _no(Integer()),
    ).where(Section.id == bindparam("section_id", type_=Integer())),
    *_link_branches(lambda article_id: article_id == _ARTICLE_ID),
    # ``= NULL`` matches nothing, so an article without a group has no translations.
    select(
        literal("translation"),
        _no(Integer()),
        literal(0),
        _no(String()),
        _no(String()),
        _no(String()),
        _no(String()),
        _no(JSONValue),
        Article.id,
    ).where(
        Article.translation_group == bindparam("group", type_=String()),
        Article.id != _ARTICLE_ID,
    ),
)
# The same links of many articles at once (feeds, syndication).
_MANY_LINKS = union_all(*_link_branches(lambda article_id: article_id.in_(_IDS)))


@dataclass
class _Links:
    """An article's link rows by kind, in position order."""

    rows: dict[str, list[Any]]

    @classmethod
    def group(cls, rows: Iterable[Any]) -> dict[int | None, _Links]:
        """Rows of one or many articles, by article id."""
        out: dict[int | None, _Links] = {}
        for row in sorted(rows, key=lambda r: (r[0], r[2])):
            out.setdefault(row[1], cls({})).rows.setdefault(row[0], []).append(row)
        return out

    def of(self, kind: str) -> list[Any]:
        return self.rows.get(kind, [])

    def sections(self) -> list[SectionLink]:
        return [SectionLink(r[3], r[7]) for r in self.of("section")]

    def authors(self) -> list[Byline]:
        return [Byline(r[3], r[4], r[5], r[8]) for r in self.of("author")]

    def tags(self) -> list[TagLink]:
        return [TagLink(r[3], r[4], r[6], r[5]) for r in self.of("tag")]

    def related_ids(self) -> list[int]:
        return [r[8] for r in self.of("related")]


# Linked articles by primary key, then the visibility rule: joined through the link tables with
# ``published()`` in one WHERE, the SQLite planner may walk every published article instead.
_LINKED = select(Article.id, Article.public_id, Article.slug, Article.headline, Article.lang).where(
    Article.id.in_(_IDS)
)
_LINKED_PUBLIC = _LINKED.where(published(_NOW))
_CARDS = (
    select(Article, Section.slug, Section.names, Media)
    .outerjoin(Section, Section.id == Article.primary_section_id)
    .outerjoin(Media, Media.id == Article.hero_media_id)
    .where(Article.id.in_(_IDS))
    .options(*_WITHOUT_BODY)
)
_CARDS_PUBLIC = _CARDS.where(published(_NOW))
_BYLINES = (
    select(ArticleAuthor.article_id, Author.slug, Author.name, Author.lang)
    .join(Author, Author.id == ArticleAuthor.author_id)
    .where(ArticleAuthor.article_id.in_(_IDS))
    .order_by(ArticleAuthor.article_id, ArticleAuthor.position)
)


@dataclass
class ArticleFilters:
    section: str | None = None
    tag: str | None = None
    author: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None  # None = public: published only
    embargo_only: bool = False  # with status "scheduled": the embargoed ones only


def list_articles(
    session: Session, *, filters: ArticleFilters, cursor: str | None, limit: int
) -> tuple[list[Card], str | None]:
    """A page of articles (see ``list_ids``) and the cursor of the next page."""
    ids, next_cursor = list_ids(session, filters=filters, cursor=cursor, limit=limit)
    return cards_by_ids(session, ids), next_cursor


def list_ids(
    session: Session,
    *,
    filters: ArticleFilters,
    cursor: str | None,
    limit: int,
    subtree: list[int] | None = None,
) -> tuple[list[int], str | None]:
    """The internal ids of a page of articles, newest first, and the cursor of the next page
    (None at the end).

    The public list is ordered by ``published_at``; a management list that asks for drafts is
    ordered by ``created_at``, which never changes, so its pages stay stable too.
    """
    public = filters.status is None
    by_published = public or filters.status == "published"
    order_column = Article.published_at if by_published else Article.created_at
    order = "published" if by_published else "created"
    after, now = _after(cursor, order)
    sections = subtree  # the section filter's, when the caller has read the sections already
    if filters.section is not None and sections is None:
        sections = section_service.subtree_ids_by_slug(session, slug=filters.section)
        if sections is None:
            raise NotFound(f"No section has the slug «{filters.section}».")
    params: dict[str, Any] = {}
    if sections is None or len(sections) > MAX_SECTION_ARMS:
        query = filter_articles(session, select(Article.id, order_column), filters, now=now)
        query = _page_of(query, order_column, after, limit + 1)
    elif filters == ArticleFilters(section=filters.section):  # a public section's page
        query = _public_section_page(len(sections), after is not None)
        params = {f"section_{n}": section for n, section in enumerate(sections)}
        params |= {"sections": sections, "now": now, "n": limit + 1}
        if after is not None:
            params |= {"after_when": after[0], "after_id": after[1]}
    else:
        rest = filter_articles(
            session, select(Article.id, order_column), replace(filters, section=None), now=now
        )
        query = _section_page(rest, sections, order_column, after, limit + 1)
    keys = session.execute(query, params).all()
    return [row[0] for row in keys[:limit]], _next_cursor(keys, limit, order)


# Sections in a subtree up to which a section's page is merged from a page per section.
MAX_SECTION_ARMS = 64


def _page_of(query: Q, order_column: Any, after: tuple[Any, Any] | None, n: Any) -> Q:
    """``query`` (of id and order value) from after the cursor's key, newest first: ``n`` rows
    (a page and one more)."""
    if after is not None:
        query = query.where(tuple_(order_column, Article.id) < tuple_(*after))
    return query.order_by(order_column.desc(), Article.id.desc()).limit(n)


def _section_page(
    rest: Select[int, Any],
    sections: Sequence[Any],
    order_column: Any,
    after: tuple[Any, Any] | None,
    n: Any,
) -> Select[int, Any]:
    """The page of the articles in these sections (a section and its sub-sections; ids or
    bound parameters) that pass ``rest``'s other filters, in one statement: the page of each
    section's own articles (an index range each, on primary section, status and date) and the
    page of those filed there as an extra section, merged.

    With "primary section in the subtree or an extra section in it" as a filter on the list's
    range instead, the planner walks the newest articles of every section, checking each, until
    the page is full: 4-8 ms for a section with a 38th of 100,000 articles, longer the rarer the
    section. This is 25 µs."""
    arms = [
        _page_of(rest.where(Article.primary_section_id == s), order_column, after, n)
        for s in sections
    ]
    # Those filed there as an extra section, found from the section's side: their order value
    # by primary key, with the other filters (joined instead, the planner may walk every
    # published article to find the few).
    every: Any = _SECTIONS if isinstance(sections[0], BindParameter) else sections
    first = aliased(ArticleSection)
    filed = (
        select(ArticleSection.article_id)
        .where(
            ArticleSection.section_id.in_(every),
            ~exists().where(  # one row for an article filed in two of them
                first.article_id == ArticleSection.article_id,
                first.section_id.in_(every),
                first.section_id < ArticleSection.section_id,
            ),
        )
        .subquery()
    )
    elsewhere = or_(Article.primary_section_id.is_(None), Article.primary_section_id.not_in(every))
    key = (
        rest.with_only_columns(order_column)
        .where(Article.id == filed.c.article_id, elsewhere)
        .scalar_subquery()
    )
    extra = select(filed.c.article_id, key.label("key")).where(key.is_not(None))
    if after is not None:
        extra = extra.where(tuple_(key, filed.c.article_id) < tuple_(*after))
    arms.append(extra.order_by(key.desc(), filed.c.article_id.desc()).limit(n))
    merged = union_all(*(select(*arm.subquery().c) for arm in arms)).subquery()
    key_id, key_order = merged.c
    return select(key_id, key_order).order_by(key_order.desc(), key_id.desc()).limit(n)


@cache
def _public_section_page(sections: int, after: bool) -> Select[int, Any]:
    """``_section_page`` of the public list with no other filter, built once per number of
    sections: parameters ``section_0``…, ``sections``, ``now``, ``n`` and, after a cursor,
    ``after_when`` and ``after_id``. (Building the statement costs more than running it.)"""
    return _section_page(
        select(Article.id, Article.published_at).where(published(_NOW)),
        [bindparam(f"section_{i}", type_=Integer()) for i in range(sections)],
        Article.published_at,
        (_AFTER_WHEN, _AFTER_ID) if after else None,
        _N,
    )


def _after(cursor: str | None, order: str) -> tuple[tuple[datetime, int] | None, datetime]:
    """The key a page starts after, and the "now" of the visibility rule for it."""
    now = utcnow()
    if cursor is None:
        return None, now
    after: tuple[datetime, int] = decode_cursor(cursor, order, datetime, int)
    if order == "published":
        # One upper bound for the index range: with both "<= now" and the cursor, SQLite
        # ranges over "<= now" and walks every newer row, so deep pages got slower.
        now = min(now, after[0])
    return after, now


def _next_cursor(rows: Sequence[Any], limit: int, order: str) -> str | None:
    """From ``limit + 1`` rows of (id, order value, ...): the cursor after the page's last."""
    if len(rows) <= limit:
        return None
    last_id, last_when = rows[limit - 1][:2]
    return encode_cursor(order, last_when, last_id)


# The public list without filters, with each article's ready-made card where there is one.
_WITH_CARDS = (
    select(Article.id, Article.published_at, ReadyCard.body)
    .outerjoin(
        ReadyCard,
        and_(ReadyCard.article_id == Article.id, ReadyCard.format == bindparam("format")),
    )
    .where(published(_NOW))
)
_READY_LIST = _page_of(_WITH_CARDS, Article.published_at, None, _N)
_READY_LIST_AFTER = _page_of(_WITH_CARDS, Article.published_at, (_AFTER_WHEN, _AFTER_ID), _N)


def find_ready_list(
    settings: Settings, *, cursor: str | None, limit: int
) -> ready.Lookup[tuple[list[int], dict[int, bytes], str | None] | None]:
    """``list_ids`` of the public list without filters, with the ready-made card of each
    article, in one statement: None when a card is missing (the route builds it). Raises
    BadRequest for a bad cursor, as ``list_ids``."""
    after, now = _after(cursor, "published")
    params: dict[str, Any] = {"format": ready.format_of(settings), "n": limit + 1, "now": now}
    statement = _READY_LIST
    if after is not None:
        params |= {"after_when": after[0], "after_id": after[1]}
        statement = _READY_LIST_AFTER
    rows = yield statement, params
    page = rows[:limit]
    if any(card is None for _, _, card in page):
        return None
    cards = {article_id: card for article_id, _, card in page}
    return list(cards), cards, _next_cursor(rows, limit, "published")


# By slug, in two steps as in get_article_by_slug: the ids with the slug (its index), then each
# one if published, with its ready-made page where there is one (by primary key). In one WHERE,
# SQLite without statistics walks the published articles newest first instead.
_IDS_BY_SLUG = select(Article.id).where(Article.slug == bindparam("slug"))
_READY_IF_PUBLISHED = (
    select(
        Article.lang,
        ReadyArticle.body,
        ReadyArticle.etag,
        ReadyArticle.last_modified,
        ReadyArticle.surrogate_keys,
    )
    .outerjoin(
        ReadyArticle,
        and_(ReadyArticle.article_id == Article.id, ReadyArticle.format == bindparam("format")),
    )
    .where(Article.id == bindparam("id", type_=Integer()), published(_NOW))
)


def find_ready_by_slug(settings: Settings, slug: str) -> ready.Lookup[ready.Page | None]:
    """The ready-made page that ``GET /v1/articles/slug/{slug}`` (without ``lang``) answers
    with; None when the answer is anything else (a redirect, a 404, a page not ready-made) or
    the choice is not plain (two languages share the slug, neither the site's): the route
    decides those."""
    if normalise_slug(slug) != slug:
        return None  # it redirects to the normal form, or finds nothing
    params = {"format": ready.format_of(settings), "now": utcnow()}
    rows = []
    for (article_id,) in (yield _IDS_BY_SLUG, {"slug": slug}):
        rows += yield _READY_IF_PUBLISHED, {**params, "id": article_id}
    default = [row for row in rows if row[0] == settings.default_language]
    chosen = default or rows
    if len(chosen) != 1 or chosen[0][1] is None:
        return None
    _, body, etag, last_modified, keys = chosen[0]
    return ready.Page(body, etag, last_modified, keys)


def cards_by_ids(session: Session, ids: list[int], *, public: bool = False) -> list[Card]:
    """Cards for these internal ids, in the order given (missing or, if public, unpublished
    ones skipped). Two queries whatever the number of ids."""
    if not ids:
        return []
    params = {"ids": ids, "now": utcnow()}
    rows = {
        article.id: (article, SectionLink(slug, names) if slug is not None else None, hero)
        for article, slug, names, hero in session.execute(
            _CARDS_PUBLIC if public else _CARDS, params
        )
    }
    bylines: dict[int, list[Byline]] = {}
    for article_id, slug, name, lang in session.execute(_BYLINES, {"ids": list(rows)}):
        bylines.setdefault(article_id, []).append(Byline(slug, name, lang))
    return [
        Card(article=rows[i][0], section=rows[i][1], authors=bylines.get(i, []), hero=rows[i][2])
        for i in ids
        if i in rows
    ]


def filter_articles(session: Session, query: Q, filters: ArticleFilters, *, now: datetime) -> Q:
    """``query`` (over Article) narrowed to what the filters and the visibility rule allow."""
    if filters.status is None:
        query = query.where(published(now))
    else:
        query = query.where(Article.status == filters.status)
        if filters.embargo_only:
            query = query.where(Article.embargo.is_(True))
        if filters.status == "published":
            query = query.where(Article.published_at.is_not(None))
    if filters.lang is not None:
        query = query.where(Article.lang == filters.lang)
    if filters.since is not None:
        query = query.where(Article.published_at >= filters.since)
    if filters.until is not None:
        query = query.where(Article.published_at < filters.until)
    if filters.section is not None:
        ids = section_service.subtree_ids_by_slug(session, slug=filters.section)
        if ids is None:
            raise NotFound(f"No section has the slug «{filters.section}».")
        query = query.where(
            or_(
                Article.primary_section_id.in_(ids),
                exists().where(
                    ArticleSection.article_id == Article.id, ArticleSection.section_id.in_(ids)
                ),
            )
        )
    if filters.tag is not None:
        tag_id = session.scalar(select(Tag.id).where(Tag.slug == normalise_slug(filters.tag)))
        if tag_id is None:
            raise NotFound(f"No tag has the slug «{filters.tag}».")
        query = query.where(
            exists().where(ArticleTag.article_id == Article.id, ArticleTag.tag_id == tag_id)
        )
    if filters.author is not None:
        author_id = session.scalar(
            select(Author.id).where(Author.slug == normalise_slug(filters.author))
        )
        if author_id is None:
            raise NotFound(f"No author has the slug «{filters.author}».")
        query = query.where(
            exists().where(
                ArticleAuthor.article_id == Article.id, ArticleAuthor.author_id == author_id
            )
        )
    return query


def get_article(
    session: Session, *, article_id: str, public: bool, embargo: bool = False
) -> Article | None:
    """The article row alone (for lookups); ``read_article`` for a page. With ``public``,
    only what the public may see, plus embargoed articles when ``embargo``."""
    if not public:
        statement = _BY_PUBLIC_ID
    else:
        statement = _BY_PUBLIC_ID_EMBARGO if embargo else _BY_PUBLIC_ID_PUBLIC
    return session.scalar(statement, {"public_id": article_id, "now": utcnow()})


def read_article(
    session: Session, *, article_id: str, public: bool, embargo: bool = False
) -> Full | None:
    article = get_article(session, article_id=article_id, public=public, embargo=embargo)
    return full(session, article, public=public) if article is not None else None


def full(session: Session, article: Article, *, public: bool) -> Full:
    """The article with every link a page shows; with ``public``, only published links."""
    params = {
        "article_id": article.id,
        "section_id": article.primary_section_id,
        "group": article.translation_group,
    }
    rows = list(session.execute(_LINKS, params))
    links = _Links.group(rows).get(article.id, _Links({}))
    primary = [r for r in rows if r[0] == "primary"]
    translation_ids = [r[8] for r in rows if r[0] == "translation"]
    linked_ids = links.related_ids() + translation_ids
    linked: dict[int, Linked] = {}
    if linked_ids:
        found = session.execute(
            _LINKED_PUBLIC if public else _LINKED, {"ids": linked_ids, "now": utcnow()}
        )
        linked = {row[0]: Linked(*row[1:]) for row in found}
    authors = links.authors()
    media = _media_of(session, article, authors)
    return Full(
        article=article,
        section=SectionLink(primary[0][3], primary[0][7]) if primary else None,
        authors=authors,
        hero=media.get(article.hero_media_id) if article.hero_media_id is not None else None,
        media=media,
        sections=links.sections(),
        tags=links.tags(),
        related=[linked[i] for i in links.related_ids() if i in linked],
        translations=sorted(
            (linked[i] for i in translation_ids if i in linked), key=lambda a: a.lang
        ),
    )


_SECTIONS_BY_ID = select(Section.id, Section.slug, Section.names).where(Section.id.in_(_IDS))
_GROUPS: BindParameter[list[str]] = bindparam("groups", expanding=True)
_TRANSLATIONS = select(Article.id, Article.translation_group).where(
    Article.translation_group.in_(_GROUPS)
)


def full_by_ids(session: Session, ids: list[int]) -> list[Full]:
    """The public pages of these articles, in the order given (those not public left out):
    the rows read with their bodies, then ``full_many``."""
    if not ids:
        return []
    query = select(Article).where(Article.id.in_(ids), published())
    rows = {a.id: a for a in session.scalars(query)}
    return full_many(session, [rows[i] for i in ids if i in rows], public=True)


def full_many(session: Session, articles: list[Article], *, public: bool) -> list[Full]:
    """``full()`` for many articles in a fixed number of queries (five or six, whatever
    their number), in the order given."""
    if not articles:
        return []
    ids = [a.id for a in articles]
    links = _Links.group(session.execute(_MANY_LINKS, {"ids": ids}))
    none = _Links({})
    section_ids = list({a.primary_section_id for a in articles if a.primary_section_id})
    primaries = {
        row[0]: SectionLink(row[1], row[2])
        for row in (session.execute(_SECTIONS_BY_ID, {"ids": section_ids}) if section_ids else [])
    }
    groups = list({a.translation_group for a in articles if a.translation_group})
    members: dict[str, list[int]] = {}
    for article_id, group in session.execute(_TRANSLATIONS, {"groups": groups}) if groups else []:
        members.setdefault(str(group), []).append(article_id)
    linked_ids = {i for own in links.values() for i in own.related_ids()}
    linked_ids |= {i for group in members.values() for i in group}
    linked: dict[int, Linked] = {}
    if linked_ids:
        rows = session.execute(
            _LINKED_PUBLIC if public else _LINKED, {"ids": list(linked_ids), "now": utcnow()}
        )
        linked = {row[0]: Linked(*row[1:]) for row in rows}
    bylines = {a.id: links.get(a.id, none).authors() for a in articles}
    media_ids = {a.hero_media_id for a in articles if a.hero_media_id is not None}
    media_ids |= {b.avatar_id for group in bylines.values() for b in group if b.avatar_id}
    public_ids = [i for a in articles for i in body_text.image_media_ids(a.body)]
    media: dict[int, Media] = {}
    if media_ids or public_ids:
        query = select(Media).where(or_(Media.id.in_(media_ids), Media.public_id.in_(public_ids)))
        media = {m.id: m for m in session.scalars(query)}
    pages = []
    for article in articles:
        own = links.get(article.id, none)
        wanted = set(body_text.image_media_ids(article.body))
        mine = {
            i: m
            for i, m in media.items()
            if i == article.hero_media_id
            or m.public_id in wanted
            or any(b.avatar_id == i for b in bylines[article.id])
        }
        translations = [
            linked[i]
            for i in members.get(article.translation_group or "", [])
            if i != article.id and i in linked
        ]
        pages.append(
            Full(
                article=article,
                section=primaries.get(article.primary_section_id or 0),
                authors=bylines[article.id],
                hero=media.get(article.hero_media_id) if article.hero_media_id else None,
                media=mine,
                sections=own.sections(),
                tags=own.tags(),
                related=[linked[i] for i in own.related_ids() if i in linked],
                translations=sorted(translations, key=lambda a: a.lang),
            )
        )
    return pages


def _media_of(session: Session, article: Article, authors: list[Byline]) -> dict[int, Media]:
    """The media an article page shows, in one query (none when it shows none)."""
    ids = [a.avatar_id for a in authors if a.avatar_id is not None]
    if article.hero_media_id is not None:
        ids.append(article.hero_media_id)
    public_ids = body_text.image_media_ids(article.body)
    if not ids and not public_ids:
        return {}
    query = select(Media).where(or_(Media.id.in_(ids), Media.public_id.in_(public_ids)))
    return {m.id: m for m in session.scalars(query)}


def section_front_ids(
    session: Session, *, section: Section, sections: list[Section], latest: int
) -> tuple[list[int], list[int]]:
    """A section's front as readers see it, as internal ids: its pinned articles in order, then
    the ``latest`` newest of the section and its sub-sections (among ``sections``, the whole
    tree) that are not pinned. Drafts never appear, not even for a key holder."""
    pins = select(SectionPin.article_id).where(SectionPin.section_id == section.id)
    pinned_ids = list(session.scalars(pins.order_by(SectionPin.position)))
    if pinned_ids:
        # By primary key: joined to the pins, the planner may walk every published article.
        public = select(Article.id).where(Article.id.in_(pinned_ids), published())
        visible = set(session.scalars(public))
        pinned_ids = [i for i in pinned_ids if i in visible]
    newest, _ = list_ids(
        session,
        filters=ArticleFilters(section=section.slug),
        cursor=None,
        limit=latest + len(pinned_ids),
        subtree=section_service.subtree_ids(sections, section.id),
    )
    shown = set(pinned_ids)
    return pinned_ids, [i for i in newest if i not in shown][:latest]


@dataclass
class SlugLookup:
    article: Article | None
    redirect_to: Article | None = None


def get_article_by_slug(
    session: Session,
    *,
    slug: str,
    lang: str | None,
    public: bool,
    default_lang: str,
    embargo: bool = False,
    body: bool = True,
) -> SlugLookup:
    """The article with this slug now, or the article that used to have it (to redirect to).

    Without ``lang`` any language matches, the site's default language first. Without
    ``body``, the article found has no body loaded (for a caller that needs its id).
    """
    wanted = normalise_slug(slug)
    candidates = {wanted, slugify(slug)} - {""}
    # Ids by slug first (the slug index), then the visibility rule by primary key: combined in
    # one WHERE, the planner may prefer the status index and walk every published article.
    ids = select(Article.id).where(Article.slug.in_(candidates))
    if lang is not None:
        ids = ids.where(Article.lang == lang)
    query = select(Article).where(Article.id.in_(list(session.scalars(ids))))
    if not body:
        query = query.options(*_WITHOUT_BODY)
    if public:
        query = query.where(or_(published(), embargoed()) if embargo else published())
    found = sorted(session.scalars(query), key=lambda a: (a.slug != wanted, a.lang != default_lang))
    if found:
        article = found[0]
        # A slug that only matched after normalising (diacritics, case) redirects too.
        return (
            SlugLookup(None, redirect_to=article) if article.slug != slug else SlugLookup(article)
        )
    old = select(ArticleSlug.article_id).where(ArticleSlug.slug.in_(candidates))
    if lang is not None:
        old = old.where(ArticleSlug.lang == lang)
    target_query = select(Article).where(Article.id.in_(list(session.scalars(old))))
    if public:
        target_query = target_query.where(published())
    target = session.scalars(target_query).first()
    return SlugLookup(None, redirect_to=target)


def count_articles(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0


# Writing -----------------------------------------------------------------------------------


def create_article(
    session: Session, *, data: dict[str, Any], key: ApiKey | None, default_lang: str
) -> Article:
    now = utcnow()
    lang = data.get("lang") or default_lang
    article = Article(
        public_id=new_public_id(),
        lang=lang,
        status="draft",
        headline=data["headline"].strip(),
        created_at=now,
        updated_at=now,
        version=1,
        created_by_key_id=key.id if key else None,
        updated_by_key_id=key.id if key else None,
        body=[],
        body_html="",
        embargo=False,
        corrections=[],
    )
    _apply_scalars(article, data)
    _apply_body(session, article, data)
    _apply_hero(session, article, data)
    article.slug = _slug_for(session, article, data.get("slug"))
    if data.get("status") == "published":
        _publish(article, now)
    # Every UPDATE of the row bumps its version, so whatever lives in the row itself is set
    # before the INSERT: a new article is at version 1.
    in_row: dict[str, Any] = {k: data[k] for k in ("section", "translation_of") if k in data}
    _apply_links(session, article, in_row)
    _insert(session, article, slug_was_generated=data.get("slug") is None)
    _apply_links(session, article, {k: v for k, v in data.items() if k not in in_row})
    _record_media(session, article)
    _saved(session, article, action="create", key=key)
    return article


def _insert(session: Session, article: Article, *, slug_was_generated: bool) -> None:
    """INSERT a new article. On PostgreSQL another writer may take the same generated slug
    between our check and our INSERT; the unique index stops it, and the article takes the next
    free slug instead of failing. (SQLite writers are serialised, so it cannot happen there.)"""
    for attempt in range(1, 6):
        try:
            with session.begin_nested():
                session.add(article)
                session.flush()
            return
        except IntegrityError as exc:
            if not slug_was_generated or attempt == 5 or "slug" not in str(exc.orig):
                raise
            article.slug = _slug_for(session, article, None)


def get_article_for_write(session: Session, *, article_id: str) -> Article | None:
    """The article row, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL; a
    SQLite write transaction holds the database lock from its start). Two writers of the same
    article queue here, so the second reads the first one's version and its stale ``If-Match``
    gets a clean 412."""
    return session.scalar(_BY_PUBLIC_ID_FOR_UPDATE, {"public_id": article_id})


def _begin(
    session: Session, article: Article, if_match: str | None, key: ApiKey | None, *, doing: str
) -> None:
    """The checks every write of an existing article starts with."""
    check_version(article, if_match, required=True)
    if key is not None and key.role == "writer":
        if article.created_by_key_id != key.id:
            raise Forbidden(f"Writers can {doing} only the drafts they created.")
        if article.status != "draft":
            raise Forbidden(f"Writers can {doing} drafts only; this article is {article.status}.")
    revision_service.ensure_baseline(session, article)


def _saved(
    session: Session,
    article: Article,
    *,
    action: str,
    key: ApiKey | None,
    detail: dict[str, Any] | None = None,
    restored_from: int | None = None,
    actor: str | None = None,
) -> None:
    """After a change: flush it (the version goes up by one), index it, and record it: its
    revision, its audit event, and its event in the outbox (app.services.events)."""
    session.flush()
    search_service.sync_article(session, article)
    revision, before = revision_service.record(
        session, article, action=action, key=key, restored_from=restored_from, actor=actor
    )
    audit_service.record(
        session,
        key=key,
        actor=actor,
        action=f"article.{action}",
        item_type="article",
        item_id=article.public_id,
        version=article.version,
        detail={"changed": revision.changed, **(detail or {})},
    )
    event_service.article_changed(session, article, action=action, before=before)


def update_article(
    session: Session,
    *,
    article: Article,
    changes: dict[str, Any],
    if_match: str | None,
    key: ApiKey | None,
    action: str = "update",
    restored_from: int | None = None,
) -> Article:
    _refuse_in_trash(article, "edit")
    _begin(session, article, if_match, key, doing="edit")
    # One UPDATE of the row per request, so that the version goes up by exactly one: no
    # autoflush halfway, and the row's own columns are all set before the link tables flush.
    with session.no_autoflush:
        if changes.get("headline") is not None:
            article.headline = changes["headline"].strip()
        _apply_scalars(article, changes)
        media_changed = "body" in changes or "body_html" in changes or "hero" in changes
        if "body" in changes or "body_html" in changes:
            _apply_body(session, article, changes)
        _apply_hero(session, article, changes)
        if "slug" in changes:
            new_slug = _slug_for(session, article, changes["slug"])
            if new_slug != article.slug:
                _remember_slug(session, article)
                article.slug = new_slug
        if changes.get("correction") is not None:
            _add_correction(article, changes["correction"])
        _touch(article, key)
        _apply_links(session, article, changes)
    session.flush()
    if media_changed:
        _record_media(session, article)
    _saved(session, article, action=action, key=key, restored_from=restored_from)
    return article


def _add_correction(article: Article, note: str) -> None:
    if article.first_published_at is None:
        raise ValidationFailed(
            "A correction is for a story that has been published; edit the draft instead.",
            errors=[field_error(["body", "correction"], "the article was never published")],
        )
    note = note.strip()
    article.corrections = [*(article.corrections or []), {"at": utcnow().isoformat(), "note": note}]


def restore_revision(
    session: Session, *, article: Article, version: int, if_match: str | None, key: ApiKey | None
) -> Article:
    """Write an old revision's content back as a new revision. Links to sections, authors,
    tags or articles deleted since are left out; the lifecycle (status, schedule, corrections)
    stays as it is now."""
    revision = revision_service.get_revision(session, article=article, version=version)
    if revision is None:
        raise NotFound(f"The article has no revision {version}.")
    content: dict[str, Any] = {
        name: revision.snapshot.get(name) for name in revision_service.CONTENT_FIELDS
    }
    content["sections"] = _existing(session, Section, content.get("sections") or [])
    content["authors"] = _existing(session, Author, content.get("authors") or [])
    content["tags"] = _existing(session, Tag, content.get("tags") or [])
    section = content.get("section")
    if section is not None and not _existing(session, Section, [section]):
        content["section"] = None
    related: list[str] = content.get("related") or []
    alive = set(session.scalars(select(Article.public_id).where(Article.public_id.in_(related))))
    content["related"] = [r for r in related if r in alive]
    hero = content.get("hero")
    if (
        hero is not None
        and session.scalar(select(Media.id).where(Media.public_id == hero["media"])) is None
    ):
        content["hero"] = None
    known = _existing_media(session, body_text.image_media_ids(content.get("body") or []))
    content["body"] = [
        block
        for block in content.get("body") or []
        if block.get("type") != "image" or block.get("media") in known
    ]
    return update_article(
        session,
        article=article,
        changes=content,
        if_match=if_match,
        key=key,
        action="revert",
        restored_from=version,
    )


def _existing_media(session: Session, public_ids: list[str]) -> set[str]:
    return set(session.scalars(select(Media.public_id).where(Media.public_id.in_(public_ids))))


def _existing(session: Session, model: Any, slugs: list[str]) -> list[str]:
    found = set(session.scalars(select(model.slug).where(model.slug.in_(slugs))))
    return [slug for slug in slugs if slug in found]


def _refuse_in_trash(article: Article, doing: str) -> None:
    if article.status == "trashed":
        raise Conflict(f"The article is in the trash: restore it before you {doing} it.")


def _leave_schedule(article: Article) -> None:
    article.scheduled_at = None
    article.embargo = False


# The state changes that share one shape: action → (the state it leads to, the verb refusals use).
MOVES = {
    "publish": ("published", "publish"),
    "unpublish": ("draft", "unpublish"),
    "archive": ("archived", "archive"),
    "trash": ("trashed", "delete"),
}


def move(
    session: Session, *, article: Article, action: str, if_match: str | None, key: ApiKey | None
) -> Article:
    """publish (now: a scheduled article too, ahead of its time), unpublish (back to draft),
    archive (off every public surface, kept and republishable) or trash (restorable until
    purged): the checks, then, unless the article is already there, the new state, the schedule
    dropped, and the change recorded."""
    to, doing = MOVES[action]
    if to != "trashed":
        _refuse_in_trash(article, doing)
    _begin(session, article, if_match, key, doing=doing)
    if article.status == to:
        return article
    if to == "published":
        _publish(article, utcnow())
    else:
        article.status = to
    if to == "trashed":
        article.trashed_at = utcnow()
    _leave_schedule(article)
    _touch(article, key)
    _saved(session, article, action=action, key=key)
    return article


def schedule_article(
    session: Session,
    *,
    article: Article,
    at: datetime,
    embargo: bool,
    if_match: str | None,
    key: ApiKey | None,
) -> Article:
    """Go live at ``at`` (the scheduler publishes it). With ``embargo``, partners granted the
    embargo scope may read it before then."""
    _refuse_in_trash(article, "schedule")
    _begin(session, article, if_match, key, doing="schedule")
    if article.status == "published":
        raise Conflict("The article is already published: unpublish it first to schedule it.")
    if at <= utcnow():
        raise ValidationFailed(
            "The time must be in the future; to publish now, use /publish.",
            errors=[field_error(["body", "at"], "not in the future")],
        )
    article.status = "scheduled"
    article.scheduled_at = at
    article.embargo = embargo
    _touch(article, key)
    _saved(session, article, action="schedule", key=key, detail={"at": at.isoformat()})
    return article


def unschedule_article(
    session: Session, *, article: Article, if_match: str | None, key: ApiKey | None
) -> Article:
    _begin(session, article, if_match, key, doing="unschedule")
    if article.status != "scheduled":
        raise Conflict(f"The article is not scheduled (it is {article.status}).")
    article.status = "draft"
    _leave_schedule(article)
    _touch(article, key)
    _saved(session, article, action="unschedule", key=key)
    return article


def restore_article(
    session: Session, *, article: Article, if_match: str | None, key: ApiKey | None
) -> Article:
    """Out of the trash, as a draft (an editor publishes it again when it is ready)."""
    check_version(article, if_match, required=True)
    if article.status != "trashed":
        raise Conflict(f"The article is not in the trash (it is {article.status}).")
    if (
        key is not None
        and key.role == "writer"
        and (article.created_by_key_id != key.id or article.first_published_at is not None)
    ):
        raise Forbidden(
            "Writers can restore only drafts they created that were never published; an editor "
            "restores the rest."
        )
    revision_service.ensure_baseline(session, article)
    article.status = "draft"
    article.trashed_at = None
    _touch(article, key)
    _saved(session, article, action="restore", key=key)
    return article


def purge_article(
    session: Session, *, article: Article, if_match: str | None, key: ApiKey | None
) -> None:
    """Delete for good, with its revisions (the audit log keeps the record of it)."""
    check_version(article, if_match, required=True)
    if article.status != "trashed":
        raise Conflict("Only an article in the trash can be purged: delete it first.")
    audit_service.record(
        session,
        key=key,
        action="article.purge",
        item_type="article",
        item_id=article.public_id,
        version=article.version,
        detail={"headline": article.headline, "slug": article.slug, "lang": article.lang},
    )
    search_service.unindex_article(session, article)
    event_service.article_purged(session, article)
    session.delete(article)
    session.flush()


def publish_due(session: Session, *, article: Article) -> bool:
    """The scheduler's step for one due article, in the caller's (write) transaction: publish
    it if it is still scheduled and due. False when someone else got there first."""
    if article.status != "scheduled" or article.scheduled_at is None:
        return False
    if article.scheduled_at > utcnow():
        return False
    revision_service.ensure_baseline(session, article)
    _publish(article, article.scheduled_at)
    _leave_schedule(article)
    article.updated_at = utcnow()
    article.updated_by_key_id = None
    _saved(
        session,
        article,
        action="publish",
        key=None,
        actor=audit_service.SCHEDULER,
        detail={"scheduled": True},
    )
    return True


class Versioned(Protocol):
    version: int


def check_version(
    resource: Versioned, if_match: str | None, *, required: bool, noun: str = "article"
) -> None:
    """Compare an ``If-Match`` header with the resource's version (see ``etag_version``)."""
    if if_match is None:
        if required:
            raise PreconditionRequired(
                f"Send If-Match with the {noun}'s ETag (or its version) so that two editors "
                "cannot overwrite each other.",
                current_version=resource.version,
            )
        return
    if if_match.strip() == "*":
        return
    versions = {etag_version(tag) for tag in if_match.split(",")}
    if resource.version not in versions:
        raise PreconditionFailed(
            f"The {noun} has changed since you read it: it is at version {resource.version}.",
            current_version=resource.version,
        )


def etag_version(tag: str) -> int | None:
    """The version in an ETag such as ``"v3-1a2b3c4d"``, ``W/"v3-…"``, ``"3"`` or ``3``."""
    value = tag.strip().removeprefix("W/").strip('"')
    if value.startswith("v"):
        value = value[1:].split("-", 1)[0]
    return int(value) if value.isdigit() else None


def _publish(article: Article, now: datetime) -> None:
    article.status = "published"
    if article.first_published_at is None:
        article.first_published_at = now
    if article.published_at is None:
        article.published_at = article.first_published_at


def _touch(article: Article, key: ApiKey | None) -> None:
    article.updated_at = utcnow()
    article.updated_by_key_id = key.id if key else None


_SCALARS = ("kicker", "subheadline", "summary", "source", "canonical_url")


def _apply_scalars(article: Article, data: dict[str, Any]) -> None:
    for name in _SCALARS:
        if name in data:
            value = data[name]
            setattr(article, name, value.strip() or None if isinstance(value, str) else value)
    if data.get("breaking") is not None:
        article.breaking = data["breaking"]
    if data.get("urgency") is not None:
        article.urgency = data["urgency"]


def _apply_body(session: Session, article: Article, data: dict[str, Any]) -> None:
    if data.get("body_html") is not None:
        blocks = body_text.html_to_blocks(data["body_html"])
        field = "body_html"
    else:
        blocks = body_text.sanitize_blocks(data.get("body") or [])
        field = "body"
    wanted = body_text.image_media_ids(blocks)
    if wanted:
        media = {
            m.public_id: m
            for m in session.scalars(select(Media).where(Media.public_id.in_(wanted)))
        }
        # Positions in the body as sent (sanitising may have dropped empty blocks).
        sent = data.get("body") or [] if field == "body" else blocks
        for position, block in enumerate(sent):
            media_id = (block.get("media") or "").strip().lower()
            if block.get("type") == "image" and media_id not in media:
                loc: list[str | int] = ["body", field]
                if field == "body":
                    loc += [position, "media"]
                raise ValidationFailed(
                    f"No media item has the id «{block.get('media')}»: upload it first.",
                    errors=[field_error(loc, "unknown media")],
                )
        for block in blocks:
            if block.get("type") == "image":
                _inherit_texts(block, media[block["media"]])
    article.body = blocks
    # Without images the stored HTML is final; with images it is rendered again on each read,
    # since image URLs and captions come from the media items (see the presenter).
    article.body_html = body_text.render_html(blocks)
    article.word_count = count_words(body_text.plain_text(blocks))
    article.reading_time = reading_time_minutes(article.word_count, article.lang)


def _inherit_texts(block: dict[str, Any], media: Media) -> None:
    """An override that repeats one of the item's own texts is no override: dropping it keeps
    the article in step with later edits of the item (an HTML body read from the API and sent
    back carries the item's texts in its figures)."""
    for name in ("caption", "credit", "alt"):
        if block.get(name) is not None and block[name] in getattr(media, name).values():
            block[name] = None


def _apply_hero(session: Session, article: Article, data: dict[str, Any]) -> None:
    if "hero" not in data:
        return
    hero = data["hero"]
    if hero is None:
        article.hero_media_id = article.hero_caption = article.hero_credit = None
        return
    media_id = session.scalar(select(Media.id).where(Media.public_id == hero["media"].lower()))
    if media_id is None:
        raise ValidationFailed(
            f"No media item has the id «{hero['media']}»: upload it first.",
            errors=[field_error(["body", "hero", "media"], "unknown media")],
        )
    article.hero_media_id = media_id
    article.hero_caption = (hero.get("caption") or "").strip() or None
    article.hero_credit = (hero.get("credit") or "").strip() or None


def _record_media(session: Session, article: Article) -> None:
    """Keep ``article_media`` equal to the media the article shows (its hero and images)."""
    wanted = set(
        session.scalars(
            select(Media.id).where(Media.public_id.in_(body_text.image_media_ids(article.body)))
        )
    )
    if article.hero_media_id is not None:
        wanted.add(article.hero_media_id)
    session.execute(delete(ArticleMedia).where(ArticleMedia.article_id == article.id))
    for media_id in sorted(wanted):
        session.add(ArticleMedia(article_id=article.id, media_id=media_id))


def _slug_for(session: Session, article: Article, requested: str | None) -> str:
    """A checked client slug, or one made from the headline that no article uses or used."""
    if requested is not None:
        slug = checked_slug(requested)
        owner = session.scalar(
            select(Article.id).where(Article.lang == article.lang, Article.slug == slug)
        )
        if owner is not None and owner != article.id:
            raise Conflict(f"Another {article.lang} article has the slug «{slug}».")
        # A slug that used to redirect now belongs to this article.
        session.execute(
            delete(ArticleSlug).where(ArticleSlug.lang == article.lang, ArticleSlug.slug == slug)
        )
        return slug
    base = slugify(article.headline) or article.public_id

    def taken(candidate: str) -> bool:
        current = [Article.lang == article.lang, Article.slug == candidate]
        if article.id is not None:
            current.append(Article.id != article.id)
        former = exists().where(ArticleSlug.lang == article.lang, ArticleSlug.slug == candidate)
        return bool(session.scalar(select(exists().where(*current) | former)))

    return unique_slug(base, taken)


def _remember_slug(session: Session, article: Article) -> None:
    session.add(ArticleSlug(article_id=article.id, lang=article.lang, slug=article.slug))


def _apply_links(session: Session, article: Article, data: dict[str, Any]) -> None:
    if "section" in data:
        article.primary_section_id = (
            _ids_for(session, Section, [data["section"]], "section")[0]
            if data["section"] is not None
            else None
        )
    if data.get("translation_of") is not None:
        _join_translation(session, article, data["translation_of"])
    if "sections" in data:
        ids = _ids_for(session, Section, data["sections"] or [], "sections")
        _replace_links(session, ArticleSection, article, "section_id", ids)
    if "authors" in data:
        ids = _ids_for(session, Author, data["authors"] or [], "authors")
        _replace_links(session, ArticleAuthor, article, "author_id", ids)
    if "tags" in data:
        ids = _ids_for(session, Tag, data["tags"] or [], "tags")
        _replace_links(session, ArticleTag, article, "tag_id", ids)
    if "related" in data:
        ids = _article_ids(session, data["related"] or [], "related")
        if article.id in ids:
            raise ValidationFailed(
                "An article cannot be related to itself.",
                errors=[field_error(["body", "related"], "contains the article's own id")],
            )
        _replace_links(session, ArticleRelated, article, "related_id", ids)


def _ids_for(session: Session, model: Any, slugs: list[str], field: str) -> list[int]:
    ids: list[int] = []
    for position, slug in enumerate(dict.fromkeys(slugs)):
        found = session.scalar(select(model.id).where(model.slug == normalise_slug(slug)))
        if found is None:
            raise ValidationFailed(
                f"No {model.__tablename__} has the slug «{slug}».",
                errors=[field_error(["body", field, position], f"unknown {model.__tablename__}")],
            )
        ids.append(found)
    return ids


def _article_ids(session: Session, public_ids: list[str], field: str) -> list[int]:
    ids: list[int] = []
    for position, public_id in enumerate(dict.fromkeys(public_ids)):
        found = session.scalar(select(Article.id).where(Article.public_id == public_id))
        if found is None:
            raise ValidationFailed(
                f"No article has the id «{public_id}».",
                errors=[field_error(["body", field, position], "unknown article")],
            )
        ids.append(found)
    return ids


def _replace_links(
    session: Session, link: Any, article: Article, column: str, ids: list[int]
) -> None:
    session.execute(delete(link).where(link.article_id == article.id))
    for position, target_id in enumerate(ids):
        session.add(link(article_id=article.id, position=position, **{column: target_id}))
    session.flush()


def _join_translation(session: Session, article: Article, original_id: str) -> None:
    original = session.scalar(select(Article).where(Article.public_id == original_id))
    if original is None:
        raise ValidationFailed(
            f"No article has the id «{original_id}».",
            errors=[field_error(["body", "translation_of"], "unknown article")],
        )
    if original.id == article.id:
        raise ValidationFailed(
            "An article cannot translate itself.",
            errors=[field_error(["body", "translation_of"], "the article's own id")],
        )
    group = original.translation_group or original.public_id
    clash = session.scalar(
        select(Article.public_id).where(
            Article.translation_group == group,
            Article.lang == article.lang,
            Article.id != article.id,
        )
    )
    if clash is not None or original.lang == article.lang:
        raise Conflict(
            f"The story already has a «{article.lang}» version ({clash or original.public_id})."
        )
    if original.translation_group != group:
        # A plain UPDATE, not a flush of the original: linking a translation is not an edit of
        # the original, so its version (and its editors' If-Match) stays as it is.
        session.execute(
            update(Article)
            .where(Article.id == original.id)
            .values(translation_group=group)
            .execution_options(synchronize_session=False)
        )
    article.translation_group = group
