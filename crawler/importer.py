"""`amur import`: bring an existing collection in from JSON Lines, classified like crawled pages.

Each line is one document with the export's fields (at least `url`, `title`, `text`; `published`,
`language`, `author`, `post_id` are used when present; other export fields such as `id`,
`matches`, `new` are ignored, because the archive computes them). Relevance is judged by the
configured rules and dedup runs as for a crawled page. A bad line is reported with its number
and skipped; the others go in, one transaction each, so an interrupted import can be re-run.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine

from crawler.relevance import RelevanceRules, judge
from storage.archive import DocumentIn, Outcome, ensure_source, now, store_document

logger = logging.getLogger(__name__)


class ImportRecord(BaseModel):
    """The fields of an export record that an import uses."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: str = Field(min_length=1)
    title: str | None
    text: str = Field(min_length=1)
    published: str | None = None
    language: str | None = None
    author: str | None = None
    post_id: str | None = None


@dataclass
class ImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def records(path: Path) -> Iterator[tuple[int, ImportRecord | str]]:
    """(line number, record) for each non-blank line, or (line number, what is wrong)."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, ImportRecord.model_validate(json.loads(line))
            except json.JSONDecodeError as err:
                yield number, f"not JSON: {err.msg}"
            except ValidationError as err:
                first = err.errors()[0]
                yield number, f"{'.'.join(map(str, first['loc'])) or 'record'}: {first['msg']}"


def import_file(
    engine: Engine,
    rules: RelevanceRules,
    path: Path,
    source: str,
    progress: Callable[[int, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import every line of `path` under `source`; returns counts and the bad lines."""
    ensure_source(engine, source, "import", None)
    summary = ImportSummary()
    for number, record in records(path):
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
                    language=record.language,
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
