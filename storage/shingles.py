"""Tokens, shingles and winnowed fingerprints of a text: the pure half of the dedup engine.

One pass turns any mix of scripts into a token sequence: a word for space-separated text, a
single character for CJK (Chinese has no spaces, and a whole clause is not a token). Tokens are
weighed so that a shingle spans about the same amount of meaning in either script: a word weighs
2 units and a CJK character 1 (Chinese words average 1.5-2 characters). A shingle is the shortest
run of tokens from a start that weighs at least ``SPAN`` units: 5 words, or 10 characters.

Fingerprints are the shingle hashes that winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003)
selects: the rightmost minimum of every ``WINDOW`` consecutive hashes. Any passage shared by two
texts that is at least ``WINDOW + SPAN_TOKENS - 1`` tokens long is then guaranteed to share a
fingerprint, and about 2 / (WINDOW + 1) of the shingles are kept.

Measured on tests/fixtures/dedup (its README has the table). SPAN: the coverage that
different articles on the same topic get from shared stock phrases and names is up to 9% at 6
units, 2.8% at 8 and 1.2% at 10; 12 gains nothing for English and lowers a Chinese near
duplicate's coverage (0.915 to 0.896), since every edit uncovers a whole span. WINDOW, from 8 to
32: fingerprints per 1,000 words 240, 164, 128, 103, 88, 67; fewest shared by a related pair
17, 11, 8, 7, 6, 5; most shared by an unrelated pair 9, 6, 4, 3, 3, 1. Index rows are what an
insert costs (each lands on a random page of a hash-ordered B-tree), so 24 halves the writes of
12 and still guarantees a fingerprint in any shared run of 28 words or 33 characters, and two
in the 60-word passage that ``storage.dedup`` calls substantial (its ``MIN_SHARED``).

Hashes are 63-bit (they fit a signed BIGINT on every backend): a polynomial over per-token
BLAKE2b values, computed from prefix sums so a shingle costs O(1) whatever its length, and the
same in every process (Python's own ``hash`` of a string is salted per process).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import mul, sub

import opencc

logger = logging.getLogger(__name__)

SPAN = 10  # units per shingle: 5 words or 10 CJK characters
WINDOW = 24  # shingles per winnowing window
WORD_UNITS = 2
CJK_UNITS = 1

MASK = (1 << 63) - 1
BASE = 0x9E3779B97F4A7C15 & MASK | 1  # odd, so multiplication by it is a bijection mod 2**63

# Ideographs, radicals, kana and their extensions: one token per character.
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKENS = re.compile(f"([{_CJK}])|([^\\s{_CJK}]+)")
CJK_RUNS = re.compile(f"[{_CJK}]+")  # runs of the characters that are one token each
_HAS_CJK = re.compile("[\u2e80-\U0003134f]")
_TOKEN_CACHE_LIMIT = 1 << 19


class _KeepTable(dict[int, str]):
    """``str.translate`` table: letters, marks and digits stay, anything else becomes a space.

    Filled lazily, so the per-character category test runs once per code point, not per use.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = char if unicodedata.category(char)[0] in "LMN" else " "
        self[code] = value
        return value


