"""Delta sync: an offline app copies the public content once, then asks what changed since.

``GET /v1/sync`` without a token starts a copy: it notes the number of the last event (see
app.services.events), then pages through what is public now: sections, tags, authors, then
published articles (filtered by section and language). When the copy is done, the token moves
on to the sync log (``sync_item``) from that event number: every item changed since, once
each, in the order of its latest change, as an upsert (the item as the public sees it now) or
a deletion (it left the public, or no longer matches the filters).

Why an app that follows the tokens ends with exactly the public content, whatever happens in
between:

- an item changed during the copy has an event after the noted number, so it comes again
  from the log, as it is then;
- event numbers follow commit order, so a log page never skips a change that commits later
  with a smaller number; a change moves its item to the head of the log, so a client that
  has passed it meets it again;
- the state sent is read when the page is made, never from the event: whatever a page says
  last about an item is what the public saw when it was sent.

Deletions may name items the app never had (an article that left another section, say):
deleting what is not there is a no-op.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.errors import BadRequest, NotFound
from app.models import Article, Author, Section, SyncItem, Tag
from app.models.base import utcnow
from app.services import articles as article_service
from app.services import authors as author_service
from app.services import events as event_service
from app.services import sections as section_service
from app.services.articles import ArticleFilters, Full

Kind = Literal["section", "tag", "author", "article"]
PHASES: tuple[Kind, ...] = ("section", "tag", "author", "article")
_TAXONOMY: dict[str, Any] = {"section": Section, "tag": Tag, "author": Author}


@dataclass(frozen=True)
class Token:
    """Where a client is. During the copy: ``since`` is the event number noted at the start,
    ``phase`` and ``after`` the last item sent. Afterwards (``phase`` None): the last log
    position sent, ``(since, after_type, after)``."""

    since: int
    phase: Kind | None
    after_type: str
    after: str
    section: str | None
    lang: str | None

    def encode(self) -> str:
        raw = orjson.dumps(
            ["sync", self.since, self.phase, self.after_type, self.after, self.section, self.lang]
        )
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, token: str) -> Token:
        try:
            raw = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode("ascii"))
            tag, since, phase, after_type, after, section, lang = orjson.loads(raw)
            if (
                tag != "sync"
                or not isinstance(since, int)
                or isinstance(since, bool)
                or since < 0
                or (phase is not None and phase not in PHASES)
                or not isinstance(after_type, str)
                or not isinstance(after, str)
                or not (section is None or isinstance(section, str))
                or not (lang is None or isinstance(lang, str))
            ):
                raise ValueError("wrong shape")
        except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
            raise BadRequest(
                "The sync token is not valid: pass back the next_token value unchanged, or "
                "start again without one."
            ) from exc
        return cls(since, phase, after_type, after, section, lang)


@dataclass
class Change:
    """One item of a sync page: the item as the public sees it now, or None when deleted.
    ``item`` is a Full (article), Section, Tag or Author; ``extra`` the section's parent
    slug or the author's avatar."""

    kind: str
    id: str
    item: Any = None
    extra: Any = None

    @property
    def deleted(self) -> bool:
        return self.item is None


def start(session: Session, *, section: str | None, lang: str | None) -> Token:
    """The token of a new copy (the filters are checked here: an unknown section is 404)."""
    if section is not None and section_service.subtree_ids_by_slug(session, slug=section) is None:
        raise NotFound(f"No section has the slug «{section}».")
    return Token(event_service.current_number(session), "section", "", "", section, lang)


def page(session: Session, *, token: Token, limit: int) -> tuple[list[Change], Token, bool]:
    """Up to ``limit`` changes after ``token``, the token after them, and whether more are
    waiting already (then ask again at once; otherwise later)."""
    changes: list[Change] = []
    while token.phase is not None and len(changes) < limit:
        batch, token = _copy(session, token, limit - len(changes))
        changes.extend(batch)
    if token.phase is not None or len(changes) == limit:
        return changes, token, True
    batch, token, more = _log(session, token, limit - len(changes))
    return changes + batch, token, more


