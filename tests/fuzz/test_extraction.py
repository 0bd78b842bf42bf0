"""Fuzz page decoding and extraction (crawler.extraction.decode_html and extract,
crawler.workers.extract_body): only ExtractionError may escape, and what comes out is well-formed.

Pages are built from a small grammar of the tags extraction reads (<head> metadata, JSON-LD
blocks of odd types and nesting, <time>, <h1>, layout tables, boxes it prunes) around a few real
paragraphs, so that runs reach the main-text and metadata code and not only the refusals.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.exceptions import ExtractionError
from crawler.extraction import Extracted, absolute_url, decode_html, extract
from crawler.workers import extract_body
from tests.fuzz.strategies import CRASHES, ODD_TEXT, fuzz

PARAGRAPHS = [
    "Chinese President Xi Jinping and Russian President Vladimir Putin met in Beijing on Monday"
    " to discuss energy cooperation, trade and the war in Ukraine, officials said.",
    "The talks focused on the Power of Siberia 2 pipeline, which has been under negotiation for"
    " more than a decade and would carry Russian gas to northern China.",
    "中国国家主席习近平与俄罗斯总统普京本周在北京举行会谈，双方就能源合作、双边贸易和地区安全等问题深入交换了意见。",
    "分析人士認為，西伯利亞力量2號天然氣管道項目已談判十餘年，如果達成協議，將顯著提升俄羅斯對華天然氣出口能力。",
    "Президент России Владимир Путин и председатель КНР Си Цзиньпин провели переговоры в Пекине.",
]
TEXT = st.one_of(st.sampled_from(PARAGRAPHS), ODD_TEXT)
DATES = st.one_of(
    st.sampled_from([
        "2024-09-16T21:33+0100", "2024-02-30", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59+23:59",
        "2024年13月45日 25:61", "Tue, 23 Dec 2025 09:15:00 GMT", "Mon, 99 Foo 2025", "20240916",
        "1e400", "-1", "2024-09-16T21:33:00+99:99", "１９９９年１月１日",
    ]),
    ODD_TEXT,
)  # fmt: skip
URLS = st.sampled_from([
    "https://example.org/a", "/relative", "//other.example/x", "http://[::1", "https://h:99999/",
    "javascript:void(0)", "", " ", "http://\u4e2d\u6587.example/", "mailto:x@y",
])  # fmt: skip
LANGS = st.one_of(
    st.sampled_from(["en", "zh-Hant", "zh_CN", "iw", "cmn", "x-klingon", "", "EN-gb", "12", "ǅa"]),
    ODD_TEXT,
)
# The page's own URL comes from a Scrapy response, so it is always a valid one.
PAGE_URLS = st.sampled_from([None, "https://example.org/a/1", "http://127.0.0.1:8000/x/y.html",
                             "http://xn--fiq228c.example/", "https://example.org/?q=1#f"])  # fmt: skip
META_KEYS = st.sampled_from([
    "description", "og:title", "og:description", "og:url", "og:site_name", "og:locale",
    "twitter:title", "article:published_time", "datepublished", "date", "pubdate", "author",
    "article:author", "byl", "content-language", "application-name", "dc.creator",
])  # fmt: skip

# JSON-LD: article-shaped objects whose values are of any JSON type, nested at random.
LD_KEYS = st.sampled_from([
    "@type", "@graph", "@id", "mainEntity", "headline", "datePublished", "dateCreated", "author",
    "name", "givenName", "familyName", "publisher", "url", "mainEntityOfPage", "articleBody",
    "description",
])  # fmt: skip
LD_TYPES = st.sampled_from(["NewsArticle", "Article", "Person", "WebSite", "Organization", ""])
LD_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), LD_TYPES, TEXT, DATES, URLS
)
LD_VALUES = st.recursive(
    LD_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(LD_KEYS, inner, max_size=5)
    ),
    max_leaves=12,
)


@st.composite
def json_ld(draw: st.DrawFn) -> str:
    data = draw(st.dictionaries(LD_KEYS, LD_VALUES, max_size=6))
    if draw(st.booleans()):
        data["@type"] = draw(st.one_of(LD_TYPES, st.lists(LD_TYPES, max_size=3), LD_VALUES))
    text = json.dumps(draw(st.sampled_from([data, [data], {"@graph": [data]}])), ensure_ascii=False)
    text = draw(st.sampled_from([text, text + ";", text[: len(text) // 2], "", "</script>"]))
    ld_type = draw(st.sampled_from(["application/ld+json", " Application/LD+JSON ", "text/json"]))
    return f'<script type="{ld_type}">{text}</script>'


def attr(value: str) -> str:
    return escape(value, quote=True)


@st.composite
def head(draw: st.DrawFn) -> str:
    parts = [f"<title>{escape(draw(TEXT))}</title>"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(["name", "property", "itemprop", "http-equiv"]))
        content = draw(st.one_of(TEXT, DATES, URLS, LANGS))
        parts.append(f'<meta {key}="{attr(draw(META_KEYS))}" content="{attr(content)}">')
    if draw(st.booleans()):
        parts.append(f'<link rel="canonical" href="{attr(draw(URLS))}">')
    parts += draw(st.lists(json_ld(), max_size=2))
    return "".join(parts)


BOX_CLASSES = st.sampled_from(["", "caption", "share-bar", "related", "article-body", "post"])


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """One element of the body grammar around `children`."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(["div", "p", "article", "main", "section", "span", "h1",
                                    "blockquote", "figcaption", "pre", "td", "table", "tr",
                                    "time", "a", "li", "ul", "font"]))  # fmt: skip
        attrs = ""
        if draw(st.booleans()):
            attrs += f' class="{draw(BOX_CLASSES)}"'
        if tag == "time":
            attrs += f' datetime="{attr(draw(DATES))}"'
        if tag == "a":
            attrs += f' href="{attr(draw(URLS))}"'
        inner = "".join(draw(st.lists(children, max_size=4)))
        closed = draw(st.integers(0, 9)) > 0  # an unclosed tag now and then
        return f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if closed else "")

    return build()


