"""Fuzz feed reading (crawler.kinds.feed.read_feed): only FeedError may escape, and every entry
it gives is one the spider can request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import pytest
import scrapy
from hypothesis import given
from hypothesis import strategies as st

from crawler.exceptions import FeedError
from crawler.kinds.feed import Feed, read_feed
from storage.urls import normalize
from tests.fuzz.strategies import CRASHES, FIXTURES, ODD_TEXT, fuzz, mutated

FEED_URL = "http://127.0.0.1:8000/site/feed.xml"
SAMPLES = [
    (FIXTURES / "atomblog" / "feed.atom").read_bytes(),
    (FIXTURES / "telegraph" / "rss.xml").read_bytes(),
    (FIXTURES / "errors" / "malformed.xml").read_bytes(),
]
LINKS = st.one_of(
    st.sampled_from([
        "https://example.org/a", "/relative/path", "relative", "//other.example/x", "",
        "   ", "http://[::1", "http://[bad/x", "https://host:99999/x", "http://", "https://",
        "javascript:alert(1)", "mailto:a@b", "ftp://x/y", "http://exa mple.org/",
        "http://\u4e2d\u6587.example/\u8def", "http://xn--/", "http://a..b/", "\x00",
    ]),
    ODD_TEXT,
    st.builds(lambda t: f"http://example.org/{t}", ODD_TEXT),
)  # fmt: skip
DATES = st.one_of(
    st.sampled_from([
        "Tue, 23 Dec 2025 09:15:00 GMT", "2025-12-24T10:05:00+08:00", "0000-00-00",
        "Mon, 31 Feb 2025 25:61:61 +9999", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z",
        "Sun, 00 Jan 0000 00:00:00 GMT", "2025-13-45", "1970-01-01", "99999-01-01T00:00:00Z",
    ]),
    ODD_TEXT,
)  # fmt: skip
TTLS = st.one_of(st.sampled_from(["15", "²", "١٢", "99999999999999999999", "-5", " 7 "]), ODD_TEXT)


def _value(draw: st.DrawFn, strategy: st.SearchStrategy[str]) -> str:
    """A field's text: usually XML-escaped, sometimes raw (a broken feed)."""
    text = draw(strategy)
    return text if draw(st.booleans()) and draw(st.booleans()) else escape(text)


@st.composite
def rss(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        fields = [
            f"<title>{_value(draw, ODD_TEXT)}</title>",
            f"<link>{_value(draw, LINKS)}</link>",
            f"<guid>{_value(draw, LINKS)}</guid>",
            f"<pubDate>{_value(draw, DATES)}</pubDate>",
            f"<author>{_value(draw, ODD_TEXT)}</author>",
        ]
        chosen = draw(st.lists(st.sampled_from(fields), unique=True))
        items.append(f"<item>{''.join(chosen)}</item>")
    ttl = f"<ttl>{_value(draw, TTLS)}</ttl>" if draw(st.booleans()) else ""
    xml = f'<rss version="2.0"><channel><title>t</title>{ttl}{"".join(items)}</channel></rss>'
    return xml.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), "replace")


@st.composite
def atom(draw: st.DrawFn) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        fields = [
            f"<title>{_value(draw, ODD_TEXT)}</title>",
            f'<link href="{escape(draw(LINKS), {chr(34): "&quot;"})}"/>',
            f"<id>{_value(draw, LINKS)}</id>",
            f"<published>{_value(draw, DATES)}</published>",
            f"<updated>{_value(draw, DATES)}</updated>",
            f"<author><name>{_value(draw, ODD_TEXT)}</name></author>",
        ]
        chosen = draw(st.lists(st.sampled_from(fields), unique=True))
        entries.append(f"<entry>{''.join(chosen)}</entry>")
    base = f' xml:base="{escape(draw(LINKS), {chr(34): "&quot;"})}"' if draw(st.booleans()) else ""
    xml = (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{base}><title>t</title>{"".join(entries)}</feed>'
    )
    return xml.encode("utf-8", "surrogatepass")


