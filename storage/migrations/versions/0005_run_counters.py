"""run counters: revisions and already-known links per source run

Revision ID: 0005
Revises: 0004

Every counter of a crawl (`storage.runs.COUNTERS`) is now kept in the run record, so the
crawl summary, the record and `amur status` read one list.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        batch.add_column(sa.Column("revised", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("known", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        batch.drop_column("known")
        batch.drop_column("revised")
