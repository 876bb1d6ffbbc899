"""Demo content: a fictional publication, written for Khabar, loaded into an empty store.

Its pictures are drawn when it is loaded (``app.demo.images``) and go through the media library
like any upload, so the demo shows heroes, inline figures and avatars with real renditions.
A picture is drawn from a key: ``hero/<story>``, ``inline/<story>/<n>`` or ``avatar/<slug>``,
where a translation's story is its original's. A translation therefore shows its original's
photos, and its own-language caption, credit and alt are added to the media item's texts (keyed
by language) rather than set as per-article overrides: the item then reads right in both
languages wherever it is used, and alt, which a hero cannot override, is in the reader's
language too.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from app.demo import images
from app.models import Media
from app.models.base import utcnow
from app.services import articles as article_service
from app.services import authors as author_service
from app.services import media as media_service
from app.services import sections as section_service
from app.services import tags as tag_service
from app.services.storage import Storage

TEXTS = ("caption", "credit", "alt")


def demo_content() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        resources.files("app.demo").joinpath("content.json").read_bytes()
    )
    return data


def load_demo(
    session: Session,
    *,
    storage: Storage,
    default_lang: str,
    if_empty: bool,
    max_pixels: int = 50_000_000,
) -> int:
    """Load the demo; returns how many articles it added (0 when skipped). Files stored for it
    are removed again if loading fails; after it returns, committing is the caller's."""
    if if_empty and article_service.count_articles(session) > 0:
        return 0
    pictures = _Pictures(session, storage=storage, default_lang=default_lang, max_pixels=max_pixels)
    try:
        return _load(session, demo_content(), pictures, default_lang=default_lang)
    except BaseException:
        pictures.discard()
        raise


def _load(session: Session, data: dict[str, Any], pictures: _Pictures, *, default_lang: str) -> int:
    # Parents before children, whatever the order in the file.
    pending = list(data["sections"])
    while pending:
        ready = [
            s
            for s in pending
            if s.get("parent") is None or section_service.get_section(session, slug=s["parent"])
        ]
        if not ready:
            raise ValueError("demo sections refer to unknown parents")
        for section in ready:
            section_service.create_section(session, data=section)
            pending.remove(section)
    for author in data["authors"]:
        avatar = pictures.add(
            f"avatar/{author['slug']}",
            author.get("lang") or default_lang,
            {"alt": author["name"]},
            draw=images.portrait,
        )
        author_service.create_author(
            session, data={**author, "avatar": avatar.public_id}, default_lang=default_lang
        )
    for tag in data["tags"]:
        tag_service.create_tag(session, data=tag, default_lang=default_lang)

    now = utcnow()
    ids: dict[str, str] = {}
    # Originals before translations, oldest first, so that lists look like a real archive.
    articles = sorted(
        data["articles"], key=lambda a: ("translation_of" in a, -float(a["hours_ago"]))
    )
    for item in articles:
        fields = {
            k: v
            for k, v in item.items()
            if k
            not in (
                "key",
                "hours_ago",
                "related",
                "translation_of",
                "extra_sections",
                "status",
                "hero",
                "body",
            )
        }
        fields["sections"] = item.get("extra_sections", [])
        if item.get("translation_of"):
            fields["translation_of"] = ids[item["translation_of"]]
        story = item.get("translation_of") or item["key"]
        lang = item.get("lang") or default_lang
        if item.get("hero"):
            hero = pictures.add(f"hero/{story}", lang, item["hero"], draw=images.scene)
            fields["hero"] = {"media": hero.public_id}
        if "body" in item:
            fields["body"] = _with_pictures(item["body"], story, lang, pictures)
        article = article_service.create_article(
            session, data=fields, key=None, default_lang=default_lang
        )
        if item.get("status", "published") == "published":
            when = now - timedelta(hours=float(item["hours_ago"]))
            article.status = "published"
            article.published_at = article.first_published_at = when
            article.created_at = article.updated_at = when
        ids[item["key"]] = article.public_id
    session.flush()
    for item in articles:
        if item.get("related"):
            found = article_service.get_article(session, article_id=ids[item["key"]], public=False)
            assert found is not None
            article_service.update_article(
                session,
                article=found,
                changes={"related": [ids[k] for k in item["related"]]},
                if_match="*",
                key=None,
            )
            found.updated_at = found.published_at or found.created_at
    return len(articles)


def _with_pictures(
    body: list[dict[str, Any]], story: str, lang: str, pictures: _Pictures
) -> list[dict[str, Any]]:
    """The body with each ``{"type": "image", "demo": {...}}`` block pointing at a new picture
    (the n-th image of a translation is the n-th of its original)."""
    blocks = []
    shown = 0
    for block in body:
        if block.get("type") == "image" and "demo" in block:
            media = pictures.add(f"inline/{story}/{shown}", lang, block["demo"], draw=images.scene)
            block = {"type": "image", "media": media.public_id}
            shown += 1
        blocks.append(block)
    return blocks


class _Pictures:
    """Draws, uploads and remembers the demo's pictures by key."""

    def __init__(
        self, session: Session, *, storage: Storage, default_lang: str, max_pixels: int
    ) -> None:
        self.session = session
        self.storage = storage
        self.default_lang = default_lang
        self.max_pixels = max_pixels
        self.by_key: dict[str, Media] = {}
        self.stored: list[str] = []

    def add(
        self, key: str, lang: str, about: dict[str, Any], *, draw: Callable[[str], bytes]
    ) -> Media:
        """The picture for ``key``, uploaded the first time; later uses add their language's
        texts to it (the first use's archive flag and focal point stand)."""
        media = self.by_key.get(key)
        if media is None:
            media = self._upload(key, lang, about, draw(key))
            self.by_key[key] = media
        else:
            changes = {name: {lang: about[name]} for name in TEXTS if about.get(name)}
            media_service.update_media(
                self.session, media=media, changes=changes, if_match=None, key=None
            )
        return media

    def _upload(self, key: str, lang: str, about: dict[str, Any], data: bytes) -> Media:
        metadata: dict[str, Any] = {"lang": lang, "archive": bool(about.get("archive"))}
        metadata.update({name: about[name] for name in TEXTS if about.get(name)})
        if about.get("focal"):
            metadata["focal_x"], metadata["focal_y"] = about["focal"]
        handle, name = tempfile.mkstemp(dir=self.storage.scratch, prefix="demo-")
        path = Path(name)
        try:
            with open(handle, "wb") as out:
                out.write(data)
            upload = media_service.Upload(
                path=path,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                filename=key.replace("/", "-") + ".jpg",
            )
            media, created = media_service.create_media(
                self.session,
                storage=self.storage,
                upload=upload,
                metadata=metadata,
                key=None,
                max_pixels=self.max_pixels,
                default_lang=self.default_lang,
            )
        finally:
            path.unlink(missing_ok=True)
        if created:
            self.stored += [media.storage_key, f"renditions/{media.public_id}"]
        return media

    def discard(self) -> None:
        """Remove the files stored so far (loading failed: their rows are rolled back)."""
        for prefix in self.stored:
            self.storage.delete_prefix(prefix)
