"""`amur search`: JSON lines with the export's field names, the table, refused queries."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scheduler.cli import main

HIT_FIELDS = (
    "id", "url", "source", "title", "language", "published", "review", "snippet", "score",
)  # fmt: skip
DOCUMENTS = [
    {
        "url": "https://news.example.tw/china-russia/energy",
        "title": "中俄能源合作",
        "text": "中俄天然氣管道的第二條線路仍在談判之中。分析人士認為，北京希望以更低的價格購買"
        "西伯利亞的天然氣。",
        "published": "2025-12-18",
        "language": "zh",
    },
    {
        "url": "https://www.telegraph.co.uk/world-news/sino-russian-trade",
        "title": "Sino-Russian trade slows",
        "text": "Sino-Russian trade fell for the third month as Moscow struggled to pay for "
        "Chinese machinery (and parts).",
        "language": "en",
    },
]


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def lines(config: Path, *args: str) -> list[dict[str, Any]]:
    result = run(config, "search", "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    path = folder / "config.yaml"
    path.write_text("database: sqlite:///archive.db\nsources: []\n", encoding="utf-8")
    documents = folder / "wire.jsonl"
    documents.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS), encoding="utf-8")
    result = run(path, "import", str(documents), "--source", "wire")
    assert result.exit_code == 0, result.output
    return path


def test_json_hits_have_export_field_names(config: Path) -> None:
    hits = lines(config, "天然气管道", "北京")
    assert all(tuple(hit) == HIT_FIELDS for hit in hits)
    (hit,) = [hit for hit in hits if hit["url"] == DOCUMENTS[0]["url"]]
    assert (hit["source"], hit["title"], hit["language"]) == ("wire", "中俄能源合作", "zh")
    assert (hit["published"], hit["review"]) == ("2025-12-18", "unreviewed")
    assert hit["snippet"].startswith("中俄天然氣管道")
    assert hit["score"] > 0


def test_seeds_are_searched_too(config: Path) -> None:
    hits = lines(config, "中俄")
    sources = {hit["source"] for hit in hits}
    assert sources == {"seed", "wire"}
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    assert len(lines(config, "中俄", "--limit", "1")) == 1


def test_several_arguments_are_one_query(config: Path) -> None:
    assert [h["url"] for h in lines(config, "moscow", "MACHINERY")] == [DOCUMENTS[1]["url"]]
    assert lines(config, "moscow machinery") == lines(config, "moscow", "machinery")
    assert lines(config, "moscow", "天然气") == []


def test_operators_are_plain_text(config: Path) -> None:
    assert lines(config, '"machinery"', "AND", "(parts)*") == lines(config, "machinery and parts")
    assert lines(config, "NEAR(moscow") == []


def test_table_on_a_terminal(config: Path) -> None:
    result = run(config, "search", "Sino-Russian trade")
    assert result.exit_code == 0
    assert re.search(r"^id\s+date\s+source\s+title\s+snippet$", result.stdout, re.M)
    assert re.search(r"\swire\s+Sino-Russian trade slows\s+Sino-Russian trade fell", result.stdout)
    nothing = run(config, "search", "xyzzy")
    assert (nothing.exit_code, nothing.stdout) == (0, "no documents match\n")


@pytest.mark.parametrize("query", ["", "  ", "?!", "“…”", "*"])
def test_a_query_without_words_is_a_usage_error(config: Path, query: str) -> None:
    result = run(config, "search", query)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("amur: nothing to search for in")
