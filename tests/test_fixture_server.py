"""Tests of the loopback fixture server and of the fixture sites' expected.json files.

The crawler tests trust this server to behave like a real web server, so its HTTP behaviour
(validators, 304s, redirects, errors, gzip, robots.txt) is pinned here once.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import http.client
import json
import re
import time
import urllib.robotparser
from email.message import Message
from pathlib import Path

import pytest

from tests.fixture_server import FIXTURES, FixtureServer

ARTICLE = "/telegraph/world-news/2025/12/23/china-russia-trade-backfiring.html"
EXPECTED_FIELDS = {
    "author",
    "canonical",
    "language",
    "not_in_text",
    "published",
    "relevant",
    "text_ends",
    "text_starts",
    "title",
}
SITES = sorted(p.parent.name for p in FIXTURES.glob("*/expected.json"))


def fetch(
    server: FixtureServer,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    timeout: float = 10.0,
) -> tuple[int, Message, bytes]:
    """One request without redirect following, so tests see exactly what the server sent."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_serves_file_with_validators(fixture_server: FixtureServer) -> None:
    """A plain file comes back with a content type, an ETag and a Last-Modified."""
    status, headers, body = fetch(fixture_server, "/telegraph/rss.xml")
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert headers["ETag"].startswith('"')
    assert headers["Last-Modified"].endswith("GMT")
    assert int(headers["Content-Length"]) == len(body)
    assert b"<rss" in body


def test_base_placeholder_replaced_before_etag(fixture_server: FixtureServer) -> None:
    """Fixtures link back to the server, and the ETag describes what was actually sent."""
    status, headers, body = fetch(fixture_server, "/telegraph/rss.xml")
    assert status == 200
    assert b"{{BASE}}" not in body
    link = fixture_server.url(ARTICLE) + "?WT.mc_id=tmg_rss"
    assert f"<link>{link}</link>".encode() in body
    assert headers["ETag"] == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def test_revalidation_answers_304(fixture_server: FixtureServer) -> None:
    """If-None-Match and If-Modified-Since both revalidate; a stale ETag gets the body."""
    _, first, _ = fetch(fixture_server, ARTICLE)
    status, headers, body = fetch(fixture_server, ARTICLE, {"If-None-Match": first["ETag"]})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == first["ETag"]

    status, _, body = fetch(fixture_server, ARTICLE, {"If-Modified-Since": first["Last-Modified"]})
    assert (status, body) == (304, b"")

    status, _, body = fetch(fixture_server, ARTICLE, {"If-None-Match": '"stale"'})
    assert status == 200
    assert body

    sent = [r.headers.get("If-None-Match") for r in fixture_server.requests_for(ARTICLE)]
    assert sent == [None, first["ETag"], None, '"stale"']


def test_query_string_ignored_for_files(fixture_server: FixtureServer) -> None:
    """Feed links carry tracking queries; the page is served anyway and logged with them."""
    status, _, body = fetch(fixture_server, ARTICLE + "?WT.mc_id=tmg_rss")
    assert status == 200
    assert b"articleBody" in body
    assert [r.path for r in fixture_server.requests_for(ARTICLE)] == [ARTICLE + "?WT.mc_id=tmg_rss"]
    assert fixture_server.requests_for(ARTICLE + "?other=1") == []


def test_routes_redirect_chain(fixture_server: FixtureServer) -> None:
    """_routes.json redirects, root-relative and absolute, end on a real article."""
    hops = []
    path = "/errors/redirect-start.html"
    for _ in range(5):
        status, headers, _ = fetch(fixture_server, path)
        hops.append(status)
        if status != 301 and status != 302:
            break
        path = headers["Location"].removeprefix(fixture_server.base)
    assert hops == [301, 302, 301, 200]
    assert path.startswith("/telegraph/world-news/2025/12/19/")


def test_routes_redirect_loop(fixture_server: FixtureServer) -> None:
    """The loop pair points at each other, so a crawler must give up by itself."""
    _, a, _ = fetch(fixture_server, "/errors/loop-a.html")
    _, b, _ = fetch(fixture_server, "/errors/loop-b.html")
    assert (a["Location"], b["Location"]) == ("/errors/loop-b.html", "/errors/loop-a.html")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/errors/broken.html", 500),
        ("/errors/missing.html", 404),
        ("/errors/gone.html", 410),
        ("/errors/unavailable.html", 503),
        ("/errors/no-such-file.html", 404),
        ("/errors/_routes.json", 404),
        ("/../fixture_server.py", 404),
    ],
)
def test_error_statuses(fixture_server: FixtureServer, path: str, status: int) -> None:
    """Error routes answer with their status and an HTML body; route files stay private."""
    got, headers, body = fetch(fixture_server, path)
    assert got == status
    assert headers["Content-Type"].startswith("text/html")
    assert "ETag" not in headers
    assert str(status).encode() in body


