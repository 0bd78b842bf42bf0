"""run counters: revisions and already-known links per source run; the seed source repaired

Revision ID: 0005
Revises: 0004

Every counter of a crawl (`storage.runs.COUNTERS`) is now kept in the run record, so the
crawl summary, the record and `amur status` read one list.

Before sources were owned, `amur import --source seed` turned the `seed` source's kind into
`import`, which put every seed document into the review queue for good; its kind is restored.
Documents such an import filed under `seed` stay there (they have no seed file name, so
`amur export --source seed` tells them apart).
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
    op.execute("UPDATE sources SET kind = 'seed' WHERE name = 'seed'")


def downgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        batch.drop_column("known")
        batch.drop_column("revised")
