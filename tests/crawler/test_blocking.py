"""Refused fetches: challenge pages told apart from failures, and the fetch options that help
(`fetch: impersonate`, `headers:`), against the `blocked/` fixture site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.blocking import refusal
from tests.amur_cli import amur, write_config
from tests.crawler.test_failures import errors_by_source
from tests.fixture_server import FIXTURES, FixtureServer

CHALLENGES = FIXTURES / "blocked" / "challenge"
URL = "https://www.example.org/news/article.html"
HINT = "(try `fetch: impersonate` or `headers:`)"


@pytest.mark.parametrize(
    ("status", "headers", "page", "expected"),
    [
        (
            403,
            {"cf-mitigated": "challenge"},
            "just-a-moment.html",
            "HTTP 403, a Cloudflare challenge",
        ),
        (503, {}, "just-a-moment.html", "HTTP 503, a Cloudflare challenge"),
        (429, {}, "just-a-moment.html", "HTTP 429, a Cloudflare challenge"),
        (403, {}, "attention-required.html", "HTTP 403, a Cloudflare block page"),
        (403, {}, "datadome.html", "HTTP 403, a DataDome captcha"),
        (200, {}, "imperva.html", "HTTP 200, an Imperva block page"),
        (202, {"x-amzn-waf-action": "challenge"}, None, "HTTP 202, an AWS WAF challenge"),
        (403, {}, None, "HTTP 403"),
        (429, {"Retry-After": "120"}, None, None),  # a request to slow down, not a refusal
        (503, {}, None, None),
        (200, {}, "../article.html", None),
    ],
)
def test_refusals_are_told_by_stable_signals(
    status: int, headers: dict[str, str], page: str | None, expected: str | None
) -> None:
    body = (CHALLENGES / page).read_bytes() if page else b""
    response = HtmlResponse(URL, status=status, headers=headers, body=body)
    assert refusal(response) == expected


def test_an_article_about_challenges_is_not_one() -> None:
    body = (
        b"<html><head><title>How sites tell bots from people</title></head><body><p>Cloudflare"
        b" shows a page titled Just a moment... while it checks the browser, and some sites"
        b" answer with a captcha.</p></body></html>"
    )
    assert refusal(HtmlResponse(URL, status=200, body=body)) is None


def page_source(name: str) -> dict[str, str]:
    return {"name": name, "kind": "page", "url": "{{BASE}}/blocked/" + name + ".html"}


def test_refused_sources_are_blocked_with_the_hint(tmp_path: Path) -> None:
    names = ["cloudflare-block", "challenge-429", "datadome", "imperva", "aws-waf", "forbidden"]
    with FixtureServer(FIXTURES) as server:
        base = server.base
        config = write_config(
            tmp_path,
            server.base,
            [*map(page_source, names), page_source("slow-down"), page_source("open")],
        )
        result = amur(config, "crawl")
        status = amur(config, "status")
        status_json = amur(config, "status", "--json")
    assert result.returncode == 0, result.stderr  # `open` went through
    errors = errors_by_source(tmp_path)
    for name in names:
        ((kind, message, outcome),) = errors[name]
        assert (kind, outcome) == ("blocked", "blocked"), name
        assert message.startswith("blocked: HTTP "), message
        assert message.endswith(HINT)
    assert errors["slow-down"] == [
        ("http-429", f"HTTP 429 from {base}/blocked/slow-down.html", "failed")
    ]
    assert "BLOCKED datadome: the site refused amur's client: try `fetch: impersonate`" in (
        status.stdout
    )
    records = {r["source"]: r for r in map(json.loads, status_json.stdout.splitlines())}
    assert records["imperva"]["outcome"] == "blocked"
    assert records["imperva"]["consecutive_failures"] == 1
    assert "`fetch: impersonate`" in records["imperva"]["hint"]
    assert records["slow-down"]["hint"] is None


FEED = {"name": "gazette", "kind": "feed", "url": "{{BASE}}/blocked/rss.xml"}


def test_a_challenged_feed_is_blocked_and_every_source_blocked_exits_1(tmp_path: Path) -> None:
    with FixtureServer(FIXTURES) as server:
        base = server.base
        config = write_config(tmp_path, server.base, [FEED])
        result = amur(config, "crawl")
    assert result.returncode == 1
    ((kind, message, outcome),) = errors_by_source(tmp_path)["gazette"]
    assert (kind, outcome) == ("blocked", "blocked")
    assert message == (
        f"blocked: HTTP 403, a Cloudflare challenge from {base}/blocked/rss.xml {HINT}"
    )


def test_impersonation_passes_the_bot_filter_with_browser_headers(tmp_path: Path) -> None:
    source = {**FEED, "fetch": "impersonate", "headers": {"Accept-Language": "en-GB,en;q=0.9"}}
    with FixtureServer(FIXTURES) as server:
        config = write_config(tmp_path, server.base, [source])
        result = amur(config, "crawl")
        (feed,) = server.requests_for("/blocked/rss.xml")
        (article,) = server.requests_for("/blocked/article.html")
    assert result.returncode == 0, result.stderr
    assert errors_by_source(tmp_path) == {}
    for request in (feed, article):
        headers = request.headers
        assert "Chrome/" in headers["User-Agent"]
        assert "amur" not in headers["User-Agent"]
        assert headers["Accept-Language"] == "en-GB,en;q=0.9"  # the source's own
        # A browser's headers, in a browser's order: client hints, then User-Agent, Accept.
        names = [name.lower() for name in headers]
        assert names.index("sec-ch-ua") < names.index("user-agent") < names.index("accept")
        assert names.index("accept") < names.index("sec-fetch-mode")
    # Scrapy's own Accept is gone: it is the browser's.
    assert article.headers["Accept"].startswith("text/html,application/xhtml+xml")


def test_source_headers_go_out_with_plain_fetches(tmp_path: Path) -> None:
    """A filter that only looks at headers lets a plain client with the right ones through."""
    source = {**FEED, "headers": {"Sec-Fetch-Mode": "navigate", "X-Archive": "amur tests"}}
    with FixtureServer(FIXTURES) as server:
        config = write_config(tmp_path, server.base, [source])
        result = amur(config, "crawl")
        (article,) = server.requests_for("/blocked/article.html")
    assert result.returncode == 0, result.stderr
    assert article.headers["X-Archive"] == "amur tests"
    assert article.headers["User-Agent"].startswith("amur/")
