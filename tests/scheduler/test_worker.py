"""The crawl worker on its own: tasks in on stdin, one answer per task out, drained on EOF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scheduler.tasks import Done, Task
from tests.amur_cli import AMUR, write_config
from tests.fixture_server import FixtureServer

SOURCES = [
    {"name": "hub", "kind": "page", "url": "{{BASE}}/page/china-russia-relations.html"},
    {"name": "blog", "kind": "feed", "url": "{{BASE}}/atomblog/feed.atom"},
]


def run_worker(
    config: Path, tasks: list[Task]
) -> tuple[list[Done], subprocess.CompletedProcess[bytes]]:
    worker = [sys.executable, "-m", "scheduler.worker", "--config", str(config)]
    result = subprocess.run(
        worker, input=b"".join(task.encode() for task in tasks), capture_output=True, timeout=120
    )
    return [Done.decode(line) for line in result.stdout.splitlines()], result


def test_tasks_given_together_run_as_one_crawl_and_each_is_answered(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fixture_server.base, SOURCES)
    assert subprocess.run([*AMUR, "--config", str(config), "init"], check=False).returncode == 0
    answers, result = run_worker(config, [Task("crawl", 1, ("hub",)), Task("crawl", 2, ("blog",))])
    assert result.returncode == 0, result.stderr
    by_id = {done.id: done for done in answers}
    assert sorted(by_id) == [1, 2]
    assert [s["name"] for s in by_id[1].summaries] == ["hub"]
    assert [s["name"] for s in by_id[2].summaries] == ["blog"]
    assert by_id[2].summaries[0]["status"] == "ok"
    assert by_id[2].summaries[0]["counts"]["new"] >= 1
    assert {done.runs for done in answers} == {1}  # one crawl served both
    assert all(done.rss_kb > 0 for done in answers)


def test_an_unknown_source_is_an_error_answer_not_a_dead_worker(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fixture_server.base, SOURCES)
    answers, result = run_worker(
        config, [Task("crawl", 7, ("nope",)), Task("drain"), Task("crawl", 8, ("hub",))]
    )
    assert result.returncode == 0, result.stderr
    by_id = {done.id: done for done in answers}
    assert "nope" in (by_id[7].error or "")
    assert by_id[8].error == "the worker is shutting down"
    assert json.loads(Task("crawl", 3, ("a",)).encode()) == {
        "op": "crawl",
        "id": 3,
        "sources": ["a"],
    }
