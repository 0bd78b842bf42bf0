"""Tests of crawler.extraction: main text, metadata, language, decoding and refusals."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from crawler.exceptions import AmurError, ExtractionError
from crawler.extraction import Extracted, decode_html, extract
from crawler.metadata import normalize_date

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extraction"

PARAGRAPHS = [
    "Chinese President Xi Jinping and Russian President Vladimir Putin met in Beijing on Monday"
    " to discuss energy cooperation, trade and the war in Ukraine, officials said.",
    "The talks focused on the Power of Siberia 2 pipeline, which has been under negotiation for"
    " more than a decade and would carry Russian gas to northern China.",
    "Analysts said the meeting signals deeper economic ties between the two neighbours as both"
    " face pressure from Western sanctions, export controls and tariffs.",
    "Trade between China and Russia reached a record last year, driven by Russian oil exports"
    " and Chinese car sales, according to figures published by Chinese customs.",
]
ZH_PARAGRAPHS = [
    "中国国家主席习近平与俄罗斯总统普京本周在北京举行会谈，双方就能源合作、双边贸易和地区安全等问题深入交换了意见。",
    "分析人士认为，西伯利亚力量2号天然气管道项目已谈判十余年，如果达成协议，将显著提升俄罗斯对华天然气出口能力。",
    "海关数据显示，去年中俄双边贸易额创下历史新高，其中俄罗斯原油出口和中国汽车销售是主要推动力。",
]
RU_PARAGRAPHS = [
    "Президент России Владимир Путин и председатель КНР Си Цзиньпин провели переговоры в Пекине"
    " и обсудили сотрудничество в области энергетики и торговли.",
    "По словам экспертов, соглашение о газопроводе Сила Сибири 2 обсуждается уже более десяти"
    " лет, и стороны пока не договорились о цене поставок.",
]


def page(
    paragraphs: list[str] = PARAGRAPHS,
    head: str = "",
    lang: str | None = "en",
    title: str = "Xi and Putin meet in Beijing",
    h1: str | None = "",
    extra: str = "",
) -> str:
    """A small article page: <head> extras, an <h1> (the title unless given), the paragraphs."""
    lang_attr = f' lang="{lang}"' if lang else ""
    heading = "" if h1 is None else f"<h1>{h1 or title}</h1>"
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html{lang_attr}><head><meta charset='utf-8'><title>{title}</title>"
        f"{head}</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<main><article>{heading}{body}{extra}</article></main>"
        "<footer><p>Contact us</p></footer></body></html>"
    )


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --- a full news page --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def news() -> Extracted:
    return extract(fixture("news_jsonld.html"), "https://example.com/world/xi-putin?ref=rss")


def test_news_metadata_comes_from_json_ld_graph_and_canonical_link(news: Extracted) -> None:
    assert news.title == "Xi and Putin sign pact"  # not <title>'s "... - The Daily Example"
    assert news.authors == ("Anna Ivanova", "Li Wei")
    assert news.published == "2024-09-16T21:33:00+01:00"  # from "2024-09-16T21:33+0100"
    assert news.canonical_url == "https://example.com/world/2024/09/16/xi-putin-pact"
    assert news.language == "en"  # from lang="en-GB"


def test_news_text_is_the_article_paragraphs_separated_by_blank_lines(news: Extracted) -> None:
    paragraphs = news.text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Chinese President Xi Jinping and Russian President")
    assert paragraphs[-1].startswith("Trade between China and Russia reached a record")
    assert all(p.strip() == p and "\n" not in p for p in paragraphs)


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Photo: Reuters",  # <figcaption>
        "Sergei Bobylev",  # image credit paragraph
        "Big news from Beijing",  # embedded tweet
        "@someaccount",
        "Sign up for our newsletter",  # subscribe box
        "inbox every morning",
        "Related articles",  # related links
        "naval drills",
        "Great article",  # comment section
        "The Daily Example",  # footer
        "Home",  # navigation
        "By Anna Ivanova",  # byline
    ],
)
def test_news_text_leaves_out_boilerplate(news: Extracted, boilerplate: str) -> None:
    assert boilerplate not in news.text


# --- JSON-LD -----------------------------------------------------------------------------------

JSON_LD_CASES = {
    "single object, author string": (
        {"@type": "NewsArticle", "headline": "H1", "datePublished": "2024-05-01",
         "author": "Jane Doe"},
        "H1", "Jane Doe", "2024-05-01",
    ),
    "top-level list, Person list": (
        [{"@type": "Organization", "name": "Example News"},
         {"@type": "Article", "headline": "H2", "datePublished": "2024-05-01T10:00:00Z",
          "author": [{"@type": "Person", "name": "Jane Doe"},
                     {"@type": "Person", "name": "John Roe"}]}],
        "H2", "Jane Doe; John Roe", "2024-05-01T10:00:00+00:00",
    ),
    "@graph, author by @id": (
        {"@context": "https://schema.org", "@graph": [
            {"@type": "WebPage", "@id": "https://example.com/a"},
            {"@type": ["ReportageNewsArticle"], "headline": "H3",
             "datePublished": "2024-05-01T12:30:00+08:00", "author": {"@id": "#person-1"}},
            {"@type": "Person", "@id": "#person-1", "name": "Wang Fang"}]},
        "H3", "Wang Fang", "2024-05-01T12:30:00+08:00",
    ),
    "LiveBlogPosting, author strings": (
        {"@type": "LiveBlogPosting", "headline": "H4", "datePublished": "2024-05-01T09:00+0300",
         "author": ["Ivan Petrov", "By Olga Smirnova"]},
        "H4", "Ivan Petrov; Olga Smirnova", "2024-05-01T09:00:00+03:00",
    ),
    "BlogPosting, given and family name": (
        {"@type": "BlogPosting", "headline": "H5 &amp; more", "datePublished": "2024-05-01",
         "author": {"@type": "Person", "givenName": "Mei", "familyName": "Lin"}},
        "H5 & more", "Mei Lin", "2024-05-01",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("data", "title", "author", "published"), JSON_LD_CASES.values(),
                         ids=JSON_LD_CASES.keys())  # fmt: skip
def test_json_ld_completes_metadata(data: object, title: str, author: str, published: str) -> None:
    extracted = extract(page(head=ld(data), title="Site title | Example News", h1=None))
    got = (extracted.title, "; ".join(extracted.authors), extracted.published)
    assert got == (title, author, published)


def test_json_ld_date_only_borrows_the_time_of_a_meta_tag() -> None:
    head = ld({"@type": "NewsArticle", "datePublished": "2024-05-01"}) + (
        '<meta property="article:published_time" content="2024-05-01T07:15:00+02:00">'
    )
    assert extract(page(head=head)).published == "2024-05-01T07:15:00+02:00"


def test_broken_json_ld_is_skipped() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", </script>'
    head += '<meta name="author" content="Jane Doe">'
    assert extract(page(head=head)).authors == ("Jane Doe",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-16T21:33+0100", "2024-09-16T21:33:00+01:00"),
        ("2024-09-16T21:33:05.123Z", "2024-09-16T21:33:05+00:00"),
        ("2024-09-16 21:33:00", "2024-09-16T21:33:00"),
        ("2024-09-16", "2024-09-16"),
        ("Mon, 16 Sep 2024 21:33:00 GMT", "2024-09-16T21:33:00+00:00"),
        ("2024年9月16日 21:33", "2024-09-16T21:33:00"),
        ("2024年09月16日", "2024-09-16"),
        ("2024/9/16", "2024-09-16"),
        ("yesterday", None),
        ("", None),
    ],
)
def test_normalize_date(value: str, expected: str | None) -> None:
    assert normalize_date(value) == expected


# --- title -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "title", "url", "expected"),
    [
        ('<meta property="og:site_name" content="The Telegraph">', "Xi meets Putin - The Telegraph",
         "https://www.telegraph.co.uk/news/1", "Xi meets Putin"),
        ("", "Why Xi needs Putin | Stimson Center", "https://www.stimson.org/2024/x/",
         "Why Xi needs Putin"),
        (ld({"@type": "NewsArticle", "headline": "Xi meets Putin"}),
         "Xi meets Putin | World | Example News", None, "Xi meets Putin"),
        (ld({"@type": "NewsArticle", "headline": "Xi meets Putin in Beij…"})
         + '<meta property="og:title" content="Xi meets Putin in Beijing for talks">',
         "Example", None, "Xi meets Putin in Beijing for talks"),
    ],
    ids=["og:site_name suffix", "host name suffix", "JSON-LD headline", "truncated headline"],
)  # fmt: skip
def test_title_without_site_name(head: str, title: str, url: str | None, expected: str) -> None:
    assert extract(page(head=head, title=title, h1=None), url).title == expected


def test_title_is_the_visible_headline_where_metadata_confirms_it() -> None:
    # The Telegraph: <title> and JSON-LD say one thing, <h1> and og:title another.
    head = ld({"@type": "NewsArticle", "headline": "Putin’s pact with Xi is backfiring"})
    head += '<meta property="og:title" content="Putin’s ‘dear friend’ Xi piles on the pain">'
    html = page(head=head, title="Putin’s pact with Xi is backfiring",
                h1="Putin’s ‘dear friend’ Xi piles on the pain")  # fmt: skip
    extracted = extract(html)
    assert extracted.title == "Putin’s ‘dear friend’ Xi piles on the pain"
    assert extracted.text.startswith(PARAGRAPHS[0])  # the headline is not repeated in the text


@pytest.mark.parametrize("title", ["Example News", "Xi meets Putin - Example News"])
def test_a_logo_h1_is_not_the_title(title: str) -> None:
    head = ld({"@type": "NewsArticle", "headline": "Xi meets Putin"})
    head += '<meta property="og:site_name" content="Example News">'
    assert extract(page(head=head, title=title, h1="Example News")).title == "Xi meets Putin"


@pytest.mark.parametrize(
    "extra",
    [
        "<p class='e-standfirst' itemprop='description'>A standfirst that repeats the summary</p>",
        "<p class='topic__updated'>Last updated <time datetime='2025-11-30'>30 Nov</time></p>",
        "<div class='info'>发布日期：2025-11-30</div>",
        "<div class='e-subscribe-promo'><p>Try full access free today</p>"
        "<a href='/subscribe'>Start free trial</a></div>",
        "<div class='widget post-disclaimer'><p><em>The views expressed are the author’s own"
        "</em></p></div>",
        "<div class='share-buttons'><a href='#'>Share on X</a> <a href='#'>Facebook</a></div>",
        "<figure><img src='a.jpg'><figcaption>Xi and Putin in Beijing. Photo: AP</figcaption>"
        "</figure>",
        "<p class='image-credit'>Getty Images Europe</p>",
        "<blockquote class='twitter-tweet'><p>Breaking news from Beijing</p>— someone "
        "(@someone)</blockquote>",
    ],
    ids=["standfirst", "last updated", "date label", "subscribe", "disclaimer", "share",
         "caption", "credit", "tweet"],
)  # fmt: skip
def test_article_chrome_is_left_out(extra: str) -> None:
    extracted = extract(page(extra=f"<p>{PARAGRAPHS[0]}</p>{extra}<p>{PARAGRAPHS[1]}</p>"))
    assert extracted.text == "\n\n".join(PARAGRAPHS + PARAGRAPHS[:2])


# --- canonical URL -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="https://example.com/a">', "https://example.com/a"),
        ('<link rel="canonical" href="/news/a?x=1">', "https://example.com/news/a?x=1"),
        (ld({"@type": "NewsArticle", "url": "https://example.com/ld"}), "https://example.com/ld"),
        ('<meta property="og:url" content="https://example.com/og">', "https://example.com/og"),
        ("", None),
    ],
    ids=["link", "relative link", "JSON-LD url", "og:url", "none"],
)
def test_canonical_url(head: str, expected: str | None) -> None:
    assert extract(page(head=head), "https://example.com/feed/item").canonical_url == expected


# --- language ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "paragraphs", "expected"),
    [
        ("zh-Hant", ZH_PARAGRAPHS, "zh"),
        ("zh-TW", ZH_PARAGRAPHS, "zh"),
        ("zh-Hans", ZH_PARAGRAPHS, "zh"),
        ("zh-CN", ZH_PARAGRAPHS, "zh"),
        ("en-GB", PARAGRAPHS, "en"),
        (None, PARAGRAPHS, "en"),  # no lang: from the text
        (None, ZH_PARAGRAPHS, "zh"),
        (None, RU_PARAGRAPHS, "ru"),
        ("en", ZH_PARAGRAPHS, "zh"),  # a template's lang="en" on a Chinese page
        ("de", PARAGRAPHS, "en"),
    ],
)
def test_language(lang: str | None, paragraphs: list[str], expected: str) -> None:
    assert extract(page(paragraphs, lang=lang, title="Xi Putin")).language == expected


# --- encodings ---------------------------------------------------------------------------------

FORUM, BLOG = fixture("forum_gbk.html"), fixture("blog_big5.html")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (FORUM.encode("gbk"), None, "西伯利亚力量2号"),  # <meta http-equiv> charset=gbk
        (FORUM.replace("; charset=gbk", "").encode("gbk"), None, "西伯利亚力量2号"),  # detected
        (FORUM.replace("; charset=gbk", "").encode("gbk"), "text/html; charset=GBK", "西伯利亚"),
        (FORUM.replace("gbk", "gb2312").replace("习近平", "朱镕基").encode("gb18030"), None,
         "朱镕基"),  # 镕 is not in GB2312: decoded with the GB18030 superset
        (BLOG.encode("big5"), None, "西伯利亞力量二號"),  # <meta http-equiv> charset=big5
        (BLOG.replace("; charset=big5", "").encode("big5"), None, "西伯利亞力量二號"),
        (BLOG.replace("; charset=big5", "").encode("big5"), "text/html; charset=big5", "普丁"),
        (BLOG.encode("utf-8"), None, "西伯利亞"),  # declared Big5, really UTF-8
        (b"\xef\xbb\xbf" + BLOG.encode("utf-8"), "text/html; charset=big5", "西伯利亞"),  # BOM
        (FORUM.encode("gbk"), "text/html; charset=utf-8", "西伯利亚"),  # GBK sent as UTF-8
        (gzip.compress(BLOG.encode("big5")), None, "西伯利亞"),  # a saved .html.gz
    ],
    ids=["gbk meta", "gbk detected", "gbk header", "gb2312 superset", "big5 meta",
         "big5 detected", "big5 header", "wrong declaration", "bom", "gbk sent as utf-8",
         "gzip"],
)  # fmt: skip
def test_decode_html(body: bytes, content_type: str | None, expected: str) -> None:
    text = decode_html(body, content_type)
    assert expected in text
    assert "\ufffd" not in text


def test_gbk_forum_page_gives_the_first_post() -> None:
    extracted = extract(FORUM.encode("gbk"), "https://bbs.example.cn/thread-1001-1-1.html")
    assert extracted.title == "中俄能源合作的新进展"  # not "... - 国际观察 - 铁血论坛"
    assert extracted.language == "zh"
    assert extracted.published == "2024-09-16"
    paragraphs = extracted.text.split("\n\n")
    assert len(paragraphs) == 4  # the <br><br> breaks inside the post's table cell
    assert paragraphs[0].startswith("据新华社报道")
    assert not any(junk in extracted.text for junk in ("Discuz", "首页", "|", "发表于"))


def test_big5_blog_page() -> None:
    extracted = extract(BLOG.encode("big5"))
    assert (extracted.title, extracted.authors, extracted.language) == (
        "中俄關係的下一步", ("陳志明",), "zh")  # fmt: skip
    assert extracted.published == "2024-10-15T08:30:00+08:00"
    assert extracted.text.startswith("俄羅斯總統普丁與中國國家主席習近平")
    assert extracted.text.count("\n\n") == 3
    assert "版權所有" not in extracted.text


# --- refusals ----------------------------------------------------------------------------------

JUNK = random.Random(7).randbytes(4000)


@pytest.mark.parametrize(
    "body",
    [b"", b"  \n\t", b"\x89PNG\r\n\x1a\n" + JUNK, b"%PDF-1.7\n" + JUNK, JUNK,
     b"\x1f\x8b\x08\x00broken gzip"],
    ids=["empty", "whitespace", "png", "pdf", "random bytes", "broken gzip"],
)  # fmt: skip
def test_binary_or_empty_bytes_raise(body: bytes) -> None:
    with pytest.raises(ExtractionError):
        decode_html(body)
    with pytest.raises(ExtractionError):
        extract(body)


@pytest.mark.parametrize(
    "html",
    ["", "   ", JUNK.decode("latin-1"), "just a sentence, no markup at all",
     "<html><head><title>Nothing</title></head><body></body></html>"],
    ids=["empty", "whitespace", "binary as text", "no markup", "no text"],
)  # fmt: skip
def test_no_html_or_no_text_raises(html: str) -> None:
    with pytest.raises(ExtractionError):
        extract(html)


def test_extraction_error_is_an_amur_error() -> None:
    assert issubclass(ExtractionError, AmurError)
