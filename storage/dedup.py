"""The dedup engine: the one place where relations between archived texts are decided.

Inside the transaction that stores a document (`storage.archive.store_document`):

1. Exact copy: an earlier document with the same normalised text (``text_hash``) makes this one
   ``identical``; nothing else is looked up, and the copy is not indexed (its original is).
   When the original's text changes, its first copy is indexed in its place (`reclassify`).
2. Candidates: the text's winnowed fingerprints (`storage.shingles`) are looked up in the
   ``fingerprints`` table in batched ``IN`` lists; a hash keeps rows for its earliest ``MAX_DF``
   holders only, and a lookup reads no more of it than that. Each row names its holder's site
   (``site_id``, a number from the ``sites`` table), so the lookup reads no URLs. A hash that
   ``SITE_REPEAT`` documents of one site hold is that site's boilerplate and gives no votes;
   any other hash votes for the holders it names, however many documents carry it, so the
   500th reprint of a wire story still leads to the original and its first reprints.
   Documents sharing ``MIN_SHARED`` or more voting hashes are ranked by how many they share,
   earliest first among equals, and the first ``MAX_CANDIDATES`` are verified.
3. Verification (`relate`): both texts are shingled in memory and each one's token coverage by
   the other's shingles measured; the relation follows from the two coverages, the largest
   stretch of either that the other lacks, and the longest passage they share.
4. The document's fingerprints join the index and each relation is stored both ways.

Thresholds, in units of `storage.shingles` (a word 2, a CJK character 1), measured on
tests/fixtures/dedup (the coverage table is in its README):

- ``NEAR`` 0.85: both coverages at least this make a near duplicate. Edited copies measure
  0.915 and above (a Chinese report edited and converted to Traditional is the lowest); the
  highest pair that is not a near duplicate otherwise is a Lemmy post with comments, 0.763.
- ``ADDITION`` 100 units (50 words, 100 characters): a stretch one text lacks that is longer
  than this is the other's own passage (commentary), not boilerplate or an edit. Boilerplate and
  edits in the set leave at most 29 words; the shortest commentary is 53 words and the udn
  forum post's preface 70, which makes that post (coverage 0.90) *quote* the article.
- ``CONTAIN`` 0.85: "nearly all" for ``excerpt_of``/``quotes``. Excerpts measure 1.0 (with
  ``...`` gaps and script conversion too); the highest text that is not one measures 0.763.
- ``PASSAGE`` 120 units (60 words, 120 characters): the shared passage that makes ``overlaps``.
  The longest press-agency sentence shared by two reports in the set is 43 words and the Xinhua
  dateline 25 word-equivalents; the shortest genuine shared passage is 102 words.
- ``MIN_CONTAINED`` 40 units: below 20 shared words only an exact copy is related at all.

The index (bench/dedup.py ``--wire``): what tells boilerplate from a syndicated text is where
it recurs. A site's header, footer or "about us" block recurs within that site; a wire story
recurs across sites, once per outlet. ``SITE_REPEAT`` 3 leaves room for a site that prints a
story twice (an update at a new URL) and costs one false ``overlaps`` per site, between its
first two pages that carry a boilerplate block of 60 words or more. ``MAX_DF`` 16 is enough
earliest holders to find the original among them and to see a site's pages among the holders
of its boilerplate, and bounds what a lookup reads to 16 rows per hash. Reading the site from
the index row and keeping the cap at insert (no window function at read) keeps the lookup a
plain range read per hash: bench/dedup.py ``--engines`` has the cost against earlier engines.

Known limits: a passage that one site printed ``SITE_REPEAT`` times among its earliest
holders is taken for that site's boilerplate (a forum quoting one article in three posts, then
a fourth: the fourth is not linked through it). Boilerplate only loses its votes: a document
found through other text is still verified on its whole text, boilerplate included. Exact
copies link to the earliest original only, and at most ``MAX_CANDIDATES`` related documents
are linked per text.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from storage.database import insert_ignore
from storage.models import Document, Fingerprint, Match, Site
from storage.shingles import Profile, coverage, profile
from storage.urls import site

logger = logging.getLogger(__name__)

IDENTICAL = "identical"
NEAR_DUPLICATE = "near_duplicate"
EXCERPT_OF = "excerpt_of"
QUOTES = "quotes"
OVERLAPS = "overlaps"
INVERSE = {
    IDENTICAL: IDENTICAL,
    NEAR_DUPLICATE: NEAR_DUPLICATE,
    EXCERPT_OF: QUOTES,
    QUOTES: EXCERPT_OF,
    OVERLAPS: OVERLAPS,
}
# A document is not new when it relates to an earlier one in one of these ways (CONTRACT.md).
NOT_NEW = frozenset({IDENTICAL, NEAR_DUPLICATE, EXCERPT_OF})

NEAR = 0.85
ADDITION = 100
CONTAIN = 0.85
PASSAGE = 120
MIN_CONTAINED = 40

MIN_SHARED = 2  # fingerprints a candidate must share: any PASSAGE-long passage shares 2
MAX_CANDIDATES = 10  # verified per document: each costs a text load and a shingling
MAX_DF = 16  # holders a hash keeps (its earliest) and a lookup reads
SITE_REPEAT = 3  # documents of one site holding a hash make it that site's boilerplate
BATCH = 500  # values per IN list: far below SQLite's and PostgreSQL's parameter limits

DOCUMENTS = Document.__table__
FINGERPRINTS = Fingerprint.__table__
MATCHES = Match.__table__
SITES = Site.__table__
# Built once: an IN list with an expanding parameter skips rebuilding the statement per call.
_ORIGINAL = (
    select(DOCUMENTS.c.id)
    .where(DOCUMENTS.c.text_hash == bindparam("digest"), DOCUMENTS.c.id < bindparam("own"))
    .order_by(DOCUMENTS.c.id)
    .limit(1)
)
# A range read per hash: the index keeps no more than `MAX_DF` rows of a hash, so no window
# function cuts it (row_number() over the read took 2.5 times as long on SQLite). The order is
# the key's, free on both backends, and keeps PostgreSQL on the index without statistics (with
# none, it took a long IN list for a sequential scan of the table: 26 ms against 0.6 ms).
_HOLDERS = (
    select(FINGERPRINTS.c.hash, FINGERPRINTS.c.document_id, FINGERPRINTS.c.site_id)
    .where(
        FINGERPRINTS.c.hash.in_(bindparam("hashes", expanding=True)),
        FINGERPRINTS.c.document_id != bindparam("own"),
    )
    .order_by(FINGERPRINTS.c.hash, FINGERPRINTS.c.document_id)
)
_SITE = select(SITES.c.id).where(SITES.c.name == bindparam("name"))
_TEXTS = select(DOCUMENTS.c.id, DOCUMENTS.c.text).where(
    DOCUMENTS.c.id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class Relation:
    """How a document relates to another one: ``relation`` reads "this <relation> other"."""

    other_id: int
    relation: str
    score: float


def relate(a: Profile, b: Profile) -> tuple[str, float] | None:
    """The relation of text `a` to text `b` with its score, or None when they are unrelated."""
    if a.normalized == b.normalized or a.tokens == b.tokens:
        return IDENTICAL, 1.0
    in_b = coverage(a, frozenset(b.hashes))
    in_a = coverage(b, frozenset(a.hashes))
    if max(in_b.covered, in_a.covered) < MIN_CONTAINED:
        return None
    if min(in_b.fraction, in_a.fraction) >= NEAR:
        a_adds, b_adds = in_b.largest_gap > ADDITION, in_a.largest_gap > ADDITION
        if a_adds == b_adds:
            return NEAR_DUPLICATE, _score(min(in_b.fraction, in_a.fraction))
        return (QUOTES, _score(in_a.fraction)) if a_adds else (EXCERPT_OF, _score(in_b.fraction))
    if in_b.fraction >= CONTAIN and in_b.fraction >= in_a.fraction:
        return EXCERPT_OF, _score(in_b.fraction)
    if in_a.fraction >= CONTAIN:
        return QUOTES, _score(in_a.fraction)
    if max(in_b.longest, in_a.longest) >= PASSAGE:
        return OVERLAPS, _score(max(in_b.fraction, in_a.fraction))
    return None


def _score(value: float) -> float:
    return round(value, 4)


def _batches(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


# Any constant: the key of the advisory lock that `serialize` takes on PostgreSQL.
_LOCK_KEY = 0x616D7572  # "amur"


def serialize(session: Session) -> None:
    """Hold classification to one transaction at a time, across processes.

    Dedup compares a document with everything stored before it. On PostgreSQL two concurrent
    transactions do not see each other's new documents, so two copies stored at once would both
    be new; a transaction-level advisory lock (released at commit) orders them. SQLite's write
    transactions begin IMMEDIATE (`storage.database.writing`) and are ordered already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))


