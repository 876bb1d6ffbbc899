"""The media library: storing uploads, their metadata, who may see them, and renditions.

A media item is public when a published article uses it (as hero or in an image block) or an
author shows it as an avatar; everything else (new uploads, images of drafts) is visible only to
key holders. ``article_media`` is kept in step with each article write, so that rule is one
indexed lookup.

Renditions are files named by their parameters under ``renditions/<id>/``; the first request
renders one and later requests read it. Their URLs carry ``v``, a short hash of what the bytes
depend on besides the parameters (the original and the focal point), so a URL always means the
same bytes and may be cached for a year.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden
from app.models import ApiKey, Article, ArticleMedia, Author, Media
from app.models.base import UTCDateTime, utcnow
from app.services import imaging
from app.services.articles import check_version, embargoed, new_public_id, published
from app.services.pagination import decode_cursor, encode_cursor
from app.services.storage import Storage

_NOW = bindparam("now", type_=UTCDateTime())


def in_public_use(now: Any = None) -> ColumnElement[bool]:
    """The one rule for which media the public may see."""
    return or_(
        exists().where(
            ArticleMedia.media_id == Media.id,
            Article.id == ArticleMedia.article_id,
            published(now),
        ),
        exists().where(Author.avatar_media_id == Media.id),
    )


_BY_PUBLIC_ID = select(Media).where(Media.public_id == bindparam("media_id"))
_BY_PUBLIC_ID_PUBLIC = _BY_PUBLIC_ID.where(in_public_use(_NOW))
# What a partner granted the embargo scope sees: the public's media and the embargoed articles'.
_BY_PUBLIC_ID_EMBARGO = _BY_PUBLIC_ID.where(
    or_(
        in_public_use(_NOW),
        exists().where(
            ArticleMedia.media_id == Media.id,
            Article.id == ArticleMedia.article_id,
            embargoed(),
        ),
    )
)


# Reading -----------------------------------------------------------------------------------


def get_media(
    session: Session, *, media_id: str, public: bool, embargo: bool = False
) -> Media | None:
    if not public:
        statement = _BY_PUBLIC_ID
    else:
        statement = _BY_PUBLIC_ID_EMBARGO if embargo else _BY_PUBLIC_ID_PUBLIC
    return session.scalar(statement, {"media_id": media_id.lower(), "now": utcnow()})


def get_media_for_preview(session: Session, *, media_id: str, article_id: str) -> Media | None:
    """A media item as a preview of the article ``article_id`` (a public id) may show it: one
    the article uses, drafts included, or one that is public anyway."""
    shown_by_article = exists().where(
        ArticleMedia.media_id == Media.id,
        Article.id == ArticleMedia.article_id,
        Article.public_id == article_id,
    )
    return session.scalar(
        select(Media).where(
            Media.public_id == media_id.lower(), or_(shown_by_article, in_public_use(utcnow()))
        )
    )


def list_media(
    session: Session, *, public: bool, cursor: str | None, limit: int
) -> tuple[list[Media], str | None]:
    """Newest uploads first, keyset-paginated on (created_at, id)."""
    query = select(Media)
    if public:
        query = query.where(in_public_use(utcnow()))
    if cursor is not None:
        after: tuple[datetime, int] = decode_cursor(cursor, "media", datetime, int)
        query = query.where(
            or_(
                Media.created_at < after[0],
                and_(Media.created_at == after[0], Media.id < after[1]),
            )
        )
    query = query.order_by(Media.created_at.desc(), Media.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor("media", last.created_at, last.id)
    return rows[:limit], next_cursor


def published_users(session: Session, *, media: Media, limit: int = 5) -> list[str]:
    """Ids of published articles that use the item."""
    query = (
        select(Article.public_id)
        .join(ArticleMedia, ArticleMedia.article_id == Article.id)
        .where(ArticleMedia.media_id == media.id, published())
        .order_by(Article.id)
        .limit(limit)
    )
    return list(session.scalars(query))


# Writing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload received in full into a scratch file (see the router)."""

    path: Path
    sha256: str
    size: int
    filename: str | None


