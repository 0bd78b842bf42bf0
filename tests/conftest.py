"""Shared pytest fixtures: the loopback fixture server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixture_server import FIXTURES, FixtureServer


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A fresh server per test, so overrides and the request log never leak between tests."""
    with FixtureServer(FIXTURES) as server:
        yield server