CONTENT_TYPES = st.sampled_from([
    None, "", "application/rss+xml", "application/atom+xml; charset=utf-8", "text/xml",
    "text/html; charset=big5", "application/xml; charset=gbk", "text/plain; charset=bogus",
    "application/rss+xml; charset=utf-16", "\x00;;charset=",
])  # fmt: skip


def check(body: bytes, content_type: str | None, url: str = FEED_URL) -> Feed | None:
    """read_feed either refuses with FeedError or gives entries the spider can request."""
    try:
        feed = read_feed(body, content_type, url)
    except FeedError:
        return None
    assert isinstance(feed, Feed)
    assert feed.found >= len(feed.entries)
    if feed.ttl is not None:
        assert feed.ttl >= 0
        datetime.now(UTC) + timedelta(minutes=feed.ttl)  # what FeedKind sets not_before to
    assert feed.flaw is None or isinstance(feed.flaw, str)
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://")), entry.url
        scrapy.Request(entry.url)  # what FeedKind builds next
        normalize(entry.url)  # what the archive looks the URL up by
        assert set(entry.hints) <= {"title", "author", "published"}
        assert all(isinstance(v, str) and v and v == v.strip() for v in entry.hints.values())
        if "published" in entry.hints:
            datetime.fromisoformat(entry.hints["published"])
    return feed


@fuzz(60)
@given(body=st.binary(max_size=600), content_type=CONTENT_TYPES)
def test_arbitrary_bytes(body: bytes, content_type: str | None) -> None:
    check(body, content_type)


@fuzz(150)
@given(body=st.one_of(rss(), atom()), content_type=CONTENT_TYPES)
def test_generated_feeds(body: bytes, content_type: str | None) -> None:
    check(body, content_type)


@fuzz(40)
@given(body=st.sampled_from(SAMPLES).flatmap(mutated), content_type=CONTENT_TYPES)
def test_mutated_fixture_feeds(body: bytes, content_type: str | None) -> None:
    check(body, content_type)


# --- crashes the fuzzers found (inputs in tests/fixtures/fuzz/) -----------------------------------


def read(name: str) -> Feed:
    feed = check((CRASHES / name).read_bytes(), "application/xml")
    assert feed is not None
    return feed


def test_a_date_feedparser_reads_as_year_minus_one_is_no_hint() -> None:
    (entry,) = read("feed-year-zero.atom").entries
    assert "published" not in entry.hints


def test_an_unreadable_date_without_an_update_date_is_no_hint() -> None:
    (entry,) = read("feed-unreadable-date.atom").entries
    assert "published" not in entry.hints


@pytest.mark.parametrize("name", ["feed-ttl-superscript.rss", "feed-ttl-huge.rss"])
def test_a_ttl_that_is_no_plausible_number_is_ignored(name: str) -> None:
    feed = read(name)
    assert feed.ttl is None
    assert [entry.url for entry in feed.entries] == ["https://example.org/a"]


@pytest.mark.parametrize("name", ["feed-unclosed-ipv6-base.atom", "feed-port-out-of-range.atom"])
def test_an_entry_link_that_is_no_valid_url_is_skipped_not_the_feed(name: str) -> None:
    feed = read(name)
    assert feed.found == 2
    assert [entry.url for entry in feed.entries] == ["https://example.org/b"]


def test_entry_links_that_are_not_web_urls_are_skipped() -> None:
    items = "".join(
        f"<item><link>{link}</link></item>"
        for link in ("javascript:alert(1)", "mailto:a@example.org", "ftp://example.org/", "/ok")
    )
    body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    feed = check(body, "application/rss+xml")
    assert feed is not None
    assert [entry.url for entry in feed.entries] == ["http://127.0.0.1:8000/ok"]


@pytest.mark.parametrize("name", ["feed-encoding-non-utf8-byte.atom", "feed-encoding-nul.atom"])
def test_an_unreadable_encoding_declaration_is_a_feed_error(name: str) -> None:
    with pytest.raises(FeedError, match="encoding declaration"):
        read_feed((CRASHES / name).read_bytes(), "application/atom+xml", FEED_URL)