def classify(
    session: Session, document_id: int, text: Profile, digest: str
) -> tuple[Relation, ...]:
    """Relate a stored (flushed) document to the archive, index it, store its matches both ways."""
    connection = session.connection()  # Core from here: the ORM adds nothing to bulk rows
    original = connection.scalar(_ORIGINAL, {"digest": digest, "own": document_id})
    if original is not None:
        relations: tuple[Relation, ...] = (Relation(original, IDENTICAL, 1.0),)
    else:
        fingerprints = text.fingerprints()
        own_site = _site_id(session, document_id)
        votes, rare = _look_up(connection, document_id, own_site, list(fingerprints))
        need = min(MIN_SHARED, len(fingerprints))
        ranked = sorted(
            (other for other, shared in votes.items() if shared >= need),
            key=lambda other: (-votes[other], other),
        )[:MAX_CANDIDATES]
        relations = _verify(connection, text, ranked)
        if rare:
            connection.execute(
                insert(FINGERPRINTS),
                [
                    {
                        "hash": h,
                        "document_id": document_id,
                        "position": fingerprints[h],
                        "site_id": own_site,
                    }
                    for h in rare
                ],
            )
    _link(connection, document_id, relations)
    return relations


def _site_id(session: Session, document_id: int) -> int | None:
    """The number of the document's site in ``sites`` (added if new); None without a host."""
    # Stored or locked by the caller, the document is in the session already: no query.
    name = site(session.get_one(Document, document_id).url)
    if not name:
        return None
    connection = session.connection()
    found = connection.scalar(_SITE, {"name": name})
    if found is None:
        insert_ignore(session, SITES, [{"name": name}])
        found = connection.scalar(_SITE, {"name": name})
    return found


