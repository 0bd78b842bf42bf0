"""Fuzz the forum splitter (crawler.forums: parser_for, the udn parser, parse_text_posts) on
arbitrary text, on lines and pages built from udn's anchors, and on mutated copies of the udn
fixtures and the seed thread: only ForumError (and ExtractionError from decoding) may escape, and
every thread is one the crawler can store and follow."""

from __future__ import annotations

from datetime import date

import pytest
import scrapy
from hypothesis import given
from hypothesis import strategies as st

from crawler.exceptions import ExtractionError, ForumError
from crawler.extraction import decode_html
from crawler.forums import PARSERS, Thread, parse_text_posts, parser_for
from tests.fuzz.strategies import CRASHES, FIXTURES, ODD_TEXT, fuzz, mutated

SEED = FIXTURES.parent.parent / "seeds" / "000_952804f8609e6c2d.txt"
SEED_LINES = SEED.read_text(encoding="utf-8").splitlines()
PAGES = [path.read_bytes() for path in sorted((FIXTURES / "udn").glob("*.html"))]
THREAD_URL = "https://city.udn.com/2976/7289781?cate_no=0&pno=1"
# The page's own URL comes from a Scrapy response, so it is always a valid one.
URLS = st.sampled_from([THREAD_URL, "http://127.0.0.1:8000/udn/div-thread.html",
                        "https://mirror.example/t/1", "https://city.udn.com/"])  # fmt: skip

# What udn shows around posts, valid and broken: the splitter keys on these.
ANCHORS = st.sampled_from([
    "引用網址:https://city.udn.com/forum/trackback.jsp?no=2976&aid=7289781",
    "引用網址:https://city.udn.com/forum/trackback.jsp?no=2976&amp;aid=7289864",
    "https://city.udn.com/forum/trackback.jsp?aid=1", "trackback.jsp?aid=", "trackback.jsp?aid=x",
    "trackback.jsp?no=&aid=" + "9" * 30, "trackback.jsp?aid=١٢٣", "TRACKBACK.JSP?AID=5&no=٣",
    "胡卜凱", "等級:8", "等級：" + "9" * 5000, "留言加入好友", "文章推薦人 (1)", "文章推薦人 (" + "9" * 5000 + ")",
    "文章推薦人 (２)", "本文於 修改第 2 次", "本文於 修改第 " + "9" * 5000 + " 次", "回應文章", "回應文章 (第2頁)",
    "回應 回應給此人 推薦文章 列印 加入我的文摘", "引用", "瀏覽96|回應2推薦1", "推薦1", "推薦(３)",
    "中、俄關係 – 開欄文", "-- 12/24/25", "-- 2025/02/30", "-- 99/99/99", "-- ２０２５/１/１",
    "發表時間: 2025-12-24 10:05", "2025年13月45日", "某人, 12/24/2025", "網路城邦", "錯誤訊息", "",
    "下一頁", "›", "\u00a0", "\u3000",
])  # fmt: skip
LINES = st.lists(st.one_of(ANCHORS, ODD_TEXT), max_size=40)


def check(thread: Thread) -> None:
    """What ForumKind relies on: posts to store, and a next page it can request."""
    assert isinstance(thread, Thread)
    assert thread.posts, "a thread with no posts must be a ForumError"
    for post in thread.posts:
        assert post.post_id.isdigit(), post
        assert post.text.strip(), post
        for value in (post.title, post.author):
            assert value is None or (isinstance(value, str) and value.strip())
        if post.published is not None:
            date.fromisoformat(post.published)
        assert post.edits is None or post.edits >= 0
        if post.url is not None:
            scrapy.Request(post.url)
    if thread.next_page is not None:
        scrapy.Request(thread.next_page)


def split_text(text: str, url: str) -> None:
    try:
        thread = parse_text_posts(text, url)
    except ForumError:
        return
    check(thread)


def split_page(body: bytes, url: str, forced: str | None = None) -> None:
    """What ForumKind does with a body: decode, pick the parser, parse."""
    try:
        html = decode_html(body, "text/html")
        thread = parser_for(html, url, forced).parse(html, url)
    except (ExtractionError, ForumError):
        return
    check(thread)


@fuzz(60)
@given(text=st.text(max_size=300), url=URLS)
def test_text_arbitrary(text: str, url: str) -> None:
    split_text(text, url)


@fuzz(150)
@given(lines=LINES, url=URLS)
def test_text_from_udn_anchors(lines: list[str], url: str) -> None:
    split_text("\n".join(lines), url)


