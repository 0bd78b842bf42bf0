"""Soak test: many crawl cycles, in-process on one reactor versus one subprocess per crawl.

Serves a feed and a watched page from a loopback fixture server (its own process). Every tenth
cycle the feed gains an entry with a new article; the other cycles find everything unchanged
(304s), as most service cycles do. For each way of running crawls it prints the time per cycle
and the resident memory of the long-lived process over the cycles:

- `in-process`: crawls run with `crawler.run.run_crawl_async` on one `AsyncCrawlerRunner` and
  one reactor, so this process's RSS is what a service built that way would hold;
- `subprocess`: each crawl is `amur crawl` in a child, as `amur serve` runs them; this
  process's RSS is the service's, and the children's peak RSS is shown beside it.

    python bench/soak.py [--cycles 500] [--modes in-process,subprocess]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixture_server import FIXTURES, FixtureServer  # noqa: E402

WORDS = (
    "China Russia Beijing Moscow trade pipeline energy sanctions border Siberia yuan rouble "
    "summit Kremlin partnership exports imports grain coal oil gas railway bridge port"
).split()


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def article(n: int) -> str:
    body = "".join(
        f"<p>{' '.join(WORDS[(n * 7 + i * 3 + j) % len(WORDS)] for j in range(40))}.</p>"
        for i in range(8)
    )
    return (
        f"<!doctype html><html lang='en'><head><title>Soak article {n}</title></head>"
        f"<body><article><h1>Soak article {n}</h1>{body}</article></body></html>"
    )


def write_feed(site: Path, entries: int) -> None:
    items = "".join(
        f"<item><title>Soak article {n}</title><link>{{{{BASE}}}}/soak/a{n}.html</link>"
        f"<guid>soak-{n}</guid></item>"
        for n in range(entries, 0, -1)
    )
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>soak</title>'
        f"{items}</channel></rss>"
    )
    for n in range(1, entries + 1):
        page = site / f"a{n}.html"
        if not page.exists():
            page.write_text(article(n), encoding="utf-8")
    (site / "feed.xml").write_text(feed, encoding="utf-8")


def serve(root: Path, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    with FixtureServer(root) as server:
        ports.put(server.base)
        while True:
            time.sleep(3600)


def make_config(folder: Path, base: str) -> Path:
    config = {
        "database": "sqlite:///amur.db",
        "network": {"allow_private_addresses": True, "download_delay": 0, "timeout": 10},
        "sources": [
            {"name": "feed", "kind": "feed", "url": f"{base}/soak/feed.xml"},
            {"name": "hub", "kind": "page", "url": f"{base}/page/china-russia-relations.html"},
        ],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def in_process(config_path: Path, site: Path, cycles: int) -> list[tuple[float, int, int]]:
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    from crawler.config import load_config
    from crawler.run import run_crawl_async, scrapy_settings
    from crawler.seeds import import_seeds
    from storage.database import open_archive

    config = load_config(config_path)
    engine = open_archive(config.database)
    import_seeds(engine, config.seeds, config.relevance)
    runner = AsyncCrawlerRunner(scrapy_settings(config))
    samples: list[tuple[float, int, int]] = []

    async def loop() -> None:
        for cycle in range(1, cycles + 1):
            if cycle % 10 == 0:
                write_feed(site, cycle // 10 + 1)
            started = time.perf_counter()
            await run_crawl_async(runner, engine, config, config.sources, workers=0)
            samples.append((time.perf_counter() - started, rss_kb(), 0))

    done = deferred_from_coro(loop())
    done.addBoth(lambda result: (reactor.stop(), result)[1])  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    return samples


def in_subprocesses(config_path: Path, site: Path, cycles: int) -> list[tuple[float, int, int]]:
    samples = []
    command = [sys.executable, "-m", "scheduler.cli", "--config", str(config_path), "crawl"]
    for cycle in range(1, cycles + 1):
        if cycle % 10 == 0:
            write_feed(site, cycle // 10 + 1)
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"cycle {cycle}: amur crawl exited {child.returncode}")
        samples.append((time.perf_counter() - started, rss_kb(), usage.ru_maxrss))
    return samples


def run_mode(mode: str, cycles: int) -> list[tuple[float, int, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        root = folder / "sites"
        shutil.copytree(FIXTURES / "page", root / "page")
        shutil.copy(FIXTURES / "robots.txt", root / "robots.txt")
        (root / "soak").mkdir()
        write_feed(root / "soak", 1)
        ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        server = multiprocessing.Process(target=serve, args=(root, ports), daemon=True)
        server.start()
        try:
            config = make_config(folder, ports.get(timeout=10))
            if mode == "in-process":
                # Its own process, so one mode's reactor and imports do not weigh on the other.
                worker = [sys.executable, __file__, "--worker", str(config), str(root / "soak")]
                output = subprocess.run(
                    [*worker, "--cycles", str(cycles)], check=True, capture_output=True, text=True
                ).stdout
                return [tuple(sample) for sample in json.loads(output)]
            return in_subprocesses(config, root / "soak", cycles)
        finally:
            server.terminate()


def report(mode: str, samples: list[tuple[float, int, int]]) -> str:
    n = len(samples)
    marks = sorted({min(n, m) for m in (10, n // 4, n // 2, 3 * n // 4, n)})
    rss = " ".join(f"{samples[m - 1][1] / 1024:7.1f}" for m in marks)
    half = samples[n // 2 :]
    slope = (half[-1][1] - half[0][1]) / max(1, len(half) - 1)
    child = max(s[2] for s in samples) / 1024
    mean = sum(s[0] for s in samples) / n
    return (
        f"{mode:11} {n:6} {mean:9.3f}   {rss}   {slope:8.2f}   "
        + (f"{child:8.1f}" if child else "       -")
        + f"   (RSS MiB at cycles {', '.join(map(str, marks))})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--modes", default="in-process,subprocess")
    parser.add_argument("--worker", nargs=2, metavar=("CONFIG", "SITE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(in_process(Path(args.worker[0]), Path(args.worker[1]), args.cycles)))
        return
    lines = []
    for mode in args.modes.split(","):
        samples = run_mode(mode, args.cycles)
        lines.append(report(mode, samples))
        print(lines[-1], flush=True)
    print()
    print(
        "mode        cycles  s/cycle   service RSS MiB over cycles"
        "          KiB/cycle   child peak MiB"
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
