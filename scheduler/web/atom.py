"""Atom (RFC 4287) feeds of archive documents, so a feed reader can follow the queue or the kept.

Built with lxml, which the extractor already needs, rather than feedgen: feedgen would add a
dependency and still leave the parts that take thought here to us (stable entry ids, dates that
may lack a time or a zone, characters XML 1.0 forbids in scraped text).

Entry ids are name-based UUIDs (`urn:uuid:`, version 5) of the archive's name and the document's
id: the id is the one thing about a document that never changes, while its URL may be revised to
a canonical one, may be a `seed:` name, and the review page's URL changes with the host and port
`amur serve` listens on. Text goes out as `type="text"` (escaped, never markup), in full.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# amur's own UUID namespace for version 5 ids; fixed for ever, or every entry id would change.
NAMESPACE = uuid.UUID("b3252335-44b0-4917-9170-385feb1a072f")
# BCP 47 itself, as a URN (RFC 2648): the scheme of the language categories.
LANGUAGE_SCHEME = "urn:ietf:bcp:47"
TITLE_CHARS = 80

# Everything outside XML 1.0's Char production: C0 controls but tab, CR and LF; lone surrogates;
# U+FFFE and U+FFFF. lxml refuses such text, and a feed holding it would not parse.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPACE = re.compile(r"\s+")


def archive_iri(archive: str, path: str) -> str:
    """A stable `urn:uuid:` naming `path` (e.g. `documents/12`, `feed/kept`) in one archive.

    `archive` names the archive (the same across restarts and hosts), so two archives' feeds
    never share ids while one archive's ids stay the same.
    """
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{archive}/{path}')}"


def atom_feed(
    records: Iterable[Mapping[str, Any]],
    *,
    archive: str,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    document_url: Callable[[int], str],
    sources_url: str | None = None,
) -> bytes:
    """An Atom feed (UTF-8 XML) of export records, in the order given.

    `feed_id` is the feed's own stable IRI (see `archive_iri`), `self_url` the feed's URL,
    `page_url` the HTML page showing the same documents and `document_url(id)` a document's
    review page. `sources_url`, when given, is the scheme of the source categories.
    """
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _add(feed, "id", feed_id)
    _add(feed, "title", title, type="text")
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(feed, "generator", "amur")
    updated = _add(feed, "updated")  # filled in below: the newest entry's time
    newest: datetime | None = None
    for record in records:
        entry, when = _entry(record, archive, document_url, sources_url)
        feed.append(entry)
        newest = when if newest is None or when > newest else newest
    updated.text = _rfc3339(newest or datetime.now(UTC))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)  # type: ignore[no-any-return]


def _entry(
    record: Mapping[str, Any],
    archive: str,
    document_url: Callable[[int], str],
    sources_url: str | None,
) -> tuple[etree._Element, datetime]:
    """One atom:entry and its updated time."""
    entry = etree.Element(f"{{{ATOM}}}entry")
    language = record.get("language")
    if language and _LANGUAGE_TAG.fullmatch(language):
        entry.set(XML_LANG, language)
    _add(entry, "id", archive_iri(archive, f"documents/{record['id']}"))
    _add(entry, "title", _title(record), type="text")

    review_page = document_url(record["id"])
    url = record.get("url") or ""
    # The original page when it is on the web; a seed (`seed:<file>`) has only the review page.
    original = url if url.startswith(("http://", "https://")) else review_page
    _add(entry, "link", rel="alternate", type="text/html", href=original)
    _add(entry, "link", rel="related", type="text/html", href=review_page, title="amur review")

    published = _when(record.get("published"))
    # Atom requires atom:updated: the last fetch, else the publication, else now.
    updated = _when(record.get("fetched")) or published or datetime.now(UTC)
    _add(entry, "updated", _rfc3339(updated))
    if published is not None:
        _add(entry, "published", _rfc3339(published))

    author = _add(entry, "author")
    _add(author, "name", _clean(record.get("author")).strip() or record.get("source") or "amur")
    source = record.get("source")
    if source:
        category = _add(entry, "category", term=source, label=source)
        if sources_url:
            category.set("scheme", sources_url)
    if language:
        _add(entry, "category", term=language, scheme=LANGUAGE_SCHEME)
    if record.get("text"):
        _add(entry, "content", record["text"], type="text")
    return entry, updated


def _add(parent: etree._Element, tag: str, text: Any = None, **attributes: str) -> etree._Element:
    """Append an Atom element with text and attributes made safe for XML 1.0."""
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}")
    for name, value in attributes.items():
        element.set(name, _clean(value))
    if text is not None:
        element.text = _clean(text)
    return element


def _clean(value: Any) -> str:
    """The text without characters XML 1.0 forbids; those that are white space become a space.

    A space keeps words apart where a page put a vertical tab or form feed between them.
    """
    if value is None:
        return ""
    return _NOT_XML.sub(lambda m: " " if m.group().isspace() else "", str(value))


def _title(record: Mapping[str, Any]) -> str:
    """The record's title on one line; else the text's first words; else its URL."""
    title = _SPACE.sub(" ", _clean(record.get("title"))).strip()
    if title:
        return title
    text = _SPACE.sub(" ", _clean(record.get("text"))).strip()
    if not text:
        return str(record.get("url") or f"document {record.get('id')}")
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS]
    # Cut at a word boundary where there are spaces (English); Chinese has none to wait for.
    if " " in cut[TITLE_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def _when(value: Any) -> datetime | None:
    """An aware date-time from an export field, or None when it is missing or unreadable.

    A bare date (`2024-05-01`, as many pages give) becomes midnight UTC of that day: Atom wants
    a date-time with a zone, the day is what the page stated, and midnight UTC keeps that day
    for every reader east of Greenwich. A date-time without an offset is treated the same way:
    its wall-clock time is in some zone the page did not name, and guessing one could move it
    by up to a day, so only the day is kept.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            if _DATE.fullmatch(text):
                return _midnight(date.fromisoformat(text))
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return _midnight(parsed.date())
    return parsed


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _rfc3339(when: datetime) -> str:
    """RFC 3339 to the second, keeping the offset the time was given in (`Z` for UTC)."""
    offset = when.utcoffset() or timedelta(0)
    if offset.seconds % 60 or offset.microseconds:
        when, offset = when.astimezone(UTC), timedelta(0)  # RFC 3339 offsets are whole minutes
    text = when.replace(microsecond=0).isoformat()
    return text[: -len("+00:00")] + "Z" if offset == timedelta(0) else text