@st.composite
def mutated_seed(draw: st.DrawFn) -> str:
    """The seed thread with lines deleted, duplicated, swapped or replaced by anchors."""
    lines = list(SEED_LINES)
    for _ in range(draw(st.integers(1, 12))):
        index = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "swap"]))
        if edit == "delete" and len(lines) > 1:
            del lines[index]
        elif edit == "duplicate":
            lines.insert(index, lines[index])
        elif edit == "replace":
            lines[index] = draw(st.one_of(ANCHORS, ODD_TEXT))
        elif edit == "insert":
            lines.insert(index, draw(st.one_of(ANCHORS, ODD_TEXT)))
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    return "\n".join(lines)


@fuzz(40)
@given(text=mutated_seed())
def test_text_mutated_seed(text: str) -> None:
    split_text(text, THREAD_URL)


HREFS = st.sampled_from([
    "?pno=2", "/2976/7289781?cate_no=0&pno=2&tpno=0", "http://[::1", "https://h:99999/?pno=2",
    "javascript:next()", "#", "", "//other.example/?pno=2", "http://[::1]:0/?pno=2",
    "?pno=" + "9" * 5000, "https://city.udn.com/2976/7289781?pno=２",
])  # fmt: skip


@st.composite
def udn_page(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(1, 20))):
        text = draw(st.one_of(ANCHORS, ODD_TEXT))
        wrapper = draw(st.sampled_from(["p", "div", "td", "li", "span", "pre", "a", "input"]))
        if wrapper == "a":
            label = draw(st.sampled_from(["下一頁", "›", "2", text]))
            rel = draw(st.sampled_from(["", ' rel="next"']))
            parts.append(f'<a href="{draw(st.one_of(HREFS, ANCHORS))}"{rel}>{label}</a>')
        elif wrapper == "input":
            parts.append(f'<input value="{text}">')
        else:
            parts.append(f"<{wrapper}>{text}</{wrapper}>")
        if draw(st.booleans()):
            parts.append("<br>")
    base = f'<base href="{draw(HREFS)}">' if draw(st.booleans()) else ""
    html = f"<html><head><title>{draw(ODD_TEXT)}</title>{base}</head><body>{''.join(parts)}</body></html>"
    return html.encode(draw(st.sampled_from(["utf-8", "big5", "gb18030"])), "replace")


@fuzz(100)
@given(body=udn_page(), url=URLS, forced=st.sampled_from([None, "udn"]))
def test_pages_from_udn_anchors(body: bytes, url: str, forced: str | None) -> None:
    split_page(body, url, forced)


@fuzz(40)
@given(body=st.sampled_from(PAGES).flatmap(mutated), url=URLS)
def test_mutated_fixture_pages(body: bytes, url: str) -> None:
    split_page(body, url)


@fuzz(30)
@given(body=st.binary(max_size=300), url=URLS, forced=st.one_of(st.none(), st.text(max_size=8)))
def test_arbitrary_bytes_and_parser_names(body: bytes, url: str, forced: str | None) -> None:
    try:
        parser = parser_for(body.decode("utf-8", "replace"), url, forced)
    except ForumError:
        assert forced is None or forced not in PARSERS
        return
    assert parser.name in PARSERS
    split_page(body, url, forced)


# --- crashes the fuzzers found (inputs in tests/fixtures/fuzz/) -----------------------------------


@pytest.mark.parametrize(
    "name", ["forum-edit-count-5000-digits.txt", "forum-recommenders-5000-digits.txt"]
)
def test_a_count_too_long_to_be_one_is_read_as_text(name: str) -> None:
    thread = parse_text_posts((CRASHES / name).read_text(encoding="utf-8"), THREAD_URL)
    check(thread)
    (post,) = thread.posts
    assert post.edits is None
    assert post.author == "胡卜凱"


def test_posts_without_text_are_skipped_and_a_thread_of_none_is_an_error() -> None:
    text = (CRASHES / "forum-post-without-text.txt").read_text(encoding="utf-8")
    with pytest.raises(ForumError, match="no udn post on the page has any text"):
        parse_text_posts(text, THREAD_URL)
    seed = parse_text_posts(SEED.read_text(encoding="utf-8") + "\n" + text, THREAD_URL)
    check(seed)
    assert [post.post_id for post in seed.posts] == ["7289781", "7289864", "7289828"]


def test_a_base_href_that_is_no_valid_url_leaves_links_relative_to_the_page() -> None:
    html = (CRASHES / "forum-base-unclosed-ipv6.html").read_text(encoding="utf-8")
    thread = parser_for(html, THREAD_URL).parse(html, THREAD_URL)
    check(thread)
    assert thread.next_page == "https://city.udn.com/2976/7289781?pno=2"


def test_a_page_number_too_long_to_be_one_is_no_page_number() -> None:
    html = (CRASHES / "forum-pno-5000-digits.html").read_text(encoding="utf-8")
    thread = parser_for(html, THREAD_URL).parse(html, THREAD_URL)
    check(thread)
    assert thread.next_page is not None  # still the link that says 下一頁
