"""Writing documents: one document per transaction, so a kill loses at most the page in flight."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import dedup, search, shingles
from storage.database import insert_ignore, writing
from storage.dedup import Relation
from storage.models import Document, DocumentUrl, Revision, Source
from storage.snapshots import RawResponse, SnapshotWriter
from storage.urls import normalize, site

logger = logging.getLogger(__name__)

SEED_SOURCE = "seed"


class Outcome(StrEnum):
    """What storing a fetched document did to the archive."""

    NEW = "new"  # a new document that is not a duplicate of anything stored
    # Stored, but not new: identical, a near duplicate or an excerpt of one stored before.
    DUPLICATE = "duplicate"
    UNCHANGED = "unchanged"  # already stored with this text and metadata
    # Already stored with this text; its title, author, date or language changed.
    UPDATED = "updated"
    REVISED = "revised"  # already stored; its text changed, a revision was added


@dataclass(frozen=True)
class DocumentIn:
    """A document as the crawler or an importer hands it to the archive."""

    url: str
    source: str
    text: str
    relevant: bool
    fetched: datetime
    title: str | None = None
    # The people who wrote it, as extraction names them; `author` is for callers that have only
    # a byline string (a feed's, a seed's, an import's), kept as it is.
    authors: tuple[str, ...] = ()
    author: str | None = None
    language: str | None = None
    published: str | None = None
    modified: str | None = None  # when the page says it was last modified (ISO 8601)
    seed: str | None = None
    post_id: str | None = None
    # Other URLs that lead to the same document (the feed's link, the pre-redirect URL).
    aliases: tuple[str, ...] = field(default=())
    # A canonical URL the page declared but that was not accepted as its identity.
    declared_url: str | None = None
    # The text's dedup profile (`storage.shingles.profile`), when the caller computed it
    # already (the crawl does, next to extraction, in a worker process).
    profile: shingles.Profile | None = field(default=None, repr=False, compare=False)
    # The raw response it was read from, kept (`storage.snapshots`) when it makes a new
    # document or revision; one already written (`ref` set) is pointed at, not written again.
    snapshot: RawResponse | None = field(default=None, repr=False, compare=False)


def join_authors(names: tuple[str, ...] | list[str]) -> str | None:
    """Authors as the one string exports, search and the review page show: "A, B"."""
    return ", ".join(names) or None


def _metadata(doc: DocumentIn) -> dict[str, Any]:
    """The document columns a page's metadata sets; None where the page gives nothing."""
    authors = list(doc.authors) or ([doc.author] if doc.author else [])
    return {"title": doc.title, "author": join_authors(authors), "authors": authors or None,
            "published": doc.published, "modified": doc.modified,
            "language": doc.language}  # fmt: skip


@dataclass(frozen=True)
class Stored:
    """What `store_document` did; `relations` are those dedup found for a new or revised text."""

    id: int
    outcome: Outcome
    relevant: bool
    relations: tuple[Relation, ...] = ()


def now() -> datetime:
    """The current time, timezone-aware UTC: the one clock every stored time uses."""
    return datetime.now(UTC)


def ensure_source(engine: Engine, name: str, kind: str, url: str | None) -> int:
    """The id of source `name`, created or brought up to date with its config.

    A `seed` or `import` source keeps its kind for good (SourceKindError): a config cannot take
    over their documents, and an import cannot take over a crawl source's.
    """
    with writing(engine) as session:
        # Insert-or-ignore first: two processes creating one new source at once (two crawls
        # starting together on PostgreSQL) would otherwise collide on its unique name.
        insert_ignore(session, Source.__table__, [{"name": name, "kind": kind, "url": url}])
        source = session.scalars(select(Source).where(Source.name == name)).one()
        if source.kind != kind and {source.kind, kind} & OWNED_KINDS:
            raise SourceKindError(name, source.kind, kind)
        source.kind, source.url = kind, url
        return source.id


def document_id_for_url(engine: Engine, url: str) -> int | None:
    """The document that `url` (in any known spelling) leads to, if any."""
    with engine.connect() as connection:
        return connection.scalar(
            select(DocumentUrl.document_id).where(DocumentUrl.url == normalize(url))
        )


def known_urls(engine: Engine, urls: list[str]) -> set[str]:
    """Those of `urls` (in any known spelling) that lead to a stored document, in one query."""
    keys = {normalize(url): url for url in urls}
    if not keys:
        return set()
    with engine.connect() as connection:
        found = connection.scalars(
            select(DocumentUrl.url).where(DocumentUrl.url.in_(bindparam("keys", expanding=True))),
            {"keys": sorted(keys)},
        )
        return {keys[key] for key in found}


