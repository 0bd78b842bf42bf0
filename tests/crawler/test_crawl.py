"""`amur crawl` end to end: fixture sites on a loopback server, a real SQLite archive.

One archive is built per module (the crawls are subprocesses, a few seconds each): first the
newspaper alone, then every source, then everything again. Each test reads one aspect of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from storage.urls import normalize
from tests.amur_cli import amur, export, write_config
from tests.fixture_server import FIXTURES, FixtureServer

SOURCES = [
    {"name": "telegraph", "kind": "feed", "url": "{{BASE}}/telegraph/rss.xml"},
    {"name": "atomblog", "kind": "feed", "url": "{{BASE}}/atomblog/feed.atom"},
    {
        "name": "thinktank",
        "kind": "listing",
        "url": "{{BASE}}/thinktank/research/china.html",
        "follow": "#main .entry-title > a",
    },
    {"name": "hub", "kind": "page", "url": "{{BASE}}/page/china-russia-relations.html"},
    {"name": "hub-gbk", "kind": "page", "url": "{{BASE}}/page/gbk/china-russia-gbk.html"},
    {"name": "hub-big5", "kind": "page", "url": "{{BASE}}/page/gbk/china-russia-big5.html"},
]
SITES = ("telegraph", "atomblog", "thinktank", "page")
PAGE_SOURCES = {
    "china-russia-relations.html": "hub",
    "gbk/china-russia-gbk.html": "hub-gbk",
    "gbk/china-russia-big5.html": "hub-big5",
}


def expected_pages() -> list[Any]:
    pages = []
    for site in SITES:
        expected = json.loads((FIXTURES / site / "expected.json").read_text(encoding="utf-8"))
        pages += [
            pytest.param(site, path, fields, id=f"{site}/{path}")
            for path, fields in sorted(expected.items())
        ]
    return pages


@dataclass
class Archive:
    base: str
    config: Path
    first: Any
    second: Any
    third: Any
    records: list[dict[str, Any]]
    after_recrawl: list[dict[str, Any]]
    recrawl_requests: list[str]

    def by_url(self, url: str) -> dict[str, Any]:
        key = normalize(url.replace("{{BASE}}", self.base))
        found = [r for r in self.records if r["url"] == key]
        assert found, f"no document at {key}: {[r['url'] for r in self.records]}"
        return found[0]


def summary_row(output: str, source: str) -> list[str]:
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] == source:
            return cells[1:]
    raise AssertionError(f"no summary row for {source} in:\n{output}")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    folder = tmp_path_factory.mktemp("crawl")
    with FixtureServer(FIXTURES) as server:
        config = write_config(folder, server.base, SOURCES)
        first = amur(config, "crawl", "telegraph")
        second = amur(config, "crawl")
        records = export(config)
        server.reset()
        third = amur(config, "crawl")
        after = export(config)
        requests = [request.path for request in server.requests]
        yield Archive(server.base, config, first, second, third, records, after, requests)


def test_crawls_succeed(archive: Archive) -> None:
    for result in (archive.first, archive.second, archive.third):
        assert result.returncode == 0, result.stderr


def test_summary_counts_per_source(archive: Archive) -> None:
    # status fetched new revised duplicates not-relevant errors
    # The Lawford article is quoted in full by a seed post: already held, so not new.
    assert summary_row(archive.first.stdout, "telegraph") == ["ok", "3", "1", "0", "1", "1", "0"]
    second = archive.second.stdout
    assert summary_row(second, "telegraph") == ["ok", "0", "0", "0", "0", "0", "0"]
    assert summary_row(second, "atomblog") == ["ok", "4", "2", "0", "1", "1", "0"]
    assert summary_row(second, "thinktank") == ["ok", "3", "2", "0", "0", "1", "0"]
    assert summary_row(second, "hub") == ["ok", "1", "1", "0", "0", "0", "0"]


@pytest.mark.parametrize(("site", "path", "fields"), expected_pages())
def test_extracted_fields_match_the_fixture(
    archive: Archive, site: str, path: str, fields: dict[str, Any]
) -> None:
    record = archive.by_url(fields["canonical"])
    assert record["title"] == fields["title"]
    assert record["author"] == fields.get("author")
    assert record["language"] == fields["language"]
    assert record["relevant"] is fields["relevant"]
    assert record["source"] == (PAGE_SOURCES[path] if site == "page" else site)
    text = record["text"]
    assert text.startswith(fields["text_starts"])
    assert text.endswith(fields["text_ends"])
    for boilerplate in fields["not_in_text"]:
        assert boilerplate not in text
    expected_date, got = fields["published"], record["published"]
    if "T" in expected_date:
        assert datetime.fromisoformat(got) == datetime.fromisoformat(expected_date)
    else:
        assert date.fromisoformat(got[:10]) == date.fromisoformat(expected_date)


def test_canonical_url_is_the_document_url_and_feed_link_an_alias(archive: Archive) -> None:
    record = archive.by_url(
        "{{BASE}}/telegraph/world-news/2025/12/23/china-russia-trade-backfiring.html"
    )
    assert "WT.mc_id" not in record["url"]


TELEGRAPH_A = "{{BASE}}/telegraph/world-news/2025/12/23/china-russia-trade-backfiring.html"


def test_republished_text_is_identical_and_not_new(archive: Archive) -> None:
    original = archive.by_url(TELEGRAPH_A)
    repost = archive.by_url("{{BASE}}/atomblog/repost-trade.html")
    assert repost["new"] is False
    identical = [m["id"] for m in repost["matches"] if m["relation"] == "identical"]
    assert identical == [original["id"]]
    back = {m["id"]: m["relation"] for m in original["matches"]}
    assert back[repost["id"]] == "identical"


def test_article_quoted_by_a_seed_post_is_not_new(archive: Archive) -> None:
    original = archive.by_url(TELEGRAPH_A)
    seed_post = next(r for r in archive.records if r["post_id"] == "7289828")
    assert original["new"] is False
    relations = {m["id"]: m["relation"] for m in original["matches"]}
    assert relations[seed_post["id"]] == "excerpt_of"
    back = {m["id"]: m["relation"] for m in seed_post["matches"]}
    assert back[original["id"]] == "quotes"


def test_seeds_are_in_the_archive(archive: Archive) -> None:
    seeds = [r for r in archive.records if r["source"] == "seed"]
    assert len(seeds) == 7  # seed 000 is a forum thread of three posts
    assert len({r["seed"] for r in seeds}) == 5


def test_second_crawl_of_unchanged_sites_adds_nothing(archive: Archive) -> None:
    assert archive.third.returncode == 0
    assert len(archive.after_recrawl) == len(archive.records)
    assert [(r["id"], r["revisions"], r["text"]) for r in archive.after_recrawl] == [
        (r["id"], r["revisions"], r["text"]) for r in archive.records
    ]
    for source in ("telegraph", "atomblog", "thinktank", "hub"):
        row = summary_row(archive.third.stdout, source)
        assert row[2:5] == ["0", "0", "0"], (source, row)  # new, revised, duplicates
    # Articles already held are not even fetched again: only feeds, listings, pages, robots.txt.
    article_paths = [p for p in archive.recrawl_requests if "/2025/" in p and "research" not in p]
    assert article_paths == []


def test_show_quotes_the_shared_passages(archive: Archive) -> None:
    original = archive.by_url(TELEGRAPH_A)
    shown = amur(archive.config, "show", str(original["id"])).stdout
    match_line = next(
        line for line in shown.splitlines() if line.startswith("match:") and "excerpt_of" in line
    )
    quote = shown.splitlines()[shown.splitlines().index(match_line) + 1].strip()
    assert quote.startswith("“")
    # The quoted passage is a paragraph of this article that the seed post also has.
    seed_post = next(r for r in archive.records if r["post_id"] == "7289828")
    passage = quote.strip("“”…")[:60]
    assert passage in original["text"]
    assert passage in seed_post["text"]
