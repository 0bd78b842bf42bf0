"""`amur import`: JSON Lines in, classified like crawled pages, bad lines reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from scheduler.cli import main
from storage.archive import ensure_source
from storage.database import open_archive
from tests.amur_cli import amur

REPO = Path(__file__).resolve().parents[2]


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_classifies_and_reports_bad_lines(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("database: sqlite:///a.db\n", encoding="utf-8")
    digest = (REPO / "seeds" / "004_00ec07537d41c013.txt").read_text(encoding="utf-8")
    lines = [
        {
            "url": "https://example.org/a",
            "title": "Xi and Putin meet",
            "text": "China and Russia "
            "signed a pipeline deal in Moscow. Beijing and the Kremlin praised the Sino-Russian "
            "partnership. Putin said Russia and China would trade in yuan.",
            "published": "2025-12-01",
            "language": "en",
            "id": 99,
            "matches": [],
        },
        {
            "url": "https://example.org/b",
            "title": "Leeds house prices",
            "text": "House prices "
            "in Leeds rose again as buyers returned to the market before the new year.",
        },
        {"url": "https://copy.example/essay", "title": "copy", "text": digest},
    ]
    body = "\n".join(json.dumps(line) for line in lines)
    body += '\n{"url": "https://example.org/c", "title": "no text"}\nnot json at all\n\n'
    path = tmp_path / "collection.jsonl"
    path.write_text(body, encoding="utf-8")
    code, out, err = run(config, "import", str(path))
    assert code == 1
    assert f"{path}:4: text: Field required" in err
    assert f"{path}:5: not JSON" in err
    _header, values = out.splitlines()
    assert values.split() == ["5", "1", "1", "1", "0", "0", "0", "2"]
    records = {
        r["url"]: r
        for r in map(json.loads, run(config, "export", "--source", "import")[1].splitlines())
    }
    assert records["https://example.org/a"]["relevant"] is True
    assert records["https://example.org/a"]["id"] != 99
    assert records["https://example.org/b"]["relevant"] is False
    assert records["https://copy.example/essay"]["new"] is False
    # Importing the same file again changes nothing.
    code, out, _ = run(config, "import", str(path))
    assert out.splitlines()[1].split() == ["5", "0", "0", "0", "3", "0", "0", "2"]


def test_export_then_import_round_trip(tmp_path: Path) -> None:
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    first.write_text("database: sqlite:///one.db\n", encoding="utf-8")
    second.write_text("database: sqlite:///two.db\n", encoding="utf-8")
    exported = tmp_path / "seeds.jsonl"
    assert run(first, "export", "-o", str(exported))[0] == 0
    code, out, _ = run(second, "import", str(exported))
    assert code == 0
    # The second archive has the same seeds: every line is already there, under its URL.
    assert out.splitlines()[1].split() == ["7", "0", "0", "0", "7", "0", "0", "0"]


# --- sources are owned -----------------------------------------------------------------------
ARTICLE = {
    "url": "https://example.org/owned",
    "title": "Xi and Putin meet",
    "text": "China and Russia signed a pipeline deal in Moscow.",
}
# Loopback, and refused as private anyway: a test never reaches the internet.
FEED = {"name": "telegraph", "kind": "feed", "url": "http://127.0.0.1:9/rss.xml"}


def write_lines(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def config_with(tmp_path: Path, **extra: object) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"database": "sqlite:///a.db", **extra}), encoding="utf-8")
    return config


def exported(config: Path, *args: str) -> list[dict[str, object]]:
    code, out, err = run(config, "export", *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def source_kinds(config: Path) -> dict[str, str]:
    engine = create_engine(f"sqlite:///{config.parent / 'a.db'}")
    with engine.connect() as connection:
        kinds = dict(connection.execute(text("SELECT name, kind FROM sources")).all())
    engine.dispose()
    return kinds


def test_import_under_seed_is_refused(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    assert run(config, "init")[0] == 0
    code, out, err = run(config, "import", str(write_lines(tmp_path / "a.jsonl", ARTICLE)),
                         "--source", "seed")  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "seed" in err
    assert out == ""
    assert source_kinds(config)["seed"] == "seed"
    assert [r["url"] for r in exported(config)] == [
        r["url"] for r in exported(config, "--source", "seed")
    ]
    assert run(config, "review")[1].strip() == "the review queue is empty"


def test_import_under_a_configured_source_is_refused(tmp_path: Path) -> None:
    # Configured but never crawled: not yet in the database, still not the import's to take.
    config = config_with(tmp_path, sources=[FEED])
    assert run(config, "init")[0] == 0
    path = write_lines(tmp_path / "a.jsonl", ARTICLE)
    code, _, err = run(config, "import", str(path), "--source", "telegraph")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "telegraph" in err
    assert "telegraph" not in source_kinds(config)
    assert ARTICLE["url"] not in {r["url"] for r in exported(config)}


def test_import_under_a_crawled_source_is_refused(tmp_path: Path) -> None:
    # Crawled once, since removed from the config: its documents are still the crawl's.
    config = config_with(tmp_path)
    engine = open_archive(f"sqlite:///{tmp_path / 'a.db'}")
    ensure_source(engine, "old-feed", "feed", "https://old.example/rss.xml")
    engine.dispose()
    code, _, err = run(config, "import", str(write_lines(tmp_path / "a.jsonl", ARTICLE)),
                       "--source", "old-feed")  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert source_kinds(config)["old-feed"] == "feed"
    assert ARTICLE["url"] not in {r["url"] for r in exported(config)}


@pytest.mark.parametrize("name", ["my collection", "-dash", "café", "", "x" * 101])
def test_import_source_must_be_a_source_name(tmp_path: Path, name: str) -> None:
    config = config_with(tmp_path)
    path = write_lines(tmp_path / "a.jsonl", ARTICLE)
    code, _, err = run(config, "import", str(path), "--source", name)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert ARTICLE["url"] not in {r["url"] for r in exported(config)}


def test_import_source_of_its_own_is_reused(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    first = write_lines(tmp_path / "a.jsonl", ARTICLE)
    second = write_lines(tmp_path / "b.jsonl", {**ARTICLE, "url": "https://example.org/two"})
    assert run(config, "import", str(first), "--source", "my-collection")[0] == 0
    assert run(config, "import", str(second), "--source", "my-collection")[0] == 0
    assert source_kinds(config)["my-collection"] == "import"
    urls = {r["url"] for r in exported(config, "--source", "my-collection")}
    assert urls == {ARTICLE["url"], "https://example.org/two"}


def test_crawl_source_named_like_an_import_source_is_refused(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    path = write_lines(tmp_path / "a.jsonl", ARTICLE)
    assert run(config, "import", str(path), "--source", "telegraph")[0] == 0
    config = config_with(tmp_path, sources=[FEED])
    crawl = amur(config, "crawl", "telegraph")  # a real process: a crawl runs a reactor
    assert crawl.returncode == 2
    assert len(crawl.stderr.strip().splitlines()) == 1
    assert "telegraph" in crawl.stderr
    assert source_kinds(config)["telegraph"] == "import"


def test_config_source_may_not_be_named_seed(tmp_path: Path) -> None:
    config = config_with(tmp_path, sources=[{**FEED, "name": "seed"}])
    code, _, err = run(config, "status")
    assert code == 2
    assert "sources[0].name" in err
    assert "seed" in err


# --- import is bounded and strict ------------------------------------------------------------
GOOD_TEXTS = [
    "China and Russia signed a pipeline deal in Moscow, and the Kremlin praised the partnership.",
    "Beijing's purchases of Russian oil rose again last month as sanctions bit elsewhere.",
    "Chinese carmakers now sell more cars in Russia than the Russian factories make there.",
]


def good(n: int) -> dict[str, object]:
    """A valid record; different `n`, different texts (not duplicates of each other)."""
    return {
        "url": f"https://example.org/good-{n}",
        "title": f"Good {n}",
        "text": GOOD_TEXTS[n - 1],
        "language": "en",
    }


def import_bytes(tmp_path: Path, body: bytes, **config: object) -> tuple[int, str, str, Path]:
    path = tmp_path / "collection.jsonl"
    path.write_bytes(body)
    code, out, err = run(config_with(tmp_path, **config), "import", str(path))
    return code, out, err, path


def line(record: dict[str, object]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def test_overlong_line_is_refused_by_number_and_the_rest_imported(tmp_path: Path) -> None:
    huge = {**good(2), "text": "China and Russia. " * 150_000}  # 2.7 MB, valid but too long
    body = line(good(1)) + line(huge) + line(good(3))
    code, out, err, path = import_bytes(tmp_path, body, network={"max_body_mb": 1})
    assert code == 1
    assert f"{path}:2: line longer than network.max_body_mb (1 MB)" in err
    assert out.splitlines()[1].split() == ["3", "0", "0", "2", "0", "0", "0", "1"]
    urls = {r["url"] for r in exported(tmp_path / "config.yaml", "--source", "import")}
    assert urls == {"https://example.org/good-1", "https://example.org/good-3"}


def test_line_at_the_limit_is_read(tmp_path: Path) -> None:
    record = good(1)
    record["text"] = str(record["text"]) + " " * (1024 * 1024 - len(line(record)) + 1)
    assert len(line(record)) == 1024 * 1024 + 1  # the limit, and its newline
    code, _, err, _ = import_bytes(tmp_path, line(record), network={"max_body_mb": 1})
    assert code == 0, err


def test_non_utf8_line_is_reported_and_skipped(tmp_path: Path) -> None:
    latin1 = json.dumps({**good(2), "title": "Café"}, ensure_ascii=False).encode("latin-1")
    body = line(good(1)) + latin1 + b"\n" + line(good(3))
    code, out, err, path = import_bytes(tmp_path, body)
    assert code == 1
    assert f"{path}:2: not UTF-8" in err
    assert out.splitlines()[1].split() == ["3", "0", "0", "2", "0", "0", "0", "1"]
    urls = {r["url"] for r in exported(tmp_path / "config.yaml", "--source", "import")}
    assert urls == {"https://example.org/good-1", "https://example.org/good-3"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("published", "yesterday"),
        ("published", "2025-13-01"),
        ("published", "20251201"),  # ISO 8601's basic format: the archive keeps the extended one
        ("published", "2025-12-01 10:00"),
        ("published", "12/01/2025"),
        ("published", ""),
        ("language", "english"),
        ("language", "eng"),
        ("language", "xx"),
        ("language", "zh-"),
        ("language", ""),
    ],
)
def test_bad_published_or_language_is_reported(tmp_path: Path, field: str, value: str) -> None:
    body = line(good(1)) + line({**good(2), field: value})
    code, _, err, path = import_bytes(tmp_path, body)
    assert code == 1
    assert f"{path}:2: {field}: " in err
    urls = {r["url"] for r in exported(tmp_path / "config.yaml", "--source", "import")}
    assert urls == {"https://example.org/good-1"}


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("published", "2025-12-01", "2025-12-01"),
        ("published", "2025-12-01T10:05:00+08:00", "2025-12-01T10:05:00+08:00"),
        ("published", "2025-12-01T10:05Z", "2025-12-01T10:05Z"),
        ("published", "2025-12-01T10:05:00.25-05:00", "2025-12-01T10:05:00.25-05:00"),
        ("language", "EN", "en"),
        ("language", "zh-Hant", "zh"),
        ("language", "pt_BR", "pt"),
    ],
)
def test_good_published_and_language_are_kept(
    tmp_path: Path, field: str, value: str, stored: str
) -> None:
    code, _, err, _ = import_bytes(tmp_path, line({**good(1), field: value}))
    assert code == 0, err
    (record,) = exported(tmp_path / "config.yaml", "--source", "import")
    assert record[field] == stored


def test_missing_language_is_identified_from_the_text(tmp_path: Path) -> None:
    english, chinese, null = good(1), good(2), good(3)
    del english["language"], chinese["language"]
    chinese["text"] = "中俄兩國在莫斯科簽署了天然氣管道協議，兩國領導人都稱讚了這項合作。"
    null["language"] = None
    code, _, err, _ = import_bytes(tmp_path, line(english) + line(chinese) + line(null))
    assert code == 0, err
    records = {r["url"]: r["language"] for r in exported(tmp_path / "config.yaml")}
    assert records[english["url"]] == "en"
    assert records[chinese["url"]] == "zh"
    assert records[null["url"]] == "en"


def test_copy_with_a_new_text_is_revised(tmp_path: Path) -> None:
    # Found by tests/fuzz/test_import_fuzz.py: revising an exact copy re-indexed its original.
    first, second = good(1), {**good(1), "url": "https://example.org/copy"}
    changed = {**second, "text": GOOD_TEXTS[1]}
    code, out, err, _ = import_bytes(tmp_path, line(first) + line(second) + line(changed))
    assert code == 0, err
    assert out.splitlines()[1].split() == ["3", "0", "1", "1", "0", "0", "1", "0"]
    records = {r["url"]: r for r in exported(tmp_path / "config.yaml", "--source", "import")}
    assert records["https://example.org/copy"]["revisions"] == 2
    assert records["https://example.org/copy"]["matches"] == []
    assert records["https://example.org/good-1"]["matches"] == []


def test_revised_to_an_earlier_documents_text_and_back(tmp_path: Path) -> None:
    # Found by the fuzzer too: two documents made identical by a revision both hold
    # fingerprints; revising one again must not index the other a second time.
    first, second = good(1), good(2)
    steps = [first, second, {**first, "text": second["text"]}, first]
    config = config_with(tmp_path)
    for number, record in enumerate(steps):
        path = write_lines(tmp_path / f"{number}.jsonl", record)
        code, _, err = run(config, "import", str(path))
        assert code == 0, err
    records = {r["url"]: r for r in exported(config, "--source", "import")}
    assert records[first["url"]]["text"] == first["text"]
    assert records[first["url"]]["revisions"] == 2  # distinct texts: the first and the second's
    assert records[first["url"]]["matches"] == []
