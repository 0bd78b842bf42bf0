"""Full-text search at scale: query times and index size on SQLite and PostgreSQL.

Builds an archive of English and Chinese documents (Simplified and Traditional) made of the seed
corpus's sentences recombined, with synthetic sentences from its vocabulary between them and a
rare word in one document in 2,000. Documents and their `search_text` rows are written in bulk
with `storage.search.index_row`, the row the real write path stores (SQLite's FTS5 tables fill
through the migration's triggers, as they do for every stored document). Then each query runs
`--repeat` times through `storage.search.search` (20 hits with snippets) and `count`; beside it,
as a baseline, a plain LIKE scan over `documents.text` counting matches. PostgreSQL runs on a
scratch database on the local server (127.0.0.1:5432), dropped afterwards.

    python bench/search.py [--documents 100000] [--repeat 15] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import opencc
from sqlalchemy import Engine, insert, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scratch import scratch_database  # noqa: E402

from storage.archive import ensure_source  # noqa: E402
from storage.database import open_archive  # noqa: E402
from storage.models import Document, SearchText  # noqa: E402
from storage.search import count, index_row, search  # noqa: E402
from storage.shingles import normalize  # noqa: E402

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
RARE_EN, RARE_ZH = "xylocarpous", "黑瞎子岛"
# (label, query, the substring the LIKE baseline looks for)
QUERIES = [
    ("en 1 word", "pipeline", "pipeline"),
    ("en 2 words", "russian trade", "trade"),
    ("en common", "china", "China"),
    ("en rare", RARE_EN, RARE_EN),
    ("zh 2 chars", "中俄", "中俄"),
    ("zh 2 chars", "普京", "普京"),
    ("zh 4 chars", "中俄关系", "中俄关系"),
    ("zh common", "中国", "中国"),
    ("zh rare", RARE_ZH, RARE_ZH),
    ("zh 繁 4 chars", "中俄關係", "中俄关系"),
]


class Corpus:
    """Documents recombined from the seeds' sentences, with synthetic ones between them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        texts = [p.read_text(encoding="utf-8") for p in (REPO / "seeds").glob("*.txt")]
        sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?。！？])\s*", t)]
        self.english = [s for s in sentences if len(s) > 30 and s.isascii()]
        self.chinese = [s for s in sentences if len(s) > 8 and re.search("[\u4e00-\u9fff]", s)]
        self.words = sorted({w for s in self.english for w in s.split()})
        self.han = sorted({c for s in self.chinese for c in s if "\u4e00" <= c <= "\u9fff"})
        self.s2t = opencc.OpenCC("s2t")

    def document(self, number: int) -> tuple[str, str, str]:
        """(title, text, language) of document `number`."""
        rng = self.rng
        chinese = rng.random() < 0.35
        pool = self.chinese if chinese else self.english
        paragraphs = []
        for _ in range(rng.randint(2, 8)):
            sentences = []
            for _ in range(rng.randint(2, 5)):
                if rng.random() < 0.3:
                    sentences.append(self._synthetic(chinese))
                else:
                    sentences.append(rng.choice(pool))
            paragraphs.append(("" if chinese else " ").join(sentences))
        if number % 2000 == 7:
            paragraphs.insert(1, RARE_ZH if chinese else f"The {RARE_EN} fruit.")
        body = "\n\n".join(paragraphs)
        title = rng.choice(pool)[:80]
        if chinese and rng.random() < 0.4:  # Taiwanese and Hong Kong sources
            body, title = self.s2t.convert(body), self.s2t.convert(title)
        return title, body, "zh" if chinese else "en"

    def _synthetic(self, chinese: bool) -> str:
        if chinese:
            return "".join(self.rng.choices(self.han, k=self.rng.randint(10, 30))) + "。"
        return " ".join(self.rng.choices(self.words, k=self.rng.randint(8, 20))).capitalize() + "."


