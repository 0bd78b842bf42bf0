"""The review page through an HTTP client: pages, decisions, safety, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator

import feedparser
import lxml.html
import pytest
from starlette.testclient import TestClient

from scheduler.web.app import create_app
from scheduler.web.security import CSRF_COOKIE, SESSION_COOKIE
from storage.archive import DocumentIn, ensure_source, now, store_document
from storage.database import open_archive
from storage.queries import get_record, review_queue
from tests.databases import database_url
from tests.web.site import CHINESE_TITLE, HOSTILE_TITLE, Archive, config, fill, text

__all__ = ["database_url"]
BASE = "http://127.0.0.1:8765"
TOKEN = "a-long-enough-access-token"


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[TestClient, Archive, object]]:
    engine = open_archive(database_url)
    archive = fill(engine)
    with TestClient(create_app(engine, config(database_url)), base_url=BASE) as client:
        yield client, archive, engine
    engine.dispose()


def csrf_of(client: TestClient) -> str:
    """The CSRF value the queue page's forms carry."""
    page = client.get("/").text
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_queue_lists_new_items_with_their_copies_and_escapes_scraped_markup(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, _ = site
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    for document_id in (archive.hostile, archive.chinese, archive.story):
        assert f'id="item-{document_id}"' in html
    assert f'id="item-{archive.copy}"' not in html  # a copy shows in its story's group
    assert "1 copy: paper" in html
    assert CHINESE_TITLE in html
    # Scraped markup is text: no tag of it reaches the page.
    assert "<script>window.pwned" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "onmouseover=" not in html.replace("onmouseover=&#34;", "")
    assert 'href="javascript:' not in html
    assert "Content-Security-Policy" in page.headers
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_every_page_has_no_inline_script_or_style(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, _ = site
    for path in (
        "/",
        f"/documents/{archive.hostile}",
        "/sources",
        "/search?q=pipeline",
        "/?view=changed",
    ):
        tree = lxml.html.fromstring(client.get(path).content)
        assert [s.get("src") for s in tree.iter("script")] == ["/static/amur.js"], path
        assert not tree.xpath("//style | //*[@style]"), path
        handlers = [
            a for e in tree.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")
        ]
        assert handlers == [], path
        assert not tree.xpath("//img"), path


def test_keeping_an_item_takes_it_out_of_the_queue_and_persists(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    csrf = csrf_of(client)
    answer = client.post(
        f"/documents/{archive.story}/review",
        data={"csrf": csrf, "decision": "kept", "next": "/?language=en"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?language=en"
    assert get_record(engine, archive.story)["review"] == "kept"
    assert archive.story not in [r["id"] for r in review_queue(engine)]
    assert f'id="item-{archive.story}"' not in client.get("/").text
    # The kept feed carries it now.
    kept = feedparser.parse(client.get("/feed.atom").content)
    assert not kept.bozo
    assert [entry.title for entry in kept.entries] == [
        "Why Russia is becoming China's vassal",  # newest first
        "Power of Siberia 2, a forum post",  # kept while the archive was filled
    ]


def test_a_script_decides_through_json(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    csrf = csrf_of(client)
    answer = client.post(
        f"/documents/{archive.chinese}/review",
        data={"csrf": csrf, "decision": "rejected"},
        headers={"Accept": "application/json"},
    )
    assert answer.json() == {"id": archive.chinese, "review": "rejected"}
    assert get_record(engine, archive.chinese)["review"] == "rejected"


@pytest.mark.parametrize(
    ("form", "headers", "status"),
    [
        ({"decision": "kept"}, {}, 403),  # no CSRF value
        ({"decision": "kept", "csrf": "forged"}, {}, 403),
        ({"decision": "kept", "csrf": None}, {"Origin": "https://evil.example"}, 403),
        ({"decision": "deleted", "csrf": None}, {}, 400),
    ],
)
def test_decisions_without_the_csrf_value_or_from_elsewhere_are_refused(
    site, form, headers, status
) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    csrf = csrf_of(client)
    data = {key: (csrf if value is None else value) for key, value in form.items()}
    answer = client.post(
        f"/documents/{archive.story}/review", data=data, headers=headers, follow_redirects=False
    )
    assert answer.status_code == status
    assert get_record(engine, archive.story)["review"] == "unreviewed"


def test_a_decision_by_get_is_not_possible(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    assert client.get(f"/documents/{archive.story}/review?decision=kept").status_code == 405
    assert get_record(engine, archive.story)["review"] == "unreviewed"


def test_next_after_a_decision_stays_on_this_site(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, _ = site
    csrf = csrf_of(client)
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        answer = client.post(
            f"/documents/{archive.story}/review",
            data={"csrf": csrf, "decision": "kept", "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/", target


def test_document_page_marks_shared_passages_and_links_the_original(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, _ = site
    html = client.get(f"/documents/{archive.story}").text
    assert 'href="https://news.example/story"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "1 later copy" in html
    assert f'<a href="/documents/{archive.copy}">#{archive.copy}</a> near duplicate' in html
    assert html.count('class="shared"') >= 3  # the copy holds most paragraphs
    odd = client.get(f"/documents/{archive.other_site}").text
    assert 'href="javascript:' not in odd


def test_a_document_changed_after_review_shows_its_diff(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, _ = site
    changed = client.get("/?view=changed").text
    assert f'id="item-{archive.edited}"' in changed
    assert "Changed since review" in changed
    assert "1 reviewed document changed since review" in client.get("/").text
    html = client.get(f"/documents/{archive.edited}").text
    assert "Changes in revision 2" in html
    assert "<ins>" in html
    assert "Tuesday" in html


def test_filters_narrow_the_queue(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, _ = site
    chinese_only = client.get("/?language=zh").text
    assert f'id="item-{archive.chinese}"' in chinese_only
    assert f'id="item-{archive.story}"' not in chinese_only
    assert f'id="item-{archive.story}"' not in client.get("/?source=paper").text
    assert "Nothing waits for review" in client.get("/?since=2999-01-01").text
    bad = client.get("/?since=yesterday&relation=%3Cb%3E")
    assert bad.status_code == 200
    assert "is not a date" in bad.text
    assert "&lt;b&gt;" in bad.text


def test_sources_page_shows_every_configured_source(site) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    html = client.get("/sources").text
    assert ">news</a>" in html
    assert ">paper</a>" in html
    assert "never" in html


def test_missing_document_is_a_404_page(site) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    answer = client.get("/documents/999999")
    assert answer.status_code == 404
    assert "no document 999999" in answer.text
    assert "Content-Security-Policy" in answer.headers


def test_a_foreign_host_name_is_refused_on_loopback(site) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    assert client.get("/", headers={"Host": "rebound.evil.example"}).status_code == 421
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_with_a_token_every_request_needs_it(database_url: str) -> None:
    engine = open_archive(database_url)
    fill(engine)
    app = create_app(engine, config(database_url, token=TOKEN, host="0.0.0.0"))
    with TestClient(app, base_url="http://archive.example:8765") as client:
        for path in ("/", "/sources", "/feed.atom", "/static/style.css", "/documents/1"):
            assert client.get(path).status_code == 401, path
        assert (
            client.get("/", headers={"Authorization": "Bearer wrong-token-of-length"}).status_code
            == 401
        )
        assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get(f"/feed.atom?token={TOKEN}").status_code == 200  # feed readers
        visit = client.get(f"/sources?token={TOKEN}", follow_redirects=False)
        assert visit.status_code == 303
        assert visit.headers["location"] == "/sources"  # the token leaves the address bar
        session = client.cookies[SESSION_COOKIE]
        assert TOKEN not in session  # cookies reach every port of the host: never the token
        assert client.get("/sources").status_code == 200
    engine.dispose()


def test_feeds_are_atom_a_reader_takes(site) -> None:  # type: ignore[no-untyped-def]
    client, _archive, _ = site
    answer = client.get("/feed.atom?queue=1")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo
    titles = [entry.title for entry in parsed.entries]
    assert HOSTILE_TITLE in titles
    assert CHINESE_TITLE in titles
    assert parsed.feed.links[0].href.startswith(BASE)


def test_a_csrf_cookie_set_by_another_port_does_not_forge_a_decision(site) -> None:  # type: ignore[no-untyped-def]
    """Cookies do not keep ports apart: a page on 127.0.0.1:OTHER can set ours."""
    client, archive, engine = site
    client.cookies.set(CSRF_COOKIE, "tossed-by-the-attacker")
    for origin in ({}, {"Origin": "null"}, {"Origin": BASE}):
        answer = client.post(
            f"/documents/{archive.story}/review",
            data={"csrf": "tossed-by-the-attacker", "decision": "rejected"},
            headers=origin,
            follow_redirects=False,
        )
        assert answer.status_code == 403, origin
    assert get_record(engine, archive.story)["review"] == "unreviewed"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_origin_is_refused_even_with_the_value(site, headers) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    csrf = csrf_of(client)
    answer = client.post(
        f"/documents/{archive.story}/review",
        data={"csrf": csrf, "decision": "kept"},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert get_record(engine, archive.story)["review"] == "unreviewed"


def test_a_post_from_the_page_itself_passes(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    csrf = csrf_of(client)
    answer = client.post(
        f"/documents/{archive.story}/review",
        data={"csrf": csrf, "decision": "kept"},
        headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert get_record(engine, archive.story)["review"] == "kept"


def test_a_revision_stored_while_the_reviewer_reads_shows_as_changed(site) -> None:  # type: ignore[no-untyped-def]
    client, archive, engine = site
    page = client.get(f"/documents/{archive.story}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    shown = re.search(r'name="revision" value="(\d+)"', page).group(1)
    assert shown == "1"
    # The crawler stores a rewritten text before the reviewer clicks.
    store_document(
        engine,
        DocumentIn(
            url="https://news.example/story",
            source="news",
            text=text("telegraph.txt") + "\n\nCorrection: the trip lasted three days.",
            relevant=True,
            fetched=now(),
        ),
    )
    client.post(
        f"/documents/{archive.story}/review",
        data={"csrf": csrf, "decision": "kept", "revision": shown},
    )
    assert get_record(engine, archive.story)["review"] == "kept"
    changed = client.get("/?view=changed").text
    assert f'id="item-{archive.story}"' in changed


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=%22",
        "/search?q=*",
        "/search?q=%00",
        "/?page=99999999999999999999",
        "/search?q=pipeline&page=99999999999999999999",
        "/?since=9999-12-31T23:59:59-12:00",
        "/?since=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_odd_requests_get_a_page_not_a_500(site, path) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert "Content-Security-Policy" in answer.headers


def test_an_id_no_database_holds_is_a_404(site) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    assert client.get("/documents/99999999999999999999").status_code == 404
    assert client.get("/documents/9223372036854775807").status_code == 404


def test_times_with_an_offset_are_shown_in_utc_without_the_script(database_url: str) -> None:
    engine = open_archive(database_url)
    fill(engine)
    stored = store_document(
        engine,
        DocumentIn(
            url="https://news.example/beijing-time",
            source="news",
            text=text("siberia_en.txt") + "\n\nDated in Beijing.",
            relevant=True,
            fetched=now(),
            published="2026-11-20T09:00:00+08:00",
        ),
    )
    with TestClient(create_app(engine, config(database_url)), base_url=BASE) as client:
        html = client.get(f"/documents/{stored.id}").text
    assert '<time datetime="2026-11-20T09:00:00+08:00">2026-11-20 01:00 UTC</time>' in html
    engine.dispose()


def test_the_feed_dates_an_entry_by_its_text_not_by_the_last_fetch(site) -> None:  # type: ignore[no-untyped-def]
    client, _archive, engine = site
    before = feedparser.parse(client.get("/feed.atom?queue=1").content)
    updated = {entry.link: entry.updated for entry in before.entries}
    # Fetched again, unchanged.
    store_document(
        engine,
        DocumentIn(
            url="https://news.example/story",
            source="news",
            text=text("telegraph.txt"),
            relevant=True,
            fetched=now(),
        ),
    )
    after = feedparser.parse(client.get("/feed.atom?queue=1").content)
    assert {entry.link: entry.updated for entry in after.entries} == updated


def test_the_token_exchange_never_redirects_off_site(database_url: str) -> None:
    engine = open_archive(database_url)
    fill(engine)
    app = create_app(engine, config(database_url, token=TOKEN, host="0.0.0.0"))
    with TestClient(app, base_url="http://archive.example:8765") as client:
        answer = client.get(f"//evil.example/?token={TOKEN}", follow_redirects=False)
        assert answer.status_code in (303, 404)
        if answer.status_code == 303:
            assert answer.headers["location"].startswith("/")
            assert not answer.headers["location"].startswith("//")
    engine.dispose()


def test_a_stale_session_cookie_does_not_lock_out_the_token(database_url: str) -> None:
    engine = open_archive(database_url)
    fill(engine)
    app = create_app(engine, config(database_url, token=TOKEN, host="0.0.0.0"))
    with TestClient(app, base_url="http://archive.example:8765") as client:
        client.cookies.set(SESSION_COOKIE, "from-before-the-token-was-rotated")
        assert client.get("/").status_code == 401
        assert client.get(f"/?token={TOKEN}").status_code == 200  # after the exchange
    engine.dispose()


def test_other_loopback_addresses_and_the_configured_host_are_served(database_url: str) -> None:
    engine = open_archive(database_url)
    fill(engine)
    app = create_app(engine, config(database_url, host="127.0.0.2"))
    with TestClient(app, base_url="http://127.0.0.2:8765") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"Host": "[::1]:8765"}).status_code == 200
        for host in ("evil.example", "[::1]evil.example", "127.0.0.1.evil.example:8765"):
            assert client.get("/", headers={"Host": host}).status_code == 421, host
    engine.dispose()


def test_sources_page_shows_a_blocked_source_with_what_to_try(site) -> None:  # type: ignore[no-untyped-def]
    client, _, engine = site
    from storage.owners import process_owner
    from storage.runs import finish_run, finish_source_run, start_run, start_source_run

    run_id = start_run(engine, "crawl", process_owner())
    source_run = start_source_run(engine, run_id, ensure_source(engine, "news", "feed", None))
    finish_source_run(engine, source_run, "blocked", {"found": 0, "errors": 1})
    finish_run(engine, run_id, "failed")
    html = client.get("/sources").text
    row = re.search(r"<tr class=\"blocked[^\"]*\">.*?</tr>", html, re.S)
    assert row, html
    assert ">news</a>" in row.group(0)
    assert "fetch: impersonate" in html
