"""Articles: reading what is public, and writing what editors send.

Every public read goes through ``published()``; nothing public bypasses it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, defer

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
    ArticleRelated,
    ArticleSection,
    ArticleSlug,
    ArticleTag,
    Author,
    Section,
    Tag,
)
from app.models.base import utcnow
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


def published() -> ColumnElement[bool]:
    """The one rule for what the public may see."""
    return and_(Article.status == "published", Article.published_at <= utcnow())


# Reading -----------------------------------------------------------------------------------


@dataclass
class Card:
    """What a list shows of an article: the row (without its body), section and bylines."""

    article: Article
    section: Section | None
    authors: list[Author]


@dataclass
class Full(Card):
    """Everything an article page shows."""

    sections: list[Section]
    tags: list[Tag]
    related: list[Article]
    translations: list[Article]


# Reads are plain selects, one per kind of link, rather than ORM eager loading: the loader
# machinery cost more than the queries themselves (measured: 23 ms → see docs/benchmark.md).
_WITHOUT_BODY = (
    defer(Article.body, raiseload=True),
    defer(Article.body_html, raiseload=True),
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


def list_articles(
    session: Session, *, filters: ArticleFilters, cursor: str | None, limit: int
) -> tuple[list[Card], str | None]:
    """A page of articles, newest first, and the cursor of the next page (None at the end).

    The public list is ordered by ``published_at``; a management list that asks for drafts is
    ordered by ``created_at``, which never changes, so its pages stay stable too.
    """
    public = filters.status is None
    by_published = public or filters.status == "published"
    order_column = Article.published_at if by_published else Article.created_at
    order = "published" if by_published else "created"
    query = _filtered(session, select(Article.id, order_column), filters)
    if cursor is not None:
        when, after_id = decode_cursor(cursor, order, datetime, int)
        query = query.where(tuple_(order_column, Article.id) < tuple_(when, after_id))
    query = query.order_by(order_column.desc(), Article.id.desc()).limit(limit + 1)
    keys = session.execute(query).all()
    next_cursor = None
    if len(keys) > limit:
        last_id, last_when = keys[limit - 1]
        next_cursor = encode_cursor(order, last_when, last_id)
    return cards_by_ids(session, [row[0] for row in keys[:limit]]), next_cursor


def cards_by_ids(session: Session, ids: list[int], *, public: bool = False) -> list[Card]:
    """Cards for these internal ids, in the order given (missing or, if public, unpublished
    ones skipped). Two queries whatever the number of ids."""
    if not ids:
        return []
    query = (
        select(Article, Section)
        .outerjoin(Section, Section.id == Article.primary_section_id)
        .where(Article.id.in_(ids))
        .options(*_WITHOUT_BODY)
    )
    if public:
        query = query.where(published())
    rows = {article.id: (article, section) for article, section in session.execute(query)}
    bylines: dict[int, list[Author]] = {}
    author_rows = session.execute(
        select(ArticleAuthor.article_id, Author)
        .join(Author, Author.id == ArticleAuthor.author_id)
        .where(ArticleAuthor.article_id.in_(list(rows)))
        .order_by(ArticleAuthor.article_id, ArticleAuthor.position)
    )
    for article_id, author in author_rows:
        bylines.setdefault(article_id, []).append(author)
    return [
        Card(article=rows[i][0], section=rows[i][1], authors=bylines.get(i, []))
        for i in ids
        if i in rows
    ]


def _filtered(session: Session, query: Q, filters: ArticleFilters) -> Q:
    if filters.status is None:
        query = query.where(published())
    else:
        query = query.where(Article.status == filters.status)
        if filters.status == "published":
            query = query.where(Article.published_at.is_not(None))
    if filters.lang is not None:
        query = query.where(Article.lang == filters.lang)
    if filters.since is not None:
        query = query.where(Article.published_at >= filters.since)
    if filters.until is not None:
        query = query.where(Article.published_at < filters.until)
    if filters.section is not None:
        section = section_service.get_section(session, slug=filters.section)
        if section is None:
            raise NotFound(f"No section has the slug «{filters.section}».")
        ids = section_service.subtree_ids(section_service.all_sections(session), section.id)
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


def get_article(session: Session, *, article_id: str, public: bool) -> Article | None:
    """The article row alone (for writes and lookups); ``read_article`` for a page."""
    query = select(Article).where(Article.public_id == article_id)
    if public:
        query = query.where(published())
    return session.scalar(query)


def read_article(session: Session, *, article_id: str, public: bool) -> Full | None:
    article = get_article(session, article_id=article_id, public=public)
    return full(session, article, public=public) if article is not None else None


def full(session: Session, article: Article, *, public: bool) -> Full:
    """The article with every link a page shows; with ``public``, only published links."""
    section = (
        session.get(Section, article.primary_section_id) if article.primary_section_id else None
    )
    authors = session.scalars(
        select(Author)
        .join(ArticleAuthor, ArticleAuthor.author_id == Author.id)
        .where(ArticleAuthor.article_id == article.id)
        .order_by(ArticleAuthor.position)
    )
    sections = session.scalars(
        select(Section)
        .join(ArticleSection, ArticleSection.section_id == Section.id)
        .where(ArticleSection.article_id == article.id)
        .order_by(ArticleSection.position)
    )
    tags = session.scalars(
        select(Tag)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article.id)
        .order_by(ArticleTag.position)
    )
    related = select(
        literal("related").label("kind"), ArticleRelated.position, ArticleRelated.related_id
    ).where(ArticleRelated.article_id == article.id)
    links: Select[str, int, int] | CompoundSelect[str, int, int] = related
    if article.translation_group is not None:
        links = related.union_all(
            select(literal("translation"), literal(0), Article.id).where(
                Article.translation_group == article.translation_group,
                Article.id != article.id,
            )
        )
    related_ids: list[int] = []
    translation_ids: list[int] = []
    for kind, _position, linked_id in session.execute(links.order_by("kind", "position")):
        (related_ids if kind == "related" else translation_ids).append(linked_id)
    # Ids first, then one lookup by primary key: a join filtered on ``published()`` let the
    # SQLite planner walk every published article instead of this article's few links.
    linked = _articles_by_ids(session, related_ids + translation_ids, public=public)
    return Full(
        article=article,
        section=section,
        authors=list(authors),
        sections=list(sections),
        tags=list(tags),
        related=[linked[i] for i in related_ids if i in linked],
        translations=sorted(
            (linked[i] for i in translation_ids if i in linked), key=lambda a: a.lang
        ),
    )


def _articles_by_ids(session: Session, ids: list[int], *, public: bool) -> dict[int, Article]:
    if not ids:
        return {}
    query = select(Article).where(Article.id.in_(ids)).options(*_WITHOUT_BODY)
    if public:
        query = query.where(published())
    return {a.id: a for a in session.scalars(query)}


@dataclass
class SlugLookup:
    article: Article | None
    redirect_to: Article | None = None


def get_article_by_slug(
    session: Session, *, slug: str, lang: str | None, public: bool, default_lang: str
) -> SlugLookup:
    """The article with this slug now, or the article that used to have it (to redirect to).

    Without ``lang`` any language matches, the site's default language first.
    """
    wanted = normalise_slug(slug)
    candidates = {wanted, slugify(slug)} - {""}
    # Ids by slug first (the slug index), then the visibility rule by primary key: combined in
    # one WHERE, the planner may prefer the status index and walk every published article.
    ids = select(Article.id).where(Article.slug.in_(candidates))
    if lang is not None:
        ids = ids.where(Article.lang == lang)
    query = select(Article).where(Article.id.in_(list(session.scalars(ids))))
    if public:
        query = query.where(published())
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
    )
    _apply_scalars(article, data)
    _apply_body(article, data)
    article.slug = _slug_for(session, article, data.get("slug"))
    if data.get("status") == "published":
        _publish(article, now)
    # Every UPDATE of the row bumps its version, so whatever lives in the row itself is set
    # before the INSERT: a new article is at version 1.
    in_row: dict[str, Any] = {k: data[k] for k in ("section", "translation_of") if k in data}
    _apply_links(session, article, in_row)
    session.add(article)
    session.flush()
    _apply_links(session, article, {k: v for k, v in data.items() if k not in in_row})
    session.flush()
    return article


def update_article(
    session: Session,
    *,
    article: Article,
    changes: dict[str, Any],
    if_match: str | None,
    key: ApiKey | None,
) -> Article:
    check_version(article, if_match, required=True)
    if key is not None and key.role == "writer" and article.status != "draft":
        raise Forbidden("Writers can edit drafts only; this article is " + article.status + ".")
    # One UPDATE of the row per request, so that the version goes up by exactly one: no
    # autoflush halfway, and the row's own columns are all set before the link tables flush.
    with session.no_autoflush:
        if changes.get("headline") is not None:
            article.headline = changes["headline"].strip()
        _apply_scalars(article, changes)
        if "body" in changes or "body_html" in changes:
            _apply_body(article, changes)
        if "slug" in changes:
            new_slug = _slug_for(session, article, changes["slug"])
            if new_slug != article.slug:
                _remember_slug(session, article)
                article.slug = new_slug
        _touch(article, key)
        _apply_links(session, article, changes)
    session.flush()
    return article


def delete_article(
    session: Session, *, article: Article, if_match: str | None, key: ApiKey | None
) -> None:
    check_version(article, if_match, required=False)
    if key is not None and key.role == "writer" and article.status != "draft":
        raise Forbidden("Writers can delete drafts only.")
    session.delete(article)
    session.flush()


def publish_article(
    session: Session, *, article: Article, if_match: str | None, key: ApiKey | None
) -> Article:
    check_version(article, if_match, required=False)
    if article.status != "published":
        _publish(article, utcnow())
        _touch(article, key)
        session.flush()
    return article


def unpublish_article(
    session: Session, *, article: Article, if_match: str | None, key: ApiKey | None
) -> Article:
    check_version(article, if_match, required=False)
    if article.status != "draft":
        article.status = "draft"
        _touch(article, key)
        session.flush()
    return article


def check_version(article: Article, if_match: str | None, *, required: bool) -> None:
    """Compare an ``If-Match`` header with the article's version (see ``etag_version``)."""
    if if_match is None:
        if required:
            raise PreconditionRequired(
                "Send If-Match with the article's ETag (or its version) so that two editors "
                "cannot overwrite each other.",
                current_version=article.version,
            )
        return
    if if_match.strip() == "*":
        return
    versions = {etag_version(tag) for tag in if_match.split(",")}
    if article.version not in versions:
        raise PreconditionFailed(
            f"The article has changed since you read it: it is at version {article.version}.",
            current_version=article.version,
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


def _apply_body(article: Article, data: dict[str, Any]) -> None:
    if data.get("body_html") is not None:
        blocks = body_text.html_to_blocks(data["body_html"])
    else:
        blocks = body_text.sanitize_blocks(data.get("body") or [])
    article.body = blocks
    article.body_html = body_text.render_html(blocks)
    article.word_count = count_words(body_text.plain_text(blocks))
    article.reading_time = reading_time_minutes(article.word_count, article.lang)


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
