"""A small archive for the review page's tests: hostile markup, Chinese, copies, an edit.

Documents go through `store_document`, so dedup links and revisions are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from crawler.config import Config, SourceConfig, Web
from storage.archive import DocumentIn, ensure_source, now, set_review, store_document

DEDUP = Path(__file__).parents[1] / "fixtures" / "dedup" / "docs"
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
HOSTILE_TITLE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
CHINESE_TITLE = "中俄關係：西伯利亞力量二號"


@dataclass(frozen=True)
class Archive:
    """The ids of the documents the tests look at."""

    hostile: int
    chinese: int
    story: int
    copy: int
    edited: int
    other_site: int


def text(name: str) -> str:
    return (DEDUP / name).read_text(encoding="utf-8")


def config(database_url: str, token: str | None = None, host: str = "127.0.0.1") -> Config:
    """A config with two feed sources, one of them never run."""
    return Config(
        database=database_url,
        web=Web(host=host, token=token),
        sources=(
            SourceConfig(name="news", kind="feed", url="https://news.example/rss.xml"),
            SourceConfig(name="paper", kind="feed", url="https://paper.example/feed"),
        ),
    )


def fill(engine: Engine) -> Archive:
    """Store the test documents: a hostile title, Chinese, a story and its copy, an edit."""
    ensure_source(engine, "news", "feed", "https://news.example/rss.xml")
    ensure_source(engine, "paper", "feed", "https://paper.example/feed")

    def store(url: str, body: str, source: str = "news", **fields: object) -> int:
        values: dict[str, object] = {"fetched": WHEN, "relevant": True, **fields}
        document = DocumentIn(url=url, source=source, text=body, **values)  # type: ignore[arg-type]
        return store_document(engine, document).id

    hostile = store(
        "https://news.example/hostile",
        text("wire_naval.txt") + '\n\n<b onmouseover="window.pwned = 3">bold</b> claims',
        title=HOSTILE_TITLE,
        language="en",
        author='<a href="javascript:alert(1)">x</a>',
    )
    chinese = store(
        "https://news.example/zh",
        text("zh_trade_report_tw.txt"),
        title=CHINESE_TITLE,
        language="zh",
        fetched=WHEN + timedelta(minutes=5),
    )
    story = store(
        "https://news.example/story",
        text("telegraph.txt"),
        title="Why Russia is becoming China's vassal",
        language="en",
        published="2025-12-20",
        fetched=WHEN + timedelta(minutes=10),
    )
    copy = store(
        "https://paper.example/story", text("telegraph_edited.txt"), source="paper", language="en"
    )
    edited = store(
        "https://news.example/forum/post-1",
        text("siberia_en.txt"),
        title="Power of Siberia 2, a forum post",
        language="en",
    )
    other_site = store(
        "javascript:alert(1)//not-a-link", text("neg_cars.txt"), title="An odd URL", language="en"
    )
    set_review(engine, [edited], "kept")
    # Edited after it was kept: back before the reviewer as changed.
    store(
        "https://news.example/forum/post-1",
        text("siberia_en.txt") + "\n\nEdit: the pipeline deal was signed on Tuesday, not Monday.",
        title="Power of Siberia 2, a forum post",
        language="en",
        fetched=now(),
    )
    return Archive(hostile, chinese, story, copy, edited, other_site)
