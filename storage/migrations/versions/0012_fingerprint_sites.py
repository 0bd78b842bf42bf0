"""fingerprint sites: each index row names its holder's site, and a hash keeps its earliest holders

Revision ID: 0012
Revises: 0011

Dedup tells a site's boilerplate by the site its holders are on (`storage.dedup`). It read
every crowded holder's URL and parsed it for each lookup; the index now carries the holder's
site as a small number (``sites``, one row per registrable domain), so the lookup is one range
read per hash. Existing rows get the site of their document's URL. A document with no host (a
seed) has none and counts as a site of its own, as before.

Rows past a hash's earliest 16 holders (the cap was 50 until `storage.dedup` read the earliest
16 only) are dropped: the engine never read them, and the range read stays short. A downgrade
keeps the index without them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.urls import site

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_DF = 16  # storage.dedup.MAX_DF when this was written
BATCH = 500


def upgrade() -> None:
    sites = op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.add_column("fingerprints", sa.Column("site_id", sa.Integer(), nullable=True))
    _drop_late_holders()
    _fill_sites(sites)
    if op.get_bind().dialect.name == "postgresql":
        # The lookup reads hash, holder and site: with the site in the key's index too, it
        # stays an index-only scan instead of a heap fetch per row.
        _primary_key("INCLUDE (site_id)")


def _primary_key(include: str) -> None:
    """PostgreSQL's key of fingerprints rebuilt (Alembic's create_primary_key has no INCLUDE)."""
    op.execute(
        "ALTER TABLE fingerprints DROP CONSTRAINT pk_fingerprints,"
        f" ADD CONSTRAINT pk_fingerprints PRIMARY KEY (hash, document_id) {include}"
    )


def _drop_late_holders() -> None:
    op.execute(
        sa.text(
            "DELETE FROM fingerprints WHERE (hash, document_id) IN ("
            " SELECT hash, document_id FROM ("
            "  SELECT hash, document_id,"
            "   row_number() OVER (PARTITION BY hash ORDER BY document_id) AS rank"
            "  FROM fingerprints) AS numbered"
            f" WHERE rank > {MAX_DF})"
        )
    )


def _fill_sites(sites: sa.Table) -> None:
    connection = op.get_bind()
    holders = connection.execute(
        sa.text(
            "SELECT id, url FROM documents"
            " WHERE id IN (SELECT DISTINCT document_id FROM fingerprints) ORDER BY id"
        )
    ).all()
    by_site: dict[str, list[int]] = {}
    for document_id, url in holders:
        name = site(url)
        if name:
            by_site.setdefault(name, []).append(document_id)
    for name, ids in sorted(by_site.items()):
        site_id = connection.execute(
            sites.insert().values(name=name).returning(sites.c.id)
        ).scalar_one()
        for start in range(0, len(ids), BATCH):
            connection.execute(
                sa.text("UPDATE fingerprints SET site_id = :site WHERE document_id IN :ids")
                .bindparams(sa.bindparam("ids", expanding=True))
                .bindparams(site=site_id, ids=ids[start : start + BATCH])
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _primary_key("")
    # Not in batch mode: its copy of the table would lose SQLite's WITHOUT ROWID.
    op.drop_column("fingerprints", "site_id")
    op.drop_table("sites")
