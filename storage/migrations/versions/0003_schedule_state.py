"""schedule state: per-source leases and waits, HTTP validators, items found per run

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        # Items the source listed (feed entries, listing links, posts), and whether its own
        # URL was unchanged: together they tell a quiet source from a broken one.
        batch.add_column(sa.Column("found", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("unchanged", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "source_state",
        sa.Column("source_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_source_state_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_source_state")),
    )
    op.create_table(
        "http_validators",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_http_validators")),
    )


def downgrade() -> None:
    op.drop_table("http_validators")
    op.drop_table("source_state")
    with op.batch_alter_table("source_runs") as batch:
        batch.drop_column("unchanged")
        batch.drop_column("found")
