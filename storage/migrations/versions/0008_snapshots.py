"""snapshots: where each revision's raw response lives in the WARC files

Revision ID: 0008
Revises: 0007

A revision made from a fetched response records the WARC file (its name inside the `snapshots`
folder), the offset of its response record and the length of that record with its metadata
record. Revisions stored before this migration, seeds and imports have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("snapshot_file", sa.String(255), nullable=True))
        batch.add_column(sa.Column("snapshot_offset", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("snapshot_length", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("snapshot_length")
        batch.drop_column("snapshot_offset")
        batch.drop_column("snapshot_file")
