"""The outbox: one event per content change, written in the change's own transaction.

A change that rolls back leaves no event; one that commits always has its event. Events are
numbered from one counter row (``event_counter``) that each writing transaction locks until it
commits, so the numbers follow the order of commits: whoever has read event ``n`` has every
event before it. Webhook fan-out (app.services.webhooks) and delta sync (app.services.sync)
both rely on that to never miss a change.

Besides the event, a change that the public can see moves its items to the head of the sync
log (``sync_item``): the item itself, and the published articles whose public JSON shows it (an
article embeds its sections, tags, authors, images and the cards of related articles).

Surrogate keys name every public response a change affects, so that a receiver can purge a
CDN: the keys public responses carry (app.surrogate, which names them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ScalarSelect, Select, literal, select, union, update
from sqlalchemy.orm import Session

from app import surrogate
from app.models import (
    Article,
    ArticleAuthor,
    ArticleMedia,
    ArticleRelated,
    ArticleSection,
    ArticleTag,
    Author,
    Event,
    EventCounter,
    Media,
    Section,
    SyncItem,
    Tag,
)
from app.models.base import utcnow
from app.models.events import COUNTER
from app.services import ready
from app.text import html as body_text

# session.info key: the newest event the transaction wrote (app.cache_sync signals it on commit)
SESSION_KEY = "khabar_event"

# Every event type, for subscriptions to choose from.
ARTICLE_ACTIONS = {
    "create": "article.created",
    "update": "article.updated",
    "publish": "article.published",
    "unpublish": "article.unpublished",
    "schedule": "article.scheduled",
    "unschedule": "article.unscheduled",
    "archive": "article.archived",
    "trash": "article.trashed",
    "restore": "article.restored",
    "revert": "article.reverted",
    "purge": "article.purged",
}
ENTITY_ACTIONS = ("created", "updated", "deleted")
TYPES = (
    *ARTICLE_ACTIONS.values(),
    "search.reindexed",
    *(
        f"{kind}.{action}"
        for kind in ("section", "tag", "author", "media")
        for action in ENTITY_ACTIONS
    ),
)


@dataclass(frozen=True)
class SyncChange:
    """An item that sync clients must fetch again (or drop, when ``deleted``)."""

    item_type: str  # article, section, tag, author
    item_id: str  # article public id, or slug
    deleted: bool = False


def next_number(session: Session) -> int:
    """The next event number, locking the counter until this transaction ends."""
    value = session.scalar(
        update(EventCounter)
        .where(EventCounter.name == COUNTER)
        .values(value=EventCounter.value + 1)
        .returning(EventCounter.value)
    )
    if value is None:  # a store made without migrations (the row is seeded by 0006)
        session.add(EventCounter(name=COUNTER, value=1))
        session.flush()
        return 1
    return int(value)


def emit(
    session: Session,
    *,
    type: str,
    item_type: str,
    item_id: str,
    data: dict[str, Any] | None = None,
    surrogate_keys: Iterable[str] = (),
    sync: Iterable[SyncChange] = (),
    refresh_articles: Sequence[Select[Any]] = (),
    article: int | None = None,
) -> Event:
    """Record one change. ``refresh_articles``: queries of ``Article.id`` whose published
    articles sync clients must fetch again (their JSON shows the changed item). Run it before
    the change removes the links it follows (a deleted tag's articles). ``article``: the
    changed article's own id. The ready-made JSON of all of them is deleted here, once the
    counter is taken (see ready.keep)."""
    number = next_number(session)
    event = Event(
        id=number,
        at=utcnow(),
        type=type,
        item_type=item_type,
        item_id=item_id,
        data=data or {},
        surrogate_keys=sorted(set(surrogate_keys)),
    )
    session.add(event)
    session.info[SESSION_KEY] = number
    for change in sync:
        _upsert_sync(session, change, number)
    if article is not None:
        ready.forget(session, [article])
    for query in refresh_articles:
        ready.forget(session, query)
        session.execute(
            update(SyncItem)
            .where(
                SyncItem.item_type == "article",
                SyncItem.deleted.is_(False),
                SyncItem.item_id.in_(
                    select(Article.public_id).where(Article.id.in_(query.scalar_subquery()))
                ),
            )
            .values(seq=number)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return event


def _upsert_sync(session: Session, change: SyncChange, number: int) -> None:
    # Writers of events queue on the counter row, so no other transaction can insert the same
    # item between this UPDATE and the INSERT.
    updated = session.execute(
        update(SyncItem)
        .where(SyncItem.item_type == change.item_type, SyncItem.item_id == change.item_id)
        .values(seq=number, deleted=change.deleted)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(
            SyncItem(
                item_type=change.item_type,
                item_id=change.item_id,
                seq=number,
                deleted=change.deleted,
            )
        )


def current_number(session: Session) -> int:
    """The number of the last committed event (0 before any)."""
    value = session.scalar(select(EventCounter.value).where(EventCounter.name == COUNTER))
    return int(value or 0)


# Articles -----------------------------------------------------------------------------------


def with_parents(session: Session, slugs: Iterable[str]) -> list[str]:
    """The sections and every section above them."""
    rows = session.execute(select(Section.id, Section.parent_id, Section.slug)).all()
    by_slug = {row.slug: row.id for row in rows}
    parents = {row.id: row.parent_id for row in rows}
    names = {row.id: row.slug for row in rows}
    found: set[int] = set()
    for slug in slugs:
        current = by_slug.get(slug)
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return sorted(names[i] for i in found)


def article_links(session: Session, article: Article) -> dict[str, list[str]]:
    """The slugs of an article's sections (with their parents), tags and authors."""
    rows = session.execute(
        union(
            select(literal("section").label("kind"), Section.slug)
            .join(ArticleSection, ArticleSection.section_id == Section.id)
            .where(ArticleSection.article_id == article.id),
            select(literal("section"), Section.slug).where(
                Section.id == article.primary_section_id
            ),
            select(literal("tag"), Tag.slug)
            .join(ArticleTag, ArticleTag.tag_id == Tag.id)
            .where(ArticleTag.article_id == article.id),
            select(literal("author"), Author.slug)
            .join(ArticleAuthor, ArticleAuthor.author_id == Author.id)
            .where(ArticleAuthor.article_id == article.id),
        )
    ).all()
    links: dict[str, list[str]] = {"section": [], "tag": [], "author": []}
    for kind, slug in rows:
        links[kind].append(slug)
    return {
        "sections": with_parents(session, links["section"]),
        "tags": sorted(links["tag"]),
        "authors": sorted(links["author"]),
    }


def _linking(article_id: int) -> Select[Any]:
    """Articles that show this one: related to it, or translations of the same story."""
    group: ScalarSelect[Any] = (
        select(Article.translation_group).where(Article.id == article_id).scalar_subquery()
    )
    return (
        union(
            select(ArticleRelated.article_id).where(ArticleRelated.related_id == article_id),
            select(Article.id).where(Article.translation_group == group, Article.id != article_id),
        )
        .subquery()
        .select()
    )


def article_changed(
    session: Session,
    article: Article,
    *,
    action: str,
    before: dict[str, Any] | None,
) -> Event:
    """Record a saved change of an article. ``before``: its previous revision's snapshot (None
    for a new article)."""
    was_public = before is not None and before.get("status") == "published"
    public = article.status == "published"
    links = article_links(session, article)
    data: dict[str, Any] = {
        "id": article.public_id,
        "slug": article.slug,
        "lang": article.lang,
        "status": article.status,
        "version": article.version,
        "public": public,
        "was_public": was_public,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        **links,
        "links": {"self": f"/v1/articles/{article.public_id}"},
    }
    visible = was_public or public
    keys: set[str] = set()
    if before is not None:
        if before.get("slug") not in (None, article.slug):
            data["previous_slug"] = before["slug"]
        old_sections = with_parents(
            session, [s for s in [before.get("section"), *before.get("sections", [])] if s]
        )
        if old_sections != links["sections"]:
            data["previous_sections"] = old_sections
    if visible:
        keys = _article_keys(article.public_id, links)
        if before is not None:
            keys |= _article_keys(
                article.public_id,
                {
                    "sections": data.get("previous_sections", []),
                    "tags": before.get("tags", []),
                    "authors": before.get("authors", []),
                },
            )
        keys |= {
            surrogate.key("article", i) for i in session.scalars(_public_ids(_linking(article.id)))
        }
        # Its images (now and before): their renditions are public only while it is.
        keys |= {surrogate.media_key(m) for m in _article_media(session, article, before)}
    return emit(
        session,
        type=ARTICLE_ACTIONS[action],
        item_type="article",
        item_id=article.public_id,
        data=data,
        surrogate_keys=keys,
        sync=[SyncChange("article", article.public_id, deleted=not public)] if visible else [],
        refresh_articles=[_linking(article.id)] if visible else [],
        article=article.id,
    )


def article_purged(session: Session, article: Article) -> Event:
    """Record an article deleted for good (from the trash, so the public no longer saw it)."""
    return emit(
        session,
        type="article.purged",
        item_type="article",
        item_id=article.public_id,
        data={
            "id": article.public_id,
            "slug": article.slug,
            "lang": article.lang,
            "status": "purged",
            "version": article.version,
            "public": False,
            "was_public": False,
        },
        sync=[SyncChange("article", article.public_id, deleted=True)],
        article=article.id,  # none expected; SQLite may give its id to another article
    )


def _article_media(session: Session, article: Article, before: dict[str, Any] | None) -> set[str]:
    """The public ids of the images the article shows, and showed before the change."""
    shown = set(
        session.scalars(
            select(Media.public_id)
            .join(ArticleMedia, ArticleMedia.media_id == Media.id)
            .where(ArticleMedia.article_id == article.id)
        )
    )
    if before is not None:
        hero = before.get("hero") or {}
        if hero.get("media"):
            shown.add(hero["media"])
        shown.update(body_text.image_media_ids(before.get("body") or []))
    return shown


def _article_keys(public_id: str, links: dict[str, list[str]]) -> set[str]:
    return {
        surrogate.key("article", public_id),
        surrogate.ARTICLES,
        surrogate.FEEDS,
        surrogate.SITEMAPS,
        *(surrogate.key("section", s) for s in links.get("sections", [])),
        *(surrogate.key("tag", t) for t in links.get("tags", [])),
        *(surrogate.key("author", a) for a in links.get("authors", [])),
    }


def _public_ids(ids: Select[Any]) -> Select[Any]:
    return select(Article.public_id).where(
        Article.id.in_(ids.scalar_subquery()), Article.status == "published"
    )


# Sections, tags, authors, media ---------------------------------------------------------------


def taxonomy_changed(
    session: Session,
    kind: str,
    item: Section | Tag | Author,
    *,
    action: str,
    old_slug: str | None = None,
    media: Iterable[int | None] = (),
) -> Event:
    """A section, tag or author created, updated or deleted (call it before a delete, while
    its links are still there). Its public page and every published article that shows it
    change. ``media``: ids of images it showed or shows (an author's photo, before and after),
    whose renditions are public only while it shows them."""
    slug = item.slug
    showing = _articles_showing(kind, item.id)
    sync = [SyncChange(kind, slug, deleted=action == "deleted")]
    keys = {
        surrogate.key(kind, slug),
        surrogate.COLLECTIONS[kind],
        surrogate.ARTICLES,
        surrogate.FEEDS,
    }
    if kind == "section":
        keys.add(surrogate.SITEMAPS)  # article URLs name their section
    data: dict[str, Any] = {"slug": slug}
    if old_slug is not None and old_slug != slug:
        sync.append(SyncChange(kind, old_slug, deleted=True))
        keys.add(surrogate.key(kind, old_slug))
        data["previous_slug"] = old_slug
    if kind == "section":
        data["sections"] = with_parents(session, [slug]) if action != "deleted" else [slug]
        if old_slug is not None and old_slug != slug:
            # Sub-sections show their parent's slug.
            children = session.scalars(select(Section.slug).where(Section.parent_id == item.id))
            sync.extend(SyncChange("section", child) for child in children)
    keys |= {surrogate.key("article", i) for i in session.scalars(_public_ids(showing))}
    media_ids = {m for m in media if m is not None}
    if media_ids:
        keys |= {
            surrogate.media_key(m)
            for m in session.scalars(select(Media.public_id).where(Media.id.in_(media_ids)))
        }
    return emit(
        session,
        type=f"{kind}.{action}",
        item_type=kind,
        item_id=slug,
        data=data,
        surrogate_keys=keys,
        sync=sync,
        refresh_articles=[showing] if action != "created" else [],
    )


def _articles_showing(kind: str, item_id: int) -> Select[Any]:
    if kind == "section":
        return (
            union(
                select(ArticleSection.article_id).where(ArticleSection.section_id == item_id),
                select(Article.id).where(Article.primary_section_id == item_id),
            )
            .subquery()
            .select()
        )
    if kind == "tag":
        return select(ArticleTag.article_id).where(ArticleTag.tag_id == item_id)
    return select(ArticleAuthor.article_id).where(ArticleAuthor.author_id == item_id)


def media_changed(session: Session, media: Media, *, action: str) -> Event:
    """A media item uploaded, edited or deleted: the published articles and authors that show
    it change (a deleted one shows nowhere public: deletion is refused while it does)."""
    showing = (
        union(
            select(ArticleMedia.article_id).where(ArticleMedia.media_id == media.id),
            select(Article.id).where(Article.hero_media_id == media.id),
            # Article pages show their authors' photos.
            select(ArticleAuthor.article_id)
            .join(Author, Author.id == ArticleAuthor.author_id)
            .where(Author.avatar_media_id == media.id),
        )
        .subquery()
        .select()
    )
    authors = list(session.scalars(select(Author.slug).where(Author.avatar_media_id == media.id)))
    articles = list(session.scalars(_public_ids(showing)))
    keys = {surrogate.media_key(media.public_id)}
    if articles or authors:
        keys |= {surrogate.ARTICLES, surrogate.FEEDS}
        keys |= {surrogate.key("article", i) for i in articles}
        keys |= {surrogate.key("author", a) for a in authors}
    return emit(
        session,
        type=f"media.{action}",
        item_type="media",
        item_id=media.public_id,
        data={"id": media.public_id, "version": media.version},
        surrogate_keys=keys,
        sync=[SyncChange("author", a) for a in authors] if action == "updated" else [],
        refresh_articles=[showing] if action == "updated" else [],
    )


def matches_section(event_data: dict[str, Any], section: str) -> bool:
    """Whether an event concerns a section (a subscription's filter): the section is among
    the article's sections (with their parents) before or after the change."""
    return section in event_data.get("sections", []) or section in event_data.get(
        "previous_sections", []
    )
