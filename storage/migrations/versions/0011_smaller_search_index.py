"""smaller search index: SQLite's FTS5 tables keep which documents hold a trigram, not where

Revision ID: 0011
Revises: 0010

0007's trigram table had FTS5's default detail=full: every trigram's position in every
document, 3.8 times the documents table on a 100k archive with the pairs (bench/search.py), for
phrase queries and bm25. Search no longer ranks by bm25 (`storage.search`: the matches newest
first, then the first few hundred scored) and needs no phrase from the index: it asks for the
documents holding every trigram of a word and checks the word on each row it reads. So both tables
become detail=none (no positions) and columnsize=0 (no token counts, which only bm25 read), and
the trigram table indexes one column, the title and text joined by a line break (a query word
never holds one, so none is found across the join), read through the view `search_folded`.
PostgreSQL's indexes are unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ("search_text_inserted", "search_text_deleted", "search_text_updated")
JOINED = "{row}.title || char(10) || {row}.body"
NEW = {
    "search_trigrams": (
        "fts5(folded, content='search_folded', content_rowid='document_id',"
        " tokenize='trigram', detail=none, columnsize=0)",
        ("folded",),
        (JOINED,),
    ),
    "search_pairs": (
        "fts5(title_grams, body_grams, content='search_text', content_rowid='document_id',"
        " tokenize='unicode61', detail=none, columnsize=0)",
        ("title_grams", "body_grams"),
        ("{row}.title_grams", "{row}.body_grams"),
    ),
}
OLD = {
    "search_trigrams": (
        "fts5(title, body, content='search_text', content_rowid='document_id', tokenize='trigram')",
        ("title", "body"),
        ("{row}.title", "{row}.body"),
    ),
    "search_pairs": (
        "fts5(title_grams, body_grams, content='search_text', content_rowid='document_id',"
        " tokenize='unicode61')",
        ("title_grams", "body_grams"),
        ("{row}.title_grams", "{row}.body_grams"),
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    op.execute(
        "CREATE VIEW search_folded AS SELECT document_id,"
        f" {JOINED.format(row='search_text')} AS folded FROM search_text"
    )
    _create(NEW)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    op.execute("DROP VIEW search_folded")
    _create(OLD)


def _drop() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    for table in NEW:
        op.execute(f"DROP TABLE {table}")


def _create(tables: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]) -> None:
    """The FTS5 tables filled from `search_text` at once, then triggers for every later write."""
    inserts, deletes = [], []
    for table, (definition, columns, values) in tables.items():
        op.execute(f"CREATE VIRTUAL TABLE {table} USING {definition}")
        op.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
        names = ", ".join(columns)
        new = ", ".join(value.format(row="new") for value in values)
        old = ", ".join(value.format(row="old") for value in values)
        inserts.append(f"INSERT INTO {table}(rowid, {names}) VALUES (new.document_id, {new});")
        deletes.append(
            f"INSERT INTO {table}({table}, rowid, {names})"
            f" VALUES ('delete', old.document_id, {old});"
        )
    triggers = {
        "search_text_inserted": ("AFTER INSERT", inserts),
        "search_text_deleted": ("AFTER DELETE", deletes),
        "search_text_updated": ("AFTER UPDATE", [*deletes, *inserts]),
    }
    for name, (when, statements) in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {when} ON search_text BEGIN {' '.join(statements)} END")
