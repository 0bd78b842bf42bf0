"""Full-text search over the archive, English and Chinese, on SQLite and PostgreSQL.

A document's title and text are folded by `storage.shingles.normalize` (width, case,
Traditional to Simplified, punctuation to spaces) into `search_text` in the transaction that
stores or revises it, and a query is folded the same way: either script finds both. A query is
words separated by spaces; a document matches when every word occurs in its title or text, as a
substring (`russia` finds Russian, 中俄 finds 中俄关系), so Chinese needs no word segmentation.
Operators and quotes are not syntax: punctuation folds to spaces like the text's.

How a word is found (indexes from migrations 0007 and 0011):
- three characters or more: a trigram index (SQLite FTS5's `trigram` tokenizer, which keeps
  no positions: it gives the documents holding every trigram of a word, each then checked;
  pg_trgm GIN);
- two CJK characters, the commonest Chinese query (中俄, 普京, 北京), which trigrams cannot
  find: the index of the text's CJK character pairs (`*_grams`; FTS5 `unicode61`, a GIN array);
- anything shorter (one character, `eu`): a scan, over the other words' hits when there are any.

Ranking, the same on both backends, in two steps so that a common word (china: three documents
in four) does not make every match's text be read: the matches in a cheap order, a word in the
title first and then newest first, each part read up to a LIMIT (FTS5 hands out its matches
newest first; PostgreSQL walks the primary key or reads the titles' index), are cut at the
first POOL; those are sorted by their score, and a page past them goes on in the cheap order.
The score is bm25's shape without idf: per word a saturating count of its occurrences, the
title's weighed ten times, the text's damped by its length. Snippets come from the original
text, for the returned page only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Float,
    Integer,
    Select,
    Text,
    cast,
    column,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
)
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
PREFIX = 1000  # characters of text folded first to find the first hit in
TYPICAL_LENGTH = 3000.0  # folded characters: the text length the ranking damps from
POOL = 200  # matches, in the cheap order, that are ranked by their exact score
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


def _occurs(word: str, dialect: str, indexed: bool = True) -> ColumnElement[bool]:
    """`word` is in the title or the text; `indexed=False` in a form no index serves
    (PostgreSQL's strpos), for a word checked on rows another condition's index found."""
    if dialect == "postgresql" and not indexed:
        return or_(func.strpos(SearchText.title, word) > 0, func.strpos(SearchText.body, word) > 0)
    title, body = SearchText.title, SearchText.body
    return or_(_contains(title, word, dialect), _contains(body, word, dialect))


def _matches(
    dialect: str, query: Query, first: ColumnElement[bool] | None = None, indexed: bool = True
) -> tuple[Select[Any], Any]:
    """SELECT document_id of every match, and the column its newest-first order is by.

    `first` is a condition checked before the words (a cheap one: the titles'), so a row it
    refuses has no text read. On SQLite the FTS5 tables drive: they hand out candidates newest
    first, so a LIMIT stops them early; the trigram table keeps no positions, so it gives the
    documents holding every trigram of the words, and each word is then checked on the row.
    On PostgreSQL every word is a condition (LIKE or the pairs' @>) and the planner picks an
    index: the trigram and pair indexes for rare words, the primary key walked newest first for
    common ones. With `indexed=False` PostgreSQL's conditions are ones no index serves, so the
    planner can only use `first`'s indexes (the titles') or walk the primary key: reading every
    match's text is never the plan.
    """
    statement = select(SearchText.document_id)
    if first is not None:
        statement = statement.where(first)
    order: Any = SearchText.document_id
    if dialect == "postgresql":
        unpaired = list(query.words)
        if query.pairs and indexed:
            wanted = cast(pg_array([literal(p, Text) for p in query.pairs]), ARRAY(Text))
            statement = statement.where(literal_column(PAIRS_ARRAY).op("@>")(wanted))
            unpaired = [word for word in query.words if word not in query.pairs]
        return statement.where(*(_occurs(word, dialect, indexed) for word in unpaired)), order
    if query.trigram:
        trigrams = table("search_trigrams", column("rowid", Integer))
        held = sorted({word[i : i + 3] for word in query.trigram for i in range(len(word) - 2)})
        statement = statement.join(trigrams, trigrams.c.rowid == SearchText.document_id).where(
            literal_column("search_trigrams").op("MATCH")(literal(_phrases(held), Text))
        )
        order = trigrams.c.rowid
    if query.pairs:  # exact: a pair is a token of its own
        pairs = table("search_pairs", column("rowid", Integer))
        matched = literal_column("search_pairs").op("MATCH")(literal(_phrases(query.pairs), Text))
        if query.trigram:  # the trigrams drive; the pairs' matches are a list (index only),
            # `+ 0` so that SQLite does not walk that list instead, unordered
            statement = statement.where(
                (SearchText.document_id + 0).in_(select(pairs.c.rowid).where(matched))
            )
        else:
            statement = statement.join(pairs, pairs.c.rowid == SearchText.document_id)
            statement, order = statement.where(matched), pairs.c.rowid
    unpaired = [word for word in query.words if word not in query.pairs]
    return statement.where(*(_occurs(word, dialect) for word in unpaired)), order


def _in_title(dialect: str, query: Query) -> ColumnElement[bool]:
    """Some word of the query is in the title (a short column: cheap to read)."""
    return or_(*(_contains(SearchText.title, word, dialect) for word in query.words))


def _filtered(statement: Select[Any], filters: Filters | None) -> Select[Any]:
    if filters is None:
        return statement
    allowed = _select(filters).with_only_columns(Document.id)
    return statement.where(SearchText.document_id.in_(allowed))


def _newest(connection: Connection, query: Query, filters: Filters | None, limit: int) -> list[int]:
    """The first `limit` matches in the cheap order: title hits newest first, then the rest.

    Neither part reads a score, so neither reads every match: each stops at `limit`.
    """
    dialect = connection.dialect.name
    in_title = _in_title(dialect, query)
    ids: list[int] = []
    # Title hits are found by the titles' index; the texts are read only to check the
    # other words of those hits. The rest by the indexes of every word.
    for tier, indexed in ((in_title, False), (not_(in_title), True)):
        wanted = limit - len(ids)
        if wanted <= 0:
            break
        matching, order = _matches(dialect, query, tier, indexed)
        statement = _filtered(matching, filters).order_by(order.desc()).limit(wanted)
        ids += connection.scalars(statement).all()
    return ids


def _scores(connection: Connection, query: Query, ids: Sequence[int]) -> dict[int, float]:
    """The exact score of each of `ids`: its title and whole text read, so only a few."""
    if not ids:
        return {}
    score = sum((_occurrence_score(word) for word in query.words), literal(0.0, Float))
    rows = connection.execute(
        select(SearchText.document_id, score).where(SearchText.document_id.in_(list(ids)))
    )
    return {row[0]: float(row[1]) for row in rows}


def search(
    engine: Engine,
    query: str,
    limit: int = 20,
    offset: int = 0,
    filters: Filters | None = None,
) -> list[Hit]:
    """The documents matching every word of `query`, best first, each with a snippet.

    Ranking in two steps, so that a common word does not make every match's text be read:
    the matches in the cheap order (a word in the title first, then newer first; read from
    the indexes and the titles) are cut at the first POOL, those are sorted by their exact
    score (`_occurrence_score`: occurrences in the title and the whole text, ties to the
    newer), and any later page goes on in the cheap order. Raises BadQuery for a query with
    no word in it.
    """
    parsed = parse(query)
    with engine.connect() as connection:
        ids = _newest(connection, parsed, filters, max(POOL, offset + limit))
        page_ids = ids[offset : offset + limit]
        scores = _scores(connection, parsed, [*ids[:POOL], *page_ids])
        pool = sorted(ids[:POOL], key=lambda i: (-scores[i], -i))
        page_ids = [*pool, *ids[POOL:]][offset : offset + limit]
        if not page_ids:
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
            .where(Document.id.in_(page_ids))
        )
        documents = {row.id: row for row in rows}
    hits = []
    for document_id in page_ids:
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
                score=round(scores[document_id], 4),
                snippet=snippet,
                highlights=highlights,
            )
        )
    return hits


def count(engine: Engine, query: str, filters: Filters | None = None) -> int:
    """How many documents match `query` (for paging); BadQuery as for `search`."""
    matching, _order = _matches(engine.dialect.name, parse(query))
    matching = _filtered(matching, filters).subquery("matching")
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
    # Fold the beginning first (folding is most of a snippet's cost): when a word is there
    # with the whole snippet after it, the spans beyond it cannot change the snippet.
    spans = _spans(text[:PREFIX], words)
    margin = size + max(map(len, words), default=0) + CONTEXT
    if len(text) > PREFIX and (not spans or spans[0][0] + margin > PREFIX):
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
