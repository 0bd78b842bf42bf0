"""Full-text search over the archive, English and Chinese, on SQLite and PostgreSQL.

A document's title and text are folded by `storage.shingles.normalize` (width, case,
Traditional to Simplified, punctuation to spaces) into `search_text` in the transaction that
stores or revises it, and a query is folded the same way: either script finds both. A query is
words separated by spaces; a document matches when every word occurs in its title or text, as a
substring (`russia` finds Russian, 中俄 finds 中俄关系), so Chinese needs no word segmentation.
Operators and quotes are not syntax: punctuation folds to spaces like the text's.

How a word is found (indexes from migration 0007):
- three characters or more: a trigram index (SQLite FTS5's `trigram` tokenizer; pg_trgm GIN);
- two CJK characters, the commonest Chinese query (中俄, 普京, 北京), which trigrams cannot
  find: the index of the text's CJK character pairs (`*_grams`; FTS5 `unicode61`, a GIN array);
- anything shorter (one character, `eu`): a scan, over the other words' hits when there are any.

Ranking: on SQLite, FTS5's bm25 with the title weighed ten times the text; PostgreSQL has no
trigram bm25, so there each word scores the same shape without its idf: a saturating count of
occurrences, the text's count damped by its length. Snippets come from the original text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Engine,
    Float,
    Integer,
    Text,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.errors import BadQuery
from storage.models import Document, SearchText, Source
from storage.queries import Filters, _select
from storage.shingles import CJK_RUNS, normalize, normalize_with_offsets

logger = logging.getLogger(__name__)

TITLE_WEIGHT = 10.0
SNIPPET = 200  # characters of text around the first hit
CONTEXT = 60  # of them before it
TYPICAL_LENGTH = 3000.0  # folded characters: the text length PostgreSQL's ranking damps from
_PAIR = re.compile(f"^{CJK_RUNS.pattern[:-1]}{{2}}$")
_BREAK = re.compile(r"[\s，。、；：！？,.;:!?]")
# The GIN index's expression on PostgreSQL, written once: a query must use it verbatim.
PAIRS_ARRAY = "string_to_array(search_text.title_grams || ' ' || search_text.body_grams, ' ')"


@dataclass(frozen=True)
class Hit:
    """One search result: the document's metadata, score, and a snippet of its text.

    `highlights` are (start, end) character offsets of the query's words in `snippet`, for a
    page to mark after escaping the text; the snippet itself is plain text, never HTML.
    """

    id: int
    url: str
    title: str | None
    source: str
    language: str | None
    published: str | None
    review: str
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Query:
    """A query folded into its words, each with how it is found."""

    words: tuple[str, ...]

    @property
    def trigram(self) -> list[str]:
        return [word for word in self.words if len(word) >= 3]

    @property
    def pairs(self) -> list[str]:
        return [word for word in self.words if _PAIR.match(word)]

    @property
    def scanned(self) -> list[str]:
        return [word for word in self.words if len(word) < 3 and not _PAIR.match(word)]


def parse(query: str) -> Query:
    """`query` folded into its words, duplicates dropped; BadQuery when it has none."""
    words = tuple(dict.fromkeys(filter(None, (normalize(word) for word in query.split()))))
    if not words:
        raise BadQuery(f"nothing to search for in {query!r}: give a word (letters or digits)")
    return Query(words)


def pairs(folded: str) -> str:
    """The CJK character pairs of folded text, in order and with repeats (bm25 counts them)."""
    return " ".join(run[i : i + 2] for run in CJK_RUNS.findall(folded) for i in range(len(run) - 1))


def index_row(document_id: int, title: str | None, folded_text: str) -> dict[str, Any]:
    """The `search_text` row of a document, from its title and its text already normalised."""
    folded_title = normalize(title or "")
    return {
        "document_id": document_id,
        "title": folded_title,
        "body": folded_text,
        "title_grams": pairs(folded_title),
        "body_grams": pairs(folded_text),
    }


def index_document(session: Session, document_id: int, title: str | None, folded_text: str) -> None:
    """Index (or index again) one document in the transaction that stores it."""
    row = index_row(document_id, title, folded_text)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SearchText.__table__).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=["document_id"], set_={k: v for k, v in row.items() if k != "document_id"}
    )
    session.execute(statement)


def _count(column: Any, word: str) -> ColumnElement[Any]:
    """How many times `word` occurs in `column`, in SQL that both backends run."""
    removed = func.length(column) - func.length(func.replace(column, word, ""))
    return cast(removed, Float) / len(word)


def _occurrence_score(word: str) -> ColumnElement[Any]:
    """bm25's shape without idf: saturating in the count, the text's damped by its length."""
    in_title = _count(SearchText.title, word)
    in_body = _count(SearchText.body, word)
    damping = 1.2 * (0.25 + 0.75 * func.length(SearchText.body) / TYPICAL_LENGTH)
    return TITLE_WEIGHT * in_title / (in_title + 1.2) + in_body / (in_body + damping)


def _contains(column: Any, word: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(f"%{escaped}%", escape="\\")
    return func.instr(column, word) > 0


def _phrases(words: Sequence[str]) -> str:
    """An FTS5 query that needs every word, each quoted so nothing in it is syntax."""
    return " AND ".join('"{}"'.format(word.replace('"', '""')) for word in words)


def _fts(table: str, words: list[str], name: str) -> Any:
    """Matching rowids of one FTS5 table, with their bm25 (negated: higher is better)."""
    statement = sql(
        f"SELECT rowid AS id, -bm25({table}, {TITLE_WEIGHT}, 1.0) AS score"
        f" FROM {table} WHERE {table} MATCH :{name}"
    ).bindparams(**{name: _phrases(words)})
    return statement.columns(id=Integer, score=Float).subquery(name)


def _matching(dialect: str, query: Query, filters: Filters | None) -> Any:
    """SELECT document_id, score of every match, unordered."""
    score: ColumnElement[Any] = literal(0.0, Float)
    statement = select(SearchText.document_id)
    scanned = query.scanned
    if dialect == "postgresql":
        scanned = list(query.words)  # every word is a LIKE (or pairs) condition there
        if query.pairs:
            wanted = cast(pg_array([literal(p, Text) for p in query.pairs]), ARRAY(Text))
            statement = statement.where(literal_column(PAIRS_ARRAY).op("@>")(wanted))
            scanned = [word for word in scanned if word not in query.pairs]
        score = sum((_occurrence_score(word) for word in query.words), score)
    else:
        for table, words, name in (
            ("search_trigrams", query.trigram, "trigram"),
            ("search_pairs", query.pairs, "pairs"),
        ):
            if words:
                found = _fts(table, words, name)
                statement = statement.join(found, found.c.id == SearchText.document_id)
                score = score + found.c.score
        score = sum((_occurrence_score(word) for word in scanned), score)
    for word in scanned:
        statement = statement.where(
            or_(
                _contains(SearchText.title, word, dialect),
                _contains(SearchText.body, word, dialect),
            )
        )
    if filters is not None:
        allowed = _select(filters).with_only_columns(Document.id)
        statement = statement.where(SearchText.document_id.in_(allowed))
    return statement.add_columns(score.label("score"))


def search(
    engine: Engine,
    query: str,
    limit: int = 20,
    offset: int = 0,
    filters: Filters | None = None,
) -> list[Hit]:
    """The documents matching every word of `query`, best first, each with a snippet.

    Raises BadQuery for a query with no word in it. Ties go to the newer document.
    """
    parsed = parse(query)
    matching = _matching(engine.dialect.name, parsed, filters).subquery("matching")
    ranked = (
        select(matching.c.document_id, matching.c.score)
        .order_by(matching.c.score.desc(), matching.c.document_id.desc())
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        scores = {row[0]: row[1] for row in connection.execute(ranked)}
        if not scores:
            return []
        rows = connection.execute(
            select(
                Document.id,
                Document.url,
                Document.title,
                Source.name,
                Document.language,
                Document.published,
                Document.review,
                Document.text,
            )
            .join(Source, Source.id == Document.source_id)
            .where(Document.id.in_(list(scores)))
        )
        documents = {row.id: row for row in rows}
    hits = []
    for document_id, score in scores.items():
        row = documents[document_id]
        snippet, highlights = make_snippet(row.text, parsed.words)
        hits.append(
            Hit(
                id=row.id,
                url=row.url,
                title=row.title,
                source=row.name,
                language=row.language,
                published=row.published,
                review=row.review,
                score=round(float(score), 4),
                snippet=snippet,
                highlights=highlights,
            )
        )
    return hits


def count(engine: Engine, query: str, filters: Filters | None = None) -> int:
    """How many documents match `query` (for paging); BadQuery as for `search`."""
    matching = _matching(engine.dialect.name, parse(query), filters).subquery("matching")
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(matching)) or 0


def _spans(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Where the folded `words` occur in `text`, as (start, end) offsets into the original."""
    folded, origins = normalize_with_offsets(text)
    spans = []
    for word in words:
        start = folded.find(word)
        while start >= 0:
            end = start + len(word)
            spans.append((origins[start], origins[end - 1] + 1))
            start = folded.find(word, end)
    return sorted(spans)


