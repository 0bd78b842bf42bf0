"""Real databases for tests: a SQLite file, and a fresh schema on the local PostgreSQL server.

PostgreSQL tests run where the server answers on 127.0.0.1:5432; in CI (CI=true) a server that
does not answer is a failure, not a skip, so the PostgreSQL path can never go untested there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

PG_SERVER = os.environ.get(
    "AMUR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_answers() -> bool:
    engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:  # any failure to connect means: no server to test against
        return False
    finally:
        engine.dispose()


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'amur.db'}"


def postgres_url() -> Iterator[str]:
    """A URL whose connections use a schema of their own, dropped afterwards."""
    if not _postgres_answers():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL does not answer at {PG_SERVER}")
        pytest.skip(f"PostgreSQL does not answer at {PG_SERVER}")
    schema = f"amur_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    _trigrams_in_public(admin)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _trigrams_in_public(admin: Engine) -> None:
    """pg_trgm installed once, in `public`, where the server has it.

    Migration 0007 would otherwise install it in the first test schema that needs it, and
    dropping that schema would take the trigram indexes of every other test's schema along
    (test runs beside each other share the database).
    """
    with admin.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
            return
        if not connection.scalar(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        ):
            return
    try:
        with admin.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except DBAPIError:  # another test run installed it at the same moment
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        yield from postgres_url()