def fill(engine: Engine, documents: int, corpus: Corpus) -> tuple[float, int]:
    """Write `documents` documents and their search rows; (seconds, characters of text)."""
    source_id = ensure_source(engine, "bench", "feed", None)
    started, characters, batch = time.perf_counter(), 0, 1000
    for first in range(0, documents, batch):
        made = [corpus.document(n) for n in range(first, min(first + batch, documents))]
        rows = [
            {
                "id": first + i + 1,
                "url": f"https://bench.example/{first + i}",
                "source_id": source_id,
                "title": title,
                "language": language,
                "first_seen": WHEN,
                "fetched": WHEN,
                "text": body,
                "text_hash": f"{first + i}",
                "is_new": True,
                "relevant": True,
                "review": "unreviewed",
            }
            for i, (title, body, language) in enumerate(made)
        ]
        characters += sum(len(body) for _, body, _ in made)
        with engine.begin() as connection:
            connection.execute(insert(Document), rows)
            connection.execute(
                insert(SearchText),
                [index_row(row["id"], row["title"], normalize(row["text"])) for row in rows],
            )
        if (first + batch) % 10_000 == 0:
            print(f"  {engine.dialect.name}: {first + batch} documents", file=sys.stderr)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    return time.perf_counter() - started, characters


def sizes(engine: Engine) -> tuple[int, int]:
    """Bytes of the search tables and indexes, and of the documents table (its text)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
            by_name = dict(rows.all())
            index = sum(size for name, size in by_name.items() if name.startswith("search_"))
            return index, by_name["documents"]
        index = connection.scalar(text("SELECT pg_total_relation_size('search_text')"))
        return index, connection.scalar(text("SELECT pg_total_relation_size('documents')"))


def timed(function, repeat: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Median and p95 milliseconds of `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return statistics.median(times), p95, result


def measure(engine: Engine, repeat: int) -> list[tuple[str, ...]]:
    rows = []
    for label, query, needle in QUERIES:
        med, p95, _hits = timed(lambda q=query: search(engine, q, 20), repeat)
        cmed, _cp95, total = timed(lambda q=query: count(engine, q), max(3, repeat // 3))

        def scan(n: str = needle) -> int:
            with engine.connect() as connection:
                like = text("SELECT count(*) FROM documents WHERE text LIKE :p")
                return connection.scalar(like, {"p": f"%{n}%"})

        smed, _sp95, scanned = timed(scan, 3)
        rows.append(
            (engine.dialect.name, label, query, str(total), f"{med:.1f}", f"{p95:.1f}",
             f"{cmed:.1f}", f"{smed:.1f}", str(scanned))
        )  # fmt: skip
    return rows


def run(url: str, documents: int, repeat: int, corpus_seed: int) -> tuple[list, tuple]:  # type: ignore[type-arg]
    engine = open_archive(url)
    try:
        seconds, characters = fill(engine, documents, Corpus(random.Random(corpus_seed)))
        index, table = sizes(engine)
        return measure(engine, repeat), (engine.dialect.name, seconds, characters, index, table)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results, fills = [], []
    for backend in args.backends.split(","):
        with scratch_database(backend) as url:
            rows, filled = run(url, args.documents, args.repeat, args.seed)
        results += rows
        fills.append(filled)
    print(f"{args.documents} documents; search: 20 hits with snippets; count: all matches;")
    print("LIKE: SELECT count(*) FROM documents WHERE text LIKE '%...%' (baseline, no folding)")
    headers = ("backend", "query kind", "query", "matches", "search ms", "p95", "count ms",
               "LIKE ms", "LIKE n")  # fmt: skip
    widths = [max(_width(str(row[i])) for row in [headers, *results]) for i in range(len(headers))]
    for row in [headers, *results]:
        print("  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)))
    print()
    print(
        f"{'backend':<11} {'fill s':>7} {'text MB':>8} {'documents MB':>13} {'search index MB':>16}"
    )
    for backend, seconds, characters, index, table in fills:
        print(
            f"{backend:<11} {seconds:>7.0f} {characters / 1e6:>8.0f} {table / 1e6:>13.0f}"
            f" {index / 1e6:>16.0f}"
        )


def _width(cell: str) -> int:
    return sum(2 if "\u2e80" <= c <= "\U0003134f" else 1 for c in cell)


if __name__ == "__main__":
    main()
