"""Raw responses kept in WARC files, so a page can be shown as fetched and extracted again.

A response that makes a new document or a new revision is written as a WARC `response` record
(status line, headers, body), gzip-compressed record by record, followed by a `metadata`
record (JSON: the source, the feed's hints, the other URLs of the page) that lets `amur
reextract` rebuild what the crawl knew. The revision names the file, the offset of the
response record and the length of the two records (`storage.models.Revision`).

Files are never shared: each writing process creates its own, named for the time, host, pid
and a sequence number, and opened exclusively, so a crawl beside `amur serve` cannot interleave
records in one file. A file is closed and the next one begun past `MAX_FILE_BYTES`. The records
are written and flushed before the transaction that points at them commits: a kill in between
leaves records that nothing points at, which is harmless, never a row pointing at a record that
is not there. (Flushed to the operating system, not synced to disk: the same promise SQLite's
WAL gives the rows themselves.)

Bodies are stored as the crawl read them: Scrapy has undone `Content-Encoding` (gzip, br) and
chunked transfer, so those headers are dropped and `Content-Length` is the stored body's length,
which keeps each record a valid HTTP message of what it holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BufferedWriter, BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from storage.errors import SnapshotUnavailable
from storage.models import Document, Revision, Source

logger = logging.getLogger(__name__)

# A file is closed and the next one begun once it holds this much (compressed).
MAX_FILE_BYTES = 100 * 1024 * 1024
# Headers that describe the bytes on the wire, not the decoded body that is stored.
WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class SnapshotRef:
    """Where a snapshot lives: a file in the snapshots folder, an offset and a length."""

    file: str
    offset: int
    length: int


@dataclass(eq=False)
class RawResponse:
    """A fetched response as it is kept: one object per response, shared by every document it
    yields (the posts of a forum page), so it is written once; `ref` is set when it is."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched: datetime
    # What the crawl knew beside the response (source, hints, aliases): the metadata record.
    info: dict[str, Any] = field(default_factory=dict)
    protocol: str = "HTTP/1.1"
    ref: SnapshotRef | None = None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any letter case), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)


def _stored_headers(response: RawResponse) -> list[tuple[str, str]]:
    """The headers, with those about the wire encoding replaced by the stored body's length."""
    kept = [(k, v) for k, v in response.headers if k.lower() not in WIRE_HEADERS]
    return [*kept, ("Content-Length", str(len(response.body)))]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class SnapshotWriter:
    """Writes snapshots into files of its own in `folder`; used from one thread at a time
    (the crawl's writer thread), and opens its first file only when there is something to write."""

    def __init__(self, folder: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        started = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())
        self._prefix = f"amur-{started}-{host}-{os.getpid()}"
        self._sequence = 0
        self._file: BufferedWriter | None = None
        self._name = ""

    def _open(self) -> BufferedWriter:
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        while self._file is None:
            self._sequence += 1
            self._name = f"{self._prefix}-{self._sequence:05d}.warc.gz"
            # Exclusive creation: never append to a file another writer began (a second
            # writer of this process in the same second takes the next number).
            with contextlib.suppress(FileExistsError):
                self._file = open(self.folder / self._name, "xb")
        return self._file

    def write(self, response: RawResponse) -> SnapshotRef:
        """Write `response` (once: a second call returns where it went) and return its place."""
        if response.ref is not None:
            return response.ref
        out = self._open()
        offset = out.tell()
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        date = datetime_to_iso_date(response.fetched.astimezone(UTC).replace(tzinfo=None), True)
        http_headers = StatusAndHeaders(
            _status_line(response.status), _stored_headers(response), protocol=response.protocol
        )
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": date},
        )
        info = json.dumps(response.info, ensure_ascii=False, sort_keys=True).encode("utf-8")
        metadata = writer.create_warc_record(
            response.url,
            "metadata",
            payload=BytesIO(info),
            length=len(info),
            warc_content_type="application/json",
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        writer.write_record(record)
        writer.write_record(metadata)
        out.flush()
        response.ref = SnapshotRef(self._name, offset, out.tell() - offset)
        return response.ref

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_snapshot(folder: Path, ref: SnapshotRef) -> RawResponse:
    """The response stored at `ref`; raises SnapshotUnavailable when it cannot be read."""
    path = folder / ref.file
    try:
        with open(path, "rb") as stream:
            stream.seek(ref.offset)
            data = stream.read(ref.length)
    except OSError as err:
        raise SnapshotUnavailable(f"snapshot file {path}: {err.strerror}") from err
    if len(data) != ref.length:
        raise SnapshotUnavailable(f"snapshot file {path} ends before the record at {ref.offset}")
    response: RawResponse | None = None
    try:
        for record in ArchiveIterator(BytesIO(data)):
            if record.rec_type == "response":
                http = record.http_headers
                response = RawResponse(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    status=int(http.get_statuscode()),
                    headers=list(http.headers),
                    body=record.content_stream().read(),
                    fetched=iso_date_to_datetime(
                        record.rec_headers.get_header("WARC-Date")
                    ).replace(tzinfo=UTC),
                    protocol=http.protocol,
                    ref=ref,
                )
            elif record.rec_type == "metadata" and response is not None:
                response.info = json.loads(record.content_stream().read())
    except (ArchiveLoadFailed, ValueError, OSError) as err:
        raise SnapshotUnavailable(f"snapshot {path} at {ref.offset}: {err}") from err
    if response is None:
        raise SnapshotUnavailable(f"snapshot {path} at {ref.offset}: no response record")
    return response


@dataclass(frozen=True)
class Held:
    """A document as `amur reextract` and `amur snapshot` need it: where its latest revision's
    raw response is (None: it has none), its source and post, and when it was last fetched."""

    document_id: int
    source: str
    kind: str
    post_id: str | None
    fetched: datetime
    ref: SnapshotRef | None


def latest_snapshots(
    engine: Engine,
    *,
    ids: Sequence[int] = (),
    sources: Sequence[str] = (),
    since: datetime | None = None,
    responses_only: bool = False,
) -> list[Held]:
    """Documents (these `ids`, of these `sources`, fetched `since`) with their latest revision's
    snapshot, in file order so that reading them moves forward through each file.

    `responses_only` leaves out the seeds and imports that no crawl revised, which never had a
    response to keep.
    """
    latest = (
        select(Revision.document_id, func.max(Revision.number).label("number"))
        .group_by(Revision.document_id)
        .subquery()
    )
    query = (
        select(
            Document.id,
            Source.name,
            Source.kind,
            Document.post_id,
            Document.fetched,
            Revision.snapshot_file,
            Revision.snapshot_offset,
            Revision.snapshot_length,
        )
        .join(Source, Source.id == Document.source_id)
        .join(latest, latest.c.document_id == Document.id)
        .join(
            Revision,
            (Revision.document_id == Document.id) & (Revision.number == latest.c.number),
        )
        .order_by(Revision.snapshot_file, Revision.snapshot_offset, Document.id)
    )
    if ids:
        query = query.where(Document.id.in_(ids))
    if sources:
        query = query.where(Source.name.in_(sources))
    if since is not None:
        query = query.where(Document.fetched >= since)
    if responses_only:  # the kinds of `storage.archive.OWNED_KINDS`
        owned = Source.kind.in_(("seed", "import"))
        query = query.where(~owned | Revision.snapshot_file.is_not(None))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        Held(
            document_id,
            source,
            kind,
            post_id,
            fetched,
            SnapshotRef(file, offset, length) if file is not None else None,
        )
        for document_id, source, kind, post_id, fetched, file, offset, length in rows
    ]
