"""One thread that does a crawl's database work, so the reactor thread only schedules.

Storing a page (dedup included) takes milliseconds of database and CPU time; on the reactor
thread it would stall every download and every answer from the extraction workers meanwhile.
One thread, not a pool: writes are ordered as they were submitted, and documents stored by one
process never race each other in dedup (each sees the one stored before it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


def _log_failure(future: Future[object]) -> None:
    error = future.exception()
    if error is not None:
        logger.error("a database write failed: %s", error, exc_info=error)


class Writer:
    """A single worker thread for database work, awaited from the reactor's event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amur-writer")

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `function` on the writer thread and wait for it without blocking the loop."""
        future: Future[T] = self._executor.submit(function, *args, **kwargs)
        return await asyncio.wrap_future(future)

    def submit(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue `function` behind the writes already submitted; nobody waits for it, so a
        failure is logged here rather than lost."""
        future = self._executor.submit(function, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    def flush(self) -> None:
        """Block until everything submitted so far is done."""
        self._executor.submit(lambda: None).result()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
