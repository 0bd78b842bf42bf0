"""`amur serve` end to end: a 3-second schedule against a loopback feed, signals, restarts."""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.amur_cli import AMUR, amur, write_config
from tests.fixture_server import FIXTURES, FixtureServer
from tests.processes import alive

FEED = "/telegraph/rss.xml"
# The fixture feed's <ttl>15</ttl> would rightly hold the next run back 15 minutes.
FEED_BODY = (
    (FIXTURES / "telegraph" / "rss.xml").read_text(encoding="utf-8").replace("<ttl>15</ttl>", "")
)
NEW_ENTRY = """<item><title>Russia's arms sales to China are drying up</title>
<link>{base}/thinktank/2025/russian-arms-sales-china-decline.html</link>
<pubDate>Wed, 24 Dec 2025 08:00:00 GMT</pubDate><guid>new-1</guid></item>"""


def query(folder: Path, sql: str) -> list[Any]:
    engine = create_engine(f"sqlite:///{folder / 'amur.db'}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stream:
        return subprocess.Popen([*AMUR, "--config", str(config), "serve"], stderr=stream)


def finished_runs(folder: Path) -> list[Any]:
    return query(
        folder,
        "SELECT r.id, r.status, r.started, r.unchanged, r.found FROM source_runs r "
        "JOIN sources s ON s.id = r.source_id WHERE s.name = 'news' AND r.status != 'running' "
        "ORDER BY r.id",
    )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[FixtureServer, Path, Path]]:
    with FixtureServer(FIXTURES) as server:
        config = write_config(
            tmp_path,
            server.base,
            [{"name": "news", "kind": "feed", "url": "{{BASE}}" + FEED, "every": "3s"}],
        )
        assert subprocess.run([*AMUR, "--config", str(config), "init"], check=False).returncode == 0
        server.set(FEED, FEED_BODY)
        yield server, config, tmp_path


def test_serve_picks_up_new_entries_revalidates_and_stops_cleanly(
    service: tuple[FixtureServer, Path, Path],
) -> None:
    server, config, folder = service
    log = folder / "serve.log"
    process = start(config, log)
    try:
        assert wait_for(lambda: len(finished_runs(folder)) >= 2, 40), log.read_text()
        documents = len(query(folder, "SELECT id FROM documents"))
        # Unchanged since: answered 304 with the validators of the first fetch, nothing read.
        revalidated = [r for r in server.requests_for(FEED) if r.headers.get("If-None-Match")]
        assert revalidated
        assert finished_runs(folder)[-1][3] == 1  # unchanged
        # A new entry appears in the feed: it is in the archive within a few seconds.
        entry = NEW_ENTRY.format(base=server.base)
        server.set(FEED, FEED_BODY.replace("<item>", entry + "<item>", 1))
        added = "SELECT id FROM documents WHERE url LIKE '%russian-arms-sales-china-decline%'"
        assert wait_for(lambda: bool(query(folder, added)), 20), log.read_text()
        assert len(query(folder, "SELECT id FROM documents")) == documents + 1
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code == 0, log.read_text()
    assert query(folder, "PRAGMA integrity_check") == [("ok",)]
    assert query(folder, "SELECT id FROM source_runs WHERE status = 'running'") == []
    assert query(folder, "SELECT source_id FROM source_state WHERE lease_owner IS NOT NULL") == []
    assert '"event": "run"' in log.read_text()
    # The worker stopped cleanly too (it once aborted at interpreter shutdown).
    assert re.search(r"crawl worker \d+ exited \(0\)", log.read_text()), log.read_text()


def test_restart_neither_forgets_nor_bursts(service: tuple[FixtureServer, Path, Path]) -> None:
    _server, config, folder = service
    # Intervals long beside a crawl's start-up on a loaded machine: a second run inside the
    # check below can then only be a burst, never the next run on schedule.
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["sources"][0]["every"] = "8s"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    log = folder / "serve.log"
    process = start(config, log)
    try:
        assert wait_for(lambda: len(finished_runs(folder)) >= 1, 30), log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    before = len(finished_runs(folder))
    time.sleep(17)  # two intervals pass while the service is down
    restarted = time.monotonic()
    process = start(config, log)
    try:
        assert wait_for(lambda: len(finished_runs(folder)) > before, 20), log.read_text()
        first_after = time.monotonic() - restarted
        time.sleep(1.0)
        # The missed runs are coalesced into one, not fired as a burst.
        assert len(finished_runs(folder)) == before + 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert first_after < 15


def worker_pids(log: Path) -> list[int]:
    """The crawl workers the service started, in order, from its log."""
    return [int(pid) for pid in re.findall(r"crawl worker (\d+) started", log.read_text())]


