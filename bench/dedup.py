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
                          [--engines 45b7f98^,now] [--backends sqlite,postgresql]

``--engines`` runs the same documents through storage/dedup.py as of each git revision (``now``:
the working tree's), each engine filling an archive of its own, side by side: every document is
stored into each archive in turn, the order rotating, so that a machine busy with other work
slows every engine alike. ``--backends``: SQLite, and PostgreSQL (a database of its own on
127.0.0.1:5432, dropped afterwards).

``--wire`` measures syndicated copies instead: an original, then hundreds of copies of it, one
outlet each, every copy with its outlet's header and footer and a sentence or two trimmed;
several stories interleaved with the outlets' own unrelated articles. It runs the engine as of
``--baseline`` (a git revision of storage/dedup.py) and the working tree's side by side, as
``--engines`` does, and prints copies marked new, the first miss, the cost per copy at copy 10,
100 and 500, and the links the outlets' boilerplate made.

    python bench/dedup.py --wire [--copies 520] [--stories 3] [--baseline 7e9c4c4]
                          [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

import opencc
from sqlalchemy import Engine, func, insert, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scratch import scratch_database  # noqa: E402

from storage import archive, dedup, shingles  # noqa: E402
from storage.archive import DocumentIn, Outcome, ensure_source, store_document  # noqa: E402
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


def url(number: int) -> str:
    """Each source a site of its own: dedup tells a site's boilerplate by where it recurs."""
    return f"https://source-{number % SOURCES}.example/{number}"


def document(number: int, body: str) -> DocumentIn:
    source = f"source-{number % SOURCES}"
    return DocumentIn(url=url(number), source=source, text=body, relevant=True, fetched=WHEN)


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
                        "url": url(number),
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


def index_bytes(engine: Engine) -> int:
    """Bytes of the dedup tables and their indexes (SQLite's dbstat: a measurement, not a query
    the program makes)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return connection.scalar(text("SELECT pg_total_relation_size('fingerprints')"))
        rows = connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        return sum(size for name, size in rows if name in INDEX_TABLES)


# Wire copies ------------------------------------------------------------------------------

BASELINE = "7e9c4c4"  # storage/dedup.py before copies were followed past MAX_DF holders
POSITIONS = (10, 100, 500)
_SENTENCES = re.compile(r"(?<=[.。])\s*")


def engine_at(revision: str) -> types.ModuleType:
    """storage/dedup.py as of git `revision`, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{revision}:storage/dedup.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"dedup_at_{revision}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:storage/dedup.py", "exec"), module.__dict__)
    return module


def engine_named(name: str) -> types.ModuleType:
    """The working tree's engine for ``now``, else the one of git revision `name`."""
    return dedup if name == "now" else engine_at(name)


@contextmanager
def archive_at(backend: str) -> Iterator[Engine]:
    """A new, migrated archive on `backend` (sqlite or postgresql), removed afterwards."""
    with scratch_database(backend) as url:
        engine = open_archive(url)
        try:
            yield engine
        finally:
            engine.dispose()


