"""The CLI commands that do not crawl, driven through click's runner on a real SQLite archive."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import main

REPO = Path(__file__).resolve().parents[2]
SEED_FILES = sorted(path.name for path in (REPO / "seeds").glob("*.txt"))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "database: sqlite:///archive.db\n"
        "sources:\n"
        "  - {name: news, kind: feed, url: 'https://news.example/rss.xml', every: 2h}\n"
        "  - {name: watched, kind: page, url: 'https://page.example/', enabled: false}\n",
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_init_imports_the_seeds_once(config: Path) -> None:
    # The udn thread seed is split into its three posts, like a crawled thread.
    assert "(7 documents)" in run(config, "init")
    assert "(7 documents)" in run(config, "init")
    records = [json.loads(line) for line in run(config, "export").splitlines()]
    assert sorted({r["seed"] for r in records}) == SEED_FILES
    thread = [r for r in records if r["seed"] == "000_952804f8609e6c2d.txt"]
    assert [(r["post_id"], r["url"]) for r in thread] == [
        (aid, f"https://city.udn.com/2976/{aid}") for aid in ("7289781", "7289864", "7289828")
    ]
    assert thread[2]["title"] == "中、俄貿易-Melissa Lawford"
    by_seed = {r["seed"]: r for r in records}
    assert by_seed["001_f18920db7f18dd2e.txt"]["url"] == "seed:001_f18920db7f18dd2e.txt"
    assert {r["source"] for r in records} == {"seed"}
    assert all(r["relevant"] and r["revisions"] == 1 for r in records)


def test_export_formats_carry_the_same_records(config: Path) -> None:
    jsonl = [json.loads(line) for line in run(config, "export", "--format", "jsonl").splitlines()]
    rows = list(csv.DictReader(io.StringIO(run(config, "export", "--format", "csv"))))
    assert [int(row["id"]) for row in rows] == [r["id"] for r in jsonl]
    assert rows[0]["text"] == jsonl[0]["text"]
    assert json.loads(rows[0]["matches"]) == jsonl[0]["matches"]
    markdown = run(config, "export", "--format", "md")
    assert markdown.count("\n## ") + markdown.startswith("## ") == len(jsonl)
    assert "- **seed**: 000_952804f8609e6c2d.txt" in markdown


def test_export_filters(config: Path) -> None:
    assert run(config, "export", "--source", "news") == ""
    assert len(run(config, "export", "--source", "seed").splitlines()) == 7
    assert run(config, "export", "--not-relevant") == ""


def test_show_and_mark(config: Path) -> None:
    shown = run(config, "show", "1")
    assert re.search(r"^seed:\s+000_952804f8609e6c2d.txt$", shown, re.M)
    assert "中、俄關係" in shown
    assert "marked 2 document(s) kept" in run(config, "mark", "1", "2", "kept")
    kept = [
        json.loads(line)["id"] for line in run(config, "export", "--review", "kept").splitlines()
    ]
    assert kept == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mark", "1", "maybe"], "usage: amur mark"),
        (["crawl", "nosuch"], "no source named nosuch"),
    ],
)
def test_usage_errors_exit_2(config: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_show_of_a_missing_id_is_one_line_exit_1(config: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(config), "show", "999999"])
    assert result.exit_code == 1
    assert result.stderr == "amur: no document with id 999999\n"
    assert result.stdout == ""


def test_mark_with_a_missing_id_names_it_and_changes_nothing(config: Path) -> None:
    result = CliRunner().invoke(
        main, ["--config", str(config), "mark", "1", "999999", "2", "999998", "rejected"]
    )
    assert result.exit_code == 1
    assert result.stderr == "amur: no documents with ids 999999, 999998; nothing was marked\n"
    assert run(config, "export", "--review", "rejected") == ""
    single = CliRunner().invoke(main, ["--config", str(config), "mark", "3", "999999", "kept"])
    assert single.exit_code == 1
    assert single.stderr == "amur: no document with id 999999; nothing was marked\n"
    assert run(config, "export", "--review", "kept") == ""


def test_config_error_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "sources:\n  - name: a\n    kind: feed\n    url: https://a.example/\n    evry: 1h\n"
    )
    result = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2
    assert f"{path}:5: sources[0].evry: unknown key" in result.stderr


def test_status_before_any_run(config: Path) -> None:
    out = run(config, "status")
    assert re.search(r"^news\s+feed\s+never\s+-\s+-\s+0\s+due", out, re.M)
    assert re.search(r"^watched\s+page\s+never.*disabled", out, re.M)


def test_review_queue_leaves_seeds_out(config: Path) -> None:
    assert "the review queue is empty" in run(config, "review")


def test_every_command_has_help_with_an_example_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, _command in main.commands.items():
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example: amur" in result.output, name
        assert f"`amur {name}" in readme, name


def test_extract_saved_files(tmp_path: Path) -> None:
    page = (
        REPO / "tests/fixtures/telegraph/world-news/2025/12/23/china-russia-trade-backfiring.html"
    )
    big5 = REPO / "tests/fixtures/page/gbk/china-russia-big5.html"
    junk = tmp_path / "junk.html"
    junk.write_bytes(bytes(range(256)) * 16)
    result = CliRunner().invoke(main, ["extract", str(page), str(big5), str(junk)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in records] == [str(page), str(big5), str(junk)]
    assert set(records[0]) == {"input", "title", "author", "authors", "published", "modified",
                               "language", "text"}  # fmt: skip
    assert records[0]["author"] == "Melissa Lawford"
    assert records[0]["authors"] == ["Melissa Lawford"]
    assert records[0]["published"].startswith("2025-12-23")
    assert records[1]["language"] == "zh"
    assert "中國與俄羅斯" in records[1]["text"]
    assert records[2]["text"] is None
    assert records[2]["error"]
    text = CliRunner().invoke(main, ["extract", "--format", "text", str(page)])
    assert text.exit_code == 0
    assert text.stdout.startswith(f"==> {page} <==\n# ")
