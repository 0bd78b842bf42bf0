"""Snapshot size and speed: the saved real pages ($AMUR_BENCH_PAGES) written as WARC records.

Each page is kept as `amur crawl` keeps it (`storage.snapshots.SnapshotWriter`: a response
record with typical headers and its metadata record, gzip per record) and read back by
`read_snapshot`, as `amur snapshot` and `amur reextract` read it. Prints bytes on disk per page
beside the page's own size, and records written and read per second.

    .venv/bin/python bench/snapshots.py [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.extraction import PAGES  # noqa: E402
from storage.archive import now  # noqa: E402
from storage.snapshots import RawResponse, SnapshotWriter, read_snapshot  # noqa: E402

HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Date", "Tue, 23 Dec 2025 10:00:00 GMT"),
    ("Cache-Control", "max-age=60"),
    ("ETag", '"5f3c2a9e-1b2c"'),
    ("Server", "nginx"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (PAGES / "expected.jsonl").open(encoding="utf-8")]
    pages = [
        (row["url"], gzip.decompress((PAGES / "html" / f"{row['id']}.html.gz").read_bytes()))
        for row in rows[: args.limit]
    ]
    with tempfile.TemporaryDirectory() as folder:
        writer = SnapshotWriter(Path(folder))
        started = time.perf_counter()
        refs = [
            writer.write(
                RawResponse(url, 200, HEADERS, body, now(), {"reader": "page", "hints": {}})
            )
            for url, body in pages
        ]
        writer.close()
        wrote = time.perf_counter() - started
        started = time.perf_counter()
        for ref in refs:
            read_snapshot(Path(folder), ref)
        read = time.perf_counter() - started
        on_disk = sum(path.stat().st_size for path in Path(folder).iterdir())
    raw = sum(len(body) for _, body in pages)
    print("| pages | HTML bytes/page | on disk bytes/page | ratio | written/s | read/s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(pages)} | {raw / len(pages):,.0f} | {on_disk / len(pages):,.0f}"
        f" | {on_disk / raw:.2f} | {len(pages) / wrote:,.0f} | {len(pages) / read:,.0f} |"
    )


if __name__ == "__main__":
    main()
