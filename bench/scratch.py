"""Scratch databases for the benchmarks: a SQLite file or a PostgreSQL database of their own.

PostgreSQL is the tests' server (`tests.databases.PG_SERVER`, `$AMUR_TEST_POSTGRES`); the
database is created for the run and dropped afterwards, connections and all.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.databases import PG_SERVER  # noqa: E402


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """The URL of a new, empty database on `backend` (sqlite or postgresql), removed after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"amur_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
