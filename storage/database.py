"""Opening the archive: engine set-up for SQLite and PostgreSQL, and migrations on first use."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from storage.errors import ArchiveUnavailable

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "amur_write"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets readers work beside one writer; the busy timeout waits instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLAlchemy's documented recipe: pysqlite's own BEGIN handling is switched off, and
    # `_sqlite_begin` emits it instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE for transactions that will write (`writing`), plain BEGIN otherwise.

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another process wrote in between; an immediate one takes the write lock first and
    waits for it (the busy timeout), so two writers queue instead of failing.
    """
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_archive_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL, with SQLite tuned for a daemon beside cron runs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_pre_ping=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration's id, read from the file names (`0004_...py`).

    Every command opens the archive, and importing Alembic to ask it costs a quarter of a
    second; the migrations are numbered in sequence, so the last file name is the head (a test
    checks that against Alembic's own answer).
    """
    return max(path.name.split("_")[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty one."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def needs_migration(engine: Engine) -> bool:
    """Whether the database is behind the newest migration (or empty)."""
    return current_revision(engine) != head_revision()


def migrate(engine: Engine) -> bool:
    """Bring the schema up to the newest migration; returns whether anything ran."""
    if not needs_migration(engine):
        return False
    from alembic import command
    from alembic.util import CommandError

    shown = engine.url.render_as_string(hide_password=True)
    logger.info("migrating database %s", shown)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except CommandError as err:  # e.g. a database migrated by a newer amur
        raise ArchiveUnavailable(f"cannot migrate the archive {shown}: {err}") from err
    return True


def _unavailable(url: str, err: Exception) -> ArchiveUnavailable:
    """The error for an archive that cannot be opened: the URL (no password) and why, one line."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = url
    if isinstance(err, DBAPIError):
        reason = str(err.orig)  # the driver's own words, without SQLAlchemy's background link
    elif isinstance(err, OSError) and err.strerror:
        reason = f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    else:
        reason = str(err) or type(err).__name__
    reason = "; ".join(" ".join(line.split()) for line in reason.splitlines() if line.strip())
    return ArchiveUnavailable(f"cannot open the archive {shown}: {reason}")


def open_archive(url: str) -> Engine:
    """The engine for the archive at `url`, migrated to the current schema.

    Raises ArchiveUnavailable when the database cannot be created, reached or migrated.
    """
    try:
        engine = create_archive_engine(url)
    except (OSError, ArgumentError, ImportError) as err:
        raise _unavailable(url, err) from err
    try:
        migrate(engine)
    except ArchiveUnavailable:
        engine.dispose()
        raise
    except (DBAPIError, OSError) as err:
        engine.dispose()
        raise _unavailable(url, err) from err
    return engine


def insert_ignore(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(table).values(rows).on_conflict_do_nothing())


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A session in one write transaction, committed on exit (rolled back on an exception).

    Every write goes through here: on SQLite the transaction begins IMMEDIATE (see
    `_sqlite_begin`), so concurrent writers from other processes wait their turn.
    """
    with Session(engine.execution_options(**{WRITE_OPTION: True})) as session, session.begin():
        yield session
