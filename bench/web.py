"""The review page at scale: render times of each page over a large archive, both backends.

Builds the archive as bench/search.py does (documents recombined from the seed corpus, written
in bulk with their search rows), then stores the review page tests' documents through the real
write path (a story with its copy, an edited post, Chinese, hostile markup) so the document
view has matches and revisions to show. The page is served by `WebServer`, the server `amur
serve` runs, on a loopback port; each page is fetched `--repeat` times over one keep-alive
connection. Baseline in the same run: the page's stylesheet, a static file from the same
server, so the ratios say what rendering and the database cost over serving bytes.

    python bench/web.py [--documents 100000] [--repeat 20] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import multiprocessing.synchronize
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from scratch import scratch_database  # noqa: E402
from search import Corpus, fill  # noqa: E402

from scheduler.web.server import WebServer  # noqa: E402
from storage.database import open_archive  # noqa: E402
from tests.amur_cli import free_port  # noqa: E402
from tests.web.site import config  # noqa: E402
from tests.web.site import fill as fill_review_documents  # noqa: E402

BASELINE = "/static/style.css"


def pages(story: int, edited: int, page_200: int) -> list[tuple[str, str]]:
    return [
        ("static file (baseline)", BASELINE),
        ("queue, first page", "/"),
        ("queue, language zh", "/?language=zh"),
        ("queue, 200th page", f"/?before={page_200}"),
        ("queue, relation overlaps", "/?relation=overlaps"),
        ("changed since review", "/?view=changed"),
        ("document with a copy", f"/documents/{story}"),
        ("document with a revision", f"/documents/{edited}"),
        ("search 中俄", "/search?q=" + quote("中俄")),
        ("search pipeline", "/search?q=pipeline"),
        ("sources", "/sources"),
        ("Atom feed of the queue", "/feed.atom?queue=1"),
    ]


def timed(connection: http.client.HTTPConnection, path: str, repeat: int) -> tuple[float, float]:
    """Median and p95 milliseconds of `repeat` GETs of `path`, body read whole."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        answer = connection.getresponse()
        answer.read()
        times.append((time.perf_counter() - started) * 1000)
        if answer.status != 200:
            raise RuntimeError(f"{path}: HTTP {answer.status}")
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


def serve(url: str, port: int, ready: multiprocessing.synchronize.Event) -> None:
    """The page in a process of its own, as `amur serve` has it: the client shares no GIL."""
    engine = open_archive(url)
    settings = config(url)
    settings = settings.model_copy(update={"web": settings.web.model_copy(update={"port": port})})
    server = WebServer(settings, engine)
    server.start()
    ready.set()
    server.thread.join()


def run(url: str, documents: int, repeat: int, seed: int) -> list[tuple[str, ...]]:
    engine = open_archive(url)
    try:
        fill(engine, documents, Corpus(random.Random(seed)))
        if engine.dialect.name == "postgresql":  # the bulk fill chose ids itself
            with engine.begin() as connection:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('documents', 'id'), max(id))"
                         " FROM documents")
                )  # fmt: skip
        archive = fill_review_documents(engine)
        backend = engine.dialect.name
        with engine.connect() as connection:  # the last document of the queue's 199th page
            page_200 = connection.scalar(
                text("SELECT id FROM documents ORDER BY first_seen DESC, id DESC LIMIT 1"
                     " OFFSET 9949")
            )  # fmt: skip
    finally:
        engine.dispose()
    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(url, port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the review page did not start")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        rows, baseline = [], None
        for label, path in pages(archive.story, archive.edited, page_200):
            timed(connection, path, 2)  # warm: templates compiled, caches filled
            median, p95 = timed(connection, path, repeat)
            baseline = baseline or median
            rows.append(
                (backend, label, f"{median:.1f}", f"{p95:.1f}", f"{median / baseline:.1f}×")
            )
        connection.close()
        return rows
    finally:
        server.terminate()
        server.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        with scratch_database(backend) as url:
            results += run(url, args.documents, args.repeat, args.seed)
    print(f"{args.documents:,} documents in the archive; each page fetched {args.repeat} times")
    print("over one keep-alive loopback connection; ratio: median against the static file")
    headers = ("backend", "page", "median ms", "p95 ms", "ratio")
    widths = [max(len(str(row[i])) for row in [headers, *results]) for i in range(len(headers))]
    for row in [headers, *results]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))


if __name__ == "__main__":
    main()
