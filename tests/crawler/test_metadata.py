"""Tests of crawler.metadata: headline, authors and dates, one rule at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extraction import extract
from crawler.metadata import normalize_date

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extraction"
TEXT = "".join(
    f"<p>{s} Xi Jinping and Vladimir Putin met in Beijing to discuss trade and energy.</p>"
    for s in ("First,", "Second,", "Third,", "Fourth,")
)


def page(head: str = "", body: str = "", title: str = "Site page") -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"{head}</head><body>{body}<main><article>{TEXT}</article></main></body></html>")  # fmt: skip


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def og(name: str, value: str) -> str:
    return f'<meta property="og:{name}" content="{value}">'


def test_teaser_h1_kicker_page() -> None:
    html = (FIXTURES / "teaser_h1_kicker.html").read_text(encoding="utf-8")
    extracted = extract(html, "https://www.beispielblatt.de/energie/leitung-123")
    assert extracted.title == "Sibirische Leitung stockt erneut"
    assert extracted.authors == ("Anna Ivanova", "Li Wei")
    assert extracted.published == "2024-09-16T21:33:00+02:00"
    assert extracted.modified == "2024-09-17T08:05:00+02:00"


# --- title -------------------------------------------------------------------------------------

TITLES = {
    "h1 in the article over an SEO headline": (
        ld({"@type": "NewsArticle", "headline": "Xi, Putin meet | trade, energy talks"})
        + og("title", "Xi and Putin meet in Beijing"),
        "<main><h1>Xi and Putin meet in Beijing</h1></main>", "Xi and Putin meet in Beijing"),
    "kicker span lost in the DOM: og:title's wording": (
        ld({"@type": "NewsArticle", "headline": "Xi, Putin hold talks"})
        + og("title", "Energy: Xi and Putin meet"),
        "<h1><span>Energy</span>Xi and Putin meet</h1>", "Energy: Xi and Putin meet"),
    "breadcrumb h1 is not the headline; h2 confirmed by metadata": (
        ld({"@type": "NewsArticle", "headline": "Summit in Beijing"})
        + og("title", "Xi and Putin meet"),
        "<div class='breadcrumbs'><h1>Summit in Beijing</h1></div><header><h2>Xi and Putin meet"
        "</h2></header>", "Xi and Putin meet"),
    "SEO title with a kicker beside its plain twin": (
        ld({"@type": "NewsArticle", "headline": "Summit: Xi and Putin meet"})
        + og("title", "Xi and Putin meet"), "", "Xi and Putin meet"),
    "site suffix from og:site_name": (
        og("site_name", "Daily Example"), "", "Xi and Putin meet"),
    "teaser h1 in a nav is not confirmed": (
        og("title", "Xi and Putin meet"),
        "<nav><ul><li><h1>Another story entirely</h1></li></ul></nav>", "Xi and Putin meet"),
}  # fmt: skip


@pytest.mark.parametrize(("head", "body", "expected"), TITLES.values(), ids=TITLES.keys())
def test_title(head: str, body: str, expected: str) -> None:
    html = page(head, body, title="Xi and Putin meet - Daily Example")
    assert extract(html).title == expected


# --- authors -----------------------------------------------------------------------------------

AUTHORS = {
    "publication in meta author is dropped": (
        og("site_name", "Daily Example") + '<meta name="author" content="Daily Example">', ()),
    "host name as author is dropped": ('<meta name="author" content="example.com">', ()),
    "an agency credited as author is kept": (
        ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Wire Desk"}}),
        ("Wire Desk",)),
    "a person and an agency": (
        ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Jane Doe"},
                                               {"@type": "Organization", "name": "Wire Desk"}]}),
        ("Jane Doe", "Wire Desk")),
    "the publisher as author is dropped": (
        ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Daily Paper"},
            "publisher": {"@type": "Organization", "name": "Daily Paper"}}), ()),
    "the publisher by @id as author is dropped": (
        ld({"@graph": [{"@type": "NewsArticle", "author": {"@id": "#org"},
                        "publisher": {"@id": "#org"}},
                       {"@type": "Organization", "@id": "#org", "name": "Daily Paper"}]}), ()),
    "an agency in the @graph is not a name of the site": (
        ld({"@graph": [{"@type": "NewsArticle", "author": {"@id": "#wire"}},
                       {"@type": "Organization", "@id": "#wire", "name": "Wire Desk"}]}),
        ("Wire Desk",)),
    "an organisation at this site's address is its newsroom": (
        ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Newsroom",
                                               "url": "https://example.com/newsroom"}}), ()),
    "an organisation elsewhere is not": (
        ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Wire Desk",
                                               "url": "https://wire.example.org/"}}),
        ("Wire Desk",)),
    "a Person typed Organization too is a person": (
        ld({"@type": "NewsArticle", "author": {"@type": ["Person", "Organization"],
                                               "name": "Jane Doe", "url": "/author/jane"}}),
        ("Jane Doe",)),
    "what follows the publication in a meta author is its address": (
        og("site_name", "Daily Example")
        + '<meta name="author" content="Daily Example, Frankfurt, Germany">', ()),
    "publication then a person in another tag": (
        ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example"}})
        + '<meta name="cxenseparse:author" content="Jane Doe">', ("Jane Doe",)),
    "several people, order kept, duplicates once": (
        ld({"@type": "NewsArticle", "author": [
            {"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Roe"},
            {"@type": "Person", "name": "Jane Doe"}]}), ("Jane Doe", "John Roe")),
    "one meta string naming two": (
        '<meta name="author" content="Jane Doe and John Roe">', ("Jane Doe", "John Roe")),
    "publication's byline suffix dropped": (
        '<meta name="author" content="Jane Doe, Example">', ("Jane Doe",)),
}  # fmt: skip


@pytest.mark.parametrize(("head", "expected"), AUTHORS.values(), ids=AUTHORS.keys())
def test_authors(head: str, expected: tuple[str, ...]) -> None:
    assert extract(page(head), "https://www.example.com/world/1").authors == expected


AUTHOR_PAGES = {
    "agency_byline.html": (
        "https://www.zeitung-beispiel.ch/bern-123",
        ("Petra Muster", "Nachrichtenagentur Alpina", "Marco Beispiel"),
    ),
    "newsroom_author.html": ("https://www.regionalfunk.de/wirtschaft/gas-100.html", ()),
}


@pytest.mark.parametrize(("name", "url", "expected"), [(k, *v) for k, v in AUTHOR_PAGES.items()])
def test_author_pages(name: str, url: str, expected: tuple[str, ...]) -> None:
    html = (FIXTURES / name).read_text(encoding="utf-8")
    assert extract(html, url).authors == expected


def test_byline_markup_names_authors_when_metadata_does_not() -> None:
    body = ("<p class='byline'>By <a rel='author' href='/a/jd'>Jane Doe</a> and <span "
            "itemprop='author'><span itemprop='name'>John Roe</span></span></p>")  # fmt: skip
    assert extract(page(body=body)).authors == ("Jane Doe", "John Roe")


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-16T21:33+0100", "2024-09-16T21:33:00+01:00"),  # no seconds, no colon
        ("2024-09-16T21:33:00+01:00", "2024-09-16T21:33:00+01:00"),
        ("2024-09-16T21:33:00+01", "2024-09-16T21:33:00+01:00"),
        ("2024-09-16T21:33:00-0500", "2024-09-16T21:33:00-05:00"),
        ("2024-09-16T21:33:00Z", "2024-09-16T21:33:00+00:00"),
        ("2024-09-16t21:33:00z", "2024-09-16T21:33:00+00:00"),
        ("2024-09-16T21:33:05.123456789Z", "2024-09-16T21:33:05+00:00"),
        ("2024-09-16 21:33:00 +0100", "2024-09-16T21:33:00+01:00"),
        ("2024-09-16T21:33:00 GMT", "2024-09-16T21:33:00+00:00"),
        ("2024-09-16T21:33:00 UTC", "2024-09-16T21:33:00+00:00"),
        ("2024-09-16T21:33:00+02:00[Europe/Berlin]", "2024-09-16T21:33:00+02:00"),
        ("20240916T213300Z", "2024-09-16T21:33:00+00:00"),
        ("20240916", "2024-09-16"),
        ("Mon, 16 Sep 2024 21:33:00 +0200", "2024-09-16T21:33:00+02:00"),
        ("September 16, 2024 9:33 pm", "2024-09-16T21:33:00"),
        ("16.09.2024 21:33", "2024-09-16T21:33:00"),
        ("05.09.2024", "2024-09-05"),
        ("2024年9月16日 21:33", "2024-09-16T21:33:00"),
        ("2024-02-30", None),
        ("1899-01-01", None),
        ("12", None),
    ],
)
def test_date_forms(value: str, expected: str | None) -> None:
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    ("head", "published"),
    [
        (ld({"@type": "NewsArticle", "datePublished": "2024-05-01T07:15:00"})
         + og("article:published_time", "2024-05-01T07:15:00+02:00"),
         "2024-05-01T07:15:00+02:00"),  # a naive time takes the zone of the same moment
        (ld({"@type": "NewsArticle", "datePublished": "2024-05-01T07:15:00+02:00"})
         + og("article:published_time", "2024-05-01T05:15:00Z"),
         "2024-05-01T07:15:00+02:00"),  # JSON-LD first, its zone kept
    ],
)  # fmt: skip
def test_published_keeps_the_zone(head: str, published: str) -> None:
    head = head.replace('property="og:article', 'property="article')
    assert extract(page(head)).published == published


def test_modified_from_time_element_when_metadata_has_none() -> None:
    body = "<time itemprop='dateModified' datetime='2024-05-02T10:00+0300'>2 May</time>"
    assert extract(page(body=body)).modified == "2024-05-02T10:00:00+03:00"


@pytest.mark.parametrize(
    "data",
    [{"@type": 1, "headline": "H"},
     {"@type": "NewsArticle", "author": {"@id": ["#a"]}},
     {"@type": ["NewsArticle"], "author": [{"@type": 7, "name": "Jane Doe"}]}],
    ids=["number type", "list id", "number author type"],
)  # fmt: skip
def test_odd_json_ld_is_read_without_crashing(data: object) -> None:
    assert extract(page(ld(data))).text  # found by the fuzzer: "@type": 1 raised TypeError
