"""add media: the media table, article_media links, article hero and author avatar

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 08:40:46.005458
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("mime", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column(
            "caption", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "credit", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("alt", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("archive", sa.Boolean(), nullable=False),
        sa.Column("focal_x", sa.Float(), nullable=False),
        sa.Column("focal_y", sa.Float(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("placeholder", sa.Text(), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("animated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_key_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_key_id"],
            ["api_key.id"],
            name=op.f("fk_media_created_by_key_id_api_key"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_key_id"],
            ["api_key.id"],
            name=op.f("fk_media_updated_by_key_id_api_key"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("public_id", name=op.f("uq_media_public_id")),
        sa.UniqueConstraint("sha256", name=op.f("uq_media_sha256")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index("ix_media_created", ["created_at", "id"], unique=False)

    op.create_table(
        "article_media",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_media_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_article_media_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "media_id", name=op.f("pk_article_media")),
    )
    with op.batch_alter_table("article_media", schema=None) as batch_op:
        batch_op.create_index("ix_article_media_media", ["media_id", "article_id"], unique=False)

    # On SQLite a batch rebuilds the table; env.py turns foreign keys off around migrations so
    # that dropping the old copy does not cascade into the link tables.
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hero_media_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hero_caption", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hero_credit", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_article_hero_media_id_media"),
            "media",
            ["hero_media_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_media_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_author_avatar_media_id_media"),
            "media",
            ["avatar_media_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_author_avatar_media_id_media"), type_="foreignkey")
        batch_op.drop_column("avatar_media_id")

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_article_hero_media_id_media"), type_="foreignkey")
        batch_op.drop_column("hero_credit")
        batch_op.drop_column("hero_caption")
        batch_op.drop_column("hero_media_id")

    with op.batch_alter_table("article_media", schema=None) as batch_op:
        batch_op.drop_index("ix_article_media_media")

    op.drop_table("article_media")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_created")

    op.drop_table("media")
