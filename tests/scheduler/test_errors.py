"""Every failure is one line in words, with the exit code CONTRACT.md gives it.

These run the real `amur` in a subprocess: what is tested is what a user or cron sees on
stderr, and a traceback that click's test runner would swallow must show up here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import main
from tests.amur_cli import AMUR, amur, write_config
from tests.databases import PG_SERVER, _postgres_answers
from tests.fixture_server import FixtureServer


def one_line(stderr: str) -> str:
    """The single line of `stderr`, after checking there is exactly one and no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def config_file(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.yaml"
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def test_config_that_is_not_utf8_exits_2_naming_the_file(tmp_path: Path) -> None:
    path = config_file(tmp_path, "database: sqlite:///a.db\n# caf\xe9\n".encode("latin-1"))
    result = amur(path, "status")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"{path}:2:" in line
    assert "UTF-8" in line


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("sources: [\n  - {name: a\n", ":2: not valid YAML"),
        ("database: sqlite:///a.db\nnetwork:\n  delay: 1\n", ":3: network.delay: unknown key"),
        ("database: 'a\x07b'\n", ":1: not valid YAML"),
    ],
)
def test_broken_config_exits_2_with_file_and_line(tmp_path: Path, text: str, where: str) -> None:
    path = config_file(tmp_path, text)
    result = amur(path, "status")
    assert result.returncode == 2
    assert f"{path}{where}" in one_line(result.stderr)


@pytest.mark.parametrize("url", ["mysql://amur@127.0.0.1/amur", "oracle://amur@127.0.0.1/amur"])
def test_unsupported_database_url_exits_2_naming_the_key(tmp_path: Path, url: str) -> None:
    path = config_file(tmp_path, f"sources: []\ndatabase: {url}\n")
    result = amur(path, "status")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"{path}:2: database:" in line
    assert "sqlite" in line
    assert "postgresql" in line


def unwritable_sqlite(tmp_path: Path) -> str:
    """A SQLite path whose folder cannot exist: its parent is a regular file."""
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    return f"sqlite:///{tmp_path / 'file' / 'amur.db'}"


def directory_sqlite(tmp_path: Path) -> str:
    """A SQLite path that names a folder: SQLite cannot open it."""
    (tmp_path / "folder.db").mkdir()
    return f"sqlite:///{tmp_path / 'folder.db'}"


def missing_postgres_database(_tmp_path: Path) -> str:
    if not _postgres_answers():
        pytest.skip(f"PostgreSQL does not answer at {PG_SERVER}")
    return PG_SERVER.rsplit("/", 1)[0] + "/no_such_db_amur"


def unreachable_postgres(_tmp_path: Path) -> str:
    return "postgresql+psycopg://postgres@127.0.0.1:1/amur"


@pytest.mark.parametrize(
    "make_url",
    [unwritable_sqlite, directory_sqlite, missing_postgres_database, unreachable_postgres],
)
def test_database_that_cannot_be_opened_is_one_line_exit_1(tmp_path: Path, make_url) -> None:  # type: ignore[no-untyped-def]
    url = make_url(tmp_path)
    result = amur(config_file(tmp_path, f"database: {url}\n"), "status")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("amur: cannot open the archive ")
    assert url.split("@")[-1] in line


def test_unexpected_exception_is_one_line_and_a_traceback_with_v(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("the queue fell over")

    monkeypatch.setattr("scheduler.cli.review_queue", broken)
    path = config_file(tmp_path, "database: sqlite:///a.db\n")
    result = CliRunner().invoke(main, ["--config", str(path), "review"], catch_exceptions=False)
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        "amur: internal error: RuntimeError: the queue fell over; run with -v for the traceback"
    )
    verbose = CliRunner().invoke(
        main, ["-v", "--config", str(path), "review"], catch_exceptions=False
    )
    assert verbose.exit_code == 1
    assert "Traceback (most recent call last)" in verbose.stderr
    assert 'raise RuntimeError("the queue fell over")' in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1].startswith("amur: internal error: RuntimeError")


def test_source_named_twice_is_crawled_once(fixture_server: FixtureServer, tmp_path: Path) -> None:
    page = {"name": "page", "kind": "page", "url": "{{BASE}}/page/china-russia-relations.html"}
    config = write_config(tmp_path, fixture_server.base, [page])
    result = amur(config, "crawl", "page", "page")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [row[:2] for row in rows] == [["page", "ok"]]
    assert len(fixture_server.requests_for("/page/china-russia-relations.html")) == 1


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """`amur export | head -1`: the closed pipe ends the command quietly."""
    config = write_config(tmp_path, "http://127.0.0.1:9", [])
    assert amur(config, "init").returncode == 0
    command = [*AMUR, "--config", str(config), "export", "--format", "csv"]
    export = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout is not None
    export.stdout.readline()
    export.stdout.close()  # as `head` does after its line
    _, stderr = export.communicate(timeout=60)
    assert export.returncode == 0, stderr
    assert stderr == b""
