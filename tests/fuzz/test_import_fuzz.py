"""Fuzz `amur import` (crawler.importer.import_file): whatever the lines hold, nothing escapes,
and every non-blank line is either imported (its URL leads to a document) or reported by its
number, on SQLite and PostgreSQL (whose text columns refuse more than SQLite's)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from crawler.importer import import_file
from crawler.relevance import DEFAULT_RULES
from storage.archive import document_id_for_url
from storage.database import open_archive
from tests.databases import database_url
from tests.fuzz.strategies import ODD_TEXT, fuzz, mutated

__all__ = ["database_url"]

LIMIT = 400  # bytes: the longest line read, small so that over-long lines come up often
OUTCOMES = ("new", "irrelevant", "duplicates", "unchanged", "updated", "revised")
URLS = st.one_of(
    st.sampled_from([
        "https://example.org/a", "http://example.org/b?x=1#f", "seed:000_x.txt", "seed:",
        "", " ", "relative/path", "http://[::1", "http://", "https://host:99999/x",
        "javascript:alert(1)", "http://exa mple.org/", "http://\u4e2d\u6587.example/\u8def",
        "https://example.org/" + "x" * 2100, "\x00",
    ]),
    st.builds(lambda t: f"https://example.org/{t}", ODD_TEXT),
    ODD_TEXT,
)  # fmt: skip
TEXTS = st.one_of(
    st.sampled_from([
        "China and Russia signed a pipeline deal in Moscow.", "中俄兩國簽署了天然氣管道協議。",
        "", "   ", "\u3000", "a\x00b", "x" * 300,
    ]),
    ODD_TEXT,
)  # fmt: skip
DATES = st.one_of(
    st.sampled_from([
        "2025-12-01", "2025-12-01T10:05:00+08:00", "2025-12-01T10:05Z", "2025-02-30",
        "2025-12-01T24:00", "20251201", "0000-01-01", "9999-12-31T23:59:59.999999999-23:59",
        "2025-12-01T10:05:00+99:99", "yesterday",
    ]),
    ODD_TEXT,
)  # fmt: skip
LANGUAGES = st.one_of(
    st.sampled_from(["en", "ZH", "zh-Hant", "pt_BR", "xx", "eng", "e", "zh-", "", "en-" + "a" * 9]),
    ODD_TEXT,
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=6,
)
FIELDS = {
    "url": URLS,
    "title": st.one_of(st.none(), ODD_TEXT),
    "text": TEXTS,
    "published": st.one_of(st.none(), DATES),
    "language": st.one_of(st.none(), LANGUAGES),
    "author": st.one_of(st.none(), ODD_TEXT),
    "post_id": st.one_of(st.none(), st.sampled_from(["7289781", "", "x" * 101]), ODD_TEXT),
}


@st.composite
def records(draw: st.DrawFn) -> bytes:
    """An export-like record: some fields, each usually well typed, sometimes any JSON value."""
    record = {}
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True)):
        record[name] = draw(FIELDS[name] if draw(st.integers(0, 5)) else JSON_VALUES)
    record |= draw(st.dictionaries(ODD_TEXT, JSON_VALUES, max_size=2))
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def good_records(draw: st.DrawFn) -> bytes:
    """A record the importer must take: odd text, but every field as the export writes it."""
    record = {
        "url": f"https://example.org/{draw(st.uuids())}",
        "title": draw(st.one_of(st.none(), ODD_TEXT)),
        "text": draw(ODD_TEXT.filter(lambda t: t.strip() and "\x00" not in t)),
        "published": draw(st.sampled_from([None, "2025-12-01", "2025-12-01T10:05:00+08:00"])),
        "language": draw(st.sampled_from([None, "en", "zh"])),
    }
    return json.dumps(record, ensure_ascii=draw(st.booleans())).encode()


LINES = st.one_of(
    good_records(),
    records(),
    records().flatmap(lambda line: mutated(line, max_edits=2)),
    st.builds(lambda v: json.dumps(v).encode(), JSON_VALUES),  # a list, a number, a string
    st.binary(max_size=80),
    st.sampled_from([b"", b"  \t", b"\r", b"\xef\xbb\xbf", b"[" * 5000, b"1" * 350, b"\xff"]),
    st.builds(lambda n: b"{" + b"x" * n + b"}", st.integers(LIMIT - 2, LIMIT + 600)),
).map(lambda line: line.replace(b"\n", b" "))


@pytest.fixture
def archive(database_url: str) -> Iterator[Engine]:
    engine = open_archive(database_url)
    yield engine
    engine.dispose()


def _blank(line: bytes) -> bool:
    """What the importer passes over without a word: a line of white space, within the limit."""
    if len(line) > LIMIT:
        return False
    try:
        return not line.decode("utf-8").removeprefix("\ufeff").strip()
    except UnicodeDecodeError:
        return False


# One archive per database for all examples: the fixture is function-scoped on purpose.
@settings(fuzz(120), suppress_health_check=[*fuzz(1).suppress_health_check,
                                            HealthCheck.function_scoped_fixture])  # fmt: skip
@given(lines=st.lists(LINES, min_size=1, max_size=6), final_newline=st.booleans())
def test_every_line_is_imported_or_reported(
    archive: Engine, tmp_path: Path, lines: list[bytes], final_newline: bool
) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    summary = import_file(archive, DEFAULT_RULES, path, "import", max_line_bytes=LIMIT)

    physical = path.read_bytes().split(b"\n")
    if physical[-1] == b"":
        physical.pop()  # the final newline ends the last line; it does not start another
    counted = {n for n, line in enumerate(physical, start=1) if not _blank(line)}
    reported = [int(re.match(rf"{re.escape(str(path))}:(\d+): ", p)[1]) for p in summary.problems]  # type: ignore[index]
    assert len(reported) == len(set(reported)) == summary.counts["errors"]
    assert set(reported) <= counted
    assert summary.counts["read"] == len(counted)
    assert sum(summary.counts[o] for o in OUTCOMES) == len(counted) - len(reported)
    event(f"imported: {bool(counted - set(reported))}, reported: {bool(reported)}")
    for number in counted - set(reported):
        url = json.loads(physical[number - 1].decode("utf-8").removeprefix("\ufeff"))["url"]
        assert document_id_for_url(archive, url) is not None, url