def test_validators_can_be_removed(fixture_server: FixtureServer) -> None:
    """A route can imitate a server that never sends ETag or Last-Modified."""
    status, headers, body = fetch(fixture_server, "/errors/no-validators.html")
    assert status == 200
    assert b"China\xe2\x80\x93Russia Relations" in body
    assert "ETag" not in headers
    assert "Last-Modified" not in headers
    assert fetch(fixture_server, "/errors/unavailable.html")[1]["Retry-After"] == "120"


def test_set_overrides_and_reset(fixture_server: FixtureServer) -> None:
    """Runtime overrides add pages, change bodies and statuses, and reset() undoes them."""
    fixture_server.set("/telegraph/new.html", "<p>{{BASE}}/x</p>", headers={"X-Test": "1"})
    status, headers, body = fetch(fixture_server, "/telegraph/new.html")
    assert (status, body) == (200, f"<p>{fixture_server.base}/x</p>".encode())
    assert headers["X-Test"] == "1"
    assert headers["Content-Type"] == "text/html; charset=utf-8"

    fixture_server.set(fixture_server.url(ARTICLE), status=500)  # the file's body, broken
    status, _, body = fetch(fixture_server, ARTICLE)
    assert status == 500
    assert b"articleBody" in body

    fixture_server.reset()
    assert fetch(fixture_server, ARTICLE)[0] == 200
    assert fetch(fixture_server, "/telegraph/new.html")[0] == 404
    assert [r.path for r in fixture_server.requests] == [ARTICLE, "/telegraph/new.html"]


def test_changed_body_changes_validators(fixture_server: FixtureServer) -> None:
    """A new version of a page gets a new ETag, so a conditional GET fetches it again."""
    fixture_server.set("/page/watched.html", b"<p>one</p>")
    _, first, _ = fetch(fixture_server, "/page/watched.html")
    fixture_server.set("/page/watched.html", b"<p>two</p>")
    status, second, body = fetch(
        fixture_server, "/page/watched.html", {"If-None-Match": first["ETag"]}
    )
    assert (status, body) == (200, b"<p>two</p>")
    assert second["ETag"] != first["ETag"]
    fixture_server.unset("/page/watched.html")
    assert fetch(fixture_server, "/page/watched.html")[0] == 404


def test_robots_txt(fixture_server: FixtureServer) -> None:
    """robots.txt at the root lets everything through except /private/."""
    status, headers, body = fetch(fixture_server, "/robots.txt")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.decode().splitlines())
    assert parser.can_fetch("amur", fixture_server.url(ARTICLE))
    assert not parser.can_fetch("amur", fixture_server.url("/private/index.html"))
    assert fetch(fixture_server, "/private/")[0] == 200  # there is something to protect


def test_gzip_only_when_route_asks(fixture_server: FixtureServer) -> None:
    """Plain by default; a gzip route compresses only for clients that accept it."""
    accept = {"Accept-Encoding": "gzip, deflate"}
    _, plain_headers, plain = fetch(fixture_server, "/telegraph/rss.xml", accept)
    assert "Content-Encoding" not in plain_headers

    _, headers, body = fetch(fixture_server, "/errors/feed-gzip.xml", accept)
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    status, _, _ = fetch(
        fixture_server, "/errors/feed-gzip.xml", {**accept, "If-None-Match": headers["ETag"]}
    )
    assert status == 304
    _, headers, body = fetch(fixture_server, "/errors/feed-gzip.xml")
    assert "Content-Encoding" not in headers
    assert body == plain


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/atomblog/feed.atom", "application/atom+xml; charset=utf-8"),
        ("/errors/malformed.xml", "application/rss+xml; charset=utf-8"),
        ("/page/china-russia-relations.html", "text/html; charset=utf-8"),
        ("/page/gbk/china-russia-gbk.html", "text/html"),
        ("/page/gbk/china-russia-big5.html", "text/html"),
        ("/page/gbk/declared-gbk.html", "text/html; charset=gbk"),
        ("/errors/mislabeled-charset.html", "text/html; charset=utf-8"),
    ],
)
def test_content_types(fixture_server: FixtureServer, path: str, content_type: str) -> None:
    """Content types follow the extension, a legacy meta charset, or a route override."""
    status, headers, _ = fetch(fixture_server, path)
    assert status == 200
    assert headers["Content-Type"] == content_type


