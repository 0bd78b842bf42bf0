"""Raw snapshots: crawled responses kept in WARC files, `amur snapshot` and `amur reextract`.

The crawl runs against the loopback fixture sites on SQLite and PostgreSQL: a feed, a listing
(one of its pages served gzip-compressed), a watched page and a forum thread of two pages.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from warcio.archiveiterator import ArchiveIterator

from crawler.config import Config, load_config
from crawler.items import PageItem
from crawler.pipelines import document_for, with_hints
from crawler.reextract import reextract
from crawler.relevance import judge
from crawler.workers import Prepared, prepare_body
from storage.archive import DocumentIn, Outcome, ensure_source, now, store_document
from storage.database import open_archive
from storage.models import Document
from storage.shingles import profile
from storage.snapshots import (
    RawResponse,
    SnapshotWriter,
    latest_snapshots,
    read_snapshot,
)
from storage.urls import normalize
from tests.amur_cli import AMUR, amur, export, write_config
from tests.crawler.test_crawl import summary_row
from tests.databases import database_url, postgres_url, sqlite_url
from tests.fixture_server import FIXTURES, FixtureServer

__all__ = ["database_url"]

LISTING = {
    "name": "thinktank",
    "kind": "listing",
    "url": "{{BASE}}/thinktank/research/china.html",
    "follow": "#main .entry-title > a",
}
SOURCES = [
    {"name": "telegraph", "kind": "feed", "url": "{{BASE}}/telegraph/rss.xml"},
    LISTING,
    {"name": "hub", "kind": "page", "url": "{{BASE}}/page/china-russia-relations.html"},
    {"name": "udn", "kind": "forum", "url": "{{BASE}}/udn/paged-thread.html"},
]
ARTICLE = "/telegraph/world-news/2025/12/23/china-russia-trade-backfiring.html"
GZIPPED = "/thinktank/2025/central-asia-china-russia-competition.html"
THREAD_PAGES = ("/udn/paged-thread.html", "/udn/paged-thread-p2.html")


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the documents and revisions tables, in id order."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(text(f"SELECT * FROM {name} ORDER BY id"))
                ]
                for name in ("documents", "revisions")
            }
    finally:
        engine.dispose()


def warc_records(folder: Path) -> list[tuple[str, str, int]]:
    """(file, record type, offset) of every record in every WARC file, digests checked."""
    records = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream, check_digests=True)
            for record in iterator:
                record.content_stream().read()
                assert record.digest_checker.passed is not False, record.digest_checker.problems
                records.append((path.name, record.rec_type, iterator.get_record_offset()))
    return records


def document_id(url: str, fetched_url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                text("SELECT document_id FROM document_urls WHERE url = :url"),
                {"url": normalize(fetched_url)},
            )
    finally:
        engine.dispose()
    assert found is not None, fetched_url
    return int(found)


@dataclass
class Crawled:
    url: str
    config: Path
    base: str
    snapshots: Path
    crawl: subprocess.CompletedProcess[str]
    served: dict[str, bytes]  # path: the body as the server sent it (decompressed)
    before: dict[str, list[tuple[Any, ...]]]
    reextracted: subprocess.CompletedProcess[str]
    after: dict[str, list[tuple[Any, ...]]]


def _urls(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield sqlite_url(folder)
    else:
        yield from postgres_url()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crawled]:
    folder = tmp_path_factory.mktemp("snapshots")
    for url in _urls(request.param, folder):
        with FixtureServer(FIXTURES) as server:
            server.set(GZIPPED, file=GZIPPED.lstrip("/"), gzip=True)
            config = write_config(folder, server.base, SOURCES, database=url)
            crawl = amur(config, "crawl")
            assert crawl.returncode == 0, crawl.stderr
            served = {}
            for path in (ARTICLE, GZIPPED, *THREAD_PAGES):
                with urllib.request.urlopen(server.base + path) as answer:
                    body = answer.read()
                    if answer.headers.get("Content-Encoding") == "gzip":
                        import gzip

                        body = gzip.decompress(body)
                served[path] = body
            before = table_rows(url)
            reextracted = amur(config, "reextract")
            after = table_rows(url)
            yield Crawled(
                url, config, server.base, folder / "data" / "snapshots", crawl, served,
                before, reextracted, after,
            )  # fmt: skip


def test_crawl_writes_valid_warc_files(crawled: Crawled) -> None:
    records = warc_records(crawled.snapshots)
    kinds = [kind for _, kind, _ in records]
    # A response record, then its metadata record, for each kept response.
    assert kinds == ["response", "metadata"] * (len(kinds) // 2)
    engine = create_engine(crawled.url)
    with engine.connect() as connection:
        refs = set(
            connection.execute(
                text(
                    "SELECT snapshot_file, snapshot_offset FROM revisions"
                    " WHERE snapshot_file IS NOT NULL"
                )
            ).all()
        )
    engine.dispose()
    responses = {(name, offset) for name, kind, offset in records if kind == "response"}
    assert refs == responses


def test_every_crawled_document_points_at_its_response(crawled: Crawled) -> None:
    engine = create_engine(crawled.url)
    with engine.connect() as connection:
        crawled_ids = set(
            connection.scalars(
                select(Document.id).where(
                    Document.source_id.in_(text("SELECT id FROM sources WHERE kind != 'seed'"))
                )
            )
        )
    held = {h.document_id: h for h in latest_snapshots(engine, responses_only=True)}
    engine.dispose()
    assert crawled_ids
    assert crawled_ids <= set(held)
    for document in held.values():
        assert document.ref is not None
        response = read_snapshot(crawled.snapshots, document.ref)
        assert response.status == 200
        assert response.info["source"] in {s["name"] for s in SOURCES}
        if document.post_id:
            assert response.info["reader"] == "forum"
        else:  # the page fetched from there is this document
            assert response.info["reader"] == "page"
            assert document_id(crawled.url, response.url) == document.document_id


def test_forum_posts_share_their_page_snapshot(crawled: Crawled) -> None:
    engine = create_engine(crawled.url)
    posts = [h for h in latest_snapshots(engine, responses_only=True) if h.post_id]
    engine.dispose()
    by_page: dict[Any, list[str]] = {}
    for post in posts:
        by_page.setdefault(post.ref, []).append(post.post_id)  # type: ignore[arg-type]
    # Two new replies and two revised seed replies, from the thread's two pages.
    assert sorted(len(ids) for ids in by_page.values()) == [2, 2]
    for ref in by_page:
        response = read_snapshot(crawled.snapshots, ref)
        assert response.info["reader"] == "forum"
        page = THREAD_PAGES[response.info["page"] - 1]
        assert response.body == crawled.served[page]


@pytest.mark.parametrize("path", [ARTICLE, GZIPPED])
def test_snapshot_prints_the_served_bytes(crawled: Crawled, path: str, tmp_path: Path) -> None:
    number = document_id(crawled.url, crawled.base + path)
    shown = subprocess.run(
        [*AMUR, "--config", str(crawled.config), "snapshot", str(number)],
        capture_output=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == crawled.served[path]
    written = tmp_path / "page.html"
    result = amur(crawled.config, "snapshot", str(number), "-o", str(written))
    assert result.returncode == 0, result.stderr
    assert written.read_bytes() == crawled.served[path]


def test_snapshot_of_a_document_without_one(crawled: Crawled) -> None:
    seed = next(r for r in export(crawled.config) if r["source"] == "seed" and r["revisions"] == 1)
    result = amur(crawled.config, "snapshot", str(seed["id"]))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"amur: document {seed['id']} has no snapshot (seeds, imports and pages crawled"
        " before snapshots were kept have none)"
    ]
    missing = amur(crawled.config, "snapshot", "999999")
    assert (missing.returncode, missing.stderr) == (1, "amur: no document with id 999999\n")


def test_reextract_after_a_crawl_changes_nothing(crawled: Crawled) -> None:
    assert crawled.reextracted.returncode == 0, crawled.reextracted.stderr
    engine = create_engine(crawled.url)
    checked = len(latest_snapshots(engine, responses_only=True))
    engine.dispose()
    assert summary_row("x " + crawled.reextracted.stdout.splitlines()[1], "x") == [
        str(checked), "0", str(checked), "0", "0"
    ]  # fmt: skip
    assert crawled.after == crawled.before


def test_reextract_repairs_a_stale_extraction(tmp_path: Path, database_url: str) -> None:
    """Revisions written through storage with a text or byline the extractor does not give
    (as an older extractor would have): reextract stores what the current one reads."""
    with FixtureServer(FIXTURES) as server:
        config = write_config(
            tmp_path, server.base, SOURCES[:1] + SOURCES[3:], database=database_url
        )
        assert amur(config, "crawl").returncode == 0
        base = server.base
    engine = open_archive(database_url)
    folder = load_config(config).snapshots
    by_url = {r["url"]: r for r in export(config)}
    article = by_url[normalize(base + ARTICLE)]
    post = next(r for r in by_url.values() if r["post_id"] == "7290133")
    other = next(
        r for r in by_url.values()
        if r["source"] == "telegraph" and r["author"] and r["id"] != article["id"]
    )  # fmt: skip
    held = {
        h.document_id: h
        for h in latest_snapshots(engine, ids=[article["id"], post["id"], other["id"]])
    }

    def stale(record: dict[str, Any], **changes: Any) -> Outcome:
        snapshot = read_snapshot(folder, held[record["id"]].ref)  # type: ignore[arg-type]
        fields = {
            name: record[name]
            for name in (
                "url",
                "source",
                "text",
                "relevant",
                "title",
                "author",
                "language",
                "published",
                "post_id",
            )
        }
        doc = DocumentIn(**{**fields, **changes}, fetched=now(), snapshot=snapshot)
        return store_document(engine, doc).outcome

    assert stale(article, text="An older extractor kept only this line.") is Outcome.REVISED
    assert stale(post, text=post["text"] + "\n\n回覆 | 引用 | 檢舉") is Outcome.REVISED
    assert stale(other, author="Staff and agencies") is Outcome.UPDATED
    result = amur(config, "reextract")
    assert result.returncode == 0, result.stderr
    checked = len(latest_snapshots(engine, responses_only=True))
    cells = result.stdout.splitlines()[1].split()
    assert cells == [str(checked), "3", str(checked - 3), "0", "0"]
    repaired = {r["id"]: r for r in export(config)}
    for record in (article, post, other):
        now_ = repaired[record["id"]]
        assert (now_["text"], now_["author"], now_["title"]) == (
            record["text"],
            record["author"],
            record["title"],
        )
    assert repaired[article["id"]]["revisions"] == 2  # the first text and the stale one
    # The repaired revision points at the same response.
    assert latest_snapshots(engine, ids=[article["id"]])[0].ref == held[article["id"]].ref
    again = amur(config, "reextract")
    assert again.stdout.splitlines()[1].split()[1] == "0"
    engine.dispose()


def _store_page(engine: Engine, writer: SnapshotWriter, config: Config, path: str) -> int:
    """A page stored as the crawl stores it, with its snapshot."""
    url = f"https://think.example{path}"
    body = (FIXTURES / path.lstrip("/")).read_bytes()
    response = RawResponse(
        url, 200, [("Content-Type", "text/html; charset=utf-8")], body, now(),
        info={"reader": "page", "source": "thinktank", "hints": {}, "aliases": []},
    )  # fmt: skip
    prepared = prepare_body(body, "text/html; charset=utf-8", url)
    extracted = with_hints(prepared.extracted, {})
    item = PageItem(
        "thinktank", url, b"", response.fetched, content_type="text/html", extracted=extracted,
        profile=prepared.profile, snapshot=response,
        relevant=judge(config.relevance, extracted.title, extracted.text).relevant,
    )  # fmt: skip
    return store_document(engine, document_for(item), writer).id


def test_reextract_applies_an_improved_extractor(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(database=database_url, snapshots=tmp_path / "snapshots")
    engine = open_archive(database_url)
    ensure_source(engine, "thinktank", "listing", "https://think.example/")
    writer = SnapshotWriter(config.snapshots)
    number = _store_page(engine, writer, config, "/thinktank/2025/ruble-yuan-settlements.html")
    writer.close()
    assert reextract(engine, config) == {
        "checked": 1,
        "changed": 0,
        "unchanged": 1,
        "missing": 0,
        "failed": 0,
    }

    def better(body: bytes, content_type: str | None, url: str | None) -> Prepared:
        prepared = prepare_body(body, content_type, url)
        extracted = replace(
            prepared.extracted,
            text=prepared.extracted.text + "\n\nA caption the old extractor missed.",
            authors=("Jane Better",),
        )
        return Prepared(extracted, profile(extracted.text))

    monkeypatch.setattr("crawler.reextract.prepare_body", better)
    assert reextract(engine, config)["changed"] == 1
    with engine.connect() as connection:
        document = connection.execute(
            select(Document.text, Document.author).where(Document.id == number)
        ).one()
    assert document.text.endswith("A caption the old extractor missed.")
    assert document.author == "Jane Better"
    assert reextract(engine, config)["changed"] == 0
    engine.dispose()


def test_missing_snapshot_file_is_counted(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    config = Config(database=url, snapshots=tmp_path / "snapshots")
    engine = open_archive(url)
    ensure_source(engine, "thinktank", "listing", "https://think.example/")
    writer = SnapshotWriter(config.snapshots)
    _store_page(engine, writer, config, "/thinktank/2025/ruble-yuan-settlements.html")
    writer.close()
    for path in config.snapshots.iterdir():
        path.unlink()
    assert reextract(engine, config) == {
        "checked": 1,
        "changed": 0,
        "unchanged": 0,
        "missing": 1,
        "failed": 0,
    }
    engine.dispose()


def _response(number: int) -> RawResponse:
    body = f"<html><body><p>Page {number}: {hashlib.sha256(str(number).encode()).hexdigest() * 8}</p></body></html>"
    return RawResponse(
        f"https://news.example/{number}",
        200,
        [("Content-Type", "text/html")],
        body.encode(),
        now(),
        {"n": number},
    )


def test_files_rotate_past_the_size_limit(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path, max_bytes=3000)
    refs = [writer.write(_response(number)) for number in range(30)]
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) >= 5
    largest = max(ref.length for ref in refs)
    for path in files:
        assert path.stat().st_size < 3000 + largest
    assert len(warc_records(tmp_path)) == 2 * len(refs)
    for number, ref in enumerate(refs):
        back = read_snapshot(tmp_path, ref)
        assert (back.url, back.body, back.info) == (
            f"https://news.example/{number}",
            _response(number).body,
            {"n": number},
        )


def test_a_response_is_written_once_and_writers_never_share_a_file(tmp_path: Path) -> None:
    first, second = SnapshotWriter(tmp_path), SnapshotWriter(tmp_path)
    shared = _response(1)
    assert first.write(shared) is first.write(shared)  # the posts of one page: one record
    other = second.write(_response(2))
    first.close()
    second.close()
    assert shared.ref is not None
    assert shared.ref.file != other.file
    assert len(list(tmp_path.glob("*.warc.gz"))) == 2
    assert len(warc_records(tmp_path)) == 4


def test_wire_encoding_headers_describe_the_stored_body(tmp_path: Path) -> None:
    response = replace(_response(3), headers=[
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"), ("Content-Length", "12"),
    ])  # fmt: skip
    writer = SnapshotWriter(tmp_path)
    back = read_snapshot(tmp_path, writer.write(response))
    writer.close()
    assert back.body == response.body
    assert back.headers == [
        ("Content-Type", "text/html"),
        ("Content-Length", str(len(response.body))),
    ]


def test_killed_crawl_leaves_rows_pointing_at_complete_records(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    slow = "/thinktank/2025/russian-arms-sales-china-decline.html"
    fixture_server.set(slow, delay=30)  # the crawl is still running when it is killed
    config = write_config(tmp_path, fixture_server.base, [LISTING])
    snapshots = tmp_path / "data" / "snapshots"
    url = sqlite_url(tmp_path)
    crawl = subprocess.Popen(
        [*AMUR, "--config", str(config), "crawl", "--workers", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if Path(url.removeprefix("sqlite:///")).exists() and _kept(url) >= 2:
                break
            time.sleep(0.2)
        assert _kept(url) >= 2, "the crawl kept no responses before the slow page"
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    files = {path.name: path.read_bytes() for path in snapshots.glob("*.warc.gz")}
    engine = create_engine(url)
    for held in latest_snapshots(engine, responses_only=True):
        assert held.ref is not None
        read_snapshot(snapshots, held.ref)  # complete: it reads, digests and all
    engine.dispose()
    # The next crawl writes a file of its own and leaves the killed one's as it was.
    fixture_server.set(slow, file=slow.lstrip("/"))
    assert amur(config, "crawl").returncode == 0
    after = {path.name: path.read_bytes() for path in snapshots.glob("*.warc.gz")}
    assert {name: after[name] for name in files} == files
    assert len(after) == len(files) + 1
    engine = create_engine(url)
    for held in latest_snapshots(engine, responses_only=True):
        read_snapshot(snapshots, held.ref)  # type: ignore[arg-type]
    engine.dispose()


def _kept(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text("SELECT count(*) FROM revisions WHERE snapshot_file IS NOT NULL")
                )
                or 0
            )
    except Exception:  # the crawl has not created its tables yet
        return 0
    finally:
        engine.dispose()


def test_snapshots_folder_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    path = tmp_path / "etc" / "config.yaml"
    path.write_text("sources: []\n", encoding="utf-8")
    assert load_config(path).snapshots == tmp_path / "etc" / "data" / "snapshots"
    path.write_text("snapshots: ../warc\n", encoding="utf-8")
    assert load_config(path).snapshots == tmp_path / "warc"
    path.write_text(f"snapshots: {tmp_path / 'abs'}\n", encoding="utf-8")
    assert load_config(path).snapshots == tmp_path / "abs"
