"""Owners of runs and leases for tests: a process that is gone, and one that lives."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select

from storage.models import CrawlRun
from storage.owners import _owner


def dead_owner() -> str:
    """The owner name of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = _owner(child.pid)
    child.wait()
    return owner


@contextmanager
def live_process() -> Iterator[str]:
    """A live process's owner name, for as long as the block runs."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield _owner(child.pid)
    finally:
        child.kill()
        child.wait()


def run_statuses(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(CrawlRun.id, CrawlRun.status)).all())
