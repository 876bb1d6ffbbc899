"""Article revisions: a snapshot of every saved version, a field-by-field diff between two,
and the fields a restore writes back.

A snapshot names linked things by their public identifiers (section/author/tag slugs, article
and media ids) so that it reads on its own, and restoring it goes through the same checks as an
edit by hand.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, defer

from app.models import ApiKey, Article, ArticleRevision, Media
from app.models.base import utcnow
from app.services.audit import actor_of
from app.services.pagination import decode_cursor, encode_cursor

# What a restore writes back: the content. The lifecycle (status, schedule, publication
# dates) and the public corrections are not content, so restoring never publishes, unpublishes
# or drops a correction.
CONTENT_FIELDS = (
    "headline",
    "kicker",
    "subheadline",
    "summary",
    "body",
    "slug",
    "section",
    "sections",
    "authors",
    "tags",
    "related",
    "hero",
    "breaking",
    "urgency",
    "source",
    "canonical_url",
)
STATE_FIELDS = ("status", "scheduled_at", "embargo", "published_at", "corrections")
FIELDS = (*CONTENT_FIELDS, "lang", *STATE_FIELDS)

_LATEST = select(func.max(ArticleRevision.version)).where(
    ArticleRevision.article_id == bindparam("article_id")
)


def snapshot(session: Session, article: Article) -> dict[str, Any]:
    """The article as a revision stores it (links and drafts included)."""
    from app.services.articles import full  # articles imports this module

    page = full(session, article, public=False)
    hero = None
    if article.hero_media_id is not None:
        media_id = (
            page.hero.public_id
            if page.hero is not None
            else session.scalar(select(Media.public_id).where(Media.id == article.hero_media_id))
        )
        hero = {"media": media_id, "caption": article.hero_caption, "credit": article.hero_credit}
    return {
        "headline": article.headline,
        "kicker": article.kicker,
        "subheadline": article.subheadline,
        "summary": article.summary,
        "body": article.body,
        "slug": article.slug,
        "lang": article.lang,
        "section": page.section.slug if page.section is not None else None,
        "sections": [s.slug for s in page.sections],
        "authors": [a.slug for a in page.authors],
        "tags": [t.slug for t in page.tags],
        "related": [r.public_id for r in page.related],
        "hero": hero,
        "breaking": article.breaking,
        "urgency": article.urgency,
        "source": article.source,
        "canonical_url": article.canonical_url,
        "status": article.status,
        "scheduled_at": _iso(article.scheduled_at),
        "embargo": article.embargo,
        "published_at": _iso(article.published_at),
        "corrections": list(article.corrections or []),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def latest_version(session: Session, article: Article) -> int | None:
    return session.scalar(_LATEST, {"article_id": article.id})


def ensure_baseline(session: Session, article: Article) -> None:
    """Before a write: an article saved before revisions existed (or by a raw import) gets its
    current state stored first, so the write's revision has something to differ from."""
    if article.id is None or latest_version(session, article) == article.version:
        return
    session.add(
        ArticleRevision(
            article_id=article.id,
            version=article.version,
            created_at=article.updated_at,
            action="baseline",
            key_id=None,
            actor="(before revisions)",
            changed=[],
            snapshot=snapshot(session, article),
        )
    )
    session.flush()


def record(
    session: Session,
    article: Article,
    *,
    action: str,
    key: ApiKey | None,
    restored_from: int | None = None,
    actor: str | None = None,
) -> tuple[ArticleRevision, dict[str, Any] | None]:
    """Store the article as it now is (after the flush that bumped its version). Returns the
    revision and the snapshot of the one before it (None for a new article)."""
    state = snapshot(session, article)
    previous = session.scalar(
        select(ArticleRevision.snapshot)
        .where(ArticleRevision.article_id == article.id, ArticleRevision.version < article.version)
        .order_by(ArticleRevision.version.desc())
        .limit(1)
    )
    changed = [name for name in FIELDS if previous is None or previous.get(name) != state[name]]
    if previous is None:
        changed = [name for name in changed if state[name] not in (None, [], False)]
    revision = ArticleRevision(
        article_id=article.id,
        version=article.version,
        created_at=utcnow(),
        action=action,
        key_id=key.id if key is not None else None,
        actor=actor if actor is not None else actor_of(key),
        changed=changed,
        snapshot=state,
        restored_from=restored_from,
    )
    session.add(revision)
    session.flush()
    return revision, previous


def list_revisions(
    session: Session, *, article: Article, cursor: str | None, limit: int
) -> tuple[list[ArticleRevision], str | None]:
    """Newest first, without loading the snapshots."""
    query = (
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .options(defer(ArticleRevision.snapshot))
    )
    if cursor is not None:
        (before,) = decode_cursor(cursor, "revision", int)
        query = query.where(ArticleRevision.version < before)
    rows = list(session.scalars(query.order_by(ArticleRevision.version.desc()).limit(limit + 1)))
    next_cursor = encode_cursor("revision", rows[limit - 1].version) if len(rows) > limit else None
    return rows[:limit], next_cursor


def key_prefixes(session: Session, ids: set[int]) -> dict[int, str]:
    """The prefixes of these keys, by id (to name who saved a revision)."""
    if not ids:
        return {}
    return dict(session.execute(select(ApiKey.id, ApiKey.prefix).where(ApiKey.id.in_(ids))).all())


def get_revision(session: Session, *, article: Article, version: int) -> ArticleRevision | None:
    return session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.version == version
        )
    )


@dataclass
class FieldChange:
    field: str
    before: Any
    after: Any
    blocks: list[dict[str, Any]] | None = None
    """For the body: the block-level edit script (what was replaced, inserted, deleted)."""


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The fields that differ between two snapshots, in a stable order."""
    changes: list[FieldChange] = []
    for name in FIELDS:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        change = FieldChange(name, old, new)
        if name == "body":
            change.blocks = body_ops(old or [], new or [])
        changes.append(change)
    return changes


def body_ops(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Block-level differences: each op names the blocks it spans (0-based, end exclusive)."""
    keys_old = [orjson.dumps(b, option=orjson.OPT_SORT_KEYS) for b in old]
    keys_new = [orjson.dumps(b, option=orjson.OPT_SORT_KEYS) for b in new]
    ops = []
    matcher = difflib.SequenceMatcher(a=keys_old, b=keys_new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        ops.append(
            {
                "op": tag,
                "before": {"start": i1, "end": i2, "blocks": old[i1:i2]},
                "after": {"start": j1, "end": j2, "blocks": new[j1:j2]},
            }
        )
    return ops
