"""authors and modified: documents keep their authors as a list, and when the page was modified

Revision ID: 0009
Revises: 0008

`authors` is a JSON list of names (people only, never the publication); `author` stays the
display form exports, search and the review page read: the names joined with ", ". Rows stored
before held extraction's "; "-joined string in `author`: it is split into the list and rejoined.
`modified` is the page's own last-modified date (ISO 8601, as `published`), when it gives one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("authors", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("modified", sa.String(40), nullable=True))
    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer()),
        sa.column("author", sa.Text()),
        sa.column("authors", sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(documents.c.id, documents.c.author).where(documents.c.author.is_not(None))
    ).all()
    for document_id, author in rows:
        names = [name.strip() for name in author.split(";") if name.strip()]
        connection.execute(
            documents.update()
            .where(documents.c.id == document_id)
            .values(authors=names or None, author=", ".join(names) or None)
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("modified")
        batch.drop_column("authors")
