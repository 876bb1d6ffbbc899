"""Authors (bylines)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.errors import Conflict, ValidationFailed, field_error
from app.models import ArticleAuthor, Author, Media
from app.services import search_index
from app.services.pagination import decode_cursor, encode_cursor
from app.services.slugs import checked_slug, slug_for_new
from app.text.slugs import normalise_slug


def list_authors(
    session: Session, *, cursor: str | None, limit: int
) -> tuple[list[Author], str | None]:
    query = select(Author).order_by(Author.slug).limit(limit + 1)
    if cursor is not None:
        (after,) = decode_cursor(cursor, "author", str)
        query = query.where(Author.slug > after)
    rows = list(session.scalars(query))
    next_cursor = encode_cursor("author", rows[limit - 1].slug) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_author(session: Session, *, slug: str) -> Author | None:
    return session.scalar(select(Author).where(Author.slug == normalise_slug(slug)))


def create_author(session: Session, *, data: dict[str, Any], default_lang: str) -> Author:
    slug = slug_for_new(data.get("slug"), data["name"])
    if session.scalar(select(exists().where(Author.slug == slug))):
        raise Conflict(f"An author with the slug «{slug}» exists already.")
    author = Author(
        slug=slug,
        name=data["name"],
        lang=data.get("lang") or default_lang,
        job_title=data.get("job_title"),
        bio=data.get("bio"),
        avatar_media_id=_avatar_id(session, data.get("avatar")),
    )
    session.add(author)
    session.flush()
    return author


def update_author(session: Session, *, author: Author, changes: dict[str, Any]) -> Author:
    if "slug" in changes and changes["slug"] != author.slug:
        slug = checked_slug(changes["slug"])
        taken = exists().where(Author.slug == slug, Author.id != author.id)
        if session.scalar(select(taken)):
            raise Conflict(f"An author with the slug «{slug}» exists already.")
        author.slug = slug
    for name in ("name", "lang"):
        if changes.get(name) is not None:
            setattr(author, name, changes[name])
    for name in ("job_title", "bio"):
        if name in changes:
            setattr(author, name, changes[name])
    if "avatar" in changes:
        author.avatar_media_id = _avatar_id(session, changes["avatar"])
    session.flush()
    if changes.get("name") is not None:
        search_index.sync_articles_of(session, author_id=author.id)  # bylines are searchable
        session.flush()
    return author


def _avatar_id(session: Session, public_id: str | None) -> int | None:
    if public_id is None:
        return None
    media_id = session.scalar(select(Media.id).where(Media.public_id == public_id.lower()))
    if media_id is None:
        raise ValidationFailed(
            f"No media item has the id «{public_id}»: upload it first.",
            errors=[field_error(["body", "avatar"], "unknown media")],
        )
    return media_id


def avatars(session: Session, authors: list[Author]) -> dict[int, Media]:
    """The avatars of these authors, by media id (one query)."""
    ids = [a.avatar_media_id for a in authors if a.avatar_media_id is not None]
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(ids)))}


def delete_author(session: Session, *, author: Author) -> None:
    if session.scalar(select(exists().where(ArticleAuthor.author_id == author.id))):
        raise Conflict("The author has a byline on articles: remove it from them first.")
    session.delete(author)
    session.flush()
