"""What the reviewer is shown: edits after a decision, and a story with its copies as one."""

from __future__ import annotations

from datetime import timedelta

from storage.archive import ensure_source, now, set_review, store_document
from storage.queries import Filters, changed_since_review, copies, review_queue
from tests.storage.test_archive import ARTICLE, WHEN, doc
from tests.storage.test_dedup import text

OTHER = (
    "Moscow and Beijing agreed on a new rail link across the Amur river.\n\n"
    "The bridge will open next year, officials in Heihe said on Tuesday."
)


def test_a_kept_document_revised_later_shows_as_changed_until_reviewed_again(engine) -> None:  # type: ignore[no-untyped-def]
    stored = store_document(engine, doc("https://forum.example/post/1"))
    untouched = store_document(engine, doc("https://forum.example/post/2", OTHER))
    set_review(engine, [stored.id, untouched.id], "kept")
    assert changed_since_review(engine) == []

    store_document(
        engine, doc("https://forum.example/post/1", ARTICLE + "\n\nEdit: wrong.", fetched=now())
    )
    changed = changed_since_review(engine)
    assert [record["id"] for record in changed] == [stored.id]
    assert changed[0]["review"] == "kept"
    assert changed[0]["revisions"] == 2

    set_review(engine, [stored.id], "kept")  # seen again
    assert changed_since_review(engine) == []


def test_a_revision_before_the_decision_is_not_a_change(engine) -> None:  # type: ignore[no-untyped-def]
    stored = store_document(engine, doc("https://forum.example/post/1"))
    store_document(
        engine,
        doc(
            "https://forum.example/post/1", ARTICLE + "\n\nMore.", fetched=WHEN + timedelta(hours=1)
        ),
    )
    set_review(engine, [stored.id], "rejected")
    assert changed_since_review(engine) == []


def test_copies_of_a_story_are_listed_with_their_outlets(engine) -> None:  # type: ignore[no-untyped-def]
    for name in ("paper-a", "paper-b"):
        ensure_source(engine, name, "feed", None)
    story = text("telegraph.txt")
    original = store_document(engine, doc("https://news.example/story", story))
    same = store_document(engine, doc("https://paper-a.example/s", story, source="paper-a"))
    edited = store_document(
        engine, doc("https://paper-b.example/s", text("telegraph_edited.txt"), source="paper-b")
    )
    excerpt = store_document(
        engine,
        doc("https://paper-b.example/cars", text("telegraph_cars_300.txt"), source="paper-b"),
    )
    unrelated = store_document(
        engine, doc("https://paper-a.example/other", text("siberia_en.txt"), source="paper-a")
    )

    found = copies(engine, [original.id, unrelated.id, same.id])
    assert [(c["id"], c["source"], c["relation"]) for c in found[original.id]] == [
        (same.id, "paper-a", "identical"),
        (edited.id, "paper-b", "near_duplicate"),
        (excerpt.id, "paper-b", "excerpt_of"),
    ]
    assert found[unrelated.id] == []
    # A copy's group holds only later copies of it, never its original.
    assert original.id not in [c["id"] for c in found[same.id]]
    # The queue holds the story once.
    queue_ids = {record["id"] for record in review_queue(engine)}
    assert original.id in queue_ids
    assert not queue_ids & {same.id, edited.id, excerpt.id}


def test_the_queue_filters_by_relation(engine) -> None:  # type: ignore[no-untyped-def]
    thread = store_document(
        engine, doc("https://forum.example/thread", text("udn_telegraph_post.txt"))
    )
    # The post quotes the whole article, so the article is an excerpt of it (and not new).
    article = store_document(engine, doc("https://news.example/story", text("telegraph.txt")))
    store_document(engine, doc("https://news.example/siberia", text("siberia_en.txt")))
    assert [r.relation for r in article.relations] == ["excerpt_of"]
    listed = [r["id"] for r in review_queue(engine, filters=Filters(relation="quotes"))]
    assert listed == [thread.id]
    assert review_queue(engine, filters=Filters(relation="identical")) == []
