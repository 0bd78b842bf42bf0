"""What changed between two revisions, for reading: paragraphs, and words or characters in them.

A line diff (what `amur show` prints) marks a whole paragraph for one changed word; a reader
wants the word. Paragraphs are matched first, then the changed ones are compared token by
token: words for alphabetic text, single characters for Chinese, which has no spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]|\w+|\s+|[^\w\s]")
Op = Literal["same", "removed", "added"]


@dataclass(frozen=True)
class Block:
    """A paragraph of the diff: unchanged (maybe folded away), or changed with its pieces."""

    changed: bool
    pieces: tuple[tuple[Op, str], ...]


def inline_diff(before: str, after: str) -> list[Block]:
    """The later text as blocks, with what was removed and added marked inside them."""
    old = _paragraphs(before)
    new = _paragraphs(after)
    blocks: list[Block] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            blocks.extend(Block(False, (("same", p),)) for p in new[j1:j2])
        elif tag == "delete":
            blocks.extend(Block(True, (("removed", p),)) for p in old[i1:i2])
        elif tag == "insert":
            blocks.extend(Block(True, (("added", p),)) for p in new[j1:j2])
        else:
            blocks.append(Block(True, _tokens("\n\n".join(old[i1:i2]), "\n\n".join(new[j1:j2]))))
    return blocks


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def _tokens(before: str, after: str) -> tuple[tuple[Op, str], ...]:
    old, new = TOKEN.findall(before), TOKEN.findall(after)
    pieces: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("same", "".join(new[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(("removed", "".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(("added", "".join(new[j1:j2])))
    return tuple(pieces)
