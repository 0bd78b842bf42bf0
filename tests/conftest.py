"""Shared pytest fixtures: the loopback fixture server; and no name lookup leaves the machine."""

from __future__ import annotations

import os
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixture_server import FIXTURES, FixtureServer


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A fresh server per test, so overrides and the request log never leak between tests."""
    with FixtureServer(FIXTURES) as server:
        yield server


OFFLINE = Path(__file__).parent / "offline"
# This process and every process a test starts answer name lookups locally (see the module).
os.environ["AMUR_TESTS_OFFLINE"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(OFFLINE), *filter(None, [os.environ.get("PYTHONPATH")])]
)
runpy.run_path(str(OFFLINE / "sitecustomize.py"))
