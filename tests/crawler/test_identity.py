"""Document identity: a page is archived under the URL it was fetched from, and a URL it
declares replaces that only when it names this page on the same site."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.identity import Identity, identify
from storage.urls import normalize
from tests.amur_cli import amur, export, write_config
from tests.fixture_server import FIXTURES, FixtureServer

SEED_002 = "https://mander.xyz/post/44153480"
ARTICLE = "https://www.example.com/world-news/2025/12/23/story/"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (None, Identity(ARTICLE)),
        (ARTICLE, Identity(ARTICLE)),
        # Same site, another article path (www and bare host are one registrable domain).
        (
            "https://example.com/world/story-final",
            Identity("https://example.com/world/story-final"),
        ),
        (
            "https://amp.example.com/world-news/2025/12/23/story/",
            Identity("https://amp.example.com/world-news/2025/12/23/story/"),
        ),
        # Another site: kept as a hint only.
        (SEED_002, Identity(ARTICLE, declared=SEED_002)),
        (
            "https://example.org/world-news/2025/12/23/story/",
            Identity(ARTICLE, declared="https://example.org/world-news/2025/12/23/story/"),
        ),
        # The site's root, or a section index above the page.
        ("https://www.example.com/", Identity(ARTICLE, declared="https://www.example.com/")),
        ("https://www.example.com", Identity(ARTICLE, declared="https://www.example.com")),
        (
            "https://www.example.com/world-news/",
            Identity(ARTICLE, declared="https://www.example.com/world-news/"),
        ),
        (
            "https://www.example.com/world-news/2025/12/",
            Identity(ARTICLE, declared="https://www.example.com/world-news/2025/12/"),
        ),
        (
            "https://www.example.com/index.html",
            Identity(ARTICLE, declared="https://www.example.com/index.html"),
        ),
        (
            "https://www.example.com/world-news/?page=2",
            Identity(ARTICLE, declared="https://www.example.com/world-news/?page=2"),
        ),
        (
            "https://www.example.com/world-news/index.php",
            Identity(ARTICLE, declared="https://www.example.com/world-news/index.php"),
        ),
        # Not a web URL at all.
        ("seed:002.txt", Identity(ARTICLE, declared="seed:002.txt")),
        ("javascript:alert(1)", Identity(ARTICLE, declared="javascript:alert(1)")),
    ],
)
def test_declared_url_becomes_the_identity_only_for_this_page_on_its_own_site(
    declared: str | None, expected: Identity
) -> None:
    assert identify(ARTICLE, declared) == expected


def test_a_root_with_a_query_names_a_page() -> None:
    """`/?p=123` is how WordPress sites without pretty links name an article."""
    fetched = "https://blog.example.net/2025/12/post/"
    assert (
        identify(fetched, "https://blog.example.net/?p=123").url
        == "https://blog.example.net/?p=123"
    )


def test_a_declared_url_that_drops_the_query_naming_the_page_is_a_hint() -> None:
    """`article.php?id=5` and `?id=6` both declaring `article.php` must stay two documents."""
    for fetched in (
        "https://news.example.com/article.php?id=5",
        "https://news.example.com/article.php?id=6",
    ):
        declared = "https://news.example.com/article.php"
        assert identify(fetched, declared) == Identity(fetched, declared=declared)


def test_a_declared_url_without_tracking_parameters_is_the_identity() -> None:
    fetched = "https://news.example.com/world/story?utm_source=rss&utm_medium=feed"
    declared = "https://news.example.com/world/story"
    assert normalize(identify(fetched, declared).url) == normalize(declared)


def test_subdomains_of_a_shared_host_are_different_sites() -> None:
    """github.io is a public suffix: alice.github.io cannot speak for bob.github.io."""
    fetched = "https://alice.github.io/notes/one"
    declared = "https://bob.github.io/notes/one"
    assert identify(fetched, declared) == Identity(fetched, declared=declared)


@dataclass
class Forged:
    base: str
    seed_before: dict[str, Any]
    records: list[dict[str, Any]]
    requests: list[str]
    crawls: list[Any]

    def at(self, path: str) -> dict[str, Any]:
        key = normalize(f"{self.base}/forgery/{path}")
        found = [r for r in self.records if r["url"] == key]
        assert found, f"no document at {key}: {sorted(r['url'] for r in self.records)}"
        return found[0]


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forged]:
    folder: Path = tmp_path_factory.mktemp("forgery")
    source = {
        "name": "gazette",
        "kind": "listing",
        "url": "{{BASE}}/forgery/index.html",
        "follow": "a.story",
    }
    with FixtureServer(FIXTURES) as server:
        config = write_config(folder, server.base, [source])
        assert amur(config, "init").returncode == 0
        (seed_before,) = [r for r in export(config) if r["url"] == SEED_002]
        crawls = [amur(config, "crawl"), amur(config, "crawl")]
        yield Forged(
            server.base,
            seed_before,
            export(config),
            [request.path for request in server.requests],
            crawls,
        )


def test_the_crawls_succeed(forged: Forged) -> None:
    for crawl in forged.crawls:
        assert crawl.returncode == 0, crawl.stderr


@pytest.mark.parametrize("page", ["link-canonical.html", "og-url.html", "json-ld.html"])
def test_canonical_on_another_site_does_not_revise(forged: Forged, page: str) -> None:
    (seed,) = [r for r in forged.records if r["url"] == SEED_002]
    assert seed["revisions"] == 1
    assert seed["text"] == forged.seed_before["text"]
    assert seed["source"] == "seed"
    gardening = forged.at(f"garden/{page}")
    assert gardening["source"] == "gazette"
    assert "Tomatoes want warmth" in gardening["text"]


def test_articles_whose_canonical_is_the_home_page_stay_apart(forged: Forged) -> None:
    first, second = forged.at("news/2025/12/first.html"), forged.at("news/2025/12/second.html")
    assert first["id"] != second["id"]
    assert (first["revisions"], second["revisions"]) == (1, 1)
    assert "ferry timetable" in first["text"]
    assert "reading room" in second["text"]
    assert not [r for r in forged.records if r["url"] == normalize(f"{forged.base}/")]


def test_a_section_index_canonical_is_not_the_identity(forged: Forged) -> None:
    third = forged.at("news/2025/12/third.html")
    assert "allotment" in third["text"]


def test_a_same_site_article_canonical_is_the_identity(forged: Forged) -> None:
    moved = forged.at("news/2025/12/moved-final.html")
    assert "night service" in moved["text"]
    assert not [
        r
        for r in forged.records
        if r["url"] == normalize(f"{forged.base}/forgery/news/2025/12/moved.html")
    ]


def test_rejected_canonicals_do_not_stop_later_fetches_being_known(forged: Forged) -> None:
    """Each article was fetched once: the second crawl knew every URL, under its own identity."""
    for path in ("news/2025/12/first.html", "news/2025/12/second.html", "garden/og-url.html"):
        assert forged.requests.count(f"/forgery/{path}") == 1, forged.requests
