"""The dedup engine: shingling, and relations made through the real store path on both backends.

Documents are built from the case set (tests/fixtures/dedup/docs, derived from the seeds), not
from the seed import, so the tests hold however the seed thread is split into posts.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, select

from storage import dedup, shingles
from storage.archive import DocumentIn, Outcome, ensure_source, store_document
from storage.database import _alembic_config, create_archive_engine, migrate, open_archive
from storage.fingerprints import normalize_text, text_hash
from storage.models import Document, Fingerprint, Match, Site, Source
from storage.queries import get_record

DOCS = Path(__file__).parents[1] / "fixtures" / "dedup" / "docs"
WHEN = datetime(2025, 12, 24, 8, 0, tzinfo=UTC)


def text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def store(engine: Engine, name: str, body: str | None = None, **fields: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"source": "news", "relevant": True, "fetched": WHEN, **fields}
    values.setdefault("url", f"https://news.example/{name}")
    return store_document(engine, DocumentIn(text=body or text(name), **values))  # type: ignore[arg-type]


def matches(engine: Engine, document_id: int) -> dict[int, tuple[str, float]]:
    record = get_record(engine, document_id)
    assert record is not None
    return {m["id"]: (m["relation"], m["score"]) for m in record["matches"]}


def is_new(engine: Engine, document_id: int) -> bool:
    with engine.connect() as connection:
        return bool(connection.scalar(select(Document.is_new).where(Document.id == document_id)))


def filler(seed: int, words: int) -> str:
    """Unrelated prose-like text: random words from a vocabulary no case-set text shares."""
    rng = random.Random(seed)
    vocabulary = [f"w{seed}x{n}" for n in range(400)]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


# Shingling (pure functions) -------------------------------------------------------------


def test_normalize_matches_the_exact_text_hash() -> None:
    for path in sorted(DOCS.glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        normalized = shingles.normalize(body)
        assert normalized == normalize_text(body), path.name
        assert shingles.text_digest(normalized) == text_hash(body)


def test_tokens_are_words_and_cjk_characters_in_one_pass() -> None:
    tokens, weights = shingles.tokenize(shingles.normalize("普丁與習近平會談 Putin met Xi, 2025年"))
    assert "".join(tokens[:8]) == "普丁与习近平会谈"  # one token per character, in Simplified
    assert tokens[8:] == ["putin", "met", "xi", "2025", "年"]
    assert weights == [1] * 8 + [2, 2, 2, 2, 1]


def test_hashes_fit_a_signed_bigint_and_are_stable() -> None:
    first = shingles.profile(text("telegraph.txt"))
    assert all(0 <= value < 2**63 for value in first.hashes)
    assert shingles.profile(text("telegraph.txt")).hashes == first.hashes
    assert len(shingles.profile("one two").hashes) == 1  # a short text still has a fingerprint


def test_winnowing_guarantees_a_fingerprint_in_every_long_shared_run() -> None:
    rng = random.Random(7)
    window, size = shingles.WINDOW, shingles.SPAN // shingles.WORD_UNITS
    for trial in range(30):
        shared = [f"s{trial}x{rng.randrange(10**6)}" for _ in range(window + size - 1)]
        a = " ".join([*filler(trial, 50).split(), *shared, *filler(trial + 100, 50).split()])
        b = " ".join([*filler(trial + 200, 80).split(), *shared])
        common = set(shingles.profile(a).fingerprints()) & set(shingles.profile(b).fingerprints())
        assert common, trial


# Relations through store_document ----------------------------------------------------------


def test_relations_are_stored_both_ways_with_one_score(engine: Engine) -> None:
    article = store(engine, "telegraph.txt")
    excerpt = store(engine, "lemmy_excerpt.txt")
    assert [(r.other_id, r.relation) for r in excerpt.relations] == [(article.id, "excerpt_of")]
    assert matches(engine, excerpt.id) == {article.id: ("excerpt_of", 1.0)}
    assert matches(engine, article.id) == {excerpt.id: ("quotes", 1.0)}


@pytest.mark.parametrize(
    ("first", "second", "relation", "outcome"),
    [
        ("telegraph.txt", "telegraph_edited.txt", "near_duplicate", Outcome.DUPLICATE),
        ("telegraph.txt", "telegraph_cars_300.txt", "excerpt_of", Outcome.DUPLICATE),
        ("telegraph_cars_300.txt", "telegraph.txt", "quotes", Outcome.NEW),
        ("telegraph.txt", "udn_telegraph_post.txt", "quotes", Outcome.NEW),
        ("telegraph.txt", "lemmy_post.txt", "overlaps", Outcome.NEW),
        ("zh_trade_report.txt", "zh_forum_repost.txt", "quotes", Outcome.NEW),
        ("siberia_zh.txt", "siberia_zh_excerpt_trad.txt", "excerpt_of", Outcome.DUPLICATE),
        ("siberia_zh.txt", "siberia_zh_trad.txt", "identical", Outcome.DUPLICATE),
    ],
)
def test_new_unless_identical_near_duplicate_or_excerpt(
    engine: Engine, first: str, second: str, relation: str, outcome: Outcome
) -> None:
    earlier = store(engine, first)
    later = store(engine, second)
    assert later.outcome is outcome
    assert [(r.other_id, r.relation) for r in later.relations] == [(earlier.id, relation)]
    assert is_new(engine, later.id) is (outcome is Outcome.NEW)
    assert is_new(engine, earlier.id)


def test_finds_a_600_word_article_inside_a_3000_word_forum_post(engine: Engine) -> None:
    article = store(engine, "neg_pipeline.txt")
    post = store(engine, "forum_long.txt")
    assert post.outcome is Outcome.NEW
    assert {(r.other_id, r.relation) for r in post.relations} == {(article.id, "quotes")}


def test_finds_a_300_word_excerpt_inside_a_1200_word_article(engine: Engine) -> None:
    article = store(engine, "telegraph.txt")
    excerpt = store(engine, "telegraph_cars_300.txt")
    assert excerpt.outcome is Outcome.DUPLICATE
    assert matches(engine, excerpt.id) == {article.id: ("excerpt_of", 1.0)}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("telegraph.txt", "neg_trade_slump.txt"),  # same topic, vocabulary, a stock phrase
        ("telegraph_cars_300.txt", "neg_cars.txt"),
        ("telegraph.txt", "neg_paraphrase.txt"),  # rewrite sharing one 14-word quotation
        ("wire_naval.txt", "wire_harbin.txt"),  # one 44-word press-agency sentence
        ("zh_summit_a.txt", "zh_summit_b.txt"),  # one Xinhua dateline sentence, stock phrases
    ],
)
def test_does_not_link_different_articles_on_the_same_topic(
    engine: Engine, first: str, second: str
) -> None:
    store(engine, first)
    later = store(engine, second)
    assert (later.outcome, later.relations) == (Outcome.NEW, ())
    assert matches(engine, later.id) == {}


def test_a_revised_text_is_classified_again(engine: Engine) -> None:
    article = store(engine, "telegraph.txt")
    page = store(engine, "page", filler(1, 300))
    assert page.outcome is Outcome.NEW

    revised = store(engine, "page", text("telegraph_cars_300.txt"))
    assert revised.outcome is Outcome.REVISED
    assert [(r.other_id, r.relation) for r in revised.relations] == [(article.id, "excerpt_of")]
    assert matches(engine, article.id) == {page.id: ("quotes", 1.0)}
    assert not is_new(engine, page.id)
    with engine.connect() as connection:
        rows = set(
            connection.scalars(select(Fingerprint.hash).where(Fingerprint.document_id == page.id))
        )
    assert rows == set(shingles.profile(text("telegraph_cars_300.txt")).fingerprints())

    back = store(engine, "page", filler(2, 300))
    assert back.relations == ()
    assert matches(engine, article.id) == {}
    assert is_new(engine, page.id)


def test_revising_an_earlier_document_updates_the_later_ones(engine: Engine) -> None:
    early = store(engine, "early", filler(3, 300))
    article = store(engine, "telegraph.txt")
    assert is_new(engine, article.id)
    store(engine, "early", text("telegraph_edited.txt"))
    # The article is now a near duplicate of a document stored before it.
    assert matches(engine, article.id) == {early.id: ("near_duplicate", 0.9825)}
    assert not is_new(engine, article.id)
    assert is_new(engine, early.id)


def test_identical_copies_stay_findable_when_their_original_changes(engine: Engine) -> None:
    original = store(engine, "original", text("telegraph.txt"))
    first_copy = store(engine, "copy-1", text("telegraph.txt"))
    second_copy = store(engine, "copy-2", text("telegraph.txt"))
    assert matches(engine, first_copy.id) == {original.id: ("identical", 1.0)}

    store(engine, "original", filler(4, 300))  # the original's page now holds something else

    # The first copy is indexed in the original's place; the second is its copy.
    assert matches(engine, first_copy.id) == {second_copy.id: ("identical", 1.0)}
    assert matches(engine, second_copy.id) == {first_copy.id: ("identical", 1.0)}
    assert is_new(engine, first_copy.id)
    assert not is_new(engine, second_copy.id)
    # A later edited copy of the article is still recognised through the first copy.
    edited = store(engine, "edited", text("telegraph_edited.txt"))
    assert [(r.other_id, r.relation) for r in edited.relations] == [
        (first_copy.id, "near_duplicate")
    ]
    assert edited.outcome is Outcome.DUPLICATE


def test_copies_stored_at_once_by_several_writers_are_one_new_document(engine: Engine) -> None:
    """Writers in parallel (threads here, processes in production) still see each other."""
    article = text("telegraph.txt")
    with ThreadPoolExecutor(max_workers=6) as pool:
        stored = list(pool.map(lambda n: store(engine, f"copy-{n}", article), range(12)))
    assert sorted(s.outcome for s in stored).count(Outcome.NEW) == 1
    first = min(s.id for s in stored)
    for other in stored:
        if other.id != first:
            assert (first, "identical") in {(r.other_id, r.relation) for r in other.relations}


def _counting_relate(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch `dedup.relate` to count verifications; returns the list it appends to."""
    verified: list[int] = []
    real_relate = dedup.relate

    def counting_relate(a: shingles.Profile, b: shingles.Profile):  # type: ignore[no-untyped-def]
        verified.append(1)
        return real_relate(a, b)

    monkeypatch.setattr(dedup, "relate", counting_relate)
    return verified


