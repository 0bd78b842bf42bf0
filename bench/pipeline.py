"""Crawl throughput against bare trafilatura, on saved real pages ($AMUR_BENCH_PAGES).

Serves the pages (at least 300 URLs: the 258 pages, then the first ones again under other paths)
from a loopback HTTP server in its own process, behind one listing page, and crawls them with
`amur crawl` into a fresh SQLite archive: once extracting inline on the reactor's core
(`--workers 0`), once with a worker pool (`--workers 2`). The baseline is bare
`trafilatura.bare_extraction` over the same pages in this process, in the same run. Crawl time is
the wall time of the `amur crawl` command, start-up included: what a user waits for. The run
record's own span (first request to last write) is shown beside it.

    python bench/pipeline.py [--pages 300] [--workers 0,2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trafilatura
import yaml
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
# Saved pages with their expected.jsonl; not part of the repository, so a path you can set.
PAGES = Path(os.environ.get("AMUR_BENCH_PAGES", REPO.parent / "shared" / "pages"))


def load_pages(count: int) -> dict[str, bytes]:
    """`count` pages keyed by URL path; pages repeat under new paths past the corpus size."""
    ids = [json.loads(line)["id"] for line in (PAGES / "expected.jsonl").open(encoding="utf-8")]
    bodies = [gzip.decompress((PAGES / "html" / f"{i}.html.gz").read_bytes()) for i in ids]
    return {f"/p/{n}/{ids[n % len(ids)]}.html": bodies[n % len(ids)] for n in range(count)}


def serve(pages: dict[str, bytes], port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    index = "".join(f'<li><a href="{path}">{path}</a></li>' for path in pages)
    listing = f"<html><body><ul>{index}</ul></body></html>".encode()

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, and no Nagle delay between headers and body: the server must not be
        # the limit (below, likewise, a listen backlog that does not drop connections).
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = listing if self.path == "/index.html" else pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # socketserver's default backlog is 5: new connections beyond it are dropped and the
        # client retries a second later, which would time the server, not amur.
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def bare(pages: dict[str, bytes], base: str) -> float:
    """Seconds for bare trafilatura over every page, in this process (one core)."""
    started = time.perf_counter()
    for path, body in pages.items():
        trafilatura.bare_extraction(
            body.decode("utf-8", "replace"), url=base + path, with_metadata=True
        )
    return time.perf_counter() - started


def crawl(base: str, workers: int, folder: Path) -> tuple[float, float, int]:
    """Seconds the command took, seconds its run record spans, and documents stored."""
    config = {
        "database": "sqlite:///amur.db",
        "network": {"allow_private_addresses": True, "download_delay": 0, "timeout": 60},
        "sources": [
            {"name": "bench", "kind": "listing", "url": f"{base}/index.html", "follow": "li a"}
        ],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    init = [sys.executable, "-m", "scheduler.cli", "--config", str(path), "init"]
    subprocess.run(init, check=True, cwd=REPO, capture_output=True)  # the seeds, before timing
    wall = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler.cli",
            "--config",
            str(path),
            "crawl",
            "--workers",
            str(workers),
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    wall = time.perf_counter() - wall
    engine = create_engine(f"sqlite:///{folder / 'amur.db'}")
    with engine.connect() as connection:
        started, finished = connection.execute(
            text("SELECT started, finished FROM crawl_runs ORDER BY id DESC LIMIT 1")
        ).one()
        stored = connection.scalar(text("SELECT count(*) FROM documents WHERE seed IS NULL"))
    engine.dispose()
    from datetime import datetime

    seconds = (
        datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))
    ).total_seconds()
    return wall, seconds, stored or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--workers", default="0,2", help="comma-separated worker counts to try")
    args = parser.parse_args()
    pages = load_pages(args.pages)
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(pages, ports), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=10)}"
    try:
        baseline = bare(pages, base)
        rows = [
            (
                "bare trafilatura.bare_extraction",
                len(pages),
                baseline,
                baseline,
                len(pages) / baseline,
                1.0,
            )
        ]
        for workers in (int(w) for w in args.workers.split(",")):
            with tempfile.TemporaryDirectory() as folder:
                wall, seconds, stored = crawl(base, workers, Path(folder))
            rate = len(pages) / wall
            rows.append(
                (
                    f"amur crawl --workers {workers} ({stored} stored)",
                    len(pages),
                    wall,
                    seconds,
                    rate,
                    rate / (len(pages) / baseline),
                )
            )
    finally:
        server.terminate()
    print(f"cores: {len(os.sched_getaffinity(0))}; ratio = pages/s (wall) against bare")
    print(f"{'run':45} {'pages':>6} {'wall s':>8} {'run s':>8} {'pages/s':>8} {'ratio':>6}")
    for name, count, wall, seconds, rate, ratio in rows:
        print(f"{name:45} {count:>6} {wall:>8.2f} {seconds:>8.2f} {rate:>8.1f} {ratio:>6.2f}")


if __name__ == "__main__":
    main()
