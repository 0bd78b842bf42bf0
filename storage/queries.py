"""Reading the archive: export records, the review queue and single documents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, Select, and_, distinct, exists, func, literal, select, tuple_
from sqlalchemy.orm import Session

from storage.dedup import INVERSE, NOT_NEW
from storage.models import Document, Match, Revision, Source

REVIEW_STATES = ("unreviewed", "kept", "rejected")
RELATIONS = tuple(INVERSE)
BATCH = 500


@dataclass(frozen=True)
class Filters:
    """Which documents an export or listing covers; None means no restriction."""

    sources: tuple[str, ...] = ()
    new: bool | None = None
    relevant: bool | None = None
    review: str | None = None
    since: datetime | None = None  # fetched at or after
    language: str | None = None  # an ISO 639-1 code, as stored
    relation: str | None = None  # has at least one match of this relation
    # Revised after its review decision: the reviewer has not seen the current text.
    changed: bool | None = None


def _select(filters: Filters) -> Select[Any]:
    # Distinct texts: a page that goes back to an earlier text has no more versions than before.
    revisions = (
        select(func.count(distinct(Revision.text_hash)))
        .where(Revision.document_id == Document.id)
        .correlate(Document)
        .scalar_subquery()
    )
    query = select(Document, Source.name, revisions).join(Source, Source.id == Document.source_id)
    if filters.sources:
        query = query.where(Source.name.in_(filters.sources))
    if filters.new is not None:
        query = query.where(Document.is_new == filters.new)
    if filters.relevant is not None:
        query = query.where(Document.relevant == filters.relevant)
    if filters.review is not None:
        query = query.where(Document.review == filters.review)
    if filters.since is not None:
        query = query.where(Document.fetched >= filters.since)
    if filters.language is not None:
        query = query.where(Document.language == filters.language)
    if filters.relation is not None:
        query = query.where(
            exists().where(Match.document_id == Document.id, Match.relation == filters.relation)
        )
    if filters.changed is not None:
        revised_since = exists().where(
            Revision.document_id == Document.id,
            Revision.number > Document.reviewed_revision,
        )
        # `review IN (...)`, not `!=`: an equality the queue index can seek, not a full scan.
        decided = Document.review.in_([state for state in REVIEW_STATES if state != "unreviewed"])
        changed = and_(decided, revised_since)
        query = query.where(changed if filters.changed else ~changed)
    return query


def _matches(session: Session, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = session.execute(
        select(Match.document_id, Match.other_id, Document.url, Match.relation, Match.score)
        .join(Document, Document.id == Match.other_id)
        .where(Match.document_id.in_(ids))
        .order_by(Match.document_id, Match.score.desc(), Match.other_id)
    )
    for document_id, other_id, url, relation, score in rows:
        found[document_id].append(
            {"id": other_id, "url": url, "relation": relation, "score": round(score, 4)}
        )
    return found


def _record(document: Document, source: str, revisions: int, matches: list) -> dict[str, Any]:  # type: ignore[type-arg]
    return {
        "id": document.id,
        "url": document.url,
        "source": source,
        "seed": document.seed,
        "post_id": document.post_id,
        "title": document.title,
        "author": document.author,
        "language": document.language,
        "published": document.published,
        "fetched": document.fetched.isoformat() if document.fetched else None,
        "text": document.text,
        "new": document.is_new,
        "relevant": document.relevant,
        "review": document.review,
        "revisions": revisions,
        "matches": matches,
    }


def export_records(engine: Engine, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """Every document matching `filters` as a CONTRACT.md export record, oldest id first.

    Reads in id-ordered batches so a large archive streams in constant memory.
    """
    last_id = 0
    with Session(engine) as session:
        while True:
            rows = session.execute(
                _select(filters).where(Document.id > last_id).order_by(Document.id).limit(BATCH)
            ).all()
            if not rows:
                return
            matches = _matches(session, [row[0].id for row in rows])
            for document, source, revisions in rows:
                yield _record(document, source, revisions, matches.get(document.id, []))
            last_id = rows[-1][0].id
            session.expunge_all()


def review_queue(
    engine: Engine,
    limit: int | None = None,
    filters: Filters = Filters(),
    before: int | None = None,
) -> list[dict[str, Any]]:
    """New, relevant, unreviewed documents (no seeds), newest first, narrowed by `filters`.

    The queue's own conditions win over `filters`' new, relevant and review. `before`: only
    documents listed after that one (the next page).
    """
    return listing(engine, queue_filters(filters), limit, before)


def queue_filters(filters: Filters = Filters()) -> Filters:
    """`filters` narrowed to the review queue: new, relevant, unreviewed."""
    return replace(filters, new=True, relevant=True, review="unreviewed")


def changed_since_review(
    engine: Engine,
    limit: int | None = None,
    filters: Filters = Filters(),
    before: int | None = None,
) -> list[dict[str, Any]]:
    """Documents kept or rejected whose text changed after the decision, newest first.

    An edited forum post or a rewritten article goes back before the reviewer this way,
    whatever the first decision was; recording a decision again clears it.
    """
    return listing(engine, replace(filters, changed=True), limit, before)


def listing(
    engine: Engine, filters: Filters, limit: int | None = None, before: int | None = None
) -> list[dict[str, Any]]:
    """Crawled and imported documents (no seeds) matching `filters`, newest first.

    `before` is the id of the last document of the previous page: the page goes on from it by
    (first_seen, id) rather than by an offset, so page 200 costs what page 1 does.
    """
    with Session(engine) as session:
        query = _select(filters).where(Source.kind != "seed")
        if before is not None:
            seen = session.scalar(select(Document.first_seen).where(Document.id == before))
            if seen is not None:
                query = query.where(
                    tuple_(Document.first_seen, Document.id)
                    < tuple_(literal(seen, Document.first_seen.type), before)
                )
        query = query.order_by(Document.first_seen.desc(), Document.id.desc())
        if limit:
            query = query.limit(limit)
        rows = session.execute(query).all()
        matches = _matches(session, [row[0].id for row in rows])
        return [_record(d, s, r, matches.get(d.id, [])) for d, s, r in rows]


def count(engine: Engine, filters: Filters) -> int:
    """How many crawled and imported documents (no seeds) match `filters`."""
    query = _select(filters).where(Source.kind != "seed").with_only_columns(func.count())
    with engine.connect() as connection:
        return connection.scalar(query) or 0


def facets(engine: Engine) -> tuple[list[str], list[str]]:
    """The source names (seeds apart) and the languages in the archive, for filter menus."""
    with engine.connect() as connection:
        sources = connection.scalars(
            select(Source.name).where(Source.kind != "seed").order_by(Source.name)
        )
        languages = connection.scalars(
            select(Document.language)
            .distinct()
            .where(Document.language.is_not(None))
            .order_by(Document.language)
        )
        return list(sources), list(languages)  # type: ignore[arg-type]


def copies(engine: Engine, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For each of `ids`, the later documents that are copies of it, with their source.

    This is what shows a story once with its count and outlets instead of once per outlet.
    """
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    with Session(engine) as session:
        rows = session.execute(
            select(Match.other_id, Document.id, Document.url, Source.name, Match.relation)
            .join(Document, Document.id == Match.document_id)
            .join(Source, Source.id == Document.source_id)
            .where(
                Match.other_id.in_(ids),
                Match.relation.in_(sorted(NOT_NEW)),
                Match.document_id > Match.other_id,
            )
            .order_by(Match.other_id, Document.id)
        )
        for original, copy_id, url, source, relation in rows:
            found[original].append(
                {"id": copy_id, "url": url, "source": source, "relation": relation}
            )
    return found