_KEEP = _KeepTable()


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """``storage.fingerprints.normalize_text``, several times faster: the same steps, in C loops.

    OpenCC is skipped for text with no character at or above U+2E80, which it never changes.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    if _HAS_CJK.search(folded):
        folded = _to_simplified().convert(folded)
    return " ".join(folded.translate(_KEEP).split())


class _FoldTable(dict[str, str]):
    """NFKC and casefold of one character, computed once per character."""

    def __missing__(self, char: str) -> str:
        value = self[char] = unicodedata.normalize("NFKC", char).casefold()
        return value


_FOLD = _FoldTable()
_WORDS = re.compile(r"[^ ]+")


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize(text)` and, for each of its characters, the index in `text` it comes from.

    For finding a match of normalised text in the original (search snippets). NFKC and case
    folding run per character here, OpenCC on the whole text as in `normalize`; the result is
    the same except where NFKC joins characters (a letter and a separate combining mark), or
    where OpenCC changes a text's length (then each character is converted alone).
    """
    pieces = [_FOLD[char] for char in text]
    folded = "".join(pieces)
    if len(folded) == len(text):
        origins = list(range(len(text)))
    else:
        origins = [index for index, piece in enumerate(pieces) for _ in piece]
    if _HAS_CJK.search(folded):
        simplified = _to_simplified().convert(folded)
        if len(simplified) != len(folded):
            convert = _to_simplified().convert
            simplified = "".join(
                converted if len(converted := convert(char)) == 1 else char for char in folded
            )
        folded = simplified
    kept = folded.translate(_KEEP)
    words = [match.span() for match in _WORDS.finditer(kept)]
    offsets: list[int] = []
    for number, (start, end) in enumerate(words):
        if number:
            offsets.append(origins[start - 1])  # the single space that stands for a gap
        offsets.extend(origins[start:end])
    return " ".join(kept[start:end] for start, end in words), offsets


def tokenize(normalized: str) -> tuple[list[str], list[int]]:
    """Tokens of normalised text and their weights (a word 2 units, a CJK character 1)."""
    if not _HAS_CJK.search(normalized):
        tokens = normalized.split()  # no CJK: normalised text is words and single spaces
        return tokens, [WORD_UNITS] * len(tokens)
    pairs = _TOKENS.findall(normalized)
    tokens = [cjk or word for cjk, word in pairs]
    weights = [CJK_UNITS if cjk else WORD_UNITS for cjk, _word in pairs]
    return tokens, weights


class _TokenHashes(dict[str, int]):
    """63-bit BLAKE2b value per token, computed once per process (bounded: cleared when full)."""

    def __missing__(self, token: str) -> int:
        if len(self) >= _TOKEN_CACHE_LIMIT:
            self.clear()
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        value = self[token] = int.from_bytes(digest, "big") & MASK
        return value


_TOKEN_HASHES = _TokenHashes()
_TABLES_LOCK = threading.Lock()
_powers = [1]  # BASE**i mod 2**63
_inverses = [1]  # BASE**-i mod 2**63 (BASE is odd, so it has an inverse)


def _tables(count: int) -> tuple[list[int], list[int]]:
    """Powers of BASE and of its inverse, at least `count` + 1 of each, grown on demand."""
    global _powers, _inverses
    if len(_powers) <= count:
        with _TABLES_LOCK:
            powers, inverses = list(_powers), list(_inverses)
            inverse = pow(BASE, -1, MASK + 1)
            while len(powers) <= count:
                powers.append(powers[-1] * BASE & MASK)
                inverses.append(inverses[-1] * inverse & MASK)
            _powers, _inverses = powers, inverses
    return _powers, _inverses