Holder = tuple[int, int | None]  # (document id, site number)


def _look_up(
    connection: Connection, document_id: int, own_site: int | None, hashes: list[int]
) -> tuple[Counter[int], list[int]]:
    """Shared-fingerprint counts per other document, and the hashes that still gain holders.

    Reads at most ``MAX_DF`` holders per hash, the earliest; a hash that has them all stops
    gaining rows, but still votes for them unless it is a site's boilerplate.
    """
    holders: defaultdict[int, list[Holder]] = defaultdict(list)
    for batch in _batches(hashes):
        for value, other, other_site in connection.execute(
            _HOLDERS, {"hashes": batch, "own": document_id}
        ):
            holders[value].append((other, other_site))
    votes: Counter[int] = Counter()
    boilerplate = 0
    own = own_site if own_site is not None else -document_id
    for others in holders.values():
        del others[MAX_DF:]  # the earliest: more only where MAX_DF was lowered since
        if _is_boilerplate(own, others):
            boilerplate += 1
        else:
            votes.update(other for other, _site in others)
    if boilerplate:
        logger.debug("skipping %d boilerplate fingerprints", boilerplate)
    return votes, [h for h in hashes if len(holders.get(h, ())) < MAX_DF]


def _is_boilerplate(own: int, others: list[Holder]) -> bool:
    """Whether ``SITE_REPEAT`` holders of a hash are on one site, this document (`own`) included.

    A header, footer or "about us" block recurs within its site; a syndicated or quoted text
    recurs across sites. Documents without a host (seeds) count as a site each: their key is
    their negated id, which no site number equals.
    """
    if len(others) < SITE_REPEAT - 1:
        return False
    per_site = Counter(s if s is not None else -other for other, s in others)
    per_site[own] += 1
    return max(per_site.values()) >= SITE_REPEAT


