"""The forum-thread splitter: udn pages in several markups split into the same posts as the seed."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse
from w3lib.encoding import html_to_unicode

from crawler.exceptions import ForumError
from crawler.forums import (
    HOSTS,
    PARSERS,
    Thread,
    html_root,
    parse_text_posts,
    parser_for,
    render_lines,
    udn,
)
from tests.fixture_server import FIXTURES, FixtureServer

SITE = FIXTURES / "udn"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (SITE / "expected-posts.json").read_text(encoding="utf-8")
)
THREADS = sorted(name for name, record in EXPECTED.items() if "error" not in record)
SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_952804f8609e6c2d.txt"
SEED_URL = "https://city.udn.com/2976/7289781"
SEED_AIDS = ["7289781", "7289864", "7289828"]
SEED_CHROME = ("等級", "留言加入好友", "文章推薦人", "本文於", "回應給此人", "引用", "推薦1")
BASE = "http://127.0.0.1:8000"  # stands in for the fixture server when files are read directly


def page(name: str) -> str:
    """A fixture decoded as the crawler decodes a body with no charset header (meta, else sniff)."""
    _, text = html_to_unicode(None, (SITE / name).read_bytes())
    return text


def url_of(name: str, base: str = BASE) -> str:
    return EXPECTED[name]["url"].replace("{{BASE}}", base)


def parse(name: str) -> Thread:
    html, url = page(name), url_of(name)
    return parser_for(html, url).parse(html, url)


def normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seed_thread() -> Thread:
    return parse_text_posts(SEED.read_text(encoding="utf-8"), SEED_URL)


@pytest.mark.parametrize("name", THREADS)
def test_fixture_thread_posts(name: str) -> None:
    """Every fixture page gives the expected posts, with bodies free of forum chrome."""
    expected = EXPECTED[name]
    thread = parse(name)
    assert thread.url == url_of(name)
    assert thread.title == expected["title"]
    next_page = expected["next_page"]
    assert thread.next_page == (next_page.replace("{{BASE}}", BASE) if next_page else None)
    got = [
        {
            "post_id": post.post_id,
            "title": post.title,
            "author": post.author,
            "published": post.published,
            "edits": post.edits,
        }
        for post in thread.posts
    ]
    fields = ("post_id", "title", "author", "published", "edits")
    assert got == [{key: post[key] for key in fields} for post in expected["posts"]]
    visible = normalised("\n".join(render_lines(html_root(page(name)))))
    for post, want in zip(thread.posts, expected["posts"], strict=True):
        assert post.text.startswith(want["text_starts"]), post.post_id
        assert post.text.endswith(want["text_ends"]), post.post_id
        assert "\n\n\n" not in post.text
        for chrome in expected["not_in_text"]:
            assert chrome in visible, (name, chrome)  # so the check below is not vacuous
            assert chrome not in post.text, (name, post.post_id, chrome)


def test_seed_text_splits_into_three_posts(seed_thread: Thread) -> None:
    """The seed (a udn thread saved as visible text) splits at its trackback lines."""
    assert [post.post_id for post in seed_thread.posts] == SEED_AIDS
    assert seed_thread.title == "中、俄關係 – 開欄文"
    assert seed_thread.next_page is None
    assert [post.title for post in seed_thread.posts] == [
        "中、俄關係 – 開欄文",
        "中俄領土議題該提上檯面了 -- Oleh Cheslavskyi",
        "中、俄貿易-Melissa Lawford",
    ]
    assert [post.author for post in seed_thread.posts] == ["胡卜凱"] * 3
    assert [post.edits for post in seed_thread.posts] == [6, 3, 1]
    assert [post.published for post in seed_thread.posts] == [
        "2025-12-24",  # its signature -- 12/24/25
        "2025-12-16",  # no signature: the quoted article's byline, 12/16/25
        "2025-12-24",  # its signature -- 2025/12/24, not the byline's 12/23/25
    ]
    for post in seed_thread.posts:
        for chrome in SEED_CHROME:
            assert chrome not in post.text


@pytest.mark.parametrize("name", ["table-thread.html", "div-thread.html"])
def test_crawled_posts_match_seed_posts(name: str, seed_thread: Thread) -> None:
    """The same thread crawled in either markup gives the seed's posts, text for text."""
    thread = parse(name)
    assert len(thread.posts) == len(seed_thread.posts)
    for crawled, seeded in zip(thread.posts, seed_thread.posts, strict=True):
        assert normalised(crawled.text) == normalised(seeded.text), crawled.post_id
        assert crawled.text.count("\n\n") == seeded.text.count("\n\n")  # same paragraphs
        assert (crawled.post_id, crawled.title, crawled.author) == (
            seeded.post_id,
            seeded.title,
            seeded.author,
        )
        assert (crawled.published, crawled.edits) == (seeded.published, seeded.edits)


