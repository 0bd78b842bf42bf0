"""queue index: the review queue read in order from one index, counted without the texts

Revision ID: 0010
Revises: 0009

On a 100k-document archive the review page's queue took 1.4 s on SQLite (bench/web.py): the
old index (is_new, relevant, review) left every queued row to be read, texts included, to sort
it by first_seen and to count it. This index holds the queue's conditions, its order and the
columns its filters and count read, so a page walks 50 entries and a count reads no row. The
language index serves the filter menu's distinct languages.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_documents_review_queue", table_name="documents")
    op.create_index(
        "ix_documents_queue",
        "documents",
        ["review", "is_new", "relevant", "first_seen", "id", "source_id", "language"],
    )
    op.create_index("ix_documents_language", "documents", ["language"])


def downgrade() -> None:
    op.drop_index("ix_documents_language", table_name="documents")
    op.drop_index("ix_documents_queue", table_name="documents")
    op.create_index("ix_documents_review_queue", "documents", ["is_new", "relevant", "review"])