@lru_cache(maxsize=64)
def _candidate_profile(text: str) -> Profile:
    """Profiles of recently verified texts: a reposted article is a candidate again and again."""
    return profile(text)


def _verify(connection: Connection, text: Profile, ranked: list[int]) -> tuple[Relation, ...]:
    if not ranked:
        return ()
    texts: dict[int, str] = dict(connection.execute(_TEXTS, {"ids": ranked}).all())
    relations = []
    for other in ranked:
        if other not in texts:
            continue
        found = relate(text, _candidate_profile(texts[other]))
        if found is not None:
            relations.append(Relation(other, *found))
    return tuple(relations)


def _link(connection: Connection, document_id: int, relations: Iterable[Relation]) -> None:
    rows = []
    for found in relations:
        rows.append(
            {
                "document_id": document_id,
                "other_id": found.other_id,
                "relation": found.relation,
                "score": found.score,
            }
        )
        rows.append(
            {
                "document_id": found.other_id,
                "other_id": document_id,
                "relation": INVERSE[found.relation],
                "score": found.score,
            }
        )
    if rows:
        connection.execute(insert(MATCHES), rows)


def reclassify(
    session: Session, document_id: int, text: Profile, digest: str, previous: str
) -> tuple[Relation, ...]:
    """Re-run dedup for a document whose text changed: its old fingerprints and matches go.

    Its exact copies (the documents that held its `previous` text and were linked to it as
    `identical`, never indexed themselves) would be left unlinked and unfindable; the first of
    them is indexed in its place and the others become its copies.
    """
    old = dict(
        session.execute(
            select(Match.other_id, Match.relation).where(Match.document_id == document_id)
        ).all()
    )
    session.execute(delete(Match).where(Match.document_id == document_id))
    for batch in _batches(sorted(old)):
        session.execute(
            delete(Match).where(Match.document_id.in_(batch), Match.other_id == document_id)
        )
    session.execute(delete(Fingerprint).where(Fingerprint.document_id == document_id))
    relations = classify(session, document_id, text, digest)
    touched = {document_id, *old, *(found.other_id for found in relations)}
    copies = [other for other, relation in old.items() if relation == IDENTICAL]
    # An identical document with fingerprints of its own (this one's original, or one found by
    # them) is no copy: indexing it again would duplicate its rows and its matches.
    indexed = select(Fingerprint.document_id).where(Fingerprint.document_id.in_(copies))
    copies = sorted(set(copies) - set(session.scalars(indexed))) if copies else []
    for copy_id, copy_text in _texts_with_digest(session, copies, previous):
        found = classify(session, copy_id, profile(copy_text), previous)
        touched.update(relation.other_id for relation in found)
    refresh_new(session, touched)
    return relations


def _texts_with_digest(session: Session, ids: list[int], digest: str) -> list[tuple[int, str]]:
    """(id, text) of those of `ids` whose text hashes to `digest`, oldest first."""
    if not ids:
        return []
    rows = session.connection().execute(
        select(DOCUMENTS.c.id, DOCUMENTS.c.text)
        .where(DOCUMENTS.c.id.in_(ids), DOCUMENTS.c.text_hash == digest)
        .order_by(DOCUMENTS.c.id)
    )
    return [(row.id, row.text) for row in rows]


def is_new(document_id: int, relations: Iterable[Relation]) -> bool:
    """CONTRACT.md: new unless identical, a near duplicate or an excerpt of an earlier document."""
    return not any(
        found.relation in NOT_NEW and found.other_id < document_id for found in relations
    )


def refresh_new(session: Session, ids: set[int]) -> None:
    """Recompute ``documents.is_new`` of `ids` from their stored matches."""
    ordered = sorted(ids)
    for batch in _batches(ordered):
        not_new = set(
            session.scalars(
                select(Match.document_id).where(
                    Match.document_id.in_(batch),
                    Match.other_id < Match.document_id,
                    Match.relation.in_(NOT_NEW),
                )
            )
        )
        new = [i for i in batch if i not in not_new]
        for values, flag in ((new, True), (sorted(not_new), False)):
            if values:
                session.execute(
                    update(Document)
                    .where(Document.id.in_(values))
                    .values(is_new=flag)
                    .execution_options(synchronize_session=False)
                )