def shingle(tokens: list[str], units: list[int], span: int = SPAN) -> tuple[list[int], list[int]]:
    """Hash of every shingle and the token index where it ends (exclusive); it starts at its index.

    `units` is the cumulative weight (``units[i]`` = weight of ``tokens[:i]``). A text lighter
    than one span is a single shingle, so short texts still have a fingerprint.
    """
    count = len(tokens)
    if not count:
        return [], []
    powers, inverses = _tables(count)
    # hash(i, j) = sum(t[m] * BASE**(m - i) for m in i..j-1) mod 2**63. From the prefix sums of
    # t[m] * BASE**m (built by C loops), a shingle costs one subtraction and one multiplication.
    sums = list(accumulate(map(mul, map(_TOKEN_HASHES.__getitem__, tokens), powers), initial=0))
    total = units[-1]
    if total < span:
        return [sums[count] & MASK], [count]
    starts = bisect_right(units, total - span)  # every start whose shingle fits in the text
    if total in (WORD_UNITS * count, CJK_UNITS * count):  # one script: fixed-length shingles
        size = -(-span * count // total)
        spans = map(sub, sums[size : size + starts], sums)  # `starts` long: it bounds the zip
        hashes = [(d * v) & MASK for d, v in zip(spans, inverses, strict=False)]
        return hashes, list(range(size, size + starts))
    ends = [bisect_left(units, units[i] + span) for i in range(starts)]
    hashes = [((sums[end] - sums[i]) * inverses[i]) & MASK for i, end in enumerate(ends)]
    return hashes, ends


def winnow(hashes: list[int], window: int = WINDOW) -> list[tuple[int, int]]:
    """(hash, position) picked by winnowing: the rightmost minimum of each window, once each."""
    count = len(hashes)
    if count <= window:
        if not count:
            return []
        low = min(hashes)
        return [(low, count - 1 - hashes[::-1].index(low))]
    picked: list[tuple[int, int]] = []
    best = -1
    for last in range(window - 1, count):
        first = last - window + 1
        if best < first:
            part = hashes[first : last + 1]
            low = min(part)
            best = last - part[::-1].index(low)
            picked.append((low, best))
        elif hashes[last] <= hashes[best]:
            best = last
            picked.append((hashes[last], last))
    return picked


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything dedup needs to know about one text, computed once."""

    normalized: str
    tokens: list[str]
    units: list[int]  # cumulative weight: units[i] is the weight of tokens[:i]
    hashes: list[int]  # shingle hash per start position
    ends: list[int]  # shingle end (exclusive) per start position

    @property
    def weight(self) -> int:
        return self.units[-1]

    def fingerprints(self, window: int = WINDOW) -> dict[int, int]:
        """Winnowed fingerprints, each with the first position it was picked at."""
        found: dict[int, int] = {}
        for value, position in winnow(self.hashes, window):
            found.setdefault(value, position)
        return found


def profile(text: str, span: int = SPAN) -> Profile:
    """Normalise, tokenize and shingle `text`."""
    return profile_normalized(normalize(text), span)


def profile_normalized(normalized: str, span: int = SPAN) -> Profile:
    """The profile of text already passed through `normalize`."""
    tokens, weights = tokenize(normalized)
    units = list(accumulate(weights, initial=0))
    hashes, ends = shingle(tokens, units, span)
    return Profile(normalized, tokens, units, hashes, ends)


def text_digest(normalized: str) -> str:
    """``storage.fingerprints.text_hash`` of a text, from its normalised form (saves a pass)."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of one text is covered by shingles the other text also has."""

    fraction: float  # covered weight / total weight
    covered: int  # covered weight, in units
    longest: int  # weight of the longest covered passage, in units
    largest_gap: int  # weight of the longest stretch not covered, in units


def coverage(text: Profile, other: frozenset[int] | set[int], gap: int = 0) -> Coverage:
    """Token coverage of `text` by the shingle set `other`.

    A token counts as covered when any shingle containing it occurs in `other`, so an excerpt
    with ``...`` gaps or a repost with commentary around it is covered all but the junctions.
    Covered stretches separated by at most `gap` units count as one passage (small edits).
    """
    units, ends = text.units, text.ends
    covered = longest = largest_gap = 0
    run_start = run_end = passage_start = -1
    for start, value in enumerate(text.hashes):
        if value not in other or start < run_end:
            if value in other:
                run_end = max(run_end, ends[start])
            continue
        # A new covered run begins at `start`: close the previous one.
        uncovered = units[start] - units[max(run_end, 0)]
        largest_gap = max(largest_gap, uncovered)
        if run_end >= 0:
            covered += units[run_end] - units[run_start]
        if run_end < 0 or uncovered > gap:
            if run_end >= 0:
                longest = max(longest, units[run_end] - units[passage_start])
            passage_start = start
        run_start, run_end = start, ends[start]
    total = text.weight
    if run_end < 0:
        return Coverage(0.0, 0, 0, total)
    covered += units[run_end] - units[run_start]
    longest = max(longest, units[run_end] - units[passage_start])
    largest_gap = max(largest_gap, total - units[run_end])
    return Coverage(covered / total if total else 0.0, covered, longest, largest_gap)