def _add_aliases(session: Session, document_id: int, urls: set[str]) -> None:
    insert_ignore(
        session, DocumentUrl.__table__, [{"url": u, "document_id": document_id} for u in urls]
    )


def store_document(
    engine: Engine, doc: DocumentIn, snapshots: SnapshotWriter | None = None
) -> Stored:
    """Store `doc`: a new document, a revision of a known one, or nothing when unchanged.

    A new or changed text is classified by `storage.dedup` in the same transaction. Two
    processes storing the same new URL at once (PostgreSQL; SQLite queues writers) collide on
    its unique key: the loser retries once and finds the winner's document. The snapshot of a
    new document or revision is written by `snapshots` before the transaction commits.
    """
    key = normalize(doc.url)
    aliases = {normalize(alias) for alias in doc.aliases} - {key}
    text = doc.profile or shingles.profile(doc.text)
    digest = shingles.text_digest(text.normalized)
    for attempt in range(2):
        try:
            with writing(engine) as session:
                return _store(session, doc, key, aliases, text, digest, snapshots)
        except IntegrityError:
            if attempt:
                raise
            logger.info("%s was stored by another process meanwhile; storing again", key)
    raise AssertionError("unreachable")


def _existing(session: Session, key: str, aliases: set[str]) -> int | None:
    """The stored document `key` names, else one a same-site alias names.

    An alias on another site (a feed proxy's link, a redirect from elsewhere) is recorded but
    never picks the document to revise: only a fetch of a document's own site may change it.
    """
    found = session.scalar(select(DocumentUrl.document_id).where(DocumentUrl.url == key))
    if found is not None:
        return found
    own_site = site(key)
    same_site = sorted(alias for alias in aliases if site(alias) == own_site)
    if not same_site:
        return None
    return session.scalar(
        select(DocumentUrl.document_id)
        .where(DocumentUrl.url.in_(same_site))
        .order_by(DocumentUrl.document_id)
        .limit(1)
    )


def _snapshot_columns(doc: DocumentIn, snapshots: SnapshotWriter | None) -> dict[str, Any]:
    """Where the revision's raw response is, written now if it was not yet."""
    if doc.snapshot is None:
        return {}
    if doc.snapshot.ref is None and snapshots is None:
        raise ValueError(f"{doc.url}: a snapshot to keep, but no snapshot writer")
    ref = doc.snapshot.ref or snapshots.write(doc.snapshot)  # type: ignore[union-attr]
    return {"snapshot_file": ref.file, "snapshot_offset": ref.offset, "snapshot_length": ref.length}


def _store(
    session: Session,
    doc: DocumentIn,
    key: str,
    aliases: set[str],
    text: shingles.Profile,
    digest: str,
    snapshots: SnapshotWriter | None,
) -> Stored:
    dedup.serialize(session)
    source_id = session.scalar(select(Source.id).where(Source.name == doc.source))
    if source_id is None:
        raise LookupError(f"unknown source {doc.source!r}")
    existing_id = _existing(session, key, aliases)
    if existing_id is not None:
        urls = {key, *aliases}
        return _update_existing(session, existing_id, doc, text, digest, urls, snapshots)
    document = Document(
        url=key,
        source_id=source_id,
        seed=doc.seed,
        post_id=doc.post_id,
        **_metadata(doc),
        first_seen=doc.fetched,
        fetched=doc.fetched,
        text=doc.text,
        text_hash=digest,
        is_new=True,
        relevant=doc.relevant,
        review="unreviewed",
        declared_url=doc.declared_url,
    )
    session.add(document)
    session.flush()
    session.add(
        Revision(
            document_id=document.id,
            number=1,
            title=doc.title,
            text=doc.text,
            text_hash=digest,
            fetched=doc.fetched,
            **_snapshot_columns(doc, snapshots),
        )
    )
    _add_aliases(session, document.id, {key, *aliases})
    search.index_document(session, document.id, doc.title, text.normalized)
    relations = dedup.classify(session, document.id, text, digest)
    if dedup.is_new(document.id, relations):
        return Stored(document.id, Outcome.NEW, doc.relevant, relations)
    document.is_new = False
    return Stored(document.id, Outcome.DUPLICATE, doc.relevant, relations)


