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

The pages are also the test set, so they are split by a hash of their id into a tuning half
and a held-out half (`half()`): rules are developed looking at tuning-half failures only
(`--failures` refuses to list held-out pages), and both halves are reported, overall and per
language. tests/crawler/test_extraction_gate.py holds both halves' figures as a floor.

    python bench/extraction.py [--limit N] [--worst K] [--failures title|author|date|body]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
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
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
# Saved pages with their expected.jsonl; not part of the repository, so a path you can set.
PAGES = Path(os.environ.get("AMUR_BENCH_PAGES", REPO.parent / "shared" / "pages"))
sys.path.insert(0, str(REPO))

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from crawler.exceptions import ExtractionError  # noqa: E402
from crawler.extraction import extract  # noqa: E402
from crawler.metadata import json_ld  # noqa: E402

CHARACTER_TOKENS = {"zh", "ja", "ko"}
Result = dict[str, Any]


def half(page_id: str) -> str:
    """`tuning` or `held-out`, fixed by the id's SHA-256 so that the split never moves."""
    return "tuning" if hashlib.sha256(page_id.encode()).digest()[0] % 2 == 0 else "held-out"


def load(limit: int | None = None) -> list[tuple[dict[str, Any], str]]:
    """(expected row, decoded HTML) for the first `limit` pages of the corpus.

    Each row gains `site_names`: the names the page gives itself (see `site_names`).
    """
    lines = (PAGES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    pages = []
    for row in rows[:limit]:
        path = PAGES / "html" / f"{row['id']}.html.gz"
        html = gzip.decompress(path.read_bytes()).decode("utf-8")
        pages.append((row | {"site_names": site_names(html)}, html))
    return pages


def site_names(html: str) -> list[str]:
    """The names a page gives its own publication: og:site_name and JSON-LD publisher names.

    fundus's `publisher` is a romanised display name ("Asahi Shimbun"); the page's own
    ("朝日新聞デジタル") is what fundus gives as the author of a page crediting no one.
    """
    tree = lxml.html.fromstring(html)
    names = tree.xpath("//meta[@property='og:site_name']/@content")
    for obj in json_ld(tree):
        publisher = obj.get("publisher")
        for item in publisher if isinstance(publisher, list) else [publisher]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
    return sorted({name for name in map(_squash, names) if len(name) > 1})


def credits_publication(row: dict[str, Any]) -> bool:
    """Whether the expected authors are only the publication ("ORF.at", "DER SPIEGEL").

    fundus names the site where a page credits no one; amur never gives the publication as an
    author, so the `people` column scores authors on the other pages only. The publication is
    fundus's publisher name, a label of the host or a name the page gives itself.
    """
    host = [label for label in (urlsplit(row["url"]).hostname or "").split(".")
            if len(label) > 2 and label not in ("www", "com", "org", "net")]  # fmt: skip
    publisher = _squash(row["publisher"])
    return bool(row["authors"]) and all(
        (len(publisher) > 2 and publisher in name) or name in publisher
        or any(label in name for label in host)
        or any(own in name or name in own for own in row.get("site_names", ()))
        for name in map(_squash, row["authors"])
    )  # fmt: skip


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


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


def same_authors(predicted: Result, expected: list[str]) -> bool:
    """Order-insensitive, case-insensitive; ours gives a list, trafilatura joins with "; "."""
    names = predicted.get("authors")
    if names is None:
        names = (predicted.get("author") or "").split(";")
    got = {" ".join(a.split()).casefold() for a in names if a.strip()}
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
        return vars(extract(html, url)).copy()  # authors as a list
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


def checks(row: dict[str, Any], result: Result) -> dict[str, float]:
    """One page's scores: body P/R/F1, and whether title, date and authors are right."""
    precision, recall, f1 = prf(result.get("text"), row["body"], row["language"])
    return {
        "P": precision, "R": recall, "F1": f1,
        "title": " ".join((result.get("title") or "").split()) == " ".join(row["title"].split()),
        "date": (result.get("published") or "")[:10] == row["published"][:10],
        "author": same_authors(result, row["authors"]),
        "people": same_authors(result, row["authors"]) if not credits_publication(row) else None,
        "lang": result.get("language") == row["language"],
    }  # fmt: skip


METRICS = ("P", "R", "F1", "title", "date", "author", "lang")
META = ("title", "date", "author", "lang")


def score(rows: list[dict[str, Any]], results: list[Result], meta: bool) -> dict[str, float]:
    """Means over pages; metadata only for systems that give it."""
    per_page = [checks(row, r) for row, r in zip(rows, results, strict=True)]
    keys = [k for k in METRICS if meta or k not in META]
    if not any("language" in r for r in results):
        keys = [k for k in keys if k != "lang"]
    out = {k: statistics.mean(float(page[k]) for page in per_page) for k in keys}
    if meta and (people := [float(p["people"]) for p in per_page if p["people"] is not None]):
        out["people"] = statistics.mean(people)
    return out


def groups(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Page indexes by half, and by half and language (largest languages first)."""
    found: dict[str, list[int]] = {"all": list(range(len(rows)))}
    for name in ("tuning", "held-out"):
        mine = [i for i, row in enumerate(rows) if half(row["id"]) == name]
        found[name] = mine
        languages = Counter(rows[i]["language"] for i in mine)
        for language, _ in sorted(languages.items(), key=lambda kv: (-kv[1], kv[0])):
            found[f"{name} {language}"] = [i for i in mine if rows[i]["language"] == language]
    return found


def breakdown(rows: list[dict[str, Any]], measured: dict[str, tuple[list[Result], float]]) -> None:
    """One line per group: bare trafilatura's F1 beside ours (F1 and metadata)."""
    names = list(SYSTEMS)
    print(f"\n{'group':15} {'n':>4} {'base F1':>8} {'F1':>6} {'title':>6} {'date':>6}"
          f" {'author':>6} {'people':>6}   (ours; base = {names[0]})")  # fmt: skip
    for group, indexes in groups(rows).items():
        subset = [rows[i] for i in indexes]
        base = score(subset, [measured[names[0]][0][i] for i in indexes], False)
        s = score(subset, [measured[names[-1]][0][i] for i in indexes], True)
        keys = ("F1", "title", "date", "author", "people")
        cells = " ".join(f"{s[k]:6.3f}" if k in s else f"{'–':>6}" for k in keys)
        print(f"{group:15} {len(indexes):4} {base['F1']:8.3f} {cells}")


def failures(rows: list[dict[str, Any]], results: list[Result], field: str) -> None:
    """Tuning-half pages where `field` is wrong, with what we gave and what was expected."""
    key = {"body": "F1"}.get(field, field)
    want = {"title": "title", "author": "authors", "date": "published", "body": "body"}[field]
    for row, result in zip(rows, results, strict=True):
        if half(row["id"]) != "tuning":
            continue  # held-out pages are measured, never looked at
        page = checks(row, result)
        if (page[key] < 0.9) if key == "F1" else not page[key]:
            got = result.get({"date": "published", "body": "text"}.get(field, field))
            if field == "author" and "authors" in result:
                got = result["authors"]
            print(f"{row['id']}\n  got:  {str(got)[:300]!r}\n  want: {str(row[want])[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list our K lowest-F1 pages")
    parser.add_argument("--failures", choices=("title", "author", "date", "body"),
                        help="list our wrong tuning-half pages for one field")  # fmt: skip
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # trafilatura logs every discarded page

    pages = load(args.limit)
    rows = [row for row, _ in pages]
    header = f"{'system':38} {'P':>6} {'R':>6} {'F1':>6} {'title':>6} {'date':>6} {'author':>6}"
    print(f"{len(rows)} pages from {PAGES}\n")
    print(f"{header} {'lang':>6} {'pages/s':>8} {'speed':>6}")
    measured = measure(pages)
    base_rate = len(pages) / next(iter(measured.values()))[1]
    for name, (results, elapsed) in measured.items():
        rate = len(pages) / elapsed
        s = score(rows, results, SYSTEMS[name][1])
        cells = " ".join(f"{s[k]:6.3f}" if k in s else f"{'–':>6}" for k in METRICS)
        print(f"{name:38} {cells} {rate:8.1f} {rate / base_rate:5.2f}x")
    breakdown(rows, measured)
    ours_results = measured[list(SYSTEMS)[-1]][0]
    if args.failures:
        print(f"\nour wrong {args.failures} on tuning-half pages:")
        failures(rows, ours_results, args.failures)
    if args.worst:
        print(f"\nour {args.worst} lowest-F1 tuning-half pages:")
        ranked = sorted(
            (prf(r.get("text"), row["body"], row["language"])[2], row["id"])
            for row, r in zip(rows, ours_results, strict=True)
            if half(row["id"]) == "tuning"
        )
        for f1, page in ranked[: args.worst]:
            print(f"  {f1:.3f}  {page}")


if __name__ == "__main__":
    main()
