"""The passages linked documents share, quoted from the text as written (`amur show`, the page).

Paragraphs of one text are scored by how much of them the other text's shingles cover (the
same shingles dedup uses, so the quotes show why dedup linked the two); the best covered
paragraphs are quoted, shortened to a line or two.
"""

from __future__ import annotations

from collections.abc import Mapping

from storage.shingles import coverage, profile

# A paragraph is quoted when at least this share of it is in the other text.
MIN_COVERED = 0.6


def shared_passages(text: str, other: str, limit: int = 2, width: int = 160) -> list[str]:
    """Up to `limit` paragraphs of `text` found in `other`, longest first, each cut to `width`."""
    other_shingles = set(profile(other).hashes)
    found = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        shingled = profile(paragraph)
        if not shingled.hashes:
            continue  # shorter than one shingle: too short to show as evidence
        share = coverage(shingled, other_shingles).fraction
        if share >= MIN_COVERED:
            found.append((shingled.weight * share, paragraph))
    found.sort(key=lambda item: -item[0])
    return [_shorten(paragraph, width) for _, paragraph in found[:limit]]


def shared_paragraphs(text: str, others: Mapping[int, str]) -> list[tuple[str, tuple[int, ...]]]:
    """`text`'s paragraphs, each with the ids of the `others` it is found in (maybe none).

    The review page marks these paragraphs, so a reader sees where a match lies in the text.
    """
    shingled_others = {key: set(profile(other).hashes) for key, other in others.items()}
    paragraphs = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        shingled = profile(paragraph)
        holders = tuple(
            key
            for key, hashes in shingled_others.items()
            if shingled.hashes and coverage(shingled, hashes).fraction >= MIN_COVERED
        )
        paragraphs.append((paragraph, holders))
    return paragraphs


def _shorten(paragraph: str, width: int) -> str:
    flat = " ".join(paragraph.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
