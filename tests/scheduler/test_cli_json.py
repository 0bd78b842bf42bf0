"""`--json` on status, review and show, review's filters, `--version`, local times on a terminal.

One archive for the module: the seed corpus, documents imported under two sources in two
languages (one of them fetched long ago), and one recorded run of a configured source.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from crawler.config import VERSION
from scheduler.cli import main
from scheduler.formats import EXPORT_FIELDS
from storage.archive import ensure_source
from storage.database import open_archive
from storage.models import Document
from storage.owners import process_owner
from storage.runs import (
    COUNTERS,
    finish_run,
    finish_source_run,
    record_error,
    start_run,
    start_source_run,
)

STATUS_FIELDS = (
    "source", "kind", "last_run", "outcome", "counts", "consecutive_failures", "next_run",
    "last_error", "alarm", "hint",
)  # fmt: skip
OLD = "https://old.example/2020/sino-russian-grain"
ENGLISH = [
    {
        "url": "https://www.telegraph.co.uk/world-news/sino-russian-trade",
        "title": "Sino-Russian trade slows",
        "text": "Sino-Russian trade fell for the third month as Moscow struggled to pay for "
        "Chinese machinery. Officials in Beijing said the Sino-Russian partnership was sound.",
        "published": "2025-12-18T20:00:00+00:00",
        "language": "en",
    },
    {
        "url": OLD,
        "title": "Grain across the Amur",
        "text": "A Sino-Russian grain corridor opened at Blagoveshchensk, and farmers in the "
        "Far East began shipping soybeans south. Sino-Russian customs checks were eased.",
        "published": "2020-01-01",
        "language": "en",
    },
]
CHINESE = [
    {
        "url": "https://news.example.tw/china-russia/energy",
        "title": "中俄能源合作",
        "text": "中俄天然氣管道的第二條線路仍在談判之中。分析人士認為，中俄雙方在價格上的分歧尚未消除，"
        "北京希望以更低的價格購買西伯利亞的天然氣。",
        "language": "zh",
    },
]


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def lines(config: Path, *args: str) -> list[dict[str, Any]]:
    """A command's stdout, every line parsed as JSON."""
    return [json.loads(line) for line in invoke(config, *args).splitlines()]


def _import(config: Path, source: str, documents: list[dict[str, Any]]) -> None:
    path = config.parent / f"{source}.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    invoke(config, "import", str(path), "--source", source)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    path = folder / "config.yaml"
    path.write_text(
        "database: sqlite:///archive.db\n"
        "sources:\n"
        "  - {name: news, kind: feed, url: 'https://news.example/rss.xml', every: 2h}\n"
        "  - {name: hourly, kind: feed, url: 'https://hourly.example/rss.xml', "
        "cron: '0 * * * *'}\n"
        "  - {name: watched, kind: page, url: 'https://page.example/', enabled: false}\n",
        encoding="utf-8",
    )
    invoke(path, "init")
    _import(path, "wire-en", ENGLISH)
    _import(path, "wire-zh", CHINESE)
    engine = open_archive(f"sqlite:///{folder / 'archive.db'}")
    with Session(engine) as session, session.begin():
        session.execute(
            update(Document)
            .where(Document.url == OLD)
            .values(fetched=datetime(2020, 1, 2, tzinfo=UTC))
        )
    # One failed run of `news`: its counters and error are what status reports.
    run_id = start_run(engine, "crawl", process_owner())
    source_run = start_source_run(engine, run_id, ensure_source(engine, "news", "feed", None))
    record_error(engine, source_run, "https://news.example/rss.xml", "http", "HTTP 503")
    finish_source_run(engine, source_run, "failed", {"found": 4, "fetched": 3, "errors": 1})
    finish_run(engine, run_id, "failed")
    engine.dispose()
    return path


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"amur {VERSION}\n"


def test_status_json_has_one_object_per_configured_source(config: Path) -> None:
    records = {r["source"]: r for r in lines(config, "status", "--json")}
    assert list(records) == ["news", "hourly", "watched"]
    assert all(tuple(r) == STATUS_FIELDS for r in records.values())
    news = records["news"]
    last_run = datetime.fromisoformat(news["last_run"])
    assert last_run.utcoffset() is not None
    assert last_run.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert news["outcome"] == "failed"
    assert news["counts"] == {**dict.fromkeys(COUNTERS, 0), "found": 4, "fetched": 3, "errors": 1}
    assert news["consecutive_failures"] == 1
    assert news["last_error"] == "HTTP 503"
    assert news["alarm"] is None
    # Without a running service: two hours (`every: 2h`) after the last run.
    assert (datetime.fromisoformat(news["next_run"]) - last_run).total_seconds() == 7200
    assert records["hourly"]["next_run"] == "cron 0 * * * *"
    assert records["watched"]["next_run"] == "disabled"
    never = records["hourly"]
    assert never["last_run"] is None
    assert never["outcome"] is None
    assert never["counts"] == dict.fromkeys(COUNTERS, 0)


