"""websub queue: pings to WebSub hubs, delivered with retries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "websub_ping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_websub_ping")),
    )
    op.create_index("ix_websub_ping_due", "websub_ping", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_websub_ping_due", table_name="websub_ping")
    op.drop_table("websub_ping")