def create_media(
    session: Session,
    *,
    storage: Storage,
    upload: Upload,
    metadata: dict[str, Any],
    key: ApiKey | None,
    max_pixels: int,
    default_lang: str,
) -> tuple[Media, bool]:
    """Store an upload as a new item, or return the item that has the same bytes already
    (``created`` is False then). Raises ``imaging.ImageRejected`` for what is not an image we
    accept; nothing is stored then."""
    existing = session.scalar(select(Media).where(Media.sha256 == upload.sha256))
    if existing is not None:
        return existing, False
    public_id = new_public_id()
    handle, cleaned_name = tempfile.mkstemp(dir=storage.scratch, prefix="clean-")
    cleaned = Path(cleaned_name)
    try:
        with open(handle, "wb"):
            pass
        original = imaging.ingest(upload.path, cleaned, max_pixels=max_pixels)
        storage_key = f"originals/{public_id}.{imaging.EXTENSIONS[original.format]}"
        storage.put_file(storage_key, cleaned)
    finally:
        cleaned.unlink(missing_ok=True)
    now = utcnow()
    lang = metadata.get("lang") or default_lang
    media = Media(
        public_id=public_id,
        kind="image",
        format=original.format,
        mime=original.mime,
        width=original.width,
        height=original.height,
        bytes=original.bytes,
        sha256=upload.sha256,
        storage_key=storage_key,
        filename=upload.filename,
        caption=_texts(lang, metadata.get("caption")),
        credit=_texts(lang, metadata.get("credit")),
        alt=_texts(lang, metadata.get("alt")),
        archive=bool(metadata.get("archive")),
        focal_x=metadata.get("focal_x", 0.5),
        focal_y=metadata.get("focal_y", 0.5),
        source_url=metadata.get("source_url"),
        placeholder=original.placeholder,
        color=original.color,
        animated=original.animated,
        created_at=now,
        updated_at=now,
        version=1,
        created_by_key_id=key.id if key else None,
        updated_by_key_id=key.id if key else None,
    )
    try:
        with session.begin_nested():
            session.add(media)
            session.flush()
    except IntegrityError:
        # The same bytes arrived twice at once (PostgreSQL): the other upload won.
        storage.delete_prefix(storage_key)
        winner = session.scalar(select(Media).where(Media.sha256 == upload.sha256))
        if winner is None:
            raise
        return winner, False
    return media, True


def _texts(lang: str, value: str | None) -> dict[str, str]:
    value = (value or "").strip()
    return {lang: value} if value else {}


def update_media(
    session: Session,
    *,
    media: Media,
    changes: dict[str, Any],
    if_match: str | None,
    key: ApiKey | None,
) -> Media:
    check_version(media, if_match, required=False, noun="media item")
    if (
        key is not None
        and key.role == "writer"
        and session.scalar(select(exists().where(Media.id == media.id, in_public_use())))
    ):
        raise Forbidden("Writers cannot change media that published articles or authors show.")
    for name in ("caption", "credit", "alt"):
        if name in changes and changes[name] is not None:
            merged = dict(getattr(media, name))
            for lang, text in changes[name].items():
                text = (text or "").strip()
                if text:
                    merged[lang] = text
                else:
                    merged.pop(lang, None)
            setattr(media, name, merged)
    if changes.get("archive") is not None:
        media.archive = changes["archive"]
    if changes.get("focal") is not None:
        media.focal_x = changes["focal"]["x"]
        media.focal_y = changes["focal"]["y"]
    if "source_url" in changes:
        media.source_url = changes["source_url"]
    media.updated_at = utcnow()
    media.updated_by_key_id = key.id if key else None
    session.flush()
    return media


def delete_media(
    session: Session, *, media: Media, if_match: str | None, key: ApiKey | None
) -> list[str]:
    """Delete the item; returns the storage prefixes to remove once the deletion is committed.
    Refused while a published article or an author shows it."""
    check_version(media, if_match, required=False, noun="media item")
    users = published_users(session, media=media)
    if users:
        raise Conflict(
            "Published articles use this image: take it out of them (or unpublish them) first.",
            articles=users,
        )
    avatar_of = session.scalar(select(Author.slug).where(Author.avatar_media_id == media.id))
    if avatar_of is not None:
        raise Conflict(f"The author «{avatar_of}» shows this image as an avatar.", author=avatar_of)
    prefixes = [media.storage_key, f"renditions/{media.public_id}"]
    session.delete(media)
    session.flush()
    return prefixes


# Renditions --------------------------------------------------------------------------------


def rendition_token(media: Media) -> str:
    """What a rendition's bytes depend on besides its parameters, as 8 hex characters."""
    source = f"{media.storage_key}|{media.focal_x:.3f}|{media.focal_y:.3f}"
    return hashlib.blake2b(source.encode(), digest_size=4).hexdigest()


def rendition_key(media: Media, plan: imaging.Rendition) -> str:
    return f"renditions/{media.public_id}/{plan.name((media.focal_x, media.focal_y))}"


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def rendition_bytes(storage: Storage, media: Media, plan: imaging.Rendition) -> bytes:
    """The rendition's bytes, rendered and stored on first request. Requests for the same new
    rendition in this process wait for one render instead of each doing it."""
    key = rendition_key(media, plan)
    try:
        return storage.get_bytes(key)
    except FileNotFoundError:
        pass
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        try:
            return storage.get_bytes(key)
        except FileNotFoundError:
            pass
        data = imaging.render(
            _original_path(storage, media), plan, focal=(media.focal_x, media.focal_y)
        )
        storage.put_bytes(key, data)
    with _locks_guard:
        _locks.pop(key, None)
    return data


def _original_path(storage: Storage, media: Media) -> Path:
    path = storage.local_path(media.storage_key)
    if path is not None:
        return path
    # A remote store: fetch the original into scratch (cached there by key).
    local = storage.scratch / "originals" / Path(media.storage_key).name
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=local.parent, prefix=".tmp-")
        with open(handle, "wb") as out:
            out.write(storage.get_bytes(media.storage_key))
        Path(temporary).replace(local)
    return local
