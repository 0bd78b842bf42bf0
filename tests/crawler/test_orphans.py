"""A crawl killed with SIGKILL leaves no process behind: its extraction workers die with it."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.amur_cli import AMUR, write_config
from tests.fixture_server import FixtureServer
from tests.processes import alive, descendants

LISTING = {
    "name": "thinktank",
    "kind": "listing",
    "url": "{{BASE}}/thinktank/research/china.html",
    "follow": "#main .entry-title > a",
}
SLOW = "/thinktank/2025/russian-arms-sales-china-decline.html"


def test_killed_crawl_leaves_no_extraction_workers(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    fixture_server.set(SLOW, delay=30)  # the crawl is still running when it is killed
    config = write_config(tmp_path, fixture_server.base, [LISTING])
    crawl = subprocess.Popen(
        [*AMUR, "--config", str(config), "crawl", "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(descendants(crawl.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = descendants(crawl.pid)
        assert len(workers) >= 2, "the extraction workers never started"
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in workers if alive(pid)] == []
