"""Tags: topics, people, organisations, places and events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import ArticleTag, Tag
from app.services import search_index
from app.services.pagination import decode_cursor, encode_cursor
from app.services.slugs import checked_slug, slug_for_new
from app.text.slugs import normalise_slug


def list_tags(
    session: Session, *, type: str | None, cursor: str | None, limit: int
) -> tuple[list[Tag], str | None]:
    query = select(Tag).order_by(Tag.slug).limit(limit + 1)
    if type is not None:
        query = query.where(Tag.type == type)
    if cursor is not None:
        (after,) = decode_cursor(cursor, "tag", str)
        query = query.where(Tag.slug > after)
    rows = list(session.scalars(query))
    next_cursor = encode_cursor("tag", rows[limit - 1].slug) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_tag(session: Session, *, slug: str) -> Tag | None:
    return session.scalar(select(Tag).where(Tag.slug == normalise_slug(slug)))


def create_tag(session: Session, *, data: dict[str, Any], default_lang: str) -> Tag:
    slug = slug_for_new(data.get("slug"), data["name"])
    if session.scalar(select(exists().where(Tag.slug == slug))):
        raise Conflict(f"A tag with the slug «{slug}» exists already.")
    tag = Tag(
        slug=slug,
        name=data["name"],
        type=data["type"],
        lang=data.get("lang") or default_lang,
        description=data.get("description"),
    )
    session.add(tag)
    session.flush()
    return tag


def update_tag(session: Session, *, tag: Tag, changes: dict[str, Any]) -> Tag:
    if "slug" in changes and changes["slug"] != tag.slug:
        slug = checked_slug(changes["slug"])
        if session.scalar(select(exists().where(Tag.slug == slug, Tag.id != tag.id))):
            raise Conflict(f"A tag with the slug «{slug}» exists already.")
        tag.slug = slug
    for name in ("name", "type", "lang"):
        if changes.get(name) is not None:
            setattr(tag, name, changes[name])
    if "description" in changes:
        tag.description = changes["description"]
    session.flush()
    if changes.get("name") is not None:
        search_index.sync_articles_of(session, tag_id=tag.id)  # tag names are searchable
        session.flush()
    return tag


def delete_tag(session: Session, *, tag: Tag) -> None:
    """Deleting a tag takes it off every article (the links cascade)."""
    tagged = list(session.scalars(select(ArticleTag.article_id).where(ArticleTag.tag_id == tag.id)))
    session.delete(tag)
    session.flush()
    search_index.sync_articles(session, tagged)
    session.flush()
