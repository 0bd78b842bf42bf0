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
from sqlalchemy import create_engine, text

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
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        yield from postgres_url()