def get_record(engine: Engine, document_id: int) -> dict[str, Any] | None:
    """One document's export record, or None."""
    with Session(engine) as session:
        row = session.execute(_select(Filters()).where(Document.id == document_id)).first()
        if row is None:
            return None
        document, source, revisions = row
        return _record(
            document, source, revisions, _matches(session, [document_id]).get(document_id, [])
        )


class Latest(NamedTuple):
    """A document's latest revision: its number and when its text was fetched."""

    number: int
    fetched: datetime


def latest_revisions(engine: Engine, ids: list[int]) -> dict[int, Latest]:
    """The latest revision of each of `ids`: what a reviewer is shown of it, and since when."""
    if not ids:
        return {}
    latest = (
        select(Revision.document_id, func.max(Revision.number).label("number"))
        .where(Revision.document_id.in_(ids))
        .group_by(Revision.document_id)
        .subquery()
    )
    with Session(engine) as session:
        rows = session.execute(
            select(Revision.document_id, Revision.number, Revision.fetched).join(
                latest,
                and_(
                    Revision.document_id == latest.c.document_id,
                    Revision.number == latest.c.number,
                ),
            )
        )
        return {document_id: Latest(number, fetched) for document_id, number, fetched in rows}


def texts(engine: Engine, ids: list[int]) -> dict[int, str]:
    """The current text of each of `ids` that exists: what a match shares is read from it."""
    if not ids:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(select(Document.id, Document.text).where(Document.id.in_(ids)))
        return {document_id: text for document_id, text in rows}


def revision_texts(engine: Engine, document_id: int) -> list[tuple[int, datetime, str]]:
    """(number, fetched, text) of each revision, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(Revision.number, Revision.fetched, Revision.text)
            .where(Revision.document_id == document_id)
            .order_by(Revision.number)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]