def test_later_version_shows_the_edit_and_the_new_reply() -> None:
    """A re-crawl sees the edited opening post, unchanged replies and one new aid."""
    before = {post.post_id: post for post in parse("div-thread.html").posts}
    after = {post.post_id: post for post in parse("thread-later.html").posts}
    assert set(after) - set(before) == {"7290377"}
    assert after["7289781"].text != before["7289781"].text
    assert "補記" in after["7289781"].text
    assert (before["7289781"].edits, after["7289781"].edits) == (6, 7)
    for aid in ("7289864", "7289828"):
        assert after[aid] == before[aid]
    new = after["7290377"]
    assert new.text.startswith("轉載一篇")
    assert "Jonas Lindqvist, 12/29/25" in new.text
    assert new.published == "2025-12-30"  # the preface's signature wins over the byline


def fetch(url: str) -> HtmlResponse:
    with urllib.request.urlopen(url, timeout=10) as answer:
        headers = {"Content-Type": answer.headers.get("Content-Type", "")}
        return HtmlResponse(url, body=answer.read(), headers=headers)


def test_pages_followed_over_loopback(fixture_server: FixtureServer) -> None:
    """next_page leads from page 1 to page 2, which has no next page; Big5 decodes by its meta."""
    first = fetch(fixture_server.url("/udn/paged-thread.html"))
    thread = parser_for(first.text, first.url).parse(first.text, first.url)
    assert thread.next_page == fixture_server.url("/udn/paged-thread-p2.html")
    second = fetch(thread.next_page)
    page_two = parser_for(second.text, second.url).parse(second.text, second.url)
    assert page_two.next_page is None
    aids = [post.post_id for post in (*thread.posts, *page_two.posts)]
    assert aids == [*SEED_AIDS, "7290133", "7290241"]
    assert len(set(aids)) == 5

    big5 = fetch(fixture_server.url("/udn/table-thread.html"))
    assert "big5" in big5.encoding
    posts = parser_for(big5.text, big5.url).parse(big5.text, big5.url).posts
    assert [post.post_id for post in posts] == SEED_AIDS


def thread_page(links: str, head: str = "") -> str:
    """A minimal one-post udn page with the given pager links."""
    return f"""<html><head>{head}<title>t</title></head><body>
    <h1>題目</h1><div>瀏覽1|回應0推薦0</div>
    <div>胡卜凱</div><div>等級:8</div><p>內文。</p><div>本文於 修改第 1 次</div>
    <div>回應 列印</div><div>引用網址:https://city.udn.com/forum/trackback.jsp?no=2976&aid=1</div>
    <div class="pager">{links}</div></body></html>"""


THREAD_URL = "https://city.udn.com/2976/7289781"


@pytest.mark.parametrize(
    ("links", "url", "expected"),
    [
        ('<a href="p2.html">下一頁</a>', THREAD_URL, "https://city.udn.com/2976/p2.html"),
        ('<a href="/2976/7289781?pno=2">下頁 »</a>', THREAD_URL, THREAD_URL + "?pno=2"),
        ('<a href="x?pno=2" title="next">›</a>', THREAD_URL, "https://city.udn.com/2976/x?pno=2"),
        (
            '<a href="?cate_no=0&amp;pno=2&amp;tpno=0">2</a>',
            THREAD_URL,
            THREAD_URL + "?cate_no=0&pno=2&tpno=0",
        ),
        (
            '<a href="?cate_no=0&amp;pno=1&amp;tpno=0">1</a> '
            '<a href="?cate_no=0&amp;pno=3&amp;tpno=0">3</a>',
            THREAD_URL + "?cate_no=0&pno=2&tpno=0",
            THREAD_URL + "?cate_no=0&pno=3&tpno=0",
        ),
        ('<a href="/2976/7289999">下一個討論主題</a>', THREAD_URL, None),  # the next thread
        ('<a href="/2976/7289999?pno=2">2</a>', THREAD_URL, None),  # another thread's page
        ('<a href="javascript:goPage(2)">下一頁</a>', THREAD_URL, None),
        ('<a href="?pno=1">上一頁</a>', THREAD_URL + "?pno=2", None),
        ("", THREAD_URL, None),
    ],
)
def test_next_page_cues(links: str, url: str, expected: str | None) -> None:
    assert PARSERS["udn"].parse(thread_page(links), url).next_page == expected


