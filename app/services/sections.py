"""Sections: a small tree, read whole (it is tens of rows, not thousands)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session

from app.errors import Conflict, ValidationFailed, field_error
from app.models import Article, ArticleSection, Section, SectionPin
from app.services.slugs import checked_slug
from app.text.slugs import normalise_slug


def all_sections(session: Session) -> list[Section]:
    return list(session.scalars(select(Section).order_by(Section.position, Section.id)))


def get_section(session: Session, *, slug: str) -> Section | None:
    return session.scalar(select(Section).where(Section.slug == normalise_slug(slug)))


class _Node(Protocol):
    id: int
    parent_id: int | None


def subtree_ids(sections: Sequence[_Node], root_id: int) -> list[int]:
    """The id of ``root_id`` and of every section below it."""
    children: dict[int | None, list[int]] = {}
    for section in sections:
        children.setdefault(section.parent_id, []).append(section.id)
    ids, stack = [], [root_id]
    while stack:
        current = stack.pop()
        ids.append(current)
        stack.extend(children.get(current, []))
    return ids


def subtree_ids_by_slug(session: Session, *, slug: str) -> list[int] | None:
    """The section with this slug and every section below it, in one query; None if unknown."""
    sections = session.execute(select(Section.id, Section.slug, Section.parent_id)).all()
    wanted = normalise_slug(slug)
    root = next((s for s in sections if s.slug == wanted), None)
    return subtree_ids(sections, root.id) if root is not None else None


def create_section(session: Session, *, data: dict[str, Any]) -> Section:
    slug = checked_slug(data["slug"])
    if session.scalar(select(exists().where(Section.slug == slug))):
        raise Conflict(f"A section with the slug «{slug}» exists already.")
    section = Section(
        slug=slug,
        names=data["names"],
        descriptions=data.get("descriptions") or {},
        position=data.get("position") or 0,
        parent_id=_parent_id(session, data.get("parent"), None),
    )
    session.add(section)
    session.flush()
    if data.get("pinned") is not None:
        _set_pins(session, section, data["pinned"])
    return section


def update_section(session: Session, *, section: Section, changes: dict[str, Any]) -> Section:
    if "slug" in changes and changes["slug"] != section.slug:
        slug = checked_slug(changes["slug"])
        taken = exists().where(Section.slug == slug, Section.id != section.id)
        if session.scalar(select(taken)):
            raise Conflict(f"A section with the slug «{slug}» exists already.")
        section.slug = slug
    if changes.get("names") is not None:
        section.names = changes["names"]
    if "descriptions" in changes:
        section.descriptions = changes["descriptions"] or {}
    if changes.get("position") is not None:
        section.position = changes["position"]
    if "parent" in changes:
        section.parent_id = _parent_id(session, changes["parent"], section)
    if changes.get("pinned") is not None:
        _set_pins(session, section, changes["pinned"])
    session.flush()
    return section


def delete_section(session: Session, *, section: Section) -> None:
    if session.scalar(select(exists().where(Section.parent_id == section.id))):
        raise Conflict("The section has sub-sections: move or delete them first.")
    in_use = session.scalar(
        select(
            exists().where(Article.primary_section_id == section.id)
            | exists().where(ArticleSection.section_id == section.id)
        )
    )
    if in_use:
        raise Conflict("Articles are filed in this section: move them first.")
    session.delete(section)
    session.flush()


def _parent_id(session: Session, parent_slug: str | None, section: Section | None) -> int | None:
    if parent_slug is None:
        return None
    parent = get_section(session, slug=parent_slug)
    if parent is None:
        raise ValidationFailed(
            f"No section has the slug «{parent_slug}».",
            errors=[field_error(["body", "parent"], "unknown section")],
        )
    if section is not None and parent.id in subtree_ids(all_sections(session), section.id):
        raise ValidationFailed(
            "A section cannot be moved below itself.",
            errors=[field_error(["body", "parent"], "would make a cycle")],
        )
    return parent.id


def _set_pins(session: Session, section: Section, article_ids: list[str]) -> None:
    ids: list[int] = []
    for position, public_id in enumerate(dict.fromkeys(article_ids)):
        found = session.scalar(select(Article.id).where(Article.public_id == public_id))
        if found is None:
            raise ValidationFailed(
                f"No article has the id «{public_id}».",
                errors=[field_error(["body", "pinned", position], "unknown article")],
            )
        ids.append(found)
    session.execute(delete(SectionPin).where(SectionPin.section_id == section.id))
    if ids:
        session.execute(
            insert(SectionPin),
            [
                {"section_id": section.id, "article_id": article_id, "position": position}
                for position, article_id in enumerate(ids)
            ],
        )


def count_sections(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Section)) or 0
