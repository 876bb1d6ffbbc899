"""add search index: article_search, with FTS5 (SQLite) or a tsvector + GIN (PostgreSQL), and search_state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:50:00

The rows hold the text pipeline's output; the database's own engine indexes them. The engine
objects are not in the models (SQLAlchemy has no type for them): ``app.migrate.include_object``
keeps autogenerate from wanting to drop them. An existing store fills the index with
``khabar reindex``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "headline, summary, body, extra"
_NEW = "new.article_id, new.headline, new.summary, new.body, new.extra"
_OLD = "old.article_id, old.headline, old.summary, old.body, old.extra"

# SQLite: an external-content FTS5 table over article_search, kept in step by triggers (the
# pattern of https://sqlite.org/fts5.html#external_content_tables). Terms are plain letters and
# digits separated by spaces, so unicode61 sees exactly the pipeline's tokens; prefix indexes
# make "word*" queries cheap.
_SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE article_fts USING fts5(
        {_COLUMNS},
        content='article_search', content_rowid='article_id',
        tokenize='unicode61 remove_diacritics 0', prefix='2 3 4'
    )""",
    f"""CREATE TRIGGER article_search_ai AFTER INSERT ON article_search BEGIN
        INSERT INTO article_fts(rowid, {_COLUMNS}) VALUES ({_NEW});
    END""",
    f"""CREATE TRIGGER article_search_ad AFTER DELETE ON article_search BEGIN
        INSERT INTO article_fts(article_fts, rowid, {_COLUMNS}) VALUES ('delete', {_OLD});
    END""",
    f"""CREATE TRIGGER article_search_au AFTER UPDATE ON article_search BEGIN
        INSERT INTO article_fts(article_fts, rowid, {_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO article_fts(rowid, {_COLUMNS}) VALUES ({_NEW});
    END""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS article_search_au",
    "DROP TRIGGER IF EXISTS article_search_ad",
    "DROP TRIGGER IF EXISTS article_search_ai",
    "DROP TABLE IF EXISTS article_fts",
]

# PostgreSQL: the 'simple' configuration only lowercases and splits, which is what pipeline
# output needs; weights A (headline) > B (summary, tags, authors) > C (body). Concatenated
# tsvectors number their words on from each other, so a phrase could run from the last word of
# the headline into the summary: a separator lexeme between the parts ("_", which the pipeline
# never produces) keeps them one position apart, as FTS5's separate columns are.
_GAP = "|| '_:1'::tsvector ||"
_POSTGRES_UP = [
    f"""ALTER TABLE article_search ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', headline), 'A') {_GAP}
        setweight(to_tsvector('simple', summary), 'B') {_GAP}
        setweight(to_tsvector('simple', extra), 'B') {_GAP}
        setweight(to_tsvector('simple', body), 'C')
    ) STORED""",
    "CREATE INDEX ix_article_search_document ON article_search USING gin (document)",
]


def upgrade() -> None:
    op.create_table(
        "article_search",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_search_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_search")),
    )
    op.create_table(
        "search_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_state")),
    )
    statements = _SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("search_state")
    op.drop_table("article_search")