def test_next_page_rel_next_and_base() -> None:
    html = thread_page("", head='<base href="https://city.udn.com/v1/"><link rel="next" href="n">')
    assert PARSERS["udn"].parse(html, THREAD_URL).next_page == "https://city.udn.com/v1/n"


def test_parser_selection() -> None:
    """A forced name wins, then the host, then recognition of the page's own anchors."""
    html = page("div-thread.html")
    assert PARSERS["udn"] is udn.PARSER
    assert HOSTS["city.udn.com"] == "udn"
    assert parser_for("<html></html>", "https://city.udn.com/2976/1").name == "udn"
    assert parser_for(html, "http://127.0.0.1/mirror/udn/2976/7289781.html").name == "udn"
    assert parser_for(html, "https://example.org/x", forced="udn").name == "udn"
    mirrored = PARSERS["udn"].parse(html, "http://127.0.0.1/mirror/udn/2976/7289781.html")
    assert [post.post_id for post in mirrored.posts] == SEED_AIDS
    with pytest.raises(ForumError, match="no forum parser recognises"):
        parser_for("<html><body><p>hello</p></body></html>", "https://example.org/x")
    with pytest.raises(ForumError, match="no forum parser named"):
        parser_for(html, THREAD_URL, forced="phpbb")


ERROR_PAGES = [
    page("error-page.html"),
    "<html><head><title>udn 網路城邦</title></head><body><p>網路城邦</p>"
    "<p>系統忙碌中,請稍後再試</p></body></html>",
    "<html><head><title>時事論壇</title></head><body><h1>錯誤訊息</h1><p>查無此文章</p></body></html>",
]


@pytest.mark.parametrize("html", ERROR_PAGES)
def test_error_pages_raise(html: str) -> None:
    """udn's HTTP 200 error pages are never read as a thread with no posts."""
    url = url_of("error-page.html")
    assert EXPECTED["error-page.html"]["error"] == "looks like an error page"
    with pytest.raises(ForumError, match="looks like an error page"):
        parser_for(html, url).parse(html, url)
    with pytest.raises(ForumError, match="looks like an error page"):
        parse_text_posts("\n".join(render_lines(html_root(html))), url)


@pytest.mark.parametrize(
    "html", ["", "<html><head><title>時事論壇</title></head><body><p>文章列表</p></body></html>"]
)
def test_pages_without_posts_raise(html: str) -> None:
    with pytest.raises(ForumError):
        PARSERS["udn"].parse(html, THREAD_URL)


# A layout none of the fixtures use: article/section/aside, no tables, other class names, the
# trackback only in an <a href>, a CSS-preformatted body, a date shown by the author block, a
# second recommender, full-width colons, a hidden stray trackback and a pno pager link.
UNSEEN = """<!doctype html><html><head><meta charset="utf-8"><title>中、俄邊界 | 網路城邦</title>
<script>var aid = "trackback.jsp?no=2976&aid=666";</script></head><body>
<div id="app"><header class="top"><span>網路城邦</span> <a href="/2976">回本城市首頁</a></header>
<article class="t-view">
  <h1 class="t-view__h">中、俄邊界的歷史</h1>
  <p class="t-view__n">瀏覽 1,024 | 回應 2 | 推薦 3</p>
  <section class="e">
    <aside class="e-who"><strong>胡卜凱</strong><em>等級：8</em>
      <nav><a href="#">留言</a><a href="#">加入好友</a></nav>
      <div>文章推薦人 (2)</div><div><a href="#">Jessie</a>、<a href="#">老王</a></div></aside>
    <time>2025-12-20 09:15</time>
    <div class="e-txt"><p>開欄的話:這一欄收集中、俄邊界的史料。</p>
      <p>第一篇是《璦琿條約》。 -- 12/20/25</p></div>
    <footer><span>本文於 修改第 2 次</span>
      <ul><li><a href="#">回應</a></li><li><a href="#">回應給此人</a></li><li><a href="#">列印</a></li></ul>
      <a href="https://city.udn.com/forum/trackback.jsp?aid=9000001&amp;no=2976">引用網址</a></footer>
  </section>
  <h2>回應文章 (2)</h2>
  <section class="e">
    <h3>尼布楚條約 <small>推薦2</small></h3>
    <aside class="e-who"><strong>讀者甲</strong> <em>等級：3</em> <nav>留言 加入好友</nav></aside>
    <div class="e-txt" style="white-space: pre-wrap">第一行
第二行

新段落。 -- 2025/12/21</div>
    <footer><a href="#">回應</a> <a href="//city.udn.com/forum/trackback.jsp?no=2976&amp;aid=9000002">引用</a></footer>
  </section>
  <div style="display:none"><a href="https://city.udn.com/forum/trackback.jsp?no=2976&aid=13">x</a></div>
  <section class="e">
    <h3>北京條約</h3><span>推薦0</span>
    <aside class="e-who"><b>讀者乙</b><i>等級:1</i></aside>
    <div>發表時間：2025/12/22 18:05</div>
    <div class="e-txt"><div>只有一段。</div></div>
    <footer><a href="#">推薦文章</a> <a href="#">加入我的文摘</a>
      <a href="https://city.udn.com/forum/trackback.jsp?no=2976&amp;aid=9000003">引用</a></footer>
  </section>
</article>
<nav class="pages"><b>1</b> <a href="?cate_no=0&amp;pno=2&amp;tpno=0">2</a></nav>
<footer class="bottom">關於我們 | 隱私權聲明</footer></div></body></html>"""


