"""The extraction pool: a worker that dies is replaced, not the end of extraction."""

from __future__ import annotations

import asyncio
import os
import signal

from crawler.workers import ExtractionPool

PAGE = (
    b"<html><head><title>Gas deal</title></head><body><article><h1>Gas deal</h1>"
    + b"<p>China and Russia signed a pipeline deal in Beijing on Tuesday, officials said.</p>" * 20
    + b"</article></body></html>"
)


def test_a_killed_extraction_worker_is_replaced() -> None:
    pool = ExtractionPool(1)

    async def scenario() -> tuple[str, str]:
        first = await pool.extract(PAGE, "text/html; charset=utf-8", "https://news.example/a")
        (worker,) = pool._executor._processes  # type: ignore[union-attr]
        os.kill(worker, signal.SIGKILL)
        await asyncio.sleep(1)  # the pool has noticed: the next submit itself is refused
        second = await pool.extract(PAGE, "text/html; charset=utf-8", "https://news.example/b")
        return first.extracted.text, second.extracted.text

    try:
        first, second = asyncio.run(scenario())
    finally:
        pool.close()
    assert "pipeline deal" in first
    assert second == first
