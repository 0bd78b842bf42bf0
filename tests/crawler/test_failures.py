"""Bad input gets a clear error recorded against its source, and the other sources carry on."""

from __future__ import annotations

import gzip
import random
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.amur_cli import amur, export, free_port, write_config
from tests.fixture_server import FIXTURES, FixtureServer

GOOD = {"name": "good", "kind": "page", "url": "{{BASE}}/page/china-russia-relations.html"}


def errors_by_source(folder: Path) -> dict[str, list[tuple[str, str, str]]]:
    """(kind, message, source run status) of every recorded error, per source name."""
    engine = create_engine(f"sqlite:///{folder / 'amur.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.name, e.kind, e.message, r.status FROM fetch_errors e "
                "JOIN source_runs r ON r.id = e.source_run_id JOIN sources s ON s.id = r.source_id"
            )
        ).all()
    engine.dispose()
    found: dict[str, list[tuple[str, str, str]]] = {}
    for name, kind, message, status in rows:
        found.setdefault(name, []).append((kind, message, status))
    return found


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(FIXTURES) as server:
        yield server


def crawl(
    server: FixtureServer, folder: Path, sources: list[dict[str, Any]], **network: Any
) -> Any:
    config = write_config(folder, server.base, [GOOD, *sources])
    if network:
        text_ = config.read_text(encoding="utf-8")
        import yaml

        data = yaml.safe_load(text_)
        data["network"].update(network)
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config, amur(config, "crawl")


def test_each_failure_is_recorded_against_its_source(server: FixtureServer, tmp_path: Path) -> None:
    junk = random.Random(7).randbytes(4096)
    server.set("/bad/feed-404.xml", status=404, body="not here")
    server.set("/bad/page-500.html", status=500, body="<h1>Internal Server Error</h1>")
    server.set("/bad/junk-feed.xml", junk, headers={"Content-Type": "application/rss+xml"})
    server.set("/bad/junk.bin", junk, headers={"Content-Type": "application/octet-stream"})
    server.set("/bad/junk.html", junk, headers={"Content-Type": "text/html; charset=utf-8"})
    server.set("/bad/loop-a.html", status=302, headers={"Location": "/bad/loop-b.html"})
    server.set("/bad/loop-b.html", status=302, headers={"Location": "/bad/loop-a.html"})
    server.set("/bad/slow.html", "<html><body>late</body></html>", delay=6)
    server.set(
        "/bad/huge.html", "<html><body>" + "<p>China and Russia.</p>" * 120_000 + "</body></html>"
    )
    bomb = gzip.compress(b"<html><body>" + b" " * (64 * 1024 * 1024) + b"</body></html>")
    server.set(
        "/bad/bomb.html", bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
    )
    server.set(
        "/bad/malformed.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t &nbsp; x</title>'
        f"<item><title>House prices</title><link>{server.base}/telegraph/money/property/house-prices/"
        "2025/12/22/house-prices-fall-third-month.html</link></item><item><title>cut",
        headers={"Content-Type": "application/rss+xml"},
    )
    sources = [
        {"name": "feed-404", "kind": "feed", "url": "{{BASE}}/bad/feed-404.xml"},
        {"name": "page-500", "kind": "page", "url": "{{BASE}}/bad/page-500.html"},
        {"name": "junk-feed", "kind": "feed", "url": "{{BASE}}/bad/junk-feed.xml"},
        {"name": "junk-bin", "kind": "page", "url": "{{BASE}}/bad/junk.bin"},
        {"name": "junk-html", "kind": "page", "url": "{{BASE}}/bad/junk.html"},
        {"name": "loop", "kind": "page", "url": "{{BASE}}/bad/loop-a.html"},
        {"name": "slow", "kind": "page", "url": "{{BASE}}/bad/slow.html"},
        {"name": "huge", "kind": "page", "url": "{{BASE}}/bad/huge.html"},
        {"name": "bomb", "kind": "page", "url": "{{BASE}}/bad/bomb.html"},
        {"name": "malformed", "kind": "feed", "url": "{{BASE}}/bad/malformed.xml"},
    ]
    config, result = crawl(server, tmp_path, sources, timeout=2, max_body_mb=1)
    assert result.returncode == 0, result.stderr  # one source was fine
    errors = errors_by_source(tmp_path)
    kinds = {name: {kind for kind, _, _ in found} for name, found in errors.items()}
    assert "good" not in errors
    assert kinds["feed-404"] == {"http-404"}
    assert kinds["page-500"] == {"http-500"}
    assert kinds["junk-feed"] == {"feed"}
    assert kinds["junk-bin"] == {"not-html"}
    assert kinds["junk-html"] == {"extract"}
    assert kinds["slow"] == {"timeout"}
    assert "redirect" in errors["loop"][0][1].lower()
    assert "maxsize" in errors["huge"][0][1].lower() or "size" in errors["huge"][0][1].lower()
    assert "size" in errors["bomb"][0][1].lower()
    # A malformed feed that still has entries: the flaw is recorded, the entries are read.
    assert kinds["malformed"] == {"feed"}
    assert errors["malformed"][0][2] == "ok"
    assert errors["feed-404"][0][2] == "failed"
    # Each failure is one warning line on stderr, none twice, without a traceback.
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == sum(len(found) for found in errors.values())
    records = export(config)
    assert {r["source"] for r in records} == {"seed", "good", "malformed"}
    for name in ("feed-404", "page-500", "slow", "loop"):
        row = next(
            line.split() for line in result.stdout.splitlines() if line.split()[:1] == [name]
        )
        assert row[1] == "failed", row


