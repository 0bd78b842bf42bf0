"""The Atom feed: valid against RFC 4287's schema, read back by feedparser, safe with scraped text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from scheduler.web.atom import archive_iri, atom_feed

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "atom" / "atom.rng"
SCHEMA = etree.RelaxNG(etree.parse(str(SCHEMA_FILE)))
NS = {"atom": "http://www.w3.org/2005/Atom", "s": "http://www.ascc.net/xml/schematron"}
# RFC 3339's date-time: unlike xsd:dateTime, the offset is required.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
BASE = "http://127.0.0.1:8000"


def schematron_rules() -> list[tuple[str, str, str]]:
    """(context, XPath test, message) of the RFC schema's Schematron annotations."""
    rules = etree.parse(str(SCHEMA_FILE)).iterfind(".//s:rule", NS)
    return [
        (rule.get("context"), a.get("test"), " ".join(a.text.split()))
        for rule in rules
        for a in rule.iterfind("s:assert", NS)
    ]


def atom_errors(xml: bytes) -> list[str]:
    """Why `xml` is not a valid Atom document: schema, Schematron rules, RFC 3339 dates."""
    tree = etree.fromstring(xml).getroottree()
    if not SCHEMA.validate(tree):
        return [str(e) for e in SCHEMA.error_log]
    errors = []
    for context, test, message in schematron_rules():
        for node in tree.xpath("//" + context, namespaces=NS):
            if not node.xpath(test, namespaces=NS):
                errors.append(f"{tree.getpath(node)}: {message}")
    for node in tree.xpath("//atom:updated | //atom:published", namespaces=NS):
        if not RFC3339.fullmatch(node.text):
            errors.append(f"{tree.getpath(node)}: not an RFC 3339 date-time: {node.text}")
    return errors


def record(**fields: Any) -> dict[str, Any]:
    """An export record with plain values, overridden by `fields`."""
    base = {
        "id": 7,
        "url": "https://example.org/news/1.html",
        "source": "telegraph",
        "seed": None,
        "post_id": None,
        "title": "Russia and China sign a gas deal",
        "author": "Jane Doe",
        "language": "en",
        "published": "2024-05-01T09:30:00+03:00",
        "fetched": "2025-01-02T03:04:05.678901+00:00",
        "text": "Moscow and Beijing agreed on Tuesday.\n\nThe pipeline runs east.",
        "new": True,
        "relevant": True,
        "review": "unreviewed",
        "revisions": 1,
        "matches": [],
    }
    return base | fields


def feed(records: Iterable[Mapping[str, Any]], archive: str = "test-archive") -> bytes:
    return atom_feed(
        records,
        archive=archive,
        feed_id=archive_iri(archive, "feed/queue"),
        title="amur: review queue",
        self_url=f"{BASE}/feed.atom?queue=1",
        page_url=f"{BASE}/",
        document_url=lambda id_: f"{BASE}/documents/{id_}",
        sources_url=f"{BASE}/sources",
    )


