"""The documentation keeps up with the program: commands, config keys, export fields, links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.config import Config, Network, Service, SourceConfig, Web
from crawler.relevance import RelevanceRules
from scheduler.cli import main
from scheduler.formats import EXPORT_FIELDS
from storage.dedup import INVERSE

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _help_commands() -> list[str]:
    """The command names `amur --help` lists."""
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listing = result.output.split("Commands:\n", 1)[1]
    return [line.split()[0] for line in listing.splitlines() if line.startswith("  ")]


COMMANDS = _help_commands()


def test_help_lists_the_commands() -> None:
    assert {"init", "crawl", "export"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_docs_and_the_readme(name: str) -> None:
    assert re.search(rf"^## `amur {name}\b", _read(DOCS / "commands.md"), re.M), name
    assert f"`amur {name}" in _read(REPO / "README.md"), name


def _config_keys() -> list[str]:
    keys = list(Config.model_fields)
    keys += [f"network.{key}" for key in Network.model_fields]
    keys += [f"web.{key}" for key in Web.model_fields]
    keys += [f"service.{key}" for key in Service.model_fields]
    keys += [f"relevance.{key}" for key in RelevanceRules.model_fields]
    return keys


@pytest.mark.parametrize("key", _config_keys())
def test_every_config_key_is_in_the_docs(key: str) -> None:
    assert f"| `{key}` |" in _read(DOCS / "config.md"), key


@pytest.mark.parametrize("key", list(SourceConfig.model_fields))
def test_every_source_key_is_in_the_docs(key: str) -> None:
    sources = _read(DOCS / "config.md").split("## `sources`", 1)[1]
    assert f"| `{key}` |" in sources, key


@pytest.mark.parametrize("field", EXPORT_FIELDS)
def test_every_export_field_is_in_the_docs(field: str) -> None:
    assert re.search(rf"^\| [^|]*`{field}`", _read(DOCS / "export.md"), re.M), field


@pytest.mark.parametrize("relation", sorted(INVERSE))
def test_every_relation_is_in_the_docs(relation: str) -> None:
    assert f"| `{relation}` |" in _read(DOCS / "export.md"), relation


def _markdown_files() -> list[Path]:
    return [REPO / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda path: path.name)
def test_relative_links_lead_to_files_in_the_repository(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", _read(page)):
        assert (page.parent / target).resolve().is_file(), f"{page.name}: {target}"


# Built from pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "/work/" + "shared"]))
# The benchmarks read saved pages from outside the repository, at a path $AMUR_BENCH_PAGES sets.
CHECKED = ("README.md", "CHANGELOG.md", "config.yaml", "docs", "crawler", "scheduler",
           "storage", "seeds", "tests", "contrib", ".ci")  # fmt: skip


def test_nothing_points_outside_the_repository() -> None:
    found = []
    for name in CHECKED:
        root = REPO / name
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                text = path.read_bytes().decode("utf-8", errors="replace")
                found += [f"{path.relative_to(REPO)}: {m.group()}" for m in OUTSIDE.finditer(text)]
    assert not found