def test_all_sources_failing_exits_1(server: FixtureServer, tmp_path: Path) -> None:
    server.set("/page/china-russia-relations.html", status=503)
    config = write_config(tmp_path, server.base, [GOOD])
    result = amur(config, "crawl")
    assert result.returncode == 1
    assert "failed" in result.stdout


def test_private_addresses_are_refused_unless_allowed(
    server: FixtureServer, tmp_path: Path
) -> None:
    _config, result = crawl(server, tmp_path, [], allow_private_addresses=False)
    assert result.returncode == 1
    ((kind, message, status),) = errors_by_source(tmp_path)["good"]
    assert (kind, status) == ("refused", "failed")
    assert message.startswith("refused: 127.0.0.1 is a loopback address (set network")
    assert server.requests_for("/page/china-russia-relations.html") == []


def test_robots_txt_is_obeyed_with_amurs_user_agent(server: FixtureServer, tmp_path: Path) -> None:
    private = {"name": "private", "kind": "page", "url": "{{BASE}}/private/index.html"}
    _config, result = crawl(server, tmp_path, [private])
    assert result.returncode == 0
    ((kind, message, status),) = errors_by_source(tmp_path)["private"]
    assert (kind, status) == ("refused", "failed")
    assert "robots.txt" in message
    assert server.requests_for("/private/index.html") == []
    (robots, *_) = server.requests_for("/robots.txt")
    assert robots.headers["User-Agent"].startswith("amur/")


class BadPeer:
    """A loopback TCP server that misbehaves on every connection: `reset` answers a request with
    a TCP reset, `plain` answers in plain HTTP (so a TLS client fails its handshake)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                    if self.mode == "reset":
                        conn.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    else:
                        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def __enter__(self) -> BadPeer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.sock.close()


def test_network_failures_are_one_warning_line_per_url(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set("/bad/slow.html", "<html><body>late</body></html>", delay=3)
    closed = free_port()  # nothing listens there: connections are refused
    with BadPeer("reset") as reset, BadPeer("plain") as plain:
        failing = {
            "dns-feed": ("feed", "http://nothing.invalid/feed"),
            "dns-page": ("page", "http://other.nothing.invalid/feed"),
            "closed-feed": ("feed", f"http://127.0.0.1:{closed}/feed"),
            "closed-page": ("page", f"http://127.0.0.1:{closed}/page"),
            "reset": ("page", f"http://127.0.0.1:{reset.port}/page"),
            "tls": ("page", f"https://127.0.0.1:{plain.port}/page"),
            "timeout": ("page", "{{BASE}}/bad/slow.html"),
        }
        sources = [
            {"name": name, "kind": kind, "url": url} for name, (kind, url) in failing.items()
        ]
        _config, result = crawl(server, tmp_path, sources, timeout=1)
    assert result.returncode == 0, result.stderr  # `good` went through
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(failing), result.stderr
    for name, (_kind, url) in failing.items():
        url = url.replace("{{BASE}}", server.base)
        (line,) = [line for line in lines if f" {name}: " in line]
        assert " WARNING " in line
        assert url in line
    # The reason still reaches each source's record.
    errors = errors_by_source(tmp_path)
    assert {name for name in errors} == set(failing)
    assert errors["dns-feed"][0][:1] == ("dns",)
    assert errors["timeout"][0][:1] == ("timeout",)


def test_dropped_page_is_one_line_without_the_item(server: FixtureServer, tmp_path: Path) -> None:
    server.set(
        "/bad/junk.html",
        random.Random(7).randbytes(4096),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    junk = {"name": "junk-html", "kind": "page", "url": "{{BASE}}/bad/junk.html"}
    _config, result = crawl(server, tmp_path, [junk])
    assert result.returncode == 0, result.stderr
    assert "PageItem" not in result.stderr
    assert "Dropped" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert f"junk-html: extract {server.base}/bad/junk.html" in line
