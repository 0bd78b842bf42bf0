"""`amur import`: bring an existing collection in from JSON Lines, classified like crawled pages.

Each line is one document with the export's fields (at least `url`, `title`, `text`; `published`,
`language`, `author`, `post_id` are used when present; other export fields such as `id`,
`matches`, `new` are ignored, because the archive computes them). Relevance is judged by the
configured rules and dedup runs as for a crawled page. A bad line is reported with its number
and skipped; the others go in, one transaction each, so an interrupted import can be re-run.

The file is read as bytes, one line at a time and at most `network.max_body_mb` of a line: a
longer line is passed over in chunks, so one runaway line costs no more memory than a page the
crawl would accept. Lines are decoded one by one, so a line that is not UTF-8 is one bad line,
not a bad file. Imported documents are filed under a source of kind `import` that belongs to
imports alone: never `seed`, never a crawl source's name.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, BinaryIO
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy import Engine

from crawler.config import SourceConfig
from crawler.extraction import identify_language
from crawler.relevance import RelevanceRules, judge
from storage.archive import (
    SEED_SOURCE,
    DocumentIn,
    Outcome,
    ensure_source,
    now,
    store_document,
)
from storage.urls import normalize

logger = logging.getLogger(__name__)

IMPORT_KIND = "import"
MIB = 1024 * 1024
_SKIP_CHUNK = MIB  # an over-long line is passed over this many bytes at a time
_SOURCE_NAME = TypeAdapter(Annotated[str, SourceConfig.model_fields["name"]])
# ISO 8601 in its extended format, as the export writes it: a date, or a date-time with an
# optional fraction and offset. Kept as given; only impossible values (month 13) are refused.
_PUBLISHED = re.compile(
    r"\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?(?:Z|[+-]\d\d(?::?\d\d)?)?)?"
)
# A language tag (`en`, `zh-Hant`, `pt_BR`): its primary subtag must be an ISO 639-1 code.
_LANGUAGE_TAG = re.compile(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*")
ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr "
    "ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw "
    "ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv "
    "ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr "
    "ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi "
    "yo za zh zu".split()
)
URL_MAX = 2048  # the archive's URL columns


class ImportRecord(BaseModel):
    """The fields of an export record that an import uses, checked as the archive stores them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: str
    title: str | None
    text: str
    published: str | None = None
    language: str | None = None
    author: str | None = None
    post_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        """Text every backend stores: PostgreSQL refuses NUL, and no database takes a lone
        surrogate (JSON's `\\ud800` escape decodes to one)."""
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("contains a NUL character")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as err:
                raise ValueError("contains an unpaired surrogate") from err
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            key = normalize(value)
            parts = urlsplit(key)
        except ValueError as err:
            raise ValueError(f"not a URL: {err}") from err
        web = parts.scheme in ("http", "https") and bool(parts.hostname)
        if not (web or (parts.scheme == "seed" and parts.path)):
            raise ValueError("must be an http:// or https:// URL (or an exported seed: URL)")
        if len(key) > URL_MAX:
            raise ValueError(f"longer than {URL_MAX} characters")
        return value

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value

    @field_validator("published")
    @classmethod
    def _published(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _PUBLISHED.fullmatch(value):
            raise ValueError(
                f"not an ISO 8601 date or date-time such as 2025-12-01 or "
                f"2025-12-01T10:05:00+08:00 (got {value[:40]!r})"
            )
        try:
            datetime.fromisoformat(value)
        except ValueError as err:
            raise ValueError(f"not a real date or time ({err}): {value!r}") from err
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        tag = _LANGUAGE_TAG.fullmatch(value)
        if tag is None or tag.group(1).lower() not in ISO_639_1:
            raise ValueError(
                f"not an ISO 639-1 language code such as en or zh (got {value[:40]!r})"
            )
        return tag.group(1).lower()


@dataclass
class ImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def source_refusal(name: str, crawl_sources: Collection[str]) -> str | None:
    """Why documents may not be imported under `name`, or None: a source name as the config
    spells one, neither `seed` nor the name of a configured crawl source.

    A source already in the archive with another kind is refused by `ensure_source`.
    """
    try:
        _SOURCE_NAME.validate_python(name)
    except ValidationError as err:
        return f"--source {name!r} is not a source name: {err.errors()[0]['msg']}"
    if name == SEED_SOURCE:
        return f"--source {name!r}: that is the seed corpus's source; choose another name"
    if name in crawl_sources:
        return f"--source {name!r} is a crawl source in the config; choose another name"
    return None


def _lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) for each line of `stream`; None for a line longer than `limit` bytes,
    which is passed over in chunks, never held whole."""
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) <= limit or line.endswith(b"\n"):
            yield number, line
            continue
        while (rest := stream.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield number, None


def _problem(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(map(str, first["loc"])) or "record"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def parse_line(line: bytes) -> ImportRecord | str | None:
    """The record on one line, what is wrong with it, or None for a blank line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"not UTF-8 (byte 0x{line[err.start]:02x} at column {err.start + 1})"
    text = text.removeprefix("\ufeff")  # a byte order mark, as some editors write one
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except RecursionError:
        return "not JSON: nested too deeply"
    except ValueError as err:  # JSONDecodeError, or an integer too long to convert
        return f"not JSON: {getattr(err, 'msg', err)}"
    try:
        return ImportRecord.model_validate(data)
    except ValidationError as err:
        return _problem(err)


def records(path: Path, limit: int) -> Iterator[tuple[int, ImportRecord | str]]:
    """(line number, record) for each non-blank line, or (line number, what is wrong).

    `limit` is the longest line read, in bytes.
    """
    with path.open("rb") as stream:
        for number, line in _lines(stream, limit):
            if line is None:
                megabytes = f"{limit / MIB:g}"
                yield number, f"line longer than network.max_body_mb ({megabytes} MB); skipped"
                continue
            record = parse_line(line)
            if record is not None:
                yield number, record


def count_lines(path: Path) -> int:
    """How many lines `path` has, read in chunks (a line may be any length)."""
    count, last = 0, b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(MIB):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def import_file(
    engine: Engine,
    rules: RelevanceRules,
    path: Path,
    source: str,
    *,
    max_line_bytes: int,
    progress: Callable[[int, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import every line of `path` under `source`; returns counts and the bad lines.

    Raises storage.archive.SourceKindError, before reading a line, when `source` exists with a
    kind other than `import`. A missing language is identified from the text, as the crawl does.
    """
    ensure_source(engine, source, IMPORT_KIND, None)
    summary = ImportSummary()
    for number, record in records(path, max_line_bytes):
        summary.counts["read"] += 1
        if isinstance(record, str):
            summary.counts["errors"] += 1
            summary.problems.append(f"{path}:{number}: {record}")
        else:
            verdict = judge(rules, record.title, record.text)
            stored = store_document(
                engine,
                DocumentIn(
                    url=record.url,
                    source=source,
                    text=record.text,
                    relevant=verdict.relevant,
                    fetched=now(),
                    title=record.title,
                    author=record.author,
                    language=record.language or identify_language(record.text),
                    published=record.published,
                    post_id=record.post_id,
                ),
            )
            if stored.outcome is Outcome.NEW:
                summary.counts["new" if verdict.relevant else "irrelevant"] += 1
            elif stored.outcome is Outcome.DUPLICATE:
                summary.counts["duplicates"] += 1
            else:
                summary.counts[str(stored.outcome)] += 1
        if progress is not None:
            progress(number, summary)
    return summary