def _window(text: str, first: int, size: int) -> tuple[int, int]:
    """About `size` characters of `text` around offset `first`, cut at spaces or punctuation."""
    begin = max(0, first - CONTEXT)
    if begin:
        gap = _BREAK.search(text, begin, first)
        if gap is not None and gap.start() - begin < CONTEXT // 2:
            begin = gap.end()
    end = min(len(text), begin + size)
    if end < len(text):
        cut = max((m.start() for m in _BREAK.finditer(text, end - 30, end)), default=None)
        if cut is not None and cut > first:
            end = cut
    return begin, end


def make_snippet(
    text: str, words: Sequence[str], size: int = SNIPPET
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About `size` characters of `text` around the first of `words` it holds (folded words,
    as `parse` gives them), white space collapsed, with the words' (start, end) offsets in it.

    A text that holds none of them (a title hit) gives its beginning, with no highlights.
    """
    spans = _spans(text, words)
    begin, end = _window(text, spans[0][0] if spans else 0, size)
    chars: list[str] = []
    at: list[int] = []  # position in the snippet of each character of text[begin:end]
    for char in text[begin:end]:
        at.append(len(chars))
        if not char.isspace():
            chars.append(char)
        elif chars and chars[-1] != " ":
            chars.append(" ")
    while chars and chars[-1] == " ":
        chars.pop()
    prefix = "…" if begin else ""
    snippet = prefix + "".join(chars) + ("…" if end < len(text) else "")
    highlights: list[tuple[int, int]] = []
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        start, stop = len(prefix) + at[start - begin], len(prefix) + at[stop - 1 - begin] + 1
        if highlights and start <= highlights[-1][1]:  # overlapping words: one mark
            previous_start, previous_stop = highlights.pop()
            start, stop = previous_start, max(stop, previous_stop)
        highlights.append((start, stop))
    return snippet, tuple(highlights)
