"""Demo content: a fictional publication, written for Khabar, loaded into an empty store."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from typing import Any

import orjson
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.services import articles as article_service
from app.services import authors as author_service
from app.services import sections as section_service
from app.services import tags as tag_service


def demo_content() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        resources.files("app.demo").joinpath("content.json").read_bytes()
    )
    return data


def load_demo(session: Session, *, default_lang: str, if_empty: bool) -> int:
    """Load the demo; returns how many articles it added (0 when skipped)."""
    if if_empty and article_service.count_articles(session) > 0:
        return 0
    data = demo_content()
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
        author_service.create_author(session, data=author, default_lang=default_lang)
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
            not in ("key", "hours_ago", "related", "translation_of", "extra_sections", "status")
        }
        fields["sections"] = item.get("extra_sections", [])
        if item.get("translation_of"):
            fields["translation_of"] = ids[item["translation_of"]]
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