BODY = st.recursive(
    st.one_of(TEXT.map(escape), st.just("<br>"), ODD_TEXT),  # raw text: stray < and & too
    element,
    max_leaves=16,
)


@st.composite
def page(draw: st.DrawFn) -> str:
    lang = f' lang="{attr(draw(LANGS))}"' if draw(st.booleans()) else ""
    body = "".join(draw(st.lists(BODY, min_size=1, max_size=4)))
    doctype = draw(st.sampled_from(["<!DOCTYPE html>", "", '<?xml version="1.0"?>']))
    return f"{doctype}<html{lang}><head>{draw(head())}</head><body>{body}</body></html>"


def check(extracted: Extracted) -> None:
    """What the archive may rely on in an extraction result."""
    assert isinstance(extracted, Extracted)
    assert isinstance(extracted.text, str)
    assert extracted.text.strip()
    assert extracted.language is None or re.fullmatch(r"[a-z]{2}", extracted.language)
    for value in (extracted.title, *extracted.authors, extracted.description):
        assert value is None or (isinstance(value, str) and value.strip())
    if extracted.published is not None:
        datetime.fromisoformat(extracted.published)
    if extracted.canonical_url is not None:
        assert extracted.canonical_url.startswith(("http://", "https://"))


PAGE = "https://example.org/a/1"


def extracts_or_refuses(html: str | bytes, url: str | None = PAGE) -> None:
    try:
        result = extract(html, url)
    except ExtractionError:
        return
    check(result)


CHARSETS = st.sampled_from(["utf-8", "gbk", "gb2312", "gb18030", "big5", "big5hkscs",
                            "shift_jis", "euc-kr", "latin-1", "cp1252", "utf-16", "koi8-r"])  # fmt: skip
DECLARED = st.one_of(CHARSETS, st.sampled_from(["bogus", "", "utf-7", "x-user-defined", "\x00"]))
CONTENT_TYPES = st.one_of(
    st.none(),
    st.builds(lambda c: f"text/html; charset={c}", DECLARED),
    st.sampled_from(["text/html", "application/octet-stream", "text/html; charset", ";;;"]),
)


@fuzz(100)
@given(body=st.binary(max_size=400), content_type=CONTENT_TYPES)
def test_decode_arbitrary_bytes(body: bytes, content_type: str | None) -> None:
    try:
        text = decode_html(body, content_type)
    except ExtractionError:
        return
    assert isinstance(text, str)


@fuzz(100)
@given(text=st.lists(TEXT, max_size=3).map("".join), real=CHARSETS, declared=DECLARED,
       in_meta=st.booleans())  # fmt: skip
def test_decode_text_declared_in_the_wrong_charset(
    text: str, real: str, declared: str, in_meta: bool
) -> None:
    html = f'<html><head><meta charset="{declared}"></head><body><p>{text}</p></body></html>'
    body = html.encode(real, "replace") if in_meta else f"<p>{text}</p>".encode(real, "replace")
    content_type = None if in_meta else f"text/html; charset={declared}"
    try:
        decoded = decode_html(body, content_type)
    except ExtractionError:
        return
    assert isinstance(decoded, str)


@fuzz(60)
@given(html=page())
def test_extract_generated_pages(html: str) -> None:
    extracts_or_refuses(html)


@fuzz(25)
@given(html=page(), charset=CHARSETS, content_type=CONTENT_TYPES, url=PAGE_URLS)
def test_extract_body_generated_pages_in_any_charset(
    html: str, charset: str, content_type: str | None, url: str | None
) -> None:
    try:
        result = extract_body(html.encode(charset, "replace"), content_type, url)
    except ExtractionError:
        return
    check(result)


@fuzz(40)
@given(body=st.binary(max_size=300), url=PAGE_URLS)
def test_extract_arbitrary_bytes(body: bytes, url: str | None) -> None:
    extracts_or_refuses(b"<html><body><p>" + body, url)


# --- crashes the fuzzers found (inputs in tests/fixtures/fuzz/) -----------------------------------


def test_a_canonical_link_that_is_no_valid_url_is_ignored() -> None:
    extracted = extract((CRASHES / "page-canonical-unclosed-ipv6.html").read_bytes(), PAGE)
    check(extracted)
    assert extracted.canonical_url is None


def test_a_declared_language_that_is_not_ascii_is_no_language_code() -> None:
    extracted = extract((CRASHES / "page-lang-not-ascii.html").read_bytes(), PAGE)
    check(extracted)
    assert extracted.language == "en"  # identified from the text instead


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("http://[::1", None),
        ("https://example.org:99999/a", None),
        ("https://example.org:0/a", None),
        ("javascript:void(0)", None),
        ("mailto:a@example.org", None),
        (" /b/c ", "https://example.org/b/c"),
        ("//other.example/x", "https://other.example/x"),
    ],
)
def test_absolute_url_refuses_what_cannot_be_fetched(href: str, expected: str | None) -> None:
    assert absolute_url(PAGE, href) == expected
