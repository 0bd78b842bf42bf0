"""`amur import` at scale: is the cost per document steady as the archive grows?

Writes N synthetic documents (bench/dedup.py's generator: English and Chinese, 200-3,000 words,
one in ten an excerpt, repost, edited or script-converted copy of an earlier one) as JSON
Lines, imports them with the real import path (relevance, dedup, one transaction each) into a
fresh SQLite archive, and prints the time per document for each block of the file. The ratio
column compares each block with the first one, measured in the same run.

    python bench/importing.py [--documents 20000] [--block 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from dedup import Corpus  # noqa: E402

from crawler.importer import ImportSummary, import_file  # noqa: E402
from crawler.relevance import DEFAULT_RULES  # noqa: E402
from crawler.seeds import import_seeds  # noqa: E402
from storage.database import open_archive  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--block", type=int, default=2_000)
    args = parser.parse_args()
    corpus = Corpus(random.Random(7))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "collection.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for number in range(args.documents):
                record = {"url": f"https://bench.example/{number}", "title": f"Document {number}"}
                out.write(json.dumps({**record, "text": corpus.next()}, ensure_ascii=False) + "\n")
        engine = open_archive(f"sqlite:///{folder / 'amur.db'}")
        import_seeds(engine, REPO / "seeds", DEFAULT_RULES)
        marks: list[float] = [time.perf_counter()]

        def progress(line: int, _summary: ImportSummary) -> None:
            if line % args.block == 0:
                marks.append(time.perf_counter())

        summary = import_file(engine, DEFAULT_RULES, source, "bench", progress)
        engine.dispose()
    per_doc = [(b - a) / args.block * 1000 for a, b in pairwise(marks)]
    print(f"{'documents':>15} {'ms/doc':>8} {'ratio':>6}")
    for index, cost in enumerate(per_doc):
        start, end = index * args.block + 1, (index + 1) * args.block
        print(f"{start:>7}-{end:<7} {cost:8.2f} {cost / per_doc[0]:6.2f}")
    counts = summary.counts
    print(
        f"\n{counts['read']} read: {counts['new']} new, {counts['duplicates']} duplicates, "
        f"{counts['irrelevant']} not relevant, {counts['errors']} errors"
    )


if __name__ == "__main__":
    main()