class Wire:
    """Wire stories, the outlets that reprint them, and what each outlet publishes of its own."""

    def __init__(self, corpus: Corpus, stories: int, copies: int, traffic: int) -> None:
        rng = self.rng = corpus.rng
        self.corpus = corpus
        # The last story is Chinese (a Xinhua report reprinted by portals), the others English.
        self.stories = [
            corpus._chinese(rng.randint(500, 800))
            if n == stories - 1 and stories > 1
            else corpus._english(rng.randint(500, 900))
            for n in range(stories)
        ]
        self.copies, self.traffic = copies, traffic
        # Each outlet's header and footer, on every page of it, short enough (under 50 words) for
        # a reprint to stay a near duplicate; and an "about us" block of 60-90 words on its own
        # articles, long enough to be a shared passage of the size that makes `overlaps`, were
        # it not told apart as the outlet's boilerplate.
        self.outlets = [
            (
                f"Outlet {n} | Home | World | Asia\n\n{corpus._english(rng.randint(8, 16))}",
                corpus._english(rng.randint(20, 45)),
                corpus._english(rng.randint(60, 90)),
            )
            for n in range(copies)
        ]

    def copy(self, story: int, outlet: int) -> str:
        """The story as `outlet` prints it: its header and footer, a sentence or two trimmed."""
        rng = self.rng
        sentences = [s for s in _SENTENCES.split(self.stories[story]) if s]
        for _ in range(rng.randint(1, 2)):
            # Outlets cut from the end more often than from the middle.
            at = len(sentences) - 1 if rng.random() < 0.5 else rng.randrange(len(sentences))
            del sentences[at]
        joiner = "" if story == len(self.stories) - 1 and len(self.stories) > 1 else " "
        header, footer, _about = self.outlets[outlet]
        return f"{header}\n\n{joiner.join(sentences)}\n\n{footer}"

    def own(self, outlet: int) -> str:
        header, footer, about = self.outlets[outlet]
        body, _chinese = self.corpus.fresh()
        return f"{header}\n\n{body}\n\n{about}\n\n{footer}"

    def sequence(self) -> list[tuple[str, int | None, int | None, str]]:
        """(url, story or None, copy number or None, text), in the order they are stored."""
        out: list[tuple[str, int | None, int | None, str]] = [
            (f"https://wire-agency.com/story/{n}", n, 0, body)
            for n, body in enumerate(self.stories)
        ]
        for outlet in range(self.copies):
            batch: list[tuple[str, int | None, int | None, str]] = [
                (f"https://outlet{outlet}.com/{n}", n, outlet + 1, self.copy(n, outlet))
                for n in range(len(self.stories))
            ]
            batch += [
                (f"https://outlet{outlet}.com/own/{n}", None, None, self.own(outlet))
                for n in range(self.traffic)
            ]
            self.rng.shuffle(batch)
            out += batch
        return out


def holder_rows(engine: Engine, body: str) -> int:
    """Index rows stored under the fingerprints of `body`: what its lookup reads."""
    hashes = list(profile(body).fingerprints())
    with engine.connect() as connection:
        return sum(
            connection.scalar(
                select(func.count()).select_from(Fingerprint).where(Fingerprint.hash.in_(part))
            )
            or 0
            for part in (hashes[i : i + 500] for i in range(0, len(hashes), 500))
        )


def run_wire(
    engines: list[types.ModuleType],
    documents: list[tuple[str, int | None, int | None, str]],
    backend: str,
):  # type: ignore[no-untyped-def]
    """Store `documents` with each engine, into an archive of its own, side by side (each
    document into every archive in turn, the order rotating); what happened to each document
    and what it cost, per engine."""
    candidates: list[int] = []
    verifies = [module._verify for module in engines]

    def counting(verify):  # type: ignore[no-untyped-def]
        def counted(connection, text, ranked):  # type: ignore[no-untyped-def]
            candidates.append(len(ranked))
            return verify(connection, text, ranked)

        return counted

    for module, verify in zip(engines, verifies, strict=True):
        module._verify = counting(verify)
        module._candidate_profile.cache_clear()
    measured = {p for p in POSITIONS for p in range(p - 2, p + 3)}
    rows: list[list[tuple]] = [[] for _ in engines]  # type: ignore[type-arg]
    try:
        with ExitStack() as stack:
            archives = [stack.enter_context(archive_at(backend)) for _ in engines]
            for engine in archives:
                ensure_source(engine, "import", "import", None)
            for turn, (url, story, number, body) in enumerate(documents):
                doc = DocumentIn(url=url, source="import", text=body, relevant=True, fetched=WHEN)
                for step in range(len(engines)):
                    at = (turn + step) % len(engines)
                    engine = archives[at]
                    read = holder_rows(engine, body) if number in measured else None
                    archive.dedup = engines[at]  # store_document calls the engine by this name
                    candidates.clear()
                    started = time.perf_counter()
                    stored = store_document(engine, doc)
                    spent = (time.perf_counter() - started) * 1000
                    rows[at].append((stored, story, number, spent, sum(candidates), read))
    finally:
        for module, verify in zip(engines, verifies, strict=True):
            module._verify = verify
        archive.dedup = dedup
    return rows


