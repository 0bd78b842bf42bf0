"""The archive's write and read paths, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from storage.archive import (
    DocumentIn,
    Outcome,
    ensure_source,
    known_urls,
    now,
    set_review,
    store_document,
)
from storage.database import migrate, needs_migration
from storage.models import CrawlRun, Document
from storage.owners import process_owner
from storage.queries import Filters, export_records, get_record, review_queue
from storage.runs import finish_source_run, source_statuses, start_run, start_source_run
from tests.processes import dead_owner, live_process

WHEN = datetime(2025, 12, 23, 8, 0, tzinfo=UTC)
ARTICLE = "China and Russia signed a deal.\n\nThe pipeline will carry gas to Beijing."


def doc(url: str, text: str = ARTICLE, **fields: object) -> DocumentIn:
    values: dict[str, object] = {"source": "news", "relevant": True, "fetched": WHEN, **fields}
    return DocumentIn(url=url, text=text, **values)  # type: ignore[arg-type]


def test_migrations_create_every_table_once(engine) -> None:  # type: ignore[no-untyped-def]
    tables = set(inspect(engine).get_table_names())
    assert {
        "documents",
        "document_urls",
        "revisions",
        "matches",
        "sources",
        "crawl_runs",
        "source_runs",
        "fetch_errors",
        "alembic_version",
    } <= tables
    assert not needs_migration(engine)
    assert migrate(engine) is False


def test_new_document_then_unchanged_then_revised(engine) -> None:  # type: ignore[no-untyped-def]
    first = store_document(engine, doc("https://news.example/a"))
    assert first.outcome is Outcome.NEW
    again = store_document(engine, doc("https://NEWS.example:443/a?utm_source=rss#top"))
    assert (again.id, again.outcome) == (first.id, Outcome.UNCHANGED)
    edited = store_document(engine, doc("https://news.example/a", ARTICLE + "\n\nUpdated."))
    assert (edited.id, edited.outcome) == (first.id, Outcome.REVISED)
    record = get_record(engine, first.id)
    assert record is not None
    assert record["revisions"] == 2
    assert record["text"].endswith("Updated.")


def test_identical_text_under_another_url_is_linked_and_not_new(engine) -> None:  # type: ignore[no-untyped-def]
    original = store_document(engine, doc("https://news.example/a"))
    # Same words; different white space, punctuation and letter case.
    copy = store_document(
        engine,
        doc(
            "https://mirror.example/b",
            "CHINA and Russia signed a deal!  The pipeline will carry gas to Beijing",
        ),
    )
    assert copy.outcome is Outcome.DUPLICATE
    records = {r["id"]: r for r in export_records(engine)}
    assert records[original.id]["new"] is True
    assert records[copy.id]["new"] is False
    assert records[copy.id]["matches"] == [
        {"id": original.id, "url": "https://news.example/a", "relation": "identical", "score": 1.0}
    ]
    assert records[original.id]["matches"][0]["id"] == copy.id


def test_traditional_and_simplified_copies_are_identical(engine) -> None:  # type: ignore[no-untyped-def]
    store_document(engine, doc("https://forum.example/t", "中、俄關係:普丁與習近平會談。"))
    simplified = store_document(
        engine, doc("https://blog.example/s", "中、俄关系:普丁与习近平会谈。")
    )
    assert simplified.outcome is Outcome.DUPLICATE


def test_aliases_lead_to_the_document(engine) -> None:  # type: ignore[no-untyped-def]
    from storage.archive import document_id_for_url

    stored = store_document(
        engine, doc("https://news.example/canonical", aliases=("https://feeds.example/x?id=1",))
    )
    assert document_id_for_url(engine, "https://feeds.example/x?id=1") == stored.id
    assert document_id_for_url(engine, "https://feeds.example/x?id=2") is None


def test_review_queue_and_marks(engine) -> None:  # type: ignore[no-untyped-def]
    kept = store_document(engine, doc("https://news.example/a"))
    store_document(
        engine, doc("https://news.example/off", "House prices rose in Leeds.", relevant=False)
    )
    queue = review_queue(engine)
    assert [r["id"] for r in queue] == [kept.id]
    assert set_review(engine, [kept.id], "kept") == 1
    assert review_queue(engine) == []
    assert [r["id"] for r in export_records(engine, Filters(review="kept"))] == [kept.id]


def test_export_record_has_the_contract_fields(engine) -> None:  # type: ignore[no-untyped-def]
    store_document(
        engine,
        doc(
            "https://news.example/a",
            title="Deal",
            author="A. Writer",
            language="en",
            published="2025-12-23T05:00:00+00:00",
        ),
    )
    (record,) = export_records(engine)
    assert list(record) == [
        "id",
        "url",
        "source",
        "seed",
        "post_id",
        "title",
        "author",
        "language",
        "published",
        "fetched",
        "text",
        "new",
        "relevant",
        "review",
        "revisions",
        "matches",
    ]
    assert record["published"] == "2025-12-23T05:00:00+00:00"
    assert datetime.fromisoformat(record["fetched"]) == WHEN


def run_statuses(engine) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return dict(connection.execute(select(CrawlRun.id, CrawlRun.status)).all())


def test_runs_of_a_dead_owner_are_closed_by_the_next_run(engine) -> None:  # type: ignore[no-untyped-def]
    source_id = ensure_source(engine, "news", "feed", "https://news.example/rss.xml")
    killed = start_run(engine, "crawl", dead_owner())
    start_source_run(engine, killed, source_id)  # the process died here
    run = start_run(engine, "crawl", process_owner())
    source_run = start_source_run(engine, run, source_id)
    finish_source_run(engine, source_run, "failed", {"errors": 1})
    (status,) = source_statuses(engine)
    assert (status.outcome, status.counts["errors"]) == ("failed", 1)
    # The interrupted run is not counted as a failure in a row.
    assert status.consecutive_failures == 1
    assert run_statuses(engine) == {killed: "interrupted", run: "running"}


def test_a_live_run_of_another_process_is_left_running(engine) -> None:  # type: ignore[no-untyped-def]
    """A cron `amur crawl` beside `amur serve`: neither closes the other's run."""
    source_id = ensure_source(engine, "news", "feed", "https://news.example/rss.xml")
    with live_process() as other:
        theirs = start_run(engine, "serve", other)
        their_source_run = start_source_run(engine, theirs, source_id)
        ours = start_run(engine, "crawl", process_owner())
        assert run_statuses(engine) == {theirs: "running", ours: "running"}
        finish_source_run(engine, their_source_run, "ok", {"fetched": 3})
    (status,) = source_statuses(engine)
    assert (status.outcome, status.counts["fetched"]) == ("ok", 3)