def test_review_json_prints_export_records(config: Path) -> None:
    queue = lines(config, "review", "--json")
    assert all(tuple(record) == EXPORT_FIELDS for record in queue)
    exported = {
        r["id"]: r
        for r in lines(config, "export", "--new", "--relevant", "--review", "unreviewed")
        if r["source"] != "seed"
    }
    assert sorted(r["id"] for r in queue) == sorted(exported)
    assert {r["url"] for r in queue} == {d["url"] for d in ENGLISH + CHINESE}
    assert all(record == exported[record["id"]] for record in queue)
    assert all(record["text"] for record in queue)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--source", "wire-en"], [d["url"] for d in ENGLISH]),
        (["--source", "wire-en", "--source", "wire-zh"], [d["url"] for d in ENGLISH + CHINESE]),
        (["--source", "seed"], []),
        (["--language", "zh"], [CHINESE[0]["url"]]),
        (["--language", "fr"], []),
        (["--since", "2024-01-01"], [ENGLISH[0]["url"], CHINESE[0]["url"]]),
        (["--since", "2024-01-01", "--language", "en"], [ENGLISH[0]["url"]]),
        (["--since", "2019-12-31 08:00:00"], [d["url"] for d in ENGLISH + CHINESE]),
    ],
)
def test_review_filters(config: Path, args: list[str], expected: list[str]) -> None:
    queue = lines(config, "review", "--json", *args)
    assert sorted(r["url"] for r in queue) == sorted(expected)


def test_export_takes_the_language_filter_too(config: Path) -> None:
    chinese = lines(config, "export", "--language", "ZH", "--source", "wire-zh")
    assert [r["url"] for r in chinese] == [CHINESE[0]["url"]]
    assert lines(config, "export", "--language", "fr") == []


def test_review_limit(config: Path) -> None:
    assert len(lines(config, "review", "--json", "--limit", "2")) == 2


def test_review_table_shows_the_host(config: Path) -> None:
    out = invoke(config, "review", "--source", "wire-en", "--language", "en")
    assert re.search(r"^id\s+published\s+source\s+lang\s+host\s+title\s+matches$", out, re.M)
    assert re.search(r"\swire-en\s+en\s+www\.telegraph\.co\.uk\s+Sino-Russian trade", out)
    assert invoke(config, "review", "--language", "fr") == "the review queue is empty\n"


def test_show_json_is_the_export_record(config: Path) -> None:
    exported = {r["url"]: r for r in lines(config, "export")}
    for url in (ENGLISH[0]["url"], CHINESE[0]["url"]):
        record = exported[url]
        assert lines(config, "show", "--json", str(record["id"])) == [record]
    # The seed thread's first post has the others as matches; they come along.
    assert (
        lines(config, "show", "--json", "1")[0]["matches"]
        == exported["https://city.udn.com/2976/7289781"]["matches"]
    )


@pytest.fixture
def shanghai(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+8 (no daylight saving) for the test."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("shanghai")
def test_terminal_times_are_local_and_json_keeps_iso(config: Path) -> None:
    record = next(r for r in lines(config, "export") if r["url"] == ENGLISH[0]["url"])
    shown = invoke(config, "show", str(record["id"]))
    # 20:00 UTC is 04:00 the next day in Shanghai.
    assert re.search(r"^published:\s+2025-12-19 04:00$", shown, re.M)
    fetched = datetime.fromisoformat(record["fetched"]).astimezone()
    assert re.search(rf"^fetched:\s+{fetched:%Y-%m-%d %H:%M}$", shown, re.M)
    queue = invoke(config, "review", "--source", "wire-en")
    assert re.search(rf"^{record['id']}\s+2025-12-19\s+wire-en", queue, re.M)
    # A date alone is shown as given.
    assert re.search(r"\s2020-01-01\s+wire-en", queue)
    (json_record,) = lines(config, "show", "--json", str(record["id"]))
    assert json_record["published"] == "2025-12-18T20:00:00+00:00"
    assert json_record["fetched"].endswith("+00:00")


def test_review_changed_lists_documents_edited_after_their_decision(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: sqlite:///archive.db\n", encoding="utf-8")
    _import(path, "wire-zh", CHINESE)
    [record] = lines(path, "review", "--json")
    invoke(path, "mark", str(record["id"]), "kept")
    assert invoke(path, "review", "--changed") == "nothing changed since review\n"
    edited = {**CHINESE[0], "text": CHINESE[0]["text"] + "\n\n更新：雙方週二恢復了談判。"}
    _import(path, "wire-zh", [edited])
    [changed] = lines(path, "review", "--changed", "--json")
    assert (changed["id"], changed["review"], changed["revisions"]) == (record["id"], "kept", 2)
    assert str(record["id"]) in invoke(path, "review", "--changed")
    invoke(path, "mark", str(record["id"]), "kept")  # seen again
    assert lines(path, "review", "--changed", "--json") == []
