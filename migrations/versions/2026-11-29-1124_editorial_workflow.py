"""editorial workflow: revisions, audit log, trash, embargo, corrections, key scopes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:24:29.372514

Articles saved before this revision have no revisions yet: the first write after the upgrade
stores the article as it was (a "baseline" revision) before the change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "app_secret",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secret")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("item_type", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_key.id"],
            name=op.f("fk_audit_event_key_id_api_key"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_action", "audit_event", ["action", "id"])
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index("ix_audit_event_item", "audit_event", ["item_type", "item_id", "id"])
    op.create_index("ix_audit_event_key", "audit_event", ["key_id", "id"])
    op.create_table(
        "article_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("changed", JSON, nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_revision_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_key.id"],
            name=op.f("fk_article_revision_key_id_api_key"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_revision")),
        sa.UniqueConstraint(
            "article_id", "version", name=op.f("uq_article_revision_article_id_version")
        ),
    )
    # Plain ADD COLUMNs (with defaults for the rows already there): no table rebuild on SQLite.
    op.add_column("api_key", sa.Column("scopes", JSON, nullable=False, server_default="[]"))
    op.add_column(
        "article",
        sa.Column("embargo", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("article", sa.Column("trashed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("article", sa.Column("corrections", JSON, nullable=False, server_default="[]"))
    op.create_index("ix_article_status_scheduled", "article", ["status", "scheduled_at"])


def downgrade() -> None:
    # Trashed articles come back as drafts: the old schema has no trash.
    op.execute("UPDATE article SET status = 'draft' WHERE status = 'trashed'")
    op.drop_index("ix_article_status_scheduled", table_name="article")
    # Plain DROP COLUMNs (SQLite ≥ 3.35): a batch rebuild of ``article`` would drop the search
    # index's triggers with the old table.
    for table, column in (
        ("article", "corrections"),
        ("article", "trashed_at"),
        ("article", "embargo"),
        ("api_key", "scopes"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("article_revision")
    op.drop_index("ix_audit_event_key", table_name="audit_event")
    op.drop_index("ix_audit_event_item", table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_at"), table_name="audit_event")
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_table("app_secret")
