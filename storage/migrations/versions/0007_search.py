"""search: every document's folded title and text, and their full-text indexes

Revision ID: 0007
Revises: 0006

`storage.search` reads these; `storage.archive` keeps them in step from now on, and the
documents already stored are indexed here, so an archive from before is searchable at once.
SQLite: two FTS5 tables over `search_text` (external content, kept in step by triggers), a
trigram one for title and text and a `unicode61` one for their CJK character pairs.
PostgreSQL: pg_trgm GIN indexes on title and text, and a GIN index of the pairs as an array;
where the server has no pg_trgm or refuses to install it, search still works, by scanning.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

from storage.search import PAIRS_ARRAY, index_row
from storage.shingles import normalize

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger(__name__)
BATCH = 500
COLUMNS = {"search_trigrams": ("title", "body"), "search_pairs": ("title_grams", "body_grams")}
TOKENIZERS = {"search_trigrams": "trigram", "search_pairs": "unicode61"}


def upgrade() -> None:
    search_text = op.create_table(
        "search_text",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("title_grams", sa.Text(), nullable=False),
        sa.Column("body_grams", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_search_text_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_search_text")),
    )
    _index_existing(search_text)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_indexes()
    else:
        _postgres_indexes()


def _index_existing(search_text: sa.Table) -> None:
    documents = sa.table(
        "documents", sa.column("id", sa.Integer), sa.column("title"), sa.column("text")
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(documents.c.id, documents.c.title, documents.c.text)
            .where(documents.c.id > last)
            .order_by(documents.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            search_text.insert(),
            [index_row(id_, title, normalize(text)) for id_, title, text in rows],
        )
        last = rows[-1][0]


def _sqlite_indexes() -> None:
    """FTS5 tables filled from `search_text` at once, then triggers for every later write."""
    for table, (first, second) in COLUMNS.items():
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({first}, {second}, content='search_text',"
            f" content_rowid='document_id', tokenize='{TOKENIZERS[table]}')"
        )
        op.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
    inserts = {
        table: f"INSERT INTO {table}(rowid, {a}, {b}) VALUES (new.document_id, new.{a}, new.{b});"
        for table, (a, b) in COLUMNS.items()
    }
    deletes = {
        table: f"INSERT INTO {table}({table}, rowid, {a}, {b})"
        f" VALUES ('delete', old.document_id, old.{a}, old.{b});"
        for table, (a, b) in COLUMNS.items()
    }
    triggers = {
        "search_text_inserted": ("AFTER INSERT", [*inserts.values()]),
        "search_text_deleted": ("AFTER DELETE", [*deletes.values()]),
        "search_text_updated": ("AFTER UPDATE", [*deletes.values(), *inserts.values()]),
    }
    for name, (when, statements) in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {when} ON search_text BEGIN {' '.join(statements)} END")


def _postgres_indexes() -> None:
    trigram_ops = _trigram_ops()
    if trigram_ops is not None:
        for column in ("title", "body"):
            op.execute(
                f"CREATE INDEX ix_search_text_{column}_trigrams ON search_text"
                f" USING gin ({column} {trigram_ops})"
            )
    op.execute(f"CREATE INDEX ix_search_text_pairs ON search_text USING gin (({PAIRS_ARRAY}))")


def _trigram_ops() -> str | None:
    """pg_trgm's GIN operator class, named with its schema (a connection's search path may
    not hold it); installed first where the server has it and allows it, else None."""
    connection = op.get_bind()
    schema_of = sa.text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    schema = connection.scalar(schema_of)
    if schema is None:
        try:
            with connection.begin_nested():
                connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except DBAPIError as err:
            logger.warning(
                "pg_trgm is not available (%s): search will scan the archive instead of using"
                " trigram indexes; a database superuser can run CREATE EXTENSION pg_trgm",
                " ".join(str(err.orig).split()),
            )
            return None
        schema = connection.scalar(schema_of)
    return f"{schema}.gin_trgm_ops"


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("search_text_inserted", "search_text_deleted", "search_text_updated"):
            op.execute(f"DROP TRIGGER {name}")
        for table in COLUMNS:
            op.execute(f"DROP TABLE {table}")
    op.drop_table("search_text")
