"""owners and identity: run owners, validators keyed by source, a page's declared URL

Revision ID: 0004
Revises: 0003

- `crawl_runs.owner`: the process that runs it (`host:pid:start`), so only runs whose owner is
  gone are closed as interrupted; a live run beside it is left alone.
- `http_validators` gains `source_id` in its key: two sources watching one URL each keep their
  own validators. Old rows are dropped (a validator is a cache: the next fetch is in full).
- `documents.declared_url`: a canonical URL the page declared but that was not accepted as its
  identity (another site, or a site's root or section index), kept as a hint.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("declared_url", sa.String(length=2048), nullable=True))
    op.drop_table("http_validators")
    op.create_table(
        "http_validators",
        sa.Column("source_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_http_validators_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "url", name=op.f("pk_http_validators")),
    )


def downgrade() -> None:
    op.drop_table("http_validators")
    op.create_table(
        "http_validators",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_http_validators")),
    )
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("declared_url")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("owner")
