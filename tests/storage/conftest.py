"""Storage tests run on SQLite and PostgreSQL: `database_url` and an archive on it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage.archive import ensure_source
from storage.database import open_archive
from tests.databases import database_url

__all__ = ["database_url", "engine"]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated archive with one feed source, `news`."""
    engine = open_archive(database_url)
    ensure_source(engine, "news", "feed", "https://news.example/rss.xml")
    yield engine
    engine.dispose()
