"""Writing export records as JSON Lines, CSV or Markdown, the crawl summary table, and stored
times as a person reads them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any, TextIO

EXPORT_FIELDS = (
    "id", "url", "source", "seed", "post_id", "title", "author", "language", "published",
    "fetched", "text", "new", "relevant", "review", "revisions", "matches",
)  # fmt: skip
# The fields shown as a document's metadata, before its matches and text.
METADATA_FIELDS = tuple(f for f in EXPORT_FIELDS if f not in ("text", "matches"))
# The counters (`storage.runs.COUNTERS`) a crawl summary shows, with their column headings.
SUMMARY_COUNTERS = {
    "fetched": "fetched",
    "new": "new",
    "revised": "revised",
    "duplicates": "duplicates",
    "irrelevant": "not relevant",
    "errors": "errors",
}


def shown_time(value: str | None, zone: tzinfo | None = None, time: bool = True) -> str:
    """A stored ISO 8601 date or date-time (`published`, `fetched`) for a person to read.

    A time with an offset is shown in `zone` (named), or without one in this machine's local
    zone (the terminal's). A date alone, a time without an offset, or a value that is not
    ISO 8601 after all is shown as given: there is nothing to convert.
    """
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) <= len("2025-12-01"):
        return value
    shape = "%Y-%m-%d %H:%M" if time else "%Y-%m-%d"
    if when.tzinfo is None:
        return when.strftime(shape)
    if zone is None:
        return when.astimezone().strftime(shape)
    return when.astimezone(zone).strftime(f"{shape} %Z")


def json_line(record: dict[str, Any]) -> str:
    """One record as a line of JSON (no newline), as `--format jsonl` and `--json` print it."""
    return json.dumps(record, ensure_ascii=False)


def write_jsonl(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json_line(record) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One row per document; `matches` is a JSON list in its cell, booleans are true/false."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        row = dict(record)
        row["matches"] = json.dumps(record["matches"], ensure_ascii=False)
        for key in ("new", "relevant"):
            row[key] = "true" if record[key] else "false"
        writer.writerow(row)
        count += 1
    return count


def write_markdown(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """A readable dossier: one section per document, metadata as a list, then the text."""
    count = 0
    for record in records:
        out.write(f"## {record['title'] or record['url']}\n\n")
        for key in METADATA_FIELDS:
            if key != "title" and record[key] is not None:  # the title is the heading
                out.write(
                    f"- **{key}**: {json.dumps(record[key], ensure_ascii=False).strip(chr(34))}\n"
                )
        for match in record["matches"]:
            relation, other, score = match["relation"], match["id"], match["score"]
            out.write(f"- **match**: {relation} #{other} ({score:.2f}) {match['url']}\n")
        out.write("\n" + record["text"].strip() + "\n\n---\n\n")
        count += 1
    return count


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "md": write_markdown}


def table(headers: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    """A plain aligned text table (wide characters counted as two columns)."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    cells = [tuple(headers)] + [tuple("" if c is None else str(c) for c in row) for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        lines.append(
            "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()
        )
    return "\n".join(lines)
