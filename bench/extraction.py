"""Extraction quality and speed against bare trafilatura, on saved real pages ($AMUR_BENCH_PAGES).

For each page of the corpus (fundus's parser test data, see its README.md) the expected title,
authors, date and body are compared with what each system gives:

- `trafilatura.extract(html, url=url)`: the baseline, text only, measured in the same run;
- `trafilatura.bare_extraction(..., with_metadata=True)`: trafilatura's own metadata, for
  reference;
- `crawler.extraction.extract`: ours.

Body: mean bag-of-words token F1 (lowercased whitespace tokens; non-space characters for
zh/ja/ko). Title: exact match after collapsing whitespace. Date: same calendar day as written.
Author: same set of names (case-insensitive; no authors expected means none given). Speed:
pages/s over extraction calls only (the HTML is decompressed and decoded beforehand).

    python bench/extraction.py [--limit N] [--worst K]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Saved pages with their expected.jsonl; not part of the repository, so a path you can set.
PAGES = Path(os.environ.get("AMUR_BENCH_PAGES", REPO.parent / "shared" / "pages"))
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from crawler.exceptions import ExtractionError  # noqa: E402
from crawler.extraction import extract  # noqa: E402

CHARACTER_TOKENS = {"zh", "ja", "ko"}
Result = dict[str, Any]


def tokens(text: str | None, language: str) -> Counter[str]:
    """The README's tokens: characters for zh/ja/ko, else lowercased whitespace tokens."""
    text = (text or "").lower()
    if language in CHARACTER_TOKENS:
        return Counter(ch for ch in text if not ch.isspace())
    return Counter(text.split())


def prf(predicted: str | None, expected: str, language: str) -> tuple[float, float, float]:
    got, want = tokens(predicted, language), tokens(expected, language)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def same_authors(predicted: str | None, expected: list[str]) -> bool:
    """Order-insensitive, case-insensitive; "A; B" is split as extract() joins it."""
    got = {" ".join(a.split()).casefold() for a in (predicted or "").split(";") if a.strip()}
    return got == {" ".join(a.split()).casefold() for a in expected}


def baseline(html: str, url: str) -> Result:
    return {"text": trafilatura.extract(html, url=url)}


def trafilatura_metadata(html: str, url: str) -> Result:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None:
        return {}
    return {"text": doc.text, "title": doc.title, "author": doc.author, "published": doc.date}


def ours(html: str, url: str) -> Result:
    try:
        return vars(extract(html, url)).copy()
    except ExtractionError:
        return {}


SYSTEMS: dict[str, tuple[Callable[[str, str], Result], bool]] = {
    "trafilatura.extract (baseline)": (baseline, False),
    "trafilatura.bare_extraction+metadata": (trafilatura_metadata, True),
    "crawler.extraction.extract (ours)": (ours, True),
}


def measure(pages: list[tuple[dict[str, Any], str]]) -> dict[str, tuple[list[Result], float]]:
    """Every system on every page, page by page, so that load on the machine hits all alike."""
    results: dict[str, list[Result]] = {name: [] for name in SYSTEMS}
    elapsed = dict.fromkeys(SYSTEMS, 0.0)
    for fn, _ in SYSTEMS.values():  # warm-up: lazy imports and models load outside timing
        fn(pages[0][1], pages[0][0]["url"])
    for row, html in pages:
        for name, (fn, _) in SYSTEMS.items():
            start = time.perf_counter()
            result = fn(html, row["url"])
            elapsed[name] += time.perf_counter() - start
            results[name].append(result)
    return {name: (results[name], elapsed[name]) for name in SYSTEMS}


def score(rows: list[dict[str, Any]], results: list[Result], meta: bool) -> dict[str, float]:
    pairs = list(zip(rows, results, strict=True))
    scores = [prf(r.get("text"), row["body"], row["language"]) for row, r in pairs]
    out = {k: statistics.mean(s[i] for s in scores) for i, k in enumerate(("P", "R", "F1"))}
    if meta:
        title = [" ".join((r.get("title") or "").split()) == " ".join(row["title"].split())
                 for row, r in pairs]  # fmt: skip
        date = [(r.get("published") or "")[:10] == row["published"][:10] for row, r in pairs]
        author = [same_authors(r.get("author"), row["authors"]) for row, r in pairs]
        out |= {"title": statistics.mean(title), "date": statistics.mean(date),
                "author": statistics.mean(author)}  # fmt: skip
        if any("language" in r for r in results):
            out["lang"] = statistics.mean(r.get("language") == row["language"] for row, r in pairs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list our K lowest-F1 pages")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # trafilatura logs every discarded page

    rows = [json.loads(line) for line in (PAGES / "expected.jsonl").open(encoding="utf-8")]
    rows = rows[: args.limit]
    pages = [(row, gzip.decompress((PAGES / "html" / f"{row['id']}.html.gz").read_bytes())
              .decode("utf-8")) for row in rows]  # fmt: skip

    header = f"{'system':38} {'P':>6} {'R':>6} {'F1':>6} {'title':>6} {'date':>6} {'author':>6}"
    print(f"{len(rows)} pages from {PAGES}\n")
    print(f"{header} {'lang':>6} {'pages/s':>8} {'speed':>6}")
    measured = measure(pages)
    base_rate = len(pages) / next(iter(measured.values()))[1]
    for name, (results, elapsed) in measured.items():
        rate = len(pages) / elapsed
        s = score(rows, results, SYSTEMS[name][1])
        cells = " ".join(f"{s[k]:6.3f}" if k in s else f"{'–':>6}"
                         for k in ("P", "R", "F1", "title", "date", "author", "lang"))  # fmt: skip
        print(f"{name:38} {cells} {rate:8.1f} {rate / base_rate:5.2f}x")
    ours_results = measured[list(SYSTEMS)[-1]][0]
    if args.worst:
        print(f"\nour {args.worst} lowest-F1 pages:")
        ranked = sorted(
            (prf(r.get("text"), row["body"], row["language"])[2], row["id"])
            for row, r in zip(rows, ours_results, strict=True)
        )
        for f1, page in ranked[: args.worst]:
            print(f"  {f1:.3f}  {page}")


if __name__ == "__main__":
    main()
