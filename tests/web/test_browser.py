"""The review page in headless Chromium: keys, decisions, Chinese search, hostile markup.

The page is served by the same `WebServer` `amur serve` runs, over a SQLite archive filled by
`tests/web/site.py`. With AMUR_SCREENSHOTS=DIR the README's screenshots are written there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from scheduler.web.server import WebServer
from storage.database import open_archive
from storage.queries import get_record
from tests.amur_cli import free_port
from tests.databases import sqlite_url
from tests.web.browser import screenshot
from tests.web.site import CHINESE_TITLE, HOSTILE_TITLE, Archive, config, fill


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Archive, object]]:
    url = sqlite_url(tmp_path)
    engine = open_archive(url)
    archive = fill(engine)
    settings = config(url)
    settings = settings.model_copy(
        update={"web": settings.web.model_copy(update={"port": free_port()})}
    )
    server = WebServer(settings, engine)
    server.start()
    try:
        yield f"http://{server.address}", archive, engine
    finally:
        server.stop()
        engine.dispose()


def selected_id(page: Page) -> str | None:
    return page.locator(".item.selected").get_attribute("data-id")


def test_keep_with_the_keyboard_and_see_it_leave_the_queue(browser_page: Page, served) -> None:  # type: ignore[no-untyped-def]
    base, archive, engine = served
    page = browser_page
    page.goto(f"{base}/")
    items = page.locator(".item")
    expect(items.first).to_have_class("item selected")
    order = [items.nth(i).get_attribute("data-id") for i in range(items.count())]
    assert str(archive.story) in order
    # Walk down to the story with j, up and down again with k and j.
    for _ in range(order.index(str(archive.story))):
        page.keyboard.press("j")
    if order.index(str(archive.story)) > 0:
        page.keyboard.press("k")
        page.keyboard.press("j")
    assert selected_id(page) == str(archive.story)
    count_before = int(page.locator("h1 .count").inner_text())

    page.keyboard.press("y")
    expect(page.locator(f"#item-{archive.story}")).to_have_count(0)
    expect(page.locator("h1 .count")).to_have_text(str(count_before - 1))
    assert selected_id(page) is not None  # the next item is selected
    assert get_record(engine, archive.story)["review"] == "kept"

    page.reload()
    expect(page.locator(f"#item-{archive.story}")).to_have_count(0)  # it stays decided
    page.goto(f"{base}/feed.atom")
    assert "Why Russia is becoming China" in page.content()


def test_reject_from_a_document_page_goes_back_to_the_queue(browser_page: Page, served) -> None:  # type: ignore[no-untyped-def]
    base, archive, engine = served
    page = browser_page
    page.goto(f"{base}/")
    page.locator(f"#item-{archive.chinese} a.open").click()
    expect(page.locator("article.document h1")).to_have_text(CHINESE_TITLE)
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/")
    expect(page.locator(f"#item-{archive.chinese}")).to_have_count(0)
    assert get_record(engine, archive.chinese)["review"] == "rejected"


def test_search_in_simplified_finds_traditional(browser_page: Page, served) -> None:  # type: ignore[no-untyped-def]
    base, archive, _ = served
    page = browser_page
    page.goto(f"{base}/")
    page.keyboard.press("/")
    page.keyboard.type("西伯利亚力量")  # Simplified; the title is Traditional
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    hit = page.locator(f'.hits .item[data-id="{archive.chinese}"]')
    expect(hit.locator("h2")).to_have_text(CHINESE_TITLE)
    page.keyboard.press("/")
    page.keyboard.press("Control+A")
    page.keyboard.type("中俄")  # two characters, the commonest query of all
    page.keyboard.press("Enter")
    expect(page.locator(f'.hits .item[data-id="{archive.chinese}"] mark').first).to_have_text(
        "中俄"
    )


def test_scraped_markup_stays_text(browser_page: Page, served) -> None:  # type: ignore[no-untyped-def]
    base, archive, _ = served
    page = browser_page
    for path in ("/", f"/documents/{archive.hostile}", "/search?q=pwned", "/feed.atom?queue=1"):
        page.goto(base + path)
        assert page.evaluate("window.pwned") is None, path
    page.goto(f"{base}/documents/{archive.hostile}")
    expect(page.locator("article.document h1")).to_have_text(HOSTILE_TITLE)
    assert page.locator("article img, article script, .text b").count() == 0
    page.goto(f"{base}/")
    expect(page.locator(f"#item-{archive.hostile} h2")).to_have_text(HOSTILE_TITLE)


def test_screenshots(browser_page: Page, served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The README's pictures: the queue and a document with a shared passage and an edit."""
    base, archive, _ = served
    folder = Path(os.environ.get("AMUR_SCREENSHOTS") or tmp_path)
    page = browser_page
    page.goto(f"{base}/")
    queue = screenshot(page, folder / "queue.png", width=1000, height=640)
    page.goto(f"{base}/documents/{archive.story}")
    document = screenshot(page, folder / "document.png", width=1000, height=700)
    for path in (queue, document):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