def _update_existing(
    session: Session,
    document_id: int,
    doc: DocumentIn,
    text: shingles.Profile,
    digest: str,
    urls: set[str],
    snapshots: SnapshotWriter | None,
) -> Stored:
    # Locked (PostgreSQL; SQLite's IMMEDIATE transaction already is): two processes revising
    # one document take their revision numbers one after the other.
    document = session.get_one(Document, document_id, with_for_update=True)
    _add_aliases(session, document_id, urls)
    document.fetched = doc.fetched
    if document.text_hash == digest:
        return _update_metadata(session, document, doc, text, snapshots)
    previous = document.text_hash
    number = 1 + (
        session.scalar(select(func.max(Revision.number)).where(Revision.document_id == document_id))
        or 0
    )
    session.add(
        Revision(
            document_id=document_id,
            number=number,
            title=doc.title,
            text=doc.text,
            text_hash=digest,
            fetched=doc.fetched,
            **_snapshot_columns(doc, snapshots),
        )
    )
    session.execute(
        update(Document)
        .where(Document.id == document_id)
        .values(
            text=doc.text,
            text_hash=digest,
            **{
                name: value if value is not None else getattr(document, name)
                for name, value in _metadata(doc).items()
            },
            relevant=doc.relevant,
            declared_url=doc.declared_url,
        )
    )
    search.index_document(session, document_id, doc.title or document.title, text.normalized)
    relations = dedup.reclassify(session, document_id, text, digest, previous)
    return Stored(document_id, Outcome.REVISED, doc.relevant, relations)


def _update_metadata(
    session: Session,
    document: Document,
    doc: DocumentIn,
    text: shingles.Profile,
    snapshots: SnapshotWriter | None,
) -> Stored:
    """The same text again: metadata it gives that differs from the stored (a corrected byline,
    a better extraction) replaces it, without a revision, and relevance is judged again. The
    latest revision then points at the response that carried the change, so that extracting it
    again gives what is stored. A value the page no longer gives is kept."""
    changed = {
        name: value
        for name, value in _metadata(doc).items()
        if value is not None and value != getattr(document, name)
    }
    if not changed:
        return Stored(document.id, Outcome.UNCHANGED, document.relevant)
    session.execute(
        update(Document).where(Document.id == document.id).values(relevant=doc.relevant, **changed)
    )
    latest = select(func.max(Revision.number)).where(Revision.document_id == document.id)
    session.execute(
        update(Revision)
        .where(Revision.document_id == document.id, Revision.number == latest.scalar_subquery())
        .values(title=doc.title or document.title, **_snapshot_columns(doc, snapshots))
    )
    search.index_document(session, document.id, doc.title or document.title, text.normalized)
    return Stored(document.id, Outcome.UPDATED, doc.relevant)


def set_review(engine: Engine, ids: list[int], decision: str, revision: int | None = None) -> int:
    """Record a review decision, its time and the revision it was made on; returns how many
    documents it touched.

    `revision` is the revision the reviewer was shown (the review page sends it); without
    one, the latest. A later revision, even one stored while the reviewer was reading, then
    shows the document as changed since review.
    """
    latest = (
        select(func.max(Revision.number))
        .where(Revision.document_id == Document.id)
        .correlate(Document)
        .scalar_subquery()
    )
    # A number past the latest (a stale or made-up form) counts as the latest.
    seen = latest if revision is None else case((latest < revision, latest), else_=revision)
    unreviewed = decision == "unreviewed"
    with writing(engine) as session:
        result = session.execute(
            update(Document)
            .where(Document.id.in_(ids))
            .values(
                review=decision,
                reviewed=None if unreviewed else now(),
                reviewed_revision=None if unreviewed else seen,
            )
        )
        return result.rowcount


def stored_seeds(engine: Engine) -> set[str]:
    """File names of the seed documents already in the archive."""
    with engine.connect() as connection:
        return set(connection.scalars(select(Document.seed).where(Document.seed.is_not(None))))


# Sources no config describes: their kind is theirs for good. A crawl source whose config names
# one of them is refused, not allowed to take over the documents the seeds or an import filed.
OWNED_KINDS = frozenset({"seed", "import"})


class SourceKindError(ValueError):
    """A source name that already belongs to a source of another kind."""

    def __init__(self, name: str, kind: str, wanted: str) -> None:
        super().__init__(
            f"source {name!r} is of kind {kind}, not {wanted}; choose another name for it"
        )
        self.name, self.kind, self.wanted = name, kind, wanted