def report_wire(name: str, rows, stories: int) -> None:  # type: ignore[no-untyped-def]
    """Per story: copies marked new, the first, and copies linked to the original; costs."""
    story_of = {stored.id: story for stored, story, *_ in rows}
    originals = {story: stored.id for stored, story, number, *_ in rows if number == 0}
    print(f"\n{name}")
    print(f"{'story':>6} {'copies':>7} {'marked new':>10} {'first miss':>10} {'linked':>7}")
    for story in range(stories):
        copies = [(stored, number) for stored, s, number, *_ in rows if s == story and number]
        missed = [number for stored, number in copies if stored.outcome is Outcome.NEW]
        linked = sum(
            1
            for stored, _n in copies
            if any(r.other_id == originals[story] for r in stored.relations)
        )
        first = missed[0] if missed else "-"
        print(f"{story:>6} {len(copies):>7} {len(missed):>10} {first!s:>10} {linked:>7}")
    print(f"{'copy':>6} {'store ms':>9} {'candidates':>10} {'rows read':>9}")
    for position in POSITIONS:
        near = [r for r in rows if r[2] is not None and abs(r[2] - position) <= 2]
        if near:
            spent = statistics.mean(r[3] for r in near)
            verified = statistics.mean(r[4] for r in near)
            read = statistics.mean(r[5] for r in near)
            print(f"{position:>6} {spent:>9.1f} {verified:>10.1f} {read:>9.0f}")
    false: Counter[str] = Counter()
    for stored, story, *_ in rows:
        for found in stored.relations:
            if story is None or story_of.get(found.other_id) != story:
                false[found.relation] += 1
    own = [stored for stored, story, *_ in rows if story is None]
    print(
        f"outlets' own articles: {len(own)}, new {sum(s.outcome is Outcome.NEW for s in own)}; "
        f"links between different texts: {dict(false) or 0}"
    )


def wire_main(args: argparse.Namespace) -> None:
    corpus = Corpus(random.Random(args.seed))
    documents = Wire(corpus, args.stories, args.copies, args.traffic).sequence()
    print(
        f"{args.stories} stories, {args.copies} copies each (one outlet each), "
        f"{args.traffic} article(s) of each outlet's own: {len(documents)} documents"
    )
    names = (f"baseline {args.baseline}", "now")
    engines = [engine_at(args.baseline), dedup]
    for backend in args.backends.split(","):
        results = run_wire(engines, documents, backend)
        for name, rows in zip(names, results, strict=True):
            spent = sum(row[3] for row in rows) / 1000
            report_wire(f"{name} on {backend} (stores {spent:.0f} s)", rows, args.stories)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--fill", choices=("store", "bulk"), default="store")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wire", action="store_true", help="measure syndicated copies")
    parser.add_argument("--copies", type=int, default=520)
    parser.add_argument("--stories", type=int, default=3)
    parser.add_argument("--traffic", type=int, default=3, help="own articles per outlet")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old engine")
    parser.add_argument("--engines", default="now", help="git revisions of storage/dedup.py")
    parser.add_argument("--backends", default="sqlite", help="sqlite and/or postgresql")
    args = parser.parse_args()
    if args.wire:
        wire_main(args)
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    names = args.engines.split(",")
    results = []
    for backend in args.backends.split(","):
        engines = [engine_named(name) for name in names]
        for size, rows in run_traffic(engines, backend, sizes, args):
            results += [(backend, name, size, *row) for name, row in zip(names, rows, strict=True)]
    print("classify: shingling + dedup.classify inside store_document; store: the whole call")
    print(
        f"{'backend':<10} {'engine':<8} {'archive':>8} {'classify ms':>11} {'p95':>6} "
        f"{'store ms':>9} {'p95':>6} {'index B/doc':>11} {'rows/doc':>8} {'common':>7} "
        f"{'fill s':>7}  sample outcomes"
    )
    for backend, name, size, mean, p95, store, store95, *rest in results:
        per_doc, rows, common, fill, outcomes = rest
        print(
            f"{backend:<10} {name:<8} {size:>8} {mean:>11.2f} {p95:>6.2f} {store:>9.2f} "
            f"{store95:>6.2f} {per_doc:>11.0f} {rows:>8.1f} {common:>7} {fill:>7.0f}  {outcomes}"
        )


