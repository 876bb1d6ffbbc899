"""Running Alembic from code (the CLI and the tests use this; the schema has no other path)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """What autogenerate compares: not the full-text engine's own objects, which migrations
    create outside the models (SQLite's FTS5 table and its shadow tables, PostgreSQL's tsvector
    column and its index)."""
    if type_ == "table" and name is not None and name.startswith("article_fts"):
        return False
    if type_ == "column" and name == "document":
        return getattr(getattr(obj, "table", None), "name", None) != "article_search"
    return not (type_ == "index" and name == "ix_article_search_document")
