"""What a plain install needs: every package found, the seed corpus shipped and found as data.

`.ci/install-check` proves it on a real wheel; these catch the usual slips in the test run.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from crawler.config import DEFAULT_SEEDS, load_config
from crawler.seeds import load_manifest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_default_seeds_are_the_seeds_package_with_every_file_its_manifest_names() -> None:
    assert (DEFAULT_SEEDS / "__init__.py").is_file()
    manifest = load_manifest(DEFAULT_SEEDS)
    assert manifest.seeds
    assert all((DEFAULT_SEEDS / entry.file).is_file() for entry in manifest.seeds)


def test_relative_seeds_folder_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "config.yaml"
    config.write_text("seeds: corpus\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_config(config).seeds == tmp_path.resolve() / "etc" / "corpus"


@pytest.mark.parametrize("package", ["crawler", "scheduler", "storage"])
def test_every_folder_of_python_modules_is_a_package(package: str) -> None:
    """setuptools finds only folders with an __init__.py; a module elsewhere would not ship."""
    folders = {path.parent for path in (REPO / package).rglob("*.py")}
    assert [f for f in folders if not (f / "__init__.py").is_file()] == []


def test_every_seed_file_is_package_data() -> None:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["seeds"]
    files = [p.name for p in (REPO / "seeds").iterdir() if p.is_file() and p.suffix != ".py"]
    assert files
    assert [name for name in files if not any(fnmatch.fnmatch(name, p) for p in patterns)] == []