class Clock:
    """Time spent inside dedup's two steps of `store_document`: shingling and `classify`."""

    def __init__(self, engines: list[types.ModuleType]) -> None:
        self.seconds = 0.0
        self.patched = [(shingles, "profile_normalized"), *((e, "classify") for e in engines)]
        self.originals = [getattr(module, name) for module, name in self.patched]
        for (module, name), function in zip(self.patched, self.originals, strict=True):
            setattr(module, name, self._timed(function))

    def restore(self) -> None:
        for (module, name), function in zip(self.patched, self.originals, strict=True):
            setattr(module, name, function)

    def _timed(self, function):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def run_traffic(  # type: ignore[no-untyped-def]
    engines: list[types.ModuleType], backend: str, sizes: list[int], args: argparse.Namespace
):
    """Per size, a row per engine: each engine fills an archive of its own with the same
    documents, and the sample is stored into each in turn, the order rotating, so that a busy
    machine slows every engine alike."""
    corpus = Corpus(random.Random(args.seed))
    for module in engines:
        module._candidate_profile.cache_clear()
    clock = Clock(engines)
    results = []
    try:
        with ExitStack() as stack:
            archives = [stack.enter_context(archive_at(backend)) for _ in engines]
            for engine in archives:
                for n in range(SOURCES):
                    ensure_source(engine, f"source-{n}", "feed", None)
            fillers = [BulkFiller(engine) for engine in archives]
            number, fills = 0, [0.0] * len(engines)
            for size in sizes:
                while number < size:
                    if args.fill == "bulk":
                        count = min(1000, size - number)
                        batch = [(number + i, corpus.next()) for i in range(count)]
                        for at, filler in enumerate(fillers):
                            started = time.perf_counter()
                            filler.add(batch)
                            fills[at] += time.perf_counter() - started
                        number += len(batch)
                    else:
                        doc = document(number, corpus.next())
                        for at, (module, engine) in enumerate(zip(engines, archives, strict=True)):
                            archive.dedup = module  # store_document calls the engine by this name
                            started = time.perf_counter()
                            store_document(engine, doc)
                            fills[at] += time.perf_counter() - started
                        number += 1
                    if number % 5000 == 0:
                        print(f"  filled {number}", file=sys.stderr, flush=True)
                timings = [[] for _ in engines]
                classifying = [[] for _ in engines]
                outcomes = [Counter() for _ in engines]
                for turn in range(args.sample):
                    doc = document(number, corpus.next())
                    for step in range(len(engines)):
                        at = (turn + step) % len(engines)
                        archive.dedup = engines[at]
                        clock.seconds = 0.0
                        started = time.perf_counter()
                        stored = store_document(archives[at], doc)
                        timings[at].append((time.perf_counter() - started) * 1000)
                        classifying[at].append(clock.seconds * 1000)
                        outcomes[at][stored.outcome.value] += 1
                    number += 1
                    for filler in fillers:
                        filler.hashes.add(text_hash(doc.text))
                rows = []
                for at, (module, engine) in enumerate(zip(engines, archives, strict=True)):
                    rows.append(
                        (
                            statistics.mean(classifying[at]),
                            statistics.quantiles(classifying[at], n=20)[-1],
                            statistics.mean(timings[at]),
                            statistics.quantiles(timings[at], n=20)[-1],
                            *_index_figures(engine, module),
                            fills[at],
                            dict(outcomes[at]),
                        )
                    )
                results.append((size, rows))
                print(f"  {backend} size {size} measured", file=sys.stderr, flush=True)
    finally:
        clock.restore()
        archive.dedup = dedup
    return results


def _index_figures(engine: Engine, module: types.ModuleType) -> tuple[float, float, int]:
    """Index bytes and rows per document, and hashes at the engine's cap."""
    with engine.connect() as connection:
        documents = connection.scalar(select(func.count()).select_from(Document))
        rows = connection.scalar(select(func.count()).select_from(Fingerprint))
        common = connection.scalar(
            select(func.count()).select_from(
                select(Fingerprint.hash)
                .group_by(Fingerprint.hash)
                .having(func.count() >= module.MAX_DF)
                .subquery()
            )
        )
    return index_bytes(engine) / documents, rows / documents, common


if __name__ == "__main__":
    main()
