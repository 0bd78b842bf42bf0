"""dedup index: winnowed fingerprints of each text

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00

Indexes the texts already stored, so documents from before the upgrade are found as
candidates; their existing matches are kept as they were. A later change to the shingling
parameters in `storage.shingles` needs a migration that rebuilds this index the same way.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.shingles import profile

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 200


def upgrade() -> None:
    fingerprints = op.create_table(
        "fingerprints",
        sa.Column("hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_fingerprints_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hash", "document_id", name=op.f("pk_fingerprints")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_fingerprints_document_id"), "fingerprints", ["document_id"], unique=False
    )
    _index_existing(fingerprints)


def _index_existing(fingerprints: sa.Table) -> None:
    """Fingerprint every stored text except exact copies (dedup does not index those either)."""
    documents = sa.table(
        "documents", sa.column("id", sa.Integer), sa.column("text"), sa.column("text_hash")
    )
    connection = op.get_bind()
    seen: set[str] = set()
    ids = []
    for document_id, digest in connection.execute(
        sa.select(documents.c.id, documents.c.text_hash).order_by(documents.c.id)
    ):
        if digest not in seen:
            seen.add(digest)
            ids.append(document_id)
    for start in range(0, len(ids), BATCH):
        texts = connection.execute(
            sa.select(documents.c.id, documents.c.text).where(
                documents.c.id.in_(ids[start : start + BATCH])
            )
        ).all()
        rows = [
            {"hash": value, "document_id": document_id, "position": position}
            for document_id, text in texts
            for value, position in profile(text).fingerprints().items()
        ]
        if rows:
            connection.execute(fingerprints.insert(), rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_fingerprints_document_id"), table_name="fingerprints")
    op.drop_table("fingerprints")
