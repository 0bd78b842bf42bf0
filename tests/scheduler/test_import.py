"""`amur import`: JSON Lines in, classified like crawled pages, bad lines reported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scheduler.cli import main

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
    assert values.split() == ["5", "1", "1", "1", "0", "0", "2"]
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
    assert out.splitlines()[1].split() == ["5", "0", "0", "0", "3", "0", "2"]


def test_export_then_import_round_trip(tmp_path: Path) -> None:
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    first.write_text("database: sqlite:///one.db\n", encoding="utf-8")
    second.write_text("database: sqlite:///two.db\n", encoding="utf-8")
    exported = tmp_path / "seeds.jsonl"
    assert run(first, "export", "-o", str(exported))[0] == 0
    code, out, _ = run(second, "import", str(exported))
    assert code == 0
    # The second archive has the same seeds: every line is already there, under its URL.
    assert out.splitlines()[1].split() == ["7", "0", "0", "0", "7", "0", "0"]