def _filters(token: Token) -> ArticleFilters:
    return ArticleFilters(section=token.section, lang=token.lang)


def _copy(session: Session, token: Token, limit: int) -> tuple[list[Change], Token]:
    """The next items of the copy, from the current phase (moving to the next at its end)."""
    kind = token.phase
    assert kind is not None
    if kind == "article":
        query = article_service.filter_articles(
            session, select(Article), _filters(token), now=utcnow()
        ).where(Article.public_id > token.after)
        rows = list(session.scalars(query.order_by(Article.public_id).limit(limit)))
        changes = [Change("article", full.article.public_id, full) for full in _full(session, rows)]
    else:
        model = _TAXONOMY[kind]
        items = list(
            session.scalars(
                select(model).where(model.slug > token.after).order_by(model.slug).limit(limit)
            )
        )
        changes = _taxonomy(session, kind, items)
    if len(changes) == limit:
        return changes, replace(token, after=changes[-1].id)
    following = PHASES.index(kind) + 1
    if following < len(PHASES):
        return changes, replace(token, phase=PHASES[following], after="")
    return changes, replace(token, phase=None, after_type="", after="")


def _log(session: Session, token: Token, limit: int) -> tuple[list[Change], Token, bool]:
    """The next items of the sync log, each as it is now."""
    query = select(SyncItem.seq, SyncItem.item_type, SyncItem.item_id)
    if token.after_type:
        query = query.where(
            tuple_(SyncItem.seq, SyncItem.item_type, SyncItem.item_id)
            > tuple_(token.since, token.after_type, token.after)  # type: ignore[arg-type]
        )
    else:  # just after the copy: what changed after the event it started from
        query = query.where(SyncItem.seq > token.since)
    rows = list(
        session.execute(
            query.order_by(SyncItem.seq, SyncItem.item_type, SyncItem.item_id).limit(limit)
        )
    )
    if not rows:
        return [], token, False
    wanted: dict[str, list[str]] = {}
    for _, kind, item_id in rows:
        wanted.setdefault(kind, []).append(item_id)
    found: dict[tuple[str, str], Change] = {}
    for kind, ids in wanted.items():
        for change in _current(session, kind, ids, token):
            found[(kind, change.id)] = change
    changes = [found.get((kind, item_id), Change(kind, item_id)) for _, kind, item_id in rows]
    last = rows[-1]
    return (
        changes,
        replace(token, since=last[0], after_type=last[1], after=last[2]),
        len(rows) == limit,
    )


def _current(session: Session, kind: str, ids: Sequence[str], token: Token) -> list[Change]:
    """The items among ``ids`` that the public sees now (and that match the filters)."""
    if kind == "article":
        query = article_service.filter_articles(
            session, select(Article), _filters(token), now=utcnow()
        ).where(Article.public_id.in_(ids))
        return [
            Change("article", full.article.public_id, full)
            for full in _full(session, list(session.scalars(query)))
        ]
    model = _TAXONOMY.get(kind)
    if model is None:
        return []
    return _taxonomy(session, kind, list(session.scalars(select(model).where(model.slug.in_(ids)))))


def _full(session: Session, articles: list[Article]) -> list[Full]:
    return article_service.full_many(session, articles, public=True) if articles else []


def _taxonomy(session: Session, kind: str, items: list[Any]) -> list[Change]:
    if kind == "section":
        parents = {
            s.id: s.slug
            for s in session.scalars(
                select(Section).where(Section.id.in_({i.parent_id for i in items if i.parent_id}))
            )
        }
        return [Change("section", s.slug, s, parents.get(s.parent_id or 0)) for s in items]
    if kind == "author":
        photos = author_service.avatars(session, items)
        return [Change("author", a.slug, a, photos.get(a.avatar_media_id or 0)) for a in items]
    return [Change(kind, item.slug, item) for item in items]