def _rows_per_hash(engine: Engine) -> dict[int, int]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                select(Fingerprint.hash, func.count()).group_by(Fingerprint.hash)
            ).all()
        )


def test_boilerplate_of_one_site_is_skipped_and_stops_growing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dedup, "MAX_DF", 4)
    verified = _counting_relate(monkeypatch)
    # A 72-word block on every page of one site: long enough to make `overlaps`.
    block = text("wire_naval.txt").split("\n\n")[5]
    assert len(block.split()) >= dedup.PASSAGE // shingles.WORD_UNITS
    pages = [store(engine, f"page{n}", f"{filler(10 + n, 250)}\n\n{block}") for n in range(7)]
    # The second page is linked to the first (no site repeats a block twice yet); from the
    # third on, the block is the site's boilerplate.
    assert [(r.other_id, r.relation) for r in pages[1].relations] == [(pages[0].id, "overlaps")]
    assert all(page.relations == () for page in pages[2:])
    checks = len(verified)
    store(engine, "page7", f"{filler(17, 250)}\n\n{block}")
    assert len(verified) == checks  # no candidate left to verify
    counts = _rows_per_hash(engine)
    assert max(counts.values()) == 4  # a hash keeps its earliest holders only
    assert {h for h, n in counts.items() if n == 4} <= set(shingles.profile(block).hashes)