CASES = {
    "plain": record(),
    "script in title": record(title="<script>alert('x')</script> & <b>bold</b>"),
    "chinese": record(
        title="中俄贸易额创新高", author="新华社", language="zh", text="中俄两国贸易额再创新高。"
    ),
    "bare date": record(published="2024-05-01"),
    "naive date-time": record(published="2024-09-16T21:33:00"),
    "no title": record(title=None),
    "no title, chinese text": record(title=None, language="zh", text="中" * 200),
    "no title, no text": record(title=None, text=""),
    "control characters": record(
        title="Gas\x0bdeal\x1f\x00 signed", text="one\x0ctwo\x01 \ud800three\ufffe", author="\x08"
    ),
    "seed": record(url="seed:000_952804f8609e6c2d.txt", source="seed", author=None, published=None),
    "no language": record(language=None),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_feed_is_valid_atom(case: dict[str, Any]) -> None:
    assert atom_errors(feed([case, record(id=8)])) == []


def test_empty_feed_is_valid_atom() -> None:
    assert atom_errors(feed([])) == []


BREAKS = {
    "feed without id": ("atom:id", None),
    "entry without updated": ("atom:entry/atom:updated", None),
    "entry without author": ("atom:entry/atom:author", None),
    "entry without link or content": ("atom:entry/atom:link | atom:entry/atom:content", None),
    "date without offset": ("atom:entry/atom:published", "2024-05-01T09:30:00"),
    "date that is only a day": ("atom:updated", "2024-05-01"),
    "language tag with a space": ("atom:entry/@xml:lang", "zh cn"),
}


@pytest.mark.parametrize(("path", "value"), BREAKS.values(), ids=BREAKS.keys())
def test_validation_is_not_vacuous(path: str, value: str | None) -> None:
    """The checks above fail a feed broken in any of these ways: removed, or given `value`."""
    root = etree.fromstring(feed([record()]))
    nodes = root.xpath(path, namespaces=NS)
    assert nodes
    for node in nodes:
        if isinstance(node, etree._ElementUnicodeResult):  # an attribute
            node.getparent().set(node.attrname, value)
        elif value is None:
            node.getparent().remove(node)
        else:
            node.text = value
    assert atom_errors(etree.tostring(root)) != []


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_feedparser_reads_the_feed_back(case: dict[str, Any]) -> None:
    parsed = feedparser.parse(feed([case]))
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = parsed.entries
    assert entry.title
    assert entry.author
    assert {link.rel for link in entry.links} == {"alternate", "related"}
    assert [c.value for c in entry.get("content", [])] == (
        [entry.content[0].value] if case["text"] else []
    )
    assert entry.updated == "2025-01-02T03:04:05Z"
    assert entry.id.startswith("urn:uuid:")


def test_scraped_markup_comes_out_as_text() -> None:
    title = "<script>alert('x')</script> & <b>bold</b>"
    xml = feed([record(title=title, text="<p>Not a paragraph</p>")])
    assert b"<script>" not in xml
    assert b"&lt;script&gt;" in xml
    entry = feedparser.parse(xml).entries[0]
    assert entry.title == title
    assert entry.content[0].value == "<p>Not a paragraph</p>"
    assert entry.content[0].type == "text/plain"


def test_chinese_text_round_trips() -> None:
    case = CASES["chinese"]
    parsed = feedparser.parse(feed([case]))
    entry = parsed.entries[0]
    assert (entry.title, entry.author, entry.content[0].value) == (
        "中俄贸易额创新高",
        "新华社",
        "中俄两国贸易额再创新高。",
    )
    assert entry.content[0].language == "zh"
    assert {tag.term for tag in entry.tags} == {"telegraph", "zh"}


def test_control_characters_are_dropped_and_white_space_ones_become_spaces() -> None:
    entry = feedparser.parse(feed([CASES["control characters"]])).entries[0]
    assert entry.title == "Gas deal signed"
    assert entry.content[0].value == "one two three"
    assert entry.author == "telegraph"  # nothing left of the scraped author: the source stands in


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2024-05-01T09:30:00+03:00", "2024-05-01T09:30:00+03:00"),
        ("2024-05-01T09:30:00.5+00:00", "2024-05-01T09:30:00Z"),
        ("2024-05-01T09:30:00Z", "2024-05-01T09:30:00Z"),
        ("2024-05-01", "2024-05-01T00:00:00Z"),
        ("2024-09-16T21:33:00", "2024-09-16T00:00:00Z"),  # no zone: only the day is known
        ("yesterday", None),
        (None, None),
    ],
)
def test_published_is_an_rfc3339_date_time(published: str | None, expected: str | None) -> None:
    tree = etree.fromstring(feed([record(published=published)]))
    assert tree.findtext("atom:entry/atom:published", namespaces=NS) == expected


def test_titles_fall_back_to_the_first_words_then_the_url() -> None:
    text = "Moscow and Beijing agreed on Tuesday to extend the pipeline that runs east to the coast and beyond it."
    titles = [
        feedparser.parse(feed([case])).entries[0].title
        for case in (
            record(title=None, text=text),
            record(title="  Two\n lines  "),
            record(title=None, text=""),
            record(title=None, text="中" * 200),
        )
    ]
    assert titles == [
        "Moscow and Beijing agreed on Tuesday to extend the pipeline that runs east to…",
        "Two lines",
        "https://example.org/news/1.html",
        "中" * 80 + "…",
    ]


def test_links_go_to_the_original_and_the_review_page() -> None:
    entries = feedparser.parse(feed([record(), CASES["seed"]])).entries
    links = [{link.rel: link.href for link in entry.links} for entry in entries]
    assert links == [
        {"alternate": "https://example.org/news/1.html", "related": f"{BASE}/documents/7"},
        # A seed has no page on the web: its alternate is the review page.
        {"alternate": f"{BASE}/documents/7", "related": f"{BASE}/documents/7"},
    ]


def test_entry_ids_stay_when_the_url_changes_and_differ_between_archives() -> None:
    def entry_id(xml: bytes) -> str:
        return str(feedparser.parse(xml).entries[0].id)

    first = entry_id(feed([record()]))
    assert entry_id(feed([record(url="https://example.org/canonical")])) == first
    assert entry_id(feed([record(id=8)])) != first
    assert entry_id(feed([record()], archive="another")) != first


def test_feed_metadata_and_updated_is_the_newest_entry() -> None:
    parsed = feedparser.parse(
        feed(
            [
                record(id=1, fetched="2025-01-02T03:04:05+00:00"),
                record(id=2, fetched="2025-03-01T10:00:00+00:00"),
                record(id=3, fetched="2025-02-01T00:00:00+00:00"),
            ]
        )
    )
    assert parsed.feed.updated == "2025-03-01T10:00:00Z"
    assert parsed.feed.title == "amur: review queue"
    assert parsed.feed.generator == "amur"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": f"{BASE}/feed.atom?queue=1", "alternate": f"{BASE}/"}
    assert [e.link for e in parsed.entries] == ["https://example.org/news/1.html"] * 3
