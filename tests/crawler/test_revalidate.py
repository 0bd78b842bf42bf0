"""Conditional requests and the waits a source asks for, against the loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.amur_cli import amur, export, write_config
from tests.crawler.test_crawl import summary_row
from tests.fixture_server import FIXTURES, FixtureServer
from tests.scheduler.test_service import query

PAGE = "/page/china-russia-relations.html"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(FIXTURES) as server:
        yield server


def runs(folder: Path) -> list[tuple[int, int, int]]:
    """(fetched, unchanged, found) of the page source's runs, oldest first."""
    return [
        tuple(row)
        for row in query(folder, "SELECT fetched, unchanged, found FROM source_runs ORDER BY id")
    ]


def not_before(folder: Path) -> datetime | None:
    (value,) = query(folder, "SELECT not_before FROM source_state")[0]
    return datetime.fromisoformat(str(value)) if value else None


def test_unchanged_page_is_revalidated_and_not_read(server: FixtureServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path, server.base, [{"name": "hub", "kind": "page", "url": "{{BASE}}" + PAGE}]
    )
    assert amur(config, "crawl").returncode == 0
    second = amur(config, "crawl")
    assert summary_row(second.stdout, "hub") == ["ok", "0", "0", "0", "0", "0", "0"]
    first_request, second_request = server.requests_for(PAGE)
    assert first_request.headers.get("If-None-Match") is None
    assert second_request.headers.get("If-None-Match")
    assert second_request.headers.get("If-Modified-Since")
    assert runs(tmp_path) == [(1, 0, 1), (0, 1, 0)]
    # The page changes: fetched, extracted and stored as a revision of the same document.
    html = (FIXTURES / "page" / "china-russia-relations.html").read_text(encoding="utf-8")
    start = "Few relationships will shape the coming decade"
    assert start in html
    server.set(PAGE, html.replace(start, "Updated in December. " + start, 1))
    third = amur(config, "crawl")
    assert summary_row(third.stdout, "hub")[:2] == ["ok", "1"]
    (record,) = [r for r in export(config) if r["source"] == "hub"]
    assert record["revisions"] == 2
    assert record["text"].startswith("Updated in December. ")


def test_same_body_without_validators_is_unchanged(server: FixtureServer, tmp_path: Path) -> None:
    server.set(
        PAGE, file="page/china-russia-relations.html", headers={"ETag": None, "Last-Modified": None}
    )
    config = write_config(
        tmp_path, server.base, [{"name": "hub", "kind": "page", "url": "{{BASE}}" + PAGE}]
    )
    amur(config, "crawl")
    amur(config, "crawl")
    assert runs(tmp_path) == [(1, 0, 1), (0, 1, 0)]


def test_max_age_and_feed_ttl_hold_the_next_run_back(server: FixtureServer, tmp_path: Path) -> None:
    server.set(
        PAGE,
        file="page/china-russia-relations.html",
        headers={"Cache-Control": "public, max-age=7200"},
    )
    config = write_config(
        tmp_path, server.base, [{"name": "hub", "kind": "page", "url": "{{BASE}}" + PAGE}]
    )
    before = datetime.now().astimezone()
    amur(config, "crawl")
    wait = not_before(tmp_path)
    assert wait is not None
    assert timedelta(minutes=119) < wait.astimezone() - before < timedelta(minutes=121)
    status = amur(config, "status").stdout
    assert "hub" in status


def test_retry_after_on_503_is_recorded(server: FixtureServer, tmp_path: Path) -> None:
    server.set(PAGE, status=503, headers={"Retry-After": "900"})
    config = write_config(
        tmp_path, server.base, [{"name": "hub", "kind": "page", "url": "{{BASE}}" + PAGE}]
    )
    before = datetime.now().astimezone()
    assert amur(config, "crawl").returncode == 1
    wait = not_before(tmp_path)
    assert wait is not None
    assert timedelta(minutes=14) < wait.astimezone() - before < timedelta(minutes=16)


def test_feed_ttl(server: FixtureServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        server.base,
        [{"name": "news", "kind": "feed", "url": "{{BASE}}/telegraph/rss.xml"}],
    )
    before = datetime.now().astimezone()
    amur(config, "crawl")
    wait = not_before(tmp_path)
    assert wait is not None  # the fixture feed says <ttl>15</ttl>
    assert timedelta(minutes=14) < wait.astimezone() - before < timedelta(minutes=16)


def test_sources_watching_one_url_keep_their_own_validators(
    server: FixtureServer, tmp_path: Path
) -> None:
    hub = {"name": "hub", "kind": "page", "url": "{{BASE}}" + PAGE}
    mirror = {**hub, "name": "mirror"}
    assert amur(write_config(tmp_path, server.base, [hub]), "crawl").returncode == 0
    config = write_config(tmp_path, server.base, [hub, mirror])
    second = amur(config, "crawl")
    assert summary_row(second.stdout, "hub")[:2] == ["ok", "0"]  # a 304 with hub's validators
    assert summary_row(second.stdout, "mirror")[:2] == ["ok", "1"]  # a full 200, not hub's 304
    first, *others = server.requests_for(PAGE)
    assert first.headers.get("If-None-Match") is None
    assert sorted(bool(r.headers.get("If-None-Match")) for r in others) == [False, True]
    # Each now revalidates with validators of its own.
    third = amur(config, "crawl")
    assert summary_row(third.stdout, "hub")[:2] == ["ok", "0"]
    assert summary_row(third.stdout, "mirror")[:2] == ["ok", "0"]
    assert all(r.headers.get("If-None-Match") for r in server.requests_for(PAGE)[3:])