def _reprint(outlet: int, article: str) -> str:
    """`article` as outlet `outlet` prints it: its own header and footer, one paragraph cut."""
    paragraphs = article.split("\n\n")
    del paragraphs[1 + outlet % (len(paragraphs) - 1)]
    body = "\n\n".join(paragraphs)
    return f"{filler(100 + outlet, 12)}\n\n{body}\n\n{filler(200 + outlet, 30)}"


def test_a_reprint_is_found_however_many_sites_carried_it_before(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wire copy: once more documents than MAX_DF hold a passage, it still leads to them."""
    monkeypatch.setattr(dedup, "MAX_DF", 3)
    article = text("wire_naval.txt")
    original = store(engine, "original", article, url="https://agency.example/naval")
    for outlet in range(12):
        copy = store(
            engine, "copy", _reprint(outlet, article), url=f"https://outlet{outlet}.example/a"
        )
        assert copy.outcome is Outcome.DUPLICATE, outlet
        related = {r.other_id: r.relation for r in copy.relations}
        assert related.get(original.id) in dedup.NOT_NEW, outlet
    assert max(_rows_per_hash(engine).values()) == 3


def test_hashes_with_more_rows_than_max_df_are_read_for_their_earliest(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive indexed under a higher cap (50 before) reads the same as one indexed since."""
    article = text("wire_naval.txt")
    first = store(engine, "original", article, url="https://agency.example/naval")
    copies = [
        store(engine, "copy", _reprint(outlet, article), url=f"https://outlet{outlet}.example/a")
        for outlet in range(6)
    ]
    monkeypatch.setattr(dedup, "MAX_DF", 2)
    late = store(engine, "late", _reprint(6, article), url="https://late.example/a")
    related = {r.other_id for r in late.relations}
    assert first.id in related
    # The last copies hold every hash they share with it, but never among its earliest two.
    assert not related & {copies[-1].id, copies[-2].id}
    counts = _rows_per_hash(engine)
    assert max(counts.values()) == 7  # the late copy adds no row to a hash held by 2 or more


def test_documents_stored_before_the_index_existed_are_found(database_url: str) -> None:
    engine = create_archive_engine(database_url)
    command.upgrade(_alembic_config(engine), "0001")
    body = text("telegraph.txt")
    with engine.begin() as connection:
        source = connection.execute(
            insert(Source).values(name="news", kind="feed", url=None).returning(Source.id)
        ).scalar_one()
        old = connection.execute(
            insert(Document)
            .values(
                url="https://old.example/a",
                source_id=source,
                first_seen=WHEN,
                fetched=WHEN,
                text=body,
                text_hash=text_hash(body),
                is_new=True,
                relevant=True,
                review="unreviewed",
            )
            .returning(Document.id)
        ).scalar_one()
    assert migrate(engine)
    excerpt = store(engine, "lemmy_excerpt.txt")
    assert [(r.other_id, r.relation) for r in excerpt.relations] == [(old, "excerpt_of")]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Match)) == 2
    engine.dispose()


