"""The browser machinery works: a loopback page renders, keys drive its script, screenshots are small.

Also that the browser cannot leave the machine, and that a missing Chromium fails under CI.
"""

from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error, Page

from tests.fixture_server import FixtureServer
from tests.web import browser
from tests.web.browser import TrapProxy, open_page, screenshot

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Smoke</title>
<style>li[aria-current] { background: #fe8; }</style></head>
<body><h1>Queue</h1>
<ol><li aria-current="true">中俄贸易额创新高</li><li>Gas deal signed</li><li>Rail link opens</li></ol>
<script>
  let at = 0;
  const items = document.querySelectorAll("li");
  document.addEventListener("keydown", (event) => {
    const step = { j: 1, k: -1 }[event.key];
    if (!step) return;
    items[at].removeAttribute("aria-current");
    at = Math.min(items.length - 1, Math.max(0, at + step));
    items[at].setAttribute("aria-current", "true");
  });
</script></body></html>
"""


def current(page: Page) -> str:
    return page.inner_text("li[aria-current]")


def test_page_renders_and_keys_move_the_selection(
    browser_page: Page, fixture_server: FixtureServer, tmp_path: Path
) -> None:
    fixture_server.set("/smoke/index.html", PAGE)
    browser_page.goto(fixture_server.url("/smoke/index.html"))
    assert browser_page.title() == "Smoke"
    assert current(browser_page) == "中俄贸易额创新高"
    browser_page.keyboard.press("j")
    browser_page.keyboard.press("j")
    assert current(browser_page) == "Rail link opens"
    browser_page.keyboard.press("k")
    assert current(browser_page) == "Gas deal signed"

    png = screenshot(browser_page, tmp_path / "smoke.png", width=640, height=360)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (640, 360)  # IHDR: one pixel per CSS pixel
    assert len(data) < browser.SCREENSHOT_LIMIT


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",
        "https://example.com/",
        "http://192.0.2.1/",  # a number needs no name lookup: the proxy catches it
        "http://[2001:db8::1]/",
    ],
)
def test_the_browser_cannot_leave_the_machine(tmp_path: Path, url: str) -> None:
    host = urlsplit(url).netloc
    # The trap's empty 403 for plain http, its refused tunnel for https.
    refused = r"net::ERR_(HTTP_RESPONSE_CODE_FAILURE|TUNNEL_CONNECTION_FAILED)"
    with TrapProxy() as trap, open_page(tmp_path / "profile", trap.url, strict=False) as page:
        with pytest.raises(Error, match=refused):
            page.goto(url)
    assert [line for line in trap.requests if host in line]


def test_a_page_asking_for_another_site_fails_its_test(
    tmp_path: Path, fixture_server: FixtureServer
) -> None:
    fixture_server.set(
        "/smoke/cdn.html", '<link rel="stylesheet" href="https://cdn.example/x.css">'
    )
    with pytest.raises(
        pytest.fail.Exception, match=r"off this machine: \['https://cdn.example/x.css'\]"
    ):
        with TrapProxy() as trap, open_page(tmp_path / "profile", trap.url) as page:
            page.goto(fixture_server.url("/smoke/cdn.html"))


def test_loopback_stays_direct(browser_page: Page, fixture_server: FixtureServer) -> None:
    fixture_server.set("/smoke/plain.txt", "plain")
    browser_page.goto(fixture_server.url("/smoke/plain.txt"))
    assert browser_page.inner_text("body") == "plain"
    assert fixture_server.requests_for("/smoke/plain.txt")


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), (None, pytest.skip.Exception)]
)
def test_missing_chromium_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str | None, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install chromium"):
        browser.require_chromium()
