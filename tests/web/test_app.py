"""The review page through an HTTP client: pages, decisions, safety, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import lxml.html
import pytest
from starlette.testclient import TestClient

from scheduler.web.app import create_app
from scheduler.web.security import CSRF_COOKIE, TOKEN_COOKIE
from storage.database import open_archive
from storage.queries import get_record, review_queue
from tests.databases import database_url
from tests.web.site import CHINESE_TITLE, HOSTILE_TITLE, Archive, config, fill

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
    client.get("/")
    return client.cookies[CSRF_COOKIE]


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
        assert client.cookies[TOKEN_COOKIE] == TOKEN
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
