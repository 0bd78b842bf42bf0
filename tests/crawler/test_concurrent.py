"""Two `amur crawl` processes at once on one archive, on SQLite and PostgreSQL.

Their sources overlap (one source named by both, so one of them finds it busy) and so do the
articles their feeds list: both race to store the same new URLs. Every article must end up
stored exactly once, with one revision, and neither crawl may record a write failure.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine

from storage.snapshots import latest_snapshots, read_snapshot
from storage.urls import normalize
from tests.amur_cli import AMUR, export, write_config
from tests.crawler.test_snapshots import warc_records
from tests.databases import database_url
from tests.fixture_server import FIXTURES, FixtureServer

__all__ = ["database_url"]

FEEDS = {"telegraph": "{{BASE}}/telegraph/rss.xml", "atomblog": "{{BASE}}/atomblog/feed.atom"}
SOURCES = [
    *(
        {"name": f"{site}-{side}", "kind": "feed", "url": url}
        for site, url in FEEDS.items()
        for side in "ab"
    ),
    {
        "name": "thinktank",
        "kind": "listing",
        "url": "{{BASE}}/thinktank/research/china.html",
        "follow": "#main .entry-title > a",
    },
]


def test_two_crawls_at_once_store_every_document_once(tmp_path: Path, database_url: str) -> None:
    with FixtureServer(FIXTURES) as server:
        config = write_config(tmp_path, server.base, SOURCES, database=database_url)
        init = subprocess.run(
            [*AMUR, "--config", str(config), "init"], capture_output=True, check=False
        )
        assert init.returncode == 0, init.stderr
        crawls = [
            subprocess.Popen(
                [*AMUR, "--config", str(config), "crawl", *names],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for names in (
                ("telegraph-a", "atomblog-a", "thinktank"),
                ("telegraph-b", "atomblog-b", "thinktank"),
            )
        ]
        outputs = [crawl.communicate(timeout=180) for crawl in crawls]
        fetched = {request.path.partition("?")[0] for request in server.requests}
        base = server.base
    for crawl, (stdout, stderr) in zip(crawls, outputs, strict=True):
        assert crawl.returncode == 0, stderr
        assert "IntegrityError" not in stderr
        assert "locked" not in stderr
        for line in stdout.splitlines()[1:]:
            cells = line.split()
            assert cells[1] in ("ok", "busy"), stdout
            assert cells[-1] == "0", f"errors recorded:\n{stdout}\n{stderr}"
    thinktank = [
        line.split()[1]
        for stdout, _ in outputs
        for line in stdout.splitlines()
        if line.startswith("thinktank")
    ]
    assert sorted(thinktank) == ["busy", "ok"]

    records = export(config)
    urls = Counter(r["url"] for r in records)
    assert [url for url, count in urls.items() if count > 1] == []
    assert all(r["revisions"] == 1 for r in records)
    # Every article page a feed or the listing led to is in the archive, once.
    pages = {
        normalize(f"{base}{path}")
        for path in fetched
        if path.endswith(".html") and not path.startswith("/thinktank/research/")
    }
    assert len(pages) >= 8
    assert pages <= {r["url"] for r in records if r["source"] != "seed"}

    # Each crawl kept its responses in files of its own (named for its pid; one that lost every
    # race kept none), and every record is whole.
    snapshots = tmp_path / "data" / "snapshots"
    writers = {name.removesuffix(".warc.gz").split("-")[-2] for name in _files(snapshots)}
    assert writers
    assert writers <= {str(crawl.pid) for crawl in crawls}
    warc_records(snapshots)  # every record of every file reads, digests checked
    engine = create_engine(database_url)
    held = latest_snapshots(engine, responses_only=True)
    engine.dispose()
    assert len(held) >= 8
    for document in held:
        assert document.ref is not None
        read_snapshot(snapshots, document.ref)


def _files(folder: Path) -> list[str]:
    return [path.name for path in folder.glob("*.warc.gz")]
