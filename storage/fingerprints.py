"""Text normalisation and the exact-text hash behind the `identical` relation.

Normalising first makes the hash blind to what does not change a text's meaning: Unicode forms
(NFKC folds full-width Latin and compatibility characters), letter case, punctuation, white
space, and Chinese script (Traditional is mapped to Simplified with OpenCC).
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _is_kept(char: str) -> bool:
    """Letters, marks and digits carry the text; punctuation, symbols and spaces do not."""
    return unicodedata.category(char)[0] in "LMN"


def normalize_text(text: str) -> str:
    """`text` folded to the form in which two copies of one text compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _to_simplified().convert(folded)
    return " ".join("".join(char if _is_kept(char) else " " for char in folded).split())


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text, hex."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()