def test_kill_9_leaves_nothing_stuck_and_nothing_running(
    service: tuple[FixtureServer, Path, Path],
) -> None:
    server, config, folder = service
    server.set(FEED, FEED_BODY, delay=3)  # a crawl is in flight when killed
    log = folder / "serve.log"
    process = start(config, log)
    assert wait_for(lambda: bool(query(folder, "SELECT id FROM crawl_runs")), 30), log.read_text()
    time.sleep(1.0)
    (worker,) = worker_pids(log)
    process.kill()
    process.wait()
    # The worker notices its parent is gone and stops by itself: nothing is left running.
    assert wait_for(lambda: not alive(worker), 15), log.read_text()
    server.set(FEED, FEED_BODY)
    result = subprocess.run(
        [*AMUR, "--config", str(config), "crawl"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "busy" not in result.stdout
    assert query(folder, "PRAGMA integrity_check") == [("ok",)]
    statuses = {row[0] for row in query(folder, "SELECT status FROM crawl_runs")}
    assert "running" not in statuses
    assert "interrupted" in statuses


def test_a_killed_worker_is_replaced_and_its_run_interrupted(
    service: tuple[FixtureServer, Path, Path],
) -> None:
    server, config, folder = service
    server.set(FEED, FEED_BODY, delay=3)
    log = folder / "serve.log"
    process = start(config, log)
    try:
        assert wait_for(lambda: bool(query(folder, "SELECT id FROM crawl_runs")), 30)
        time.sleep(1.0)
        (worker,) = worker_pids(log)
        os.kill(worker, signal.SIGKILL)
        assert wait_for(lambda: len(worker_pids(log)) == 2, 20), log.read_text()
        server.set(FEED, FEED_BODY)
        assert wait_for(lambda: "ok" in {r[1] for r in finished_runs(folder)}, 30), log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text()
    assert "interrupted" in {r[1] for r in finished_runs(folder)}
    assert query(folder, "SELECT id FROM crawl_runs WHERE status = 'running'") == []
    assert not any(alive(pid) for pid in worker_pids(log))


def test_the_worker_is_recycled_after_its_runs(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        config = write_config(
            tmp_path,
            server.base,
            [{"name": "news", "kind": "feed", "url": "{{BASE}}" + FEED, "every": "1s"}],
            service={"worker_max_runs": 2},
        )
        server.set(FEED, FEED_BODY)
        log = tmp_path / "serve.log"
        process = start(config, log)
        try:
            assert wait_for(lambda: len(worker_pids(log)) >= 3, 60), log.read_text()
            assert wait_for(lambda: len(finished_runs(tmp_path)) >= 6, 30), log.read_text()
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
    assert code == 0, log.read_text()
    assert "recycling crawl worker" in log.read_text()
    # Every run was finished by a worker that drained, none cut short by the recycling.
    assert {r[1] for r in finished_runs(tmp_path)} == {"ok"}
    assert not any(alive(pid) for pid in worker_pids(log))


def web_port(config: Path) -> int:
    return int(yaml.safe_load(config.read_text(encoding="utf-8"))["web"]["port"])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_serve_serves_the_review_page_of_the_archive_it_fills(
    service: tuple[FixtureServer, Path, Path],
) -> None:
    _server, config, folder = service
    log = folder / "serve.log"
    base = f"http://127.0.0.1:{web_port(config)}"
    process = start(config, log)
    try:
        assert wait_for(lambda: len(finished_runs(folder)) >= 1, 40), log.read_text()
        assert f"review page at {base}/" in log.read_text()
        status, sources = get(f"{base}/sources")
        assert status == 200
        assert ">news</a>" in sources
        queued = query(
            folder,
            "SELECT d.title FROM documents d JOIN sources s ON s.id = d.source_id"
            " WHERE d.is_new AND d.relevant AND s.kind != 'seed'",
        )
        assert queued
        status, page = get(f"{base}/")
        assert status == 200
        for (title,) in queued:
            assert html.escape(title, quote=False) in page
        status, _ = get(f"{base}/documents/999999")
        assert status == 404
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code == 0, log.read_text()
    with pytest.raises(urllib.error.URLError):
        get(f"{base}/")  # stopped with the service


def test_serve_with_its_port_taken_says_so_and_exits_1(
    service: tuple[FixtureServer, Path, Path],
) -> None:
    _server, config, folder = service
    with socket.create_server(("127.0.0.1", web_port(config))):
        result = amur(config, "serve", timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(
        f"amur: the review page cannot listen on 127.0.0.1:{web_port(config)}"
    )
    assert "Traceback" not in result.stderr
    assert query(folder, "SELECT id FROM source_runs") == []  # no crawl started


def test_serve_no_web_runs_the_scheduler_alone(service: tuple[FixtureServer, Path, Path]) -> None:
    _server, config, folder = service
    log = folder / "serve.log"
    with log.open("ab") as stream:
        process = subprocess.Popen(
            [*AMUR, "--config", str(config), "serve", "--no-web"], stderr=stream
        )
    try:
        assert wait_for(lambda: len(finished_runs(folder)) >= 1, 40), log.read_text()
        with pytest.raises(urllib.error.URLError):
            get(f"http://127.0.0.1:{web_port(config)}/")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert "review page" not in log.read_text()
