"""Full-text search: the same queries give the same hits on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text

from storage.archive import DocumentIn, ensure_source, store_document
from storage.database import _alembic_config, create_archive_engine, migrate
from storage.errors import BadQuery
from storage.models import SearchText
from storage.queries import Filters
from storage.search import count, index_row, make_snippet, parse, search
from storage.shingles import normalize, normalize_with_offsets

WHEN = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
DOCUMENTS = {
    "trade": (
        "Sino-Russian trade slows",
        "Sino-Russian trade fell for the third month as Moscow struggled to pay for Chinese "
        "machinery. Officials in Beijing said the partnership was sound.",
        "en",
    ),
    "grain": (
        "Grain across the Amur",
        "A grain corridor opened at Blagoveshchensk, and Russian farmers began shipping soybeans "
        "south. Border trade in farm goods doubled.",
        "en",
    ),
    "energy": (  # Simplified
        "中俄能源合作",
        "中俄天然气管道的第二条线路仍在谈判之中。分析人士认为，北京希望以更低的价格购买西伯利亚的天然气。",
        "zh",
    ),
    "visit": (  # Traditional
        "普京訪華",
        "普京總統抵達北京，與中國領導人會談。雙方討論了中俄關係的前景和能源合作。",
        "zh",
    ),
}


def url(name: str) -> str:
    return f"https://news.example/{name}"


def store(engine: Engine, name: str, title: str | None, body: str, **fields: object) -> int:
    values: dict[str, object] = {"source": "news", "relevant": True, "fetched": WHEN, **fields}
    document = DocumentIn(url=url(name), title=title, text=body, **values)  # type: ignore[arg-type]
    return store_document(engine, document).id


@pytest.fixture
def archive(engine: Engine) -> dict[str, int]:
    """The four documents stored; their ids by name."""
    return {
        name: store(engine, name, title, body, language=language)
        for name, (title, body, language) in DOCUMENTS.items()
    }


def found(engine: Engine, query: str, **options: object) -> list[str]:
    """The names (URL ends) of the hits, in ranked order."""
    return [hit.url.rsplit("/", 1)[1] for hit in search(engine, query, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("trade", {"trade", "grain"}),
        ("TRADE Moscow", {"trade"}),
        ("russian soybeans", {"grain"}),
        ("sino-russian", {"trade"}),
        ("Sino Russian", {"trade"}),
        ("russia", {"trade", "grain"}),  # a word is found inside a longer one
        ("moscow soybeans", set()),  # every word must occur
        ("中俄", {"energy", "visit"}),  # two characters: the pair index
        ("普京", {"visit"}),
        ("北京", {"energy", "visit"}),
        ("北京 Beijing", set()),
        ("中俄關係", {"visit"}),
        ("能源合作", {"energy", "visit"}),
        ("普京 能源", {"visit"}),
        ("俄", {"energy", "visit"}),  # one character: scanned
        ("天然 管道", {"energy"}),
        ("ＴＲＡＤＥ", {"trade", "grain"}),  # full-width letters fold too
    ],
)
def test_every_word_must_occur(
    engine: Engine, archive: dict[str, int], query: str, expected: set[str]
) -> None:
    assert set(found(engine, query)) == expected
    assert count(engine, query) == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("中俄关系", "visit"),  # Simplified query, Traditional text
        ("普京总统", "visit"),
        ("天然氣管道", "energy"),  # Traditional query, Simplified text
        ("談判", "energy"),
        ("價格", "energy"),
    ],
)
def test_traditional_and_simplified_find_each_other(
    engine: Engine, archive: dict[str, int], query: str, expected: str
) -> None:
    (hit,) = search(engine, query)
    assert hit.url == url(expected)
    marked = [hit.snippet[start:end] for start, end in hit.highlights]
    assert marked
    assert all(normalize(word) == normalize(query) for word in marked)


def test_a_title_hit_ranks_first(engine: Engine, archive: dict[str, int]) -> None:
    assert found(engine, "trade")[0] == "trade"
    assert found(engine, "能源")[0] == "energy"  # in the title of one, the text of the other


def test_hits_carry_the_documents_metadata(engine: Engine, archive: dict[str, int]) -> None:
    (hit,) = search(engine, "Blagoveshchensk")
    assert hit.id == archive["grain"]
    assert (hit.title, hit.source, hit.language, hit.review) == (
        "Grain across the Amur",
        "news",
        "en",
        "unreviewed",
    )
    assert hit.published is None
    assert hit.score > 0
    assert hit.snippet.startswith("A grain corridor opened at Blagoveshchensk")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["Blagoveshchensk"]


def test_paging_and_filters(engine: Engine, archive: dict[str, int]) -> None:
    everything = found(engine, "trade")
    assert found(engine, "trade", limit=1) + found(engine, "trade", limit=1, offset=1) == everything
    assert found(engine, "trade", offset=2) == []
    assert found(engine, "中俄", filters=Filters(language="en")) == []
    assert set(found(engine, "中俄", filters=Filters(language="zh"))) == {"energy", "visit"}
    assert count(engine, "中俄", Filters(sources=("other",))) == 0


def test_title_hits_come_first_then_the_densest_and_pages_go_on_past_the_pool(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pool of 3: three matches are ranked by score, the rest follow in the cheap order.
    monkeypatch.setattr("storage.search.POOL", 3)
    filler = "Officials met in the capital and spoke about the weather. " * 8
    names = {
        "old-title": ("Pipeline talks resume", filler),  # the oldest: a title hit all the same
        "dense": ("Energy", "The pipeline, the pipeline and the pipeline again. " + filler),
        "sparse": ("Energy", filler + "A pipeline was mentioned."),
        "newer-title": ("Another pipeline", filler),
        "newest": ("Energy", filler + "The pipeline again."),
        "none": ("Energy", filler),
    }
    for name, (title, body) in names.items():
        store(engine, name, title, body)
    ranked = found(engine, "pipeline", limit=50)
    assert sorted(ranked) == sorted(set(names) - {"none"})
    # The cheap order: title hits newest first, then the rest newest first; its first three
    # (two title hits and the newest text hit) sorted by score, the other two after them.
    assert ranked[:2] == ["old-title", "newer-title"] or ranked[:2] == ["newer-title", "old-title"]
    assert ranked[2:] == ["newest", "sparse", "dense"]
    hits = search(engine, "pipeline", limit=3)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    pages = [found(engine, "pipeline", limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [name for page in pages for name in page] == ranked
    monkeypatch.setattr("storage.search.POOL", 200)
    assert found(engine, "pipeline")[2] == "dense"  # in the pool: the densest text first
    assert count(engine, "pipeline") == 5


def test_seed_documents_are_found(engine: Engine) -> None:
    ensure_source(engine, "seed", "seed", None)
    body = (SEEDS / "002_5b42cc94d0850d73.txt").read_text(encoding="utf-8")
    store(engine, "seed-2", "A seed", body, source="seed", seed="002_5b42cc94d0850d73.txt")
    word = next(w for w in normalize(body).split() if len(w) > 6)
    hits = search(engine, word)
    assert [hit.source for hit in hits] == ["seed"]


def test_a_revised_document_is_found_by_its_new_text_only(
    engine: Engine, archive: dict[str, int]
) -> None:
    title, body, _ = DOCUMENTS["grain"]
    revised = body.replace("soybeans", "sunflower seeds")
    later = WHEN + timedelta(hours=1)
    assert store(engine, "grain", title, revised, fetched=later) == archive["grain"]
    assert found(engine, "soybeans") == []
    assert found(engine, "sunflower") == ["grain"]
    # A revision without a title keeps the old one, searchable as before.
    assert store(engine, "grain", None, revised + " Later.", fetched=later) == archive["grain"]
    assert found(engine, "amur") == ["grain"]


@pytest.mark.parametrize(
    "query",
    [
        '"', '""', "'", "AND", "OR", "NOT", "NEAR", "NEAR(trade moscow)", "trade*", "*", "(",
        ")", "trade)", "title:trade", "^trade", "-trade", "+trade", "%", "_", "\\", "%trade%",
        '"中俄', "中俄 AND", "{trade}", "trade; DROP TABLE documents", "a'b", "\x00trade",
    ],
)  # fmt: skip
def test_query_syntax_is_plain_text(engine: Engine, archive: dict[str, int], query: str) -> None:
    try:
        hits = search(engine, query)
    except BadQuery:
        assert not normalize(query)
        return
    words = parse(query).words
    for hit in hits:  # every word of the folded query is in every hit
        title, body, _ = DOCUMENTS[hit.url.rsplit("/", 1)[1]]
        assert all(word in normalize(title) or word in normalize(body) for word in words)
    assert found(engine, "trade") == found(engine, "(trade)") == found(engine, '"trade"')


@pytest.mark.parametrize("query", ["", "   ", "?!", "“”", "--", "()", "*"])
def test_a_query_without_words_is_refused(engine: Engine, query: str) -> None:
    with pytest.raises(BadQuery, match="nothing to search for"):
        search(engine, query)


def test_the_migration_indexes_an_archive_stored_before_it(database_url: str) -> None:
    from alembic import command

    engine = create_archive_engine(database_url)
    command.upgrade(_alembic_config(engine), "0006")
    # Rows as 0006 stored them, written in SQL: today's code would index them itself.
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO sources (name, kind) VALUES ('news', 'feed')"))
        for name, (title, body, language) in DOCUMENTS.items():
            connection.execute(
                text(
                    "INSERT INTO documents (url, source_id, title, language, first_seen, fetched,"
                    " text, text_hash, is_new, relevant, review) SELECT :url, id, :title,"
                    " :language, :now, :now, :text, :hash, true, true, 'unreviewed'"
                    " FROM sources"
                ),
                {"url": url(name), "title": title, "language": language, "text": body,
                 "hash": name, "now": WHEN},
            )  # fmt: skip
    assert migrate(engine)
    assert set(found(engine, "中俄关系")) == {"visit"}
    assert set(found(engine, "北京")) == {"energy", "visit"}
    assert set(found(engine, "moscow trade")) == {"trade"}
    # And the index is kept in step from then on.
    store(engine, "new", "Arctic route", "The northern sea route carried 中俄 cargo.")
    assert set(found(engine, "中俄")) == {"energy", "visit", "new"}
    engine.dispose()


def test_migration_0011_reindexes_an_archive_indexed_by_0007(database_url: str) -> None:
    from alembic import command

    engine = create_archive_engine(database_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0010")
    # Rows as 0010 stored them, written in SQL: search_text through 0007's triggers fills
    # 0007's FTS5 tables on SQLite.
    ids = {}
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO sources (name, kind) VALUES ('news', 'feed')"))
        for name, (title, body, language) in DOCUMENTS.items():
            ids[name] = connection.scalar(
                text(
                    "INSERT INTO documents (url, source_id, title, language, first_seen, fetched,"
                    " text, text_hash, is_new, relevant, review) SELECT :url, id, :title,"
                    " :language, :now, :now, :text, :hash, true, true, 'unreviewed'"
                    " FROM sources RETURNING id"
                ),
                {"url": url(name), "title": title, "language": language, "text": body,
                 "hash": name, "now": WHEN},
            )  # fmt: skip
            connection.execute(insert(SearchText), index_row(ids[name], title, normalize(body)))
    assert migrate(engine)
    assert set(found(engine, "中俄关系")) == {"visit"}
    assert set(found(engine, "北京")) == {"energy", "visit"}
    assert set(found(engine, "moscow trade")) == {"trade"}
    assert set(found(engine, "trade 中俄")) == set()
    assert found(engine, "amur")[0] == "grain"  # a title hit
    # Kept in step from then on: a new document, a revision, a deletion.
    ids["new"] = store(engine, "new", "Arctic", "The northern sea route carried 中俄 cargo trade.")
    assert set(found(engine, "trade 中俄")) == {"new"}
    with engine.begin() as connection:  # the update trigger (a revision updates the row)
        connection.execute(
            text("UPDATE search_text SET body = replace(body, 'soybeans', 'sunflower seeds')"
                 " WHERE document_id = :id"),
            {"id": ids["grain"]},
        )  # fmt: skip
    assert found(engine, "soybeans") == []
    assert found(engine, "sunflower") == ["grain"]
    with engine.begin() as connection:  # the delete trigger
        connection.execute(text("DELETE FROM search_text WHERE document_id = :id"),
                           {"id": ids["trade"]})  # fmt: skip
    assert set(found(engine, "trade")) == {"grain", "new"}
    command.downgrade(config, "0010")  # and back: 0007's tables, filled
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            phrase = text("SELECT rowid FROM search_trigrams WHERE search_trigrams MATCH :q")
            rows = connection.scalars(phrase, {"q": '"trade"'}).all()
        assert set(rows) == {ids["grain"], ids["new"]}
    assert migrate(engine)
    assert set(found(engine, "trade")) == {"grain", "new"}
    engine.dispose()


def test_snippet_near_the_end_of_the_folded_beginning_marks_every_word() -> None:
    # The first hit early enough to be found in the beginning, the snippet reaching past it.
    body = "Filler words here. " * 48 + "The treaty and then another treaty word."
    snippet, highlights = make_snippet(body, parse("treaty").words)
    assert [snippet[s:e] for s, e in highlights] == ["treaty", "treaty"]
    far = "Filler words here. " * 120 + "The TREATY."
    snippet, highlights = make_snippet(far, parse("treaty").words)
    assert [snippet[s:e] for s, e in highlights] == ["TREATY"]
    assert snippet.startswith("…")


def test_snippet_marks_the_words_in_the_original_text() -> None:
    body = "Intro. " + "Filler words here. " * 30 + "Then the 中俄關係 TREATY was signed.\n\nEnd."
    snippet, highlights = make_snippet(body, parse("中俄关系 treaty").words)
    assert len(snippet) <= 202
    assert snippet.startswith("…")
    assert snippet.endswith("End.")
    assert [snippet[s:e] for s, e in highlights] == ["中俄關係", "TREATY"]
    assert "\n" not in snippet


def test_snippet_of_a_text_without_the_words_is_its_beginning() -> None:
    body = "word " * 100
    snippet, highlights = make_snippet(body, ("absent",))
    assert snippet.startswith("word word")
    assert snippet.endswith("…")
    assert highlights == ()


def test_snippet_offsets_survive_folds_that_change_length() -> None:
    body = "Die Straße ﬁnanzierte ①  Projekte; STRASSE."
    snippet, highlights = make_snippet(body, parse("strasse finanzierte").words)
    assert [snippet[s:e] for s, e in highlights] == ["Straße", "ﬁnanzierte", "STRASSE"]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda path: path.name)
def test_normalize_with_offsets_agrees_with_normalize(path: Path) -> None:
    body = path.read_text(encoding="utf-8")
    folded, offsets = normalize_with_offsets(body)
    assert folded == normalize(body)
    assert len(offsets) == len(folded)
    assert offsets == sorted(offsets)
