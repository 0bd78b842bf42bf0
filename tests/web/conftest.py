"""Fixtures for browser tests: a headless Chromium page that cannot leave the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.web.browser import TrapProxy, open_page


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Page]:
    """A Page in a fresh headless Debian Chromium, 1100x800 at scale 1 (tests/web/browser.py).

    The test fails if the page asked for anything off this machine or threw a JavaScript error.
    Skipped without Chromium, except under CI=true, where that fails.
    """
    with TrapProxy() as trap, open_page(tmp_path / "chromium-profile", trap.url) as page:
        yield page
