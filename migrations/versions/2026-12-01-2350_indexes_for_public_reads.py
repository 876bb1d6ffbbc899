"""indexes for public reads: the sitemap index, the sync copy, published articles by id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:50:00.000000

``ix_article_status_id`` (status, id, published_at, updated_at) covers the sitemap index,
which numbers every published article in id order and needs its ``updated_at``: that was a
read of every published row and a sort. It also serves ``id IN (…)`` with the visibility rule
(article pages' related articles, pinned cards, ninjs pages), which SQLite without statistics
otherwise answered by walking every published article.

``ix_article_status_public_id`` (status, public_id, published_at) gives the sync copy its order
(published articles by public id): SQLite read and sorted every published row for each page.
It serves the sync log's ``public_id IN (…)`` with the visibility rule the same way.

Both are checked against the plans in tests/test_query_plans.py. Building them reads the
article table once; PostgreSQL holds writes to it meanwhile (seconds per million articles).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_article_status_id", "article", ["status", "id", "published_at", "updated_at"]
    )
    op.create_index(
        "ix_article_status_public_id", "article", ["status", "public_id", "published_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_article_status_public_id", table_name="article")
    op.drop_index("ix_article_status_id", table_name="article")
