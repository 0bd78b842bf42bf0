"""`amur crawl` of forum threads: posts as documents, seeds matched, new replies and edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.amur_cli import amur, export, write_config
from tests.crawler.test_crawl import summary_row
from tests.crawler.test_failures import errors_by_source
from tests.fixture_server import FIXTURES, FixtureServer

SEED_AIDS = ["7289781", "7289864", "7289828"]


@pytest.fixture
def server() -> FixtureServer:
    with FixtureServer(FIXTURES) as server:
        yield server  # type: ignore[misc]


def thread_source(path: str, **extra: str) -> dict[str, str]:
    return {"name": "udn", "kind": "forum", "url": "{{BASE}}/udn/" + path, **extra}


def seed_posts(records: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["post_id"]: r for r in records if r["post_id"]}


@pytest.mark.parametrize("layout", ["div-thread.html", "table-thread.html"])
def test_crawled_posts_are_the_seed_posts(
    server: FixtureServer, tmp_path: Path, layout: str
) -> None:
    config = write_config(tmp_path, server.base, [thread_source(layout)])
    before = export(config)
    result = amur(config, "crawl")
    assert result.returncode == 0, result.stderr
    # fetched 3 posts; each is already in the archive as a seed post with the same text.
    assert summary_row(result.stdout, "udn") == ["ok", "3", "0", "0", "0", "0", "0"]
    after = export(config)
    assert [(r["id"], r["text"], r["revisions"]) for r in after] == [
        (r["id"], r["text"], r["revisions"]) for r in before
    ]
    assert sorted(seed_posts(after)) == sorted(SEED_AIDS)


def test_new_reply_and_edited_post(server: FixtureServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, server.base, [thread_source("div-thread.html")])
    assert amur(config, "crawl").returncode == 0
    server.set("/udn/div-thread.html", file="udn/thread-later.html")
    result = amur(config, "crawl")
    assert result.returncode == 0, result.stderr
    assert summary_row(result.stdout, "udn") == ["ok", "4", "1", "1", "0", "0", "0"]
    posts = seed_posts(export(config))
    reply = posts["7290377"]
    assert (reply["source"], reply["new"], reply["relevant"]) == ("udn", True, True)
    assert reply["url"] == "https://city.udn.com/2976/7290377"
    assert reply["title"] == "遠東開發與中國資本-Jonas Lindqvist"
    assert posts["7289781"]["revisions"] == 2
    assert [posts[aid]["revisions"] for aid in SEED_AIDS[1:]] == [1, 1]
    shown = amur(config, "show", str(posts["7289781"]["id"]))
    assert "--- changes in revision 2 ---" in shown.stdout
    assert "\n+" in shown.stdout
    assert "\n-" in shown.stdout
    # A third crawl of the same page adds nothing.
    again = amur(config, "crawl")
    # Revalidated: the thread page answers 304, so not a post is read again.
    assert summary_row(again.stdout, "udn") == ["ok", "0", "0", "0", "0", "0", "0"]


def test_pagination_is_followed(server: FixtureServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, server.base, [thread_source("paged-thread.html")])
    result = amur(config, "crawl")
    # Two new replies; the two seed replies, their quoted articles shortened here, are revised.
    assert summary_row(result.stdout, "udn") == ["ok", "5", "2", "2", "0", "0", "0"]
    assert {"7290133", "7290241"} <= set(seed_posts(export(config)))


def test_error_page_is_an_error_not_an_empty_thread(server: FixtureServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, server.base, [thread_source("div-thread.html", parser="udn")])
    amur(config, "crawl")
    server.set("/udn/div-thread.html", file="udn/error-page.html")
    result = amur(config, "crawl")
    assert result.returncode == 1
    (error,) = errors_by_source(tmp_path)["udn"]
    assert error[0] == "forum"
    assert "error page" in error[1]
    assert sorted(seed_posts(export(config))) == sorted(SEED_AIDS)


def test_forced_parser_on_a_mirror(server: FixtureServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, server.base, [thread_source("div-thread.html", parser="udn")])
    result = amur(config, "crawl")
    assert summary_row(result.stdout, "udn") == ["ok", "3", "0", "0", "0", "0", "0"]


def test_crawled_posts_have_their_language_identified(
    server: FixtureServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server.base, [thread_source("paged-thread.html")])
    assert amur(config, "crawl").returncode == 0
    posts = seed_posts(export(config))
    # Short Chinese comments on page 2: not seeds, so their language is the crawl's finding.
    assert [posts[aid]["language"] for aid in ("7290133", "7290241")] == ["zh", "zh"]
    assert (posts["7290133"]["source"], posts["7290241"]["source"]) == ("udn", "udn")