def test_bodies_sent_byte_for_byte(fixture_server: FixtureServer) -> None:
    """Binary, empty and legacy-encoded files reach the client unchanged."""
    for name in ("errors/binary.html", "errors/empty.html", "page/gbk/china-russia-big5.html"):
        raw = (FIXTURES / name).read_bytes().replace(b"{{BASE}}", fixture_server.base.encode())
        status, headers, body = fetch(fixture_server, "/" + name)
        assert (status, body) == (200, raw)
        assert int(headers["Content-Length"]) == len(raw)
    status, headers, body = fetch(fixture_server, ARTICLE, method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0


def test_slow_route_times_out_and_stops_promptly() -> None:
    """A client timeout fires on the slow route, and stopping does not wait out the delay."""
    server = FixtureServer().start()
    try:
        with pytest.raises(TimeoutError):
            fetch(server, "/errors/slow.html", timeout=0.3)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 2


def test_bad_route_file_fails_the_test(tmp_path: Path) -> None:
    """A typo in _routes.json surfaces at teardown instead of passing as a dropped connection."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "_routes.json").write_text('{"x.html": {"statuss": 500}}')
    server = FixtureServer(tmp_path).start()
    with pytest.raises(http.client.RemoteDisconnected):
        fetch(server, "/site/x.html")
    with pytest.raises(RuntimeError, match="failed 1 request") as caught:
        server.stop()
    assert "unknown route keys ['statuss']" in str(caught.value.__cause__)


def test_requests_log_keeps_headers(fixture_server: FixtureServer) -> None:
    """Tests can check what the crawler sent, header names case-insensitively."""
    fetch(fixture_server, "/robots.txt", {"User-Agent": "amur-test/1"})
    [request] = fixture_server.requests
    assert (request.method, request.path) == ("GET", "/robots.txt")
    assert request.headers["user-agent"] == "amur-test/1"


def _decoded(path: Path) -> str:
    """A page's text in the charset its meta declares, entities resolved, {{BASE}} kept."""
    raw = path.read_bytes()
    declared = re.search(rb"charset=[\"']?([\w-]+)", raw[:2048])
    return html.unescape(raw.decode(declared.group(1).decode() if declared else "utf-8"))


@pytest.mark.parametrize("site", SITES)
def test_expected_json_matches_pages(site: str) -> None:
    """Every expected.json is sorted and agrees with its pages, so fixture tests are not vacuous."""
    path = FIXTURES / site / "expected.json"
    text = path.read_text(encoding="utf-8")
    expected = json.loads(text)
    assert text == json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert expected
    for page_path, record in expected.items():
        assert set(record) == EXPECTED_FIELDS, page_path
        page = " ".join(_decoded(FIXTURES / site / page_path).split())  # as a browser shows it
        assert record["language"] in {"en", "zh"}
        assert isinstance(record["relevant"], bool)
        assert f'rel="canonical" href="{record["canonical"]}"' in page, page_path
        assert record["canonical"] == "{{BASE}}/" + site + "/" + page_path
        assert record["title"] in page
        assert record["text_starts"] in page, page_path
        assert record["text_ends"] in page, page_path
        for boilerplate in record["not_in_text"]:
            assert boilerplate in page, (page_path, boilerplate)


def test_repost_has_identical_text() -> None:
    """The atomblog repost carries exactly the Telegraph article's paragraphs, for dedup tests."""

    def paragraphs(path: Path, start: str, end: str) -> list[str]:
        page = _decoded(path)
        body = page[page.index(start) : page.index(end)]
        return [html.unescape(m) for m in re.findall(r"<(?:p|h2)[^>]*>([^<]+)</(?:p|h2)>", body)]

    telegraph = paragraphs(
        FIXTURES / ARTICLE.lstrip("/"), 'itemprop="articleBody"', 'id="recipe-enabled"'
    )
    repost = paragraphs(
        FIXTURES / "atomblog/repost-trade.html", 'class="post-content', 'class="post-footer"'
    )
    assert len(telegraph) == 50
    assert repost == telegraph
