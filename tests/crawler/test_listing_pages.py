"""Paginated listings (`next`, `pages`) against the Stimson-like three-page listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.amur_cli import amur, write_config
from tests.crawler.test_crawl import summary_row
from tests.fixture_server import FIXTURES, FixtureServer
from tests.scheduler.test_service import query

PAGE_1 = "/thinktank/research/russia.html"
PAGE_2 = "/thinktank/research/russia/page/2.html"
PAGE_3 = "/thinktank/research/russia/page/3.html"


def listing(**keys: Any) -> dict[str, Any]:
    return {
        "name": "russia",
        "kind": "listing",
        "url": "{{BASE}}" + PAGE_1,
        "follow": "#main .entry-title > a",
        "next": "a.next.page-numbers",
        **keys,
    }


def articles(server: FixtureServer) -> list[str]:
    return sorted(r.path for r in server.requests if r.path.startswith("/thinktank/2025/"))


def listing_pages(server: FixtureServer) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith("/thinktank/research/")]


def test_pages_are_followed_until_the_next_link_leads_back(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        config = write_config(tmp_path, server.base, [listing(pages=10)])
        result = amur(config, "crawl")
        fetched_articles, pages = articles(server), listing_pages(server)
    assert result.returncode == 0, result.stderr
    # Page 3's "Next" points back to page 2: the walk ends there, without an error.
    assert pages == [PAGE_1, PAGE_2, PAGE_3]
    assert fetched_articles == [
        "/thinktank/2025/central-asia-china-russia-competition.html",
        "/thinktank/2025/ruble-yuan-settlements.html",
        "/thinktank/2025/russia-arctic-ports-chinese-shipping.html",
        "/thinktank/2025/russian-arms-sales-china-decline.html",
        "/thinktank/2025/sco-summit-tianjin-takeaways.html",
    ]
    assert summary_row(result.stdout, "russia") == ["ok", "5", "5", "0", "0", "0", "0"]
    # Found counts each item once, though page 3 repeats one of page 2's.
    assert query(tmp_path, "SELECT found FROM source_runs") == [(5,)]


def test_one_page_by_default(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        config = write_config(tmp_path, server.base, [listing()])
        assert amur(config, "crawl").returncode == 0
        assert listing_pages(server) == [PAGE_1]
        assert len(articles(server)) == 2


def test_a_page_with_nothing_new_ends_the_walk(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        config = write_config(tmp_path, server.base, [listing(pages=2)])
        assert amur(config, "crawl").returncode == 0
        server.reset()
        # A new post on page 1: it is fetched, page 2 holds only known items, page 3 is not read.
        html = (FIXTURES / PAGE_1.lstrip("/")).read_text(encoding="utf-8")
        html = html.replace(
            "central-asia-china-russia-competition.html",
            "continuing-resolution-federal-agencies.html",
            2,  # the thumbnail and the title link of the first item
        )
        server.set(PAGE_1, html)
        config = write_config(tmp_path, server.base, [listing(pages=10)])
        result = amur(config, "crawl")
        assert listing_pages(server) == [PAGE_1, PAGE_2]
        assert articles(server) == ["/thinktank/2025/continuing-resolution-federal-agencies.html"]
    assert summary_row(result.stdout, "russia")[:2] == ["ok", "1"]


def test_a_next_link_to_another_site_is_not_followed(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        html = (FIXTURES / PAGE_1.lstrip("/")).read_text(encoding="utf-8")
        # `localhost` reaches the same server, but it is another host name than the listing's.
        elsewhere = f"http://localhost:{server.port}{PAGE_2}"
        server.set(
            PAGE_1,
            html.replace(
                'class="next page-numbers" href="{{BASE}}' + PAGE_2,
                f'class="next page-numbers" href="{elsewhere}"',
            ),
        )
        config = write_config(tmp_path, server.base, [listing(pages=3)])
        result = amur(config, "crawl")
        assert listing_pages(server) == [PAGE_1]
    assert summary_row(result.stdout, "russia")[0] == "ok"
    (message,) = query(tmp_path, "SELECT message FROM fetch_errors")[0]
    assert message == f"the next-page link leads to another site: {elsewhere}"