def test_unseen_layout_parsed_by_anchors_not_classes() -> None:
    url = "https://city.udn.com/2976/9000001"
    thread = parser_for(UNSEEN, url).parse(UNSEEN, url)
    assert thread.title == "中、俄邊界的歷史"
    assert thread.next_page == url + "?cate_no=0&pno=2&tpno=0"
    rows = [(p.post_id, p.title, p.author, p.published, p.edits) for p in thread.posts]
    assert rows == [
        ("9000001", "中、俄邊界的歷史", "胡卜凱", "2025-12-20", 2),
        ("9000002", "尼布楚條約", "讀者甲", "2025-12-21", None),
        ("9000003", "北京條約", "讀者乙", "2025-12-22", None),
    ]
    assert [p.text for p in thread.posts] == [
        "開欄的話:這一欄收集中、俄邊界的史料。\n\n第一篇是《璦琿條約》。 -- 12/20/25",
        "第一行\n第二行\n\n新段落。 -- 2025/12/21",
        "只有一段。",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("寫於 -- 12/24/25", "2025-12-24"),
        ("寫於 -- 2025/12/24 **", "2025-12-24"),
        ("Melissa Lawford, 12/23/25\n\nWhen Putin", "2025-12-23"),
        ("拙作(該欄2025/07/06)", None),  # a date in passing is not the post's
        ("-- 13/45/25", None),
        ("no date at all", None),
    ],
)
def test_published_dates(text: str, expected: str | None) -> None:
    assert udn.published(text) == expected


# Another unseen shape: counters split over rows, recommenders on the body's cell, a reply's
# title and 推薦(N) after its author block, trackbacks in a <textarea> and an image link's href.
UNSEEN_TABLE = """<html><body>
<table><tr><td>題目 T</td></tr><tr><td>瀏覽 9</td></tr><tr><td>回應 2</td></tr></table>
<table><tr><td>胡卜凱<br>等級:8<br>留言 加入好友</td>
<td>文章推薦人 (2)<br><a>甲</a> <a>乙</a><br><br>開篇第一段<br><br>第二段 -- 1/2/24</td></tr>
<tr><td colspan=2>本文於 修改第 2 次 回應 回應給此人 推薦文章 列印 加入我的文摘 引用</td></tr>
<tr><td colspan=2>引用網址:<input value="https://city.udn.com/forum/trackback.jsp?no=1&amp;aid=11">
</td></tr></table>
<div>回應文章</div>
<table><tr><td>讀者<br>等級:2</td><td><b>回覆標題</b> 推薦(3)<br>回覆內文 -- 2024/01/03</td></tr>
<tr><td>回應 列印</td></tr>
<tr><td><textarea>https://city.udn.com/forum/trackback.jsp?no=1&amp;aid=12</textarea></td></tr>
</table>
<table><tr><td>讀者2<br>等級:2</td><td><b>再回覆</b><br>推薦0<br>內文三</td></tr>
<tr><td><a href="/forum/trackback.jsp?no=1&amp;aid=13"><img src="x.gif"></a></td></tr></table>
</body></html>"""


def test_unseen_table_layout_with_late_titles() -> None:
    thread = PARSERS["udn"].parse(UNSEEN_TABLE, "https://city.udn.com/1/11")
    assert thread.title == "題目 T"
    assert [(p.post_id, p.title, p.author, p.published, p.edits, p.text) for p in thread.posts] == [
        ("11", "題目 T", "胡卜凱", "2024-01-02", 2, "開篇第一段\n\n第二段 -- 1/2/24"),
        ("12", "回覆標題", "讀者", "2024-01-03", None, "回覆內文 -- 2024/01/03"),
        ("13", "再回覆", "讀者2", None, None, "內文三"),
    ]
