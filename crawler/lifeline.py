"""Child processes that die with their parent, whatever kills it.

A crawl's extraction workers, and `amur serve`'s crawl worker, must not outlive the process that
started them: a `kill -9` of the parent would otherwise leave them (and multiprocessing's
resource tracker, which waits for them) running for good. Linux's parent-death signal is tied
to the parent *thread*, which for a pool started from a short-lived thread would kill healthy
children, so a watchdog thread polls the parent pid instead: when the process that started this
one is gone, `getppid()` changes (to 1 or a subreaper).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def _exit_now() -> None:
    os._exit(0)


def watch_parent(on_orphaned: Callable[[], None] = _exit_now, parent: int | None = None) -> None:
    """Call `on_orphaned` (default: exit at once) when the parent process is gone."""
    expected = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == expected:
            time.sleep(POLL_SECONDS)
        logger.warning("parent process %d is gone: stopping", expected)
        on_orphaned()

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def exit_with(parent: int) -> None:
    """Exit when process `parent` is gone: a pool initializer given the pid of its creator.

    The pid comes from the creator, not from `getppid()` in the child: a spawned child takes a
    second or more to import before its initializer runs, and a parent killed meanwhile would
    leave it watching its new parent (init) for good.
    """
    watch_parent(parent=parent)
