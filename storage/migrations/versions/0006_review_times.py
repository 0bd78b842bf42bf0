"""review times: when each review decision was recorded, and on which revision

Revision ID: 0006
Revises: 0005

A document revised after its review decision is shown as changed (an edited forum post must
not slip past a reviewer who kept it earlier); that needs the revision the reviewer saw, and
the time of the decision. Decisions recorded before this migration are taken to have seen the
latest revision, so the archive's history does not come back as changed all at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("reviewed", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_revision", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE documents SET"
        " reviewed = (SELECT max(revisions.fetched) FROM revisions"
        " WHERE revisions.document_id = documents.id),"
        " reviewed_revision = (SELECT max(revisions.number) FROM revisions"
        " WHERE revisions.document_id = documents.id)"
        " WHERE review != 'unreviewed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("reviewed_revision")
        batch.drop_column("reviewed")