def test_migration_0012_gives_indexed_holders_their_sites_and_keeps_the_earliest(
    database_url: str,
) -> None:
    """An archive indexed before 0012 tells a site's boilerplate as one indexed since."""
    engine = open_archive(database_url)
    ensure_source(engine, "news", "feed", None)
    block = text("wire_naval.txt").split("\n\n")[5]
    pages = [
        store(engine, f"p{n}", f"{filler(10 + n, 250)}\n\n{block}", url=url)
        for n, url in enumerate(["https://www.telegraph.co.uk/a", "https://telegraph.co.uk/b"])
    ]
    config = _alembic_config(engine)
    command.downgrade(config, "0011")  # the index as it was: no sites
    common = shingles.profile(block).fingerprints()
    first = next(iter(common))
    with engine.begin() as connection:  # more holders of one hash than the cap keeps now
        source = connection.scalar(select(Source.id))
        for n in range(20):
            other = connection.execute(
                insert(Document)
                .values(url=f"https://outlet{n}.com/x", source_id=source, first_seen=WHEN,
                        fetched=WHEN, text="x", text_hash=f"x{n}", is_new=True, relevant=True,
                        review="unreviewed")
                .returning(Document.id)
            ).scalar_one()  # fmt: skip
            connection.execute(
                insert(Fingerprint).values(hash=first, document_id=other, position=0)
            )
    assert migrate(engine)
    with engine.connect() as connection:
        holders = connection.execute(
            select(Fingerprint.document_id, Fingerprint.site_id)
            .where(Fingerprint.hash == first)
            .order_by(Fingerprint.document_id)
        ).all()
        names = dict(connection.execute(select(Site.id, Site.name)).all())
    assert len(holders) == dedup.MAX_DF  # the earliest: both pages and 14 outlets
    assert [holder.document_id for holder in holders[:2]] == [page.id for page in pages]
    assert [names[holder.site_id] for holder in holders[:3]] == [
        "telegraph.co.uk", "telegraph.co.uk", "outlet0.com"
    ]  # fmt: skip
    # Another site quoting the block is linked to the pages; a third page of their site that
    # holds it finds it is the site's boilerplate, and is linked to nothing.
    quoting = store(engine, "q", f"{filler(13, 250)}\n\n{block}", url="https://other.org/q")
    assert {r.other_id for r in quoting.relations} == {page.id for page in pages}
    third = store(engine, "p2", f"{filler(12, 250)}\n\n{block}", url="https://telegraph.co.uk/c")
    assert third.relations == ()
    command.downgrade(config, "0011")
    assert migrate(engine)
    engine.dispose()


def test_documents_without_a_host_are_each_a_site_of_their_own(engine: Engine) -> None:
    """Seeds sharing a passage are never taken for one site's pages sharing boilerplate."""
    block = text("wire_naval.txt").split("\n\n")[5]
    seeds = [
        store(engine, f"s{n}", f"{filler(20 + n, 250)}\n\n{block}", url=f"seed:notes{n}.txt")
        for n in range(4)
    ]
    for n, seed in enumerate(seeds):
        assert {(r.other_id, r.relation) for r in seed.relations} == {
            (earlier.id, "overlaps") for earlier in seeds[:n]
        }
