"""Kind `sitemap`: reading sitemaps (a pure function) and a crawl of the Telegraph-like index."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.http import Response

from crawler.exceptions import SitemapError
from crawler.kinds.sitemap import (
    entry_date,
    read_sitemap,
    recent_entries,
    sitemap_body,
    within,
)
from tests.amur_cli import amur, export, write_config
from tests.crawler.test_crawl import summary_row
from tests.fixture_server import FIXTURES, FixtureServer
from tests.scheduler.test_service import query

URL = "https://www.example.org/sitemap.xml"
NOW = datetime(2024, 9, 17, 12, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=2)


def urlset(*entries: str, news: bool = False) -> bytes:
    namespaces = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if news:
        namespaces += ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    return f'<?xml version="1.0"?><urlset {namespaces}>{"".join(entries)}</urlset>'.encode()


def url(loc: str, lastmod: str | None = None, extra: str = "") -> str:
    dated = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{loc}</loc>{dated}{extra}</url>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-16T21:33+01:00", datetime(2024, 9, 16, 20, 33, tzinfo=UTC)),
        ("2024-09-16T21:33+0100", datetime(2024, 9, 16, 20, 33, tzinfo=UTC)),
        ("2024-09-16T21:33:07Z", datetime(2024, 9, 16, 21, 33, 7, tzinfo=UTC)),
        ("2024-09-16T21:33:07.123+00:00", datetime(2024, 9, 16, 21, 33, 7, tzinfo=UTC)),
        ("2024-09-16T21:33:07", datetime(2024, 9, 16, 21, 33, 7, tzinfo=UTC)),  # no offset: UTC
        ("2024-09-16", date(2024, 9, 16)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_entry_dates_as_sitemaps_write_them(value: str | None, expected: object) -> None:
    assert entry_date(value) == expected


def test_a_bare_day_counts_as_the_whole_day() -> None:
    cutoff = datetime(2024, 9, 16, 23, 0, tzinfo=UTC)
    assert within(date(2024, 9, 16), cutoff)
    assert not within(date(2024, 9, 15), cutoff)
    assert not within(datetime(2024, 9, 16, 22, 59, tzinfo=UTC), cutoff)


def test_news_entries_keep_their_date_and_title() -> None:
    news = (
        "<news:news><news:publication><news:name>The Telegraph</news:name>"
        "<news:language>en</news:language></news:publication>"
        "<news:publication_date>2024-09-16T21:33+01:00</news:publication_date>"
        "<news:title>Xi and Putin meet</news:title></news:news>"
    )
    body = urlset(url("https://www.example.org/a", "2024-09-17T08:00+01:00", news), news=True)
    (entry,) = read_sitemap(body, URL).entries
    # The publication date decides recency and is the `published` hint; lastmod is `modified`.
    assert entry.dated == datetime(2024, 9, 16, 20, 33, tzinfo=UTC)
    assert entry.hints == {
        "title": "Xi and Putin meet",
        "published": "2024-09-16T21:33:00+01:00",
        "modified": "2024-09-17T08:00:00+01:00",
    }


def test_only_recent_entries_are_taken_and_undated_ones_beside_dated_are_not() -> None:
    body = urlset(
        url("https://www.example.org/new", "2024-09-17T09:00+01:00"),
        url("https://www.example.org/day", "2024-09-15"),
        url("https://www.example.org/old", "2024-09-14T23:00+00:00"),
        url("https://www.example.org/section/"),
        url("javascript:alert(1)", "2024-09-17"),
        url("/relative", "2024-09-17"),
    )
    sitemap = read_sitemap(body, URL)
    assert not sitemap.index
    assert [e.url for e in recent_entries(sitemap, CUTOFF)] == [
        "https://www.example.org/new",
        "https://www.example.org/day",
        "https://www.example.org/relative",
    ]


def test_a_sitemap_that_dates_nothing_gives_every_entry() -> None:
    body = urlset(url("https://www.example.org/a"), url("https://www.example.org/b"))
    assert len(recent_entries(read_sitemap(body, URL), CUTOFF)) == 2


def test_index_children_are_followed_when_recent_or_undated() -> None:
    body = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://www.example.org/news.xml</loc>"
        b"<lastmod>2024-09-17T08:00+01:00</lastmod></sitemap>"
        b"<sitemap><loc>https://www.example.org/2024-08.xml.gz</loc>"
        b"<lastmod>2024-08-31</lastmod></sitemap>"
        b"<sitemap><loc>https://www.example.org/topics.xml</loc></sitemap>"
        b"</sitemapindex>"
    )
    sitemap = read_sitemap(body, URL)
    assert sitemap.index
    assert [e.url for e in recent_entries(sitemap, CUTOFF)] == [
        "https://www.example.org/news.xml",
        "https://www.example.org/topics.xml",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not XML"),
        (b"garbage", "not XML"),
        (b"<html><body><p>Not found</p></body></html>", "root element is <html>"),
        (b'<rss version="2.0"><channel></channel></rss>', "root element is <rss>"),
    ],
)
def test_what_is_not_a_sitemap_is_an_error(body: bytes, problem: str) -> None:
    with pytest.raises(SitemapError, match=problem):
        read_sitemap(body, URL)


def test_gzipped_sitemaps_are_unpacked_within_the_size_limit() -> None:
    xml = urlset(*(url(f"https://www.example.org/{n}", "2024-09-17") for n in range(200)))
    packed = Response(URL + ".gz", body=gzip.compress(xml))
    assert sitemap_body(packed, max_size=len(xml)) == xml
    with pytest.raises(SitemapError, match="max_body_mb"):
        sitemap_body(packed, max_size=len(xml) - 1)
    with pytest.raises(SitemapError, match="broken gzip"):
        sitemap_body(Response(URL + ".gz", body=gzip.compress(xml)[:50]), max_size=10**6)
    # Plain XML (or a .xml.gz the server already unpacked with Content-Encoding) is as it is.
    assert sitemap_body(Response(URL, body=xml), max_size=10) == xml


SITEMAP = {"name": "telegraph-sitemap", "kind": "sitemap", "url": "{{BASE}}/telegraph/sitemap.xml"}


def test_crawl_of_a_sitemap_index(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        base = server.base
        config = write_config(tmp_path, base, [SITEMAP])
        result = amur(config, "crawl")
        requested = [request.path for request in server.requests]
        records = export(config)
        server.reset()
        again = amur(config, "crawl")
        second = [request.path for request in server.requests]
    assert result.returncode == 0, result.stderr
    # fetched new revised duplicates not-relevant errors: the Lawford article is a seed's copy.
    assert summary_row(result.stdout, "telegraph-sitemap") == ["ok", "4", "2", "0", "1", "1", "0"]
    # The index once (it lists itself), its recent and its undated children; not the old one.
    assert requested.count("/telegraph/sitemap.xml") == 1
    assert "/telegraph/custom/daily-news/sitemap.xml" in requested
    assert "/telegraph/sitemaps/sitemap-2025-12.xml.gz" in requested
    assert "/telegraph/sitemaps/topics.xml" in requested
    assert "/telegraph/sitemaps/sitemap-2024-09.xml" not in requested
    pages = sorted(path for path in requested if path.endswith(".html") or path.endswith("/"))
    assert pages == [
        "/telegraph/money/property/house-prices/2025/12/22/house-prices-fall-third-month.html",
        "/telegraph/news/russian-grain-china-briefing.html",
        "/telegraph/world-news/2025/12/19/power-of-siberia-2-pipeline-talks-stall.html",
        "/telegraph/world-news/2025/12/23/china-russia-trade-backfiring.html",
    ]
    (found,) = query(tmp_path, "SELECT found FROM source_runs")[0]
    assert found == 4
    by_url = {record["url"].removeprefix(base): record for record in records}
    # The page's own date wins over the news sitemap's; a page with none takes lastmod.
    pipeline = by_url[
        "/telegraph/world-news/2025/12/19/power-of-siberia-2-pipeline-talks-stall.html"
    ]
    assert pipeline["published"].startswith("2025-12-19")
    briefing = by_url["/telegraph/news/russian-grain-china-briefing.html"]
    published = datetime.fromisoformat(briefing["published"])
    assert timedelta(hours=6) < datetime.now(UTC) - published < timedelta(hours=8)
    assert briefing["title"] == "Russian grain finds a buyer in China"
    # The next run fetches no article again: they are all held.
    assert again.returncode == 0, again.stderr
    assert not [path for path in second if path.endswith(".html")]


def test_a_broken_child_fails_alone_and_a_broken_index_fails_the_source(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        server.set("/telegraph/sitemaps/sitemap-2025-12.xml.gz", b"\x1f\x8b\x08 not gzip")
        config = write_config(tmp_path, server.base, [SITEMAP])
        result = amur(config, "crawl")
        server.set("/telegraph/sitemap.xml", "<html><title>Just a page</title></html>")
        broken = amur(config, "crawl")
    assert summary_row(result.stdout, "telegraph-sitemap")[0] == "ok"
    assert summary_row(result.stdout, "telegraph-sitemap")[-1] == "1"
    assert summary_row(broken.stdout, "telegraph-sitemap")[0] == "failed"
    errors = [row[0] for row in query(tmp_path, "SELECT message FROM fetch_errors ORDER BY id")]
    assert errors[0].startswith("a broken gzip file")
    assert errors[1] == "not a sitemap: its root element is <html>"
