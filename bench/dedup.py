"""Dedup at scale: classification time and index size as the archive grows.

Generates English and Chinese documents (200-3,000 words, log-uniform; Chinese at ~1.6
characters a word), each with its source's boilerplate footer and now and then a stock phrase,
and one in ten derived from an earlier one: an excerpt (with or without ``...`` gaps), a repost
inside commentary, a copy with small edits, an exact copy, or a Traditional-script copy. The
archive (SQLite) is filled through `store_document`, the real path, or with ``--fill bulk``
by writing documents and fingerprints directly, with the same common-hash cap. At each size a
sample of new documents is stored through `store_document` and timed one by one: the dedup
share (shingling the text and `dedup.classify`, index and match writes included) and the whole
call (which adds the document and revision rows and the commit).

    python bench/dedup.py [--sizes 1000,10000,100000] [--sample 300] [--fill store|bulk]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

import opencc
from sqlalchemy import Engine, func, insert, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storage import dedup, shingles  # noqa: E402
from storage.archive import DocumentIn, ensure_source, store_document  # noqa: E402
from storage.database import open_archive  # noqa: E402
from storage.fingerprints import text_hash  # noqa: E402
from storage.models import Document, Fingerprint  # noqa: E402
from storage.shingles import profile  # noqa: E402

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
SOURCES = 10
INDEX_TABLES = ("fingerprints", "ix_fingerprints_document_id")
STOCK_EN = [
    "the comprehensive strategic partnership of coordination for a new era",
    "the official Xinhua news agency reported",
    "a friendship with no limits",
    "the Power of Siberia 2 gas pipeline",
    "President Vladimir Putin and Chinese leader Xi Jinping",
    "Western sanctions over the war in Ukraine",
    "according to Chinese customs data",
    "the Shanghai Cooperation Organisation summit",
]
STOCK_ZH = [
    "新时代全面战略协作伙伴关系",
    "世界百年未有之大变局",
    "据新华社报道",
    "中俄睦邻友好合作条约",
]


class Corpus:
    """Zipf-weighted vocabularies seeded from the real texts, and a document generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        texts = [p.read_text(encoding="utf-8") for p in (REPO / "seeds").glob("*.txt")]
        words = Counter(w.strip(".,“”\"'()") for t in texts for w in t.split() if w.isascii())
        english = [w for w, _ in words.most_common() if w]
        syllables = ["ka", "ro", "mi", "sen", "tu", "lo", "vi", "dan", "pe", "ko", "ra", "shi"]
        while len(english) < 60_000:  # a long tail of rare words, as real text has
            english.append("".join(rng.choices(syllables, k=rng.randint(2, 4))))
        chars = Counter(c for t in texts for c in t if "\u4e00" <= c <= "\u9fff")
        chinese = [c for c, _ in chars.most_common()]
        chinese += [chr(c) for c in range(0x4E00, 0x9FA5) if chr(c) not in chars][:4000]
        self.english = english
        self.english_weights = list(accumulate(1 / (r + 1) ** 1.05 for r in range(len(english))))
        self.chinese = chinese
        self.chinese_weights = list(accumulate(1 / (r + 1) ** 0.9 for r in range(len(chinese))))
        self.footers = [self._english(rng.randint(20, 40)) for _ in range(SOURCES)]
        self.s2t = opencc.OpenCC("s2t")
        self.recent: list[tuple[str, bool]] = []

    def _english(self, words: int) -> str:
        out, rng = [], self.rng
        while words > 0:
            size = min(words, rng.randint(8, 30))
            sentence = rng.choices(self.english, cum_weights=self.english_weights, k=size)
            if rng.random() < 0.05:
                sentence[rng.randrange(size) :] = rng.choice(STOCK_EN).split()
            out.append(" ".join(sentence).capitalize() + ".")
            words -= size
        return "\n\n".join(" ".join(out[i : i + 5]) for i in range(0, len(out), 5))

    def _chinese(self, words: int) -> str:
        out, rng, chars = [], self.rng, int(words * 1.6)
        while chars > 0:
            size = min(chars, rng.randint(12, 40))
            sentence = "".join(rng.choices(self.chinese, cum_weights=self.chinese_weights, k=size))
            if rng.random() < 0.05:
                sentence += rng.choice(STOCK_ZH)
            out.append(sentence + "。")
            chars -= size
        return "\n\n".join("".join(out[i : i + 4]) for i in range(0, len(out), 4))

    def fresh(self) -> tuple[str, bool]:
        rng = self.rng
        words = int(math.exp(rng.uniform(math.log(200), math.log(3000))))
        chinese = rng.random() < 0.3
        body = self._chinese(words) if chinese else self._english(words)
        return f"{body}\n\n{rng.choice(self.footers)}", chinese

    def derived(self) -> str:
        """A text made from a recent one, as reposts, digests and mirrors make them."""
        rng = self.rng
        original, chinese = rng.choice(self.recent)
        paragraphs = original.split("\n\n")
        kind = rng.choice(["excerpt", "gaps", "repost", "edited", "copy", "script"])
        if kind == "excerpt":
            start = rng.randrange(len(paragraphs))
            return "\n\n".join(paragraphs[start : start + rng.randint(1, 3)])
        if kind == "gaps":
            return "\n...\n".join(p for p in paragraphs if rng.random() < 0.5) or paragraphs[0]
        if kind == "repost":
            commentary = self._chinese(150) if chinese else self._english(150)
            return f"{commentary}\n\n{original}\n\n{self._english(60)}"
        if kind == "edited":
            words = original.split(" ")
            for _ in range(max(1, len(words) // 100)):
                words[rng.randrange(len(words))] = rng.choice(self.english[:2000])
            return " ".join(words)
        if kind == "script" and chinese:
            return self.s2t.convert(original)
        return original

    def next(self) -> str:
        if self.recent and self.rng.random() < 0.1:
            return self.derived()
        body, chinese = self.fresh()
        self.recent.append((body, chinese))
        if len(self.recent) > 2000:
            self.recent.pop(self.rng.randrange(len(self.recent)))
        return body


def document(number: int, body: str) -> DocumentIn:
    source = f"source-{number % SOURCES}"
    return DocumentIn(
        url=f"https://bench.example/{number}", source=source, text=body, relevant=True, fetched=WHEN
    )


class BulkFiller:
    """Documents and fingerprints written directly, with dedup's common-hash cap kept in memory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.held: Counter[int] = Counter()
        self.hashes: set[str] = set()

    def add(self, bodies: list[tuple[int, str]]) -> None:
        with self.engine.begin() as connection:
            sources = dict(connection.execute(text("SELECT name, id FROM sources")).all())
            rows, prints = [], []
            for number, body in bodies:
                digest = text_hash(body)
                rows.append(
                    {
                        "url": f"https://bench.example/{number}",
                        "source_id": sources[f"source-{number % SOURCES}"],
                        "first_seen": WHEN,
                        "fetched": WHEN,
                        "text": body,
                        "text_hash": digest,
                        "is_new": True,
                        "relevant": True,
                        "review": "unreviewed",
                    }
                )
            returning = insert(Document).returning(Document.id, sort_by_parameter_order=True)
            ids = connection.execute(returning, rows).scalars()
            for document_id, row, (_number, body) in zip(ids, rows, bodies, strict=True):
                if row["text_hash"] in self.hashes:
                    continue  # exact copies are not indexed
                self.hashes.add(row["text_hash"])
                for value, position in profile(body).fingerprints().items():
                    if self.held[value] >= dedup.MAX_DF:
                        continue
                    self.held[value] += 1
                    prints.append({"hash": value, "document_id": document_id, "position": position})
            if prints:
                connection.execute(insert(Fingerprint), prints)


class Clock:
    """Time spent inside dedup's two steps of `store_document`: shingling and `classify`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        for module, name in ((shingles, "profile_normalized"), (dedup, "classify")):
            setattr(module, name, self._timed(getattr(module, name)))

    def _timed(self, function):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def index_bytes(engine: Engine) -> int:
    """Bytes of the dedup tables and their indexes (SQLite's dbstat: a measurement, not a query
    the program makes)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        return sum(size for name, size in rows if name in INDEX_TABLES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--fill", choices=("store", "bulk"), default="store")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    corpus = Corpus(random.Random(args.seed))
    with tempfile.TemporaryDirectory() as folder:
        engine = open_archive(f"sqlite:///{Path(folder) / 'bench.db'}")
        for n in range(SOURCES):
            ensure_source(engine, f"source-{n}", "feed", None)
        filler, number, results, clock = BulkFiller(engine), 0, [], Clock()
        for size in sizes:
            started = time.perf_counter()
            while number < size:
                if args.fill == "bulk":
                    batch = [(number + i, corpus.next()) for i in range(min(1000, size - number))]
                    filler.add(batch)
                    number += len(batch)
                else:
                    store_document(engine, document(number, corpus.next()))
                    number += 1
                if number % 5000 == 0:
                    print(f"  filled {number}", file=sys.stderr, flush=True)
            fill = time.perf_counter() - started
            timings, classifying, outcomes = [], [], Counter()
            for _ in range(args.sample):
                doc = document(number, corpus.next())
                clock.seconds = 0.0
                started = time.perf_counter()
                stored = store_document(engine, doc)
                timings.append((time.perf_counter() - started) * 1000)
                classifying.append(clock.seconds * 1000)
                outcomes[stored.outcome.value] += 1
                number += 1
                filler.hashes.add(text_hash(doc.text))
            with engine.connect() as connection:
                documents = connection.scalar(select(func.count()).select_from(Document))
                rows = connection.scalar(select(func.count()).select_from(Fingerprint))
                common = connection.scalar(
                    select(func.count()).select_from(
                        select(Fingerprint.hash)
                        .group_by(Fingerprint.hash)
                        .having(func.count() >= dedup.MAX_DF)
                        .subquery()
                    )
                )
            results.append(
                (
                    size,
                    statistics.mean(classifying),
                    statistics.quantiles(classifying, n=20)[-1],
                    statistics.mean(timings),
                    statistics.quantiles(timings, n=20)[-1],
                    index_bytes(engine) / documents,
                    rows / documents,
                    common,
                    fill,
                    dict(outcomes),
                )
            )
            print(f"  size {size} measured", file=sys.stderr, flush=True)
        engine.dispose()
    print("classify: shingling + dedup.classify inside store_document; store: the whole call")
    print(
        f"{'archive':>8} {'classify ms':>11} {'p95':>6} {'store ms':>9} {'p95':>6} "
        f"{'index B/doc':>11} {'rows/doc':>8} {'common':>7} {'fill s':>7}  sample outcomes"
    )
    for size, mean, p95, store, store95, per_doc, rows, common, fill, outcomes in results:
        print(
            f"{size:>8} {mean:>11.2f} {p95:>6.2f} {store:>9.2f} {store95:>6.2f} "
            f"{per_doc:>11.0f} {rows:>8.1f} {common:>7} {fill:>7.0f}  {outcomes}"
        )


if __name__ == "__main__":
    main()
