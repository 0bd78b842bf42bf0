"""Commands that do not crawl start fast: they load neither Scrapy nor trafilatura nor Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.database import _alembic_config, create_archive_engine, head_revision
from tests.amur_cli import AMUR, amur, write_config

HEAVY = ("scrapy", "twisted", "trafilatura", "alembic", "lxml")


def imported(config: Path, *args: str) -> set[str]:
    """Top-level packages a command imported (python -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *AMUR[1:], "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        line.rpartition("|")[2].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize("command", [["status"], ["review"], ["show", "1"], ["export"]])
def test_commands_that_do_not_crawl_load_no_crawling_machinery(
    tmp_path: Path, command: list[str]
) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", [])
    assert amur(config, "init").returncode == 0  # migrations and seeds: the first use
    assert not imported(config, *command) & set(HEAVY)


def test_head_revision_is_alembics_head(tmp_path: Path) -> None:
    engine = create_archive_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert (
        head_revision() == ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    )
