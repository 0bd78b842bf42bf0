"""Extraction off the reactor thread, in worker processes, so a crawl uses every core.

trafilatura is pure CPU work that holds the GIL, so threads would not help; a process pool
does. Workers are started with `spawn`: forking a process that runs a Twisted reactor, threads
and database connections would copy them half-way into the children. (A fork server that
imports the extractor once was tried: no faster over 300 pages, and in the service it would
hold its memory for good, where spawned workers go when idle.) The pool starts when the first
page to extract is in sight (`warm`), so its start-up overlaps the download; never for a run
that extracts nothing.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from crawler.exceptions import ExtractionError
from crawler.extraction import Extracted, decode_html, extract
from crawler.lifeline import exit_with
from storage.shingles import Profile, profile

logger = logging.getLogger(__name__)


def default_workers() -> int:
    """One worker per core the process may use; the reactor thread shares one of them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _ready() -> None:
    """Nothing: submitted once so that the workers start (and import) ahead of the pages."""


def extract_body(body: bytes, content_type: str | None, url: str | None) -> Extracted:
    """Decode and extract a downloaded page.

    Decoding is done here rather than with Scrapy's `response.text`, which trusts a charset
    header that many GBK and Big5 pages get wrong; `decode_html` checks it against the page.
    """
    return extract(decode_html(body, content_type), url)


@dataclass(frozen=True)
class Prepared:
    """A page extracted, and its text's dedup profile: a page's CPU work, done in a worker."""

    extracted: Extracted
    profile: Profile


def prepare_body(body: bytes, content_type: str | None, url: str | None) -> Prepared:
    """`extract_body`, then the profile storage would otherwise compute on the crawl's core."""
    extracted = extract_body(body, content_type, url)
    return Prepared(extracted, profile(extracted.text))


class ExtractionPool:
    """Runs `extract` inline (workers=0) or in a pool of worker processes."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Executor | None = None
        self._busy = 0  # extractions submitted and not yet answered
        self._last_used = time.monotonic()

    def _pool(self) -> Executor:
        # Started on the first page, not before: a run that finds everything unchanged (the
        # usual case for the service) pays nothing for worker processes.
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                # A killed crawl takes its workers with it.
                initializer=exit_with,
                initargs=(os.getpid(),),
            )
        return self._executor

    def warm(self) -> None:
        """Start the worker processes now: a page to extract is on its way."""
        if self.workers and self._executor is None:
            self._pool().submit(_ready)
            self._last_used = time.monotonic()

    async def extract(self, body: bytes, content_type: str | None, url: str | None) -> Prepared:
        if self.workers == 0:
            return prepare_body(body, content_type, url)
        self._busy += 1
        try:
            for attempt in range(2):
                executor = self._pool()
                try:
                    future: Future[Prepared] = executor.submit(
                        prepare_body, body, content_type, url
                    )
                    return await asyncio.wrap_future(future)
                except BrokenProcessPool:
                    # A worker died (killed for memory, a crash in a C library): every later
                    # call would fail too. A fresh pool takes over; a page that breaks it twice
                    # is given up.
                    logger.warning("extraction worker died on %s; pool restarted", url)
                    if self._executor is executor:  # not already replaced by another page
                        executor.shutdown(wait=False, cancel_futures=True)
                        self._executor = None
                    if attempt:
                        raise ExtractionError("the extraction worker died on this page") from None
            raise AssertionError("unreachable")
        finally:
            self._busy -= 1
            self._last_used = time.monotonic()

    def close_if_idle(self, seconds: float) -> bool:
        """Stop the worker processes when nothing was extracted for `seconds`.

        A long-lived crawler (the service's worker) extracts in bursts, when a feed has new
        entries; between bursts its extraction processes would hold their memory for nothing.
        They start again on the next page.
        """
        if self._executor is None or self._busy or time.monotonic() - self._last_used < seconds:
            return False
        self.close()
        return True

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