def test_an_alias_on_another_site_does_not_pick_the_document_to_revise(engine) -> None:  # type: ignore[no-untyped-def]
    """A page elsewhere that was reached through a link naming a stored URL (a redirect from
    it, a feed link) is a document of its own; the stored one keeps its text."""
    held = store_document(engine, doc("https://mander.xyz/post/44153480"))
    other = store_document(
        engine,
        doc(
            "https://garden.example/tomatoes",
            "Tomatoes want warmth, light and steady water.",
            aliases=("https://mander.xyz/post/44153480",),
        ),
    )
    assert other.outcome is Outcome.NEW
    assert other.id != held.id
    record = get_record(engine, held.id)
    assert record is not None
    assert (record["revisions"], record["text"]) == (1, ARTICLE)


def test_a_same_site_alias_finds_the_document(engine) -> None:  # type: ignore[no-untyped-def]
    """A page first stored under its fetched URL, later declaring its canonical URL."""
    first = store_document(engine, doc("https://news.example.com/a?id=7"))
    again = store_document(
        engine,
        doc("https://www.news.example.com/world/a", aliases=("https://news.example.com/a?id=7",)),
    )
    assert (again.id, again.outcome) == (first.id, Outcome.UNCHANGED)


def test_a_declared_url_is_kept_as_a_hint(engine) -> None:  # type: ignore[no-untyped-def]
    stored = store_document(
        engine, doc("https://garden.example/tomatoes", declared_url="https://mander.xyz/post/1")
    )
    with engine.connect() as connection:
        declared = connection.scalar(select(Document.declared_url).where(Document.id == stored.id))
    assert declared == "https://mander.xyz/post/1"


def test_known_urls_in_one_query_in_any_spelling(engine) -> None:  # type: ignore[no-untyped-def]
    store_document(
        engine, doc("https://news.example.com/a", aliases=("https://feeds.example/x?id=1",))
    )
    asked = [
        "https://NEWS.example.com/a?utm_source=rss",
        "https://feeds.example/x?id=1",
        "https://news.example.com/b",
    ]
    assert known_urls(engine, asked) == set(asked[:2])
    assert known_urls(engine, []) == set()


def test_a_seed_source_an_old_import_took_over_is_repaired(database_url: str) -> None:  # type: ignore[no-untyped-def]
    """Before sources were owned, `import --source seed` made the seeds reviewable for good."""
    from alembic import command
    from sqlalchemy import text

    from storage.database import _alembic_config, create_archive_engine

    engine = create_archive_engine(database_url)
    command.upgrade(_alembic_config(engine), "0004")
    # What the old import did, written in SQL: today's models know columns 0004 did not have.
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO sources (name, kind) VALUES ('seed', 'import')"))
        connection.execute(
            text(
                "INSERT INTO documents (url, source_id, seed, first_seen, fetched, text,"
                " text_hash, is_new, relevant, review) SELECT 'seed:001.txt', id, '001.txt',"
                " :now, :now, 'text', 'hash', true, true, 'unreviewed' FROM sources"
            ),
            {"now": now()},
        )
    assert migrate(engine)
    assert review_queue(engine, None) == []
    engine.dispose()


def test_one_new_source_created_by_several_processes_at_once(database_url: str) -> None:  # type: ignore[no-untyped-def]
    """Two crawls starting together both create their configured sources."""
    import threading

    from storage.database import open_archive

    engines = [open_archive(database_url) for _ in range(6)]
    barrier = threading.Barrier(len(engines))
    ids: list[int] = []
    errors: list[Exception] = []

    def create(engine) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            ids.append(ensure_source(engine, "thinktank", "listing", "https://think.example/"))
        except Exception as err:  # collected: the assertion below names it
            errors.append(err)

    threads = [threading.Thread(target=create, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert len(set(ids)) == 1
