"""ready-made public JSON: article pages and list cards as the bytes they are sent as

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:30:00.000000

Both tables start empty: a published article's rows are written by the first public read
that needs them (app.services.ready), so an upgraded database serves as before and fills them
as it is read. They hold nothing that is not in the other tables; the downgrade drops them.
``article_id`` has no foreign key on purpose (see app/models/ready.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ready_article",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("surrogate_keys", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_ready_article")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ready_article_public_id")),
    )
    op.create_table(
        "ready_card",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_ready_card")),
    )


def downgrade() -> None:
    op.drop_table("ready_card")
    op.drop_table("ready_article")
