"""Relevance: does a fetched document belong in the archive, and why (or why not)?

The rules are declarative (the `relevance:` section of config.yaml) so that a reviewer can read
them, and every verdict carries a one-line reason naming the counts that decided it.

Matching
  Title and text are NFKC-normalised (full-width letters become ASCII), Chinese is converted to
  Simplified with OpenCC t2s (so 中國 in the rules matches 中国 in the text and the other way
  round) and everything is lower-cased; the terms go through the same steps. A hyphen in a term
  matches any dash, a space any run of whitespace.

  There are two kinds of term. A *word* term starts with a letter or digit ("Xi", "Sino-Russian")
  and matches whole words only: "Xi" does not match "taxi", "Russia" does not match "Prussia".
  A *character* term is anything else, in practice Chinese, which has no word boundaries: it
  matches anywhere ("俄罗斯"). A term may not mix Chinese characters and letters.

  The text is read left to right; at each place the longest listed term (phrase, group term,
  `ignore` or `exclude` entry) wins and uses up its characters. So 白俄罗斯 (Belarus, in
  `ignore`) hides the 俄罗斯 inside it, and 其中 ("among them") keeps "其中俄罗斯" from reading as
  中俄.

Deciding, in this order
  1. exclude: any hit vetoes the document.
  2. phrases: terms that name the whole topic (中俄, Sino-Russian). If phrase hits reach
     `min_mentions`, the document is relevant.
  3. groups: otherwise every group needs `min_mentions` hits, each phrase hit counting once for
     every group, and the weakest group needs `min_density` hits per 1,000 words. Counts alone
     turn away a text that names the other country once; density turns away a long article about
     something else that names it two or three times in passing. Short texts pass it easily.

  A hit in the title counts `title_weight` times. Words are estimated as UTF-8 bytes / 6: an
  English word with its space is about six bytes, and so is a two-character Chinese word, which
  keeps the density comparable across languages without segmenting Chinese.

A `relevance:` section in config.yaml replaces DEFAULT_RULES wholesale, not key by key: any key
it leaves out takes the neutral default of the model (no phrases, no ignore list, min_mentions 2,
min_density 5, title_weight 3), so a different topic never inherits China-Russia vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal

import opencc
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_RULES", "RelevanceRules", "Verdict", "judge"]

Term = Annotated[str, Field(min_length=1, max_length=200)]
GroupName = Annotated[str, Field(pattern=r"^\w[\w-]*$", max_length=50)]

_T2S = opencc.OpenCC("t2s")
_DASH_CLASS = "[-\u2010-\u2015\u2212]"  # what NFKC leaves of hyphens and dashes
_DASHES = re.compile(_DASH_CLASS)
_LETTERS = "a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # lower-case Latin, Greek, Cyrillic
_WORD_CHAR = f"0-9{_LETTERS}"
_IS_WORD_CHAR = re.compile(f"[{_WORD_CHAR}]")
_HAS_LETTER = re.compile(f"[{_LETTERS}]")
_HAS_CJK = re.compile("[\u2e80-\u2fdf\u3040-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_BYTES_PER_WORD = 6
_TIMES = "\u00d7"  # multiplication sign, escaped to keep the look-alike lint quiet


class RelevanceRules(BaseModel):
    """The `relevance:` section of config.yaml; see the module docstring for the semantics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrases: tuple[Term, ...] = ()
    groups: dict[GroupName, Annotated[tuple[Term, ...], Field(min_length=1)]] = {}
    min_mentions: Annotated[int, Field(ge=1)] = 2
    min_density: Annotated[float, Field(ge=0)] = 5.0
    title_weight: Annotated[int, Field(ge=1)] = 3
    ignore: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()

    @model_validator(mode="after")
    def _compiles(self) -> RelevanceRules:
        if not self.phrases and not self.groups:
            raise ValueError("give `phrases` or `groups` (or both); with neither nothing matches")
        _matcher(self)  # raises on a bad or conflicting term; warms the cache for judge()
        return self


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision and why, e.g. "phrases 中俄 ×3" or "group russia: 0 hits, needs 2"."""

    relevant: bool
    reason: str


@dataclass(frozen=True, slots=True)
class _Term:
    shown: str  # as first written in the rules, for reasons
    kind: Literal["phrase", "group", "ignore", "exclude"]
    group: str = ""


@dataclass(frozen=True, slots=True)
class _Matcher:
    """Two scans, because Python's re is slow at trying many words at every letter.

    `words` starts only after a non-word character (the text gets a leading space), so it skips
    the insides of words; `chars` has the character terms and starts at their first characters.
    Their hits cannot overlap, as a term may not mix letters and Chinese.
    """

    words: re.Pattern[str] | None
    chars: re.Pattern[str] | None
    chars_ascii: bool  # whether an ASCII-only text can hold a character term at all
    terms: dict[str, _Term]

    def count(self, text: str) -> Counter[str]:
        """Hits per term key; a hit spelt with other dashes or spaces is filed under its key."""
        hits: Counter[str] = Counter()
        if self.words:
            hits.update(self.words.findall(" " + text))
        if self.chars and (self.chars_ascii or not text.isascii()):
            hits.update(self.chars.findall(text))
        for hit in [hit for hit in hits if hit not in self.terms]:
            hits[_key(hit)] += hits.pop(hit)
        return hits


def _normalise(text: str) -> str:
    """One spelling for matching: NFKC, Simplified Chinese, lower case.

    NFKC runs line by line and only where needed, as it costs more than everything else
    together; a newline never combines with its neighbours, so the result is the same.
    """
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = "\n".join(
                line
                if unicodedata.is_normalized("NFKC", line)
                else unicodedata.normalize("NFKC", line)
                for line in text.split("\n")
            )
        text = _T2S.convert(text)
    return text.lower()


def _key(hit: str) -> str:
    """The lookup key of a hit or a term: dashes and whitespace runs as the pattern saw them."""
    return " ".join(_DASHES.sub("-", hit).split())


def _trie_pattern(terms: list[str]) -> str:
    """One regex for many terms, sharing prefixes so that a failed attempt fails early.

    At every node the longer continuations come before stopping, which gives longest-match; a
    term ending in a letter or digit must not be followed by one.
    """
    root: dict[str, dict] = {}
    for term in terms:
        node = root
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict[str, dict], last: str) -> str:
        options = [
            ({" ": r"\s+", "-": _DASH_CLASS}.get(char) or re.escape(char))
            + branch(node[char], char)
            for char in sorted(key for key in node if key)
        ]
        if "" in node:
            options.append(f"(?![{_WORD_CHAR}])" if _IS_WORD_CHAR.match(last) else "")
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"

    return branch(root, "")


def _matcher(rules: RelevanceRules) -> _Matcher:
    groups = tuple((name, terms) for name, terms in rules.groups.items())
    return _compile(rules.phrases, groups, rules.ignore, rules.exclude)


@lru_cache(maxsize=64)
def _compile(
    phrases: tuple[str, ...],
    groups: tuple[tuple[str, tuple[str, ...]], ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
) -> _Matcher:
    """Compile once per distinct rule set: judge() runs per document, rules change at restarts."""
    entries = [(term, _Term(term, "phrase")) for term in phrases]
    entries += [(term, _Term(term, "group", name)) for name, terms in groups for term in terms]
    entries += [(term, _Term(term, "ignore")) for term in ignore]
    entries += [(term, _Term(term, "exclude")) for term in exclude]
    terms: dict[str, _Term] = {}
    for written, entry in entries:
        key = _key(_normalise(written))
        if not key:
            raise ValueError(f"term {written!r} is empty")
        if _HAS_CJK.search(key) and _HAS_LETTER.search(key):
            raise ValueError(f"term {written!r} mixes letters and Chinese: list them separately")
        known = terms.setdefault(key, entry)
        if (known.kind, known.group) != (entry.kind, entry.group):
            where = f"group {known.group}" if known.kind == "group" else known.kind
            raise ValueError(f"term {written!r} is also listed (as {known.shown!r}) in {where}")
    words = [key for key in terms if _IS_WORD_CHAR.match(key)]
    chars = [key for key in terms if not _IS_WORD_CHAR.match(key)]
    return _Matcher(
        words=re.compile(f"[^{_WORD_CHAR}]({_trie_pattern(words)})") if words else None,
        chars=re.compile(_trie_pattern(chars)) if chars else None,
        chars_ascii=any(key[0].isascii() for key in chars),
        terms=terms,
    )


def judge(rules: RelevanceRules, title: str | None, text: str) -> Verdict:
    """Apply `rules` to one document; the reason says which test decided and with what counts."""
    matcher = _matcher(rules)
    title = _normalise(title or "")
    body = _normalise(text)
    hits = matcher.count(body)
    if title:
        for key, count in matcher.count(title).items():
            hits[key] += count * rules.title_weight

    phrases: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    group_hits = dict.fromkeys(rules.groups, 0)
    for key, count in hits.items():
        term = matcher.terms[key]
        if term.kind == "group":
            group_hits[term.group] += count
        elif term.kind == "phrase":
            phrases[term.shown] += count
        elif term.kind == "exclude":
            excluded[term.shown] += count

    if excluded:
        return Verdict(False, "excluded by " + _listing(excluded))
    phrase_total = sum(phrases.values())
    if phrase_total >= rules.min_mentions:
        return Verdict(True, "phrases " + _listing(phrases))
    if not rules.groups:
        return Verdict(False, f"phrases: {_hits(phrase_total)}, needs {rules.min_mentions}")

    for name in group_hits:
        group_hits[name] += phrase_total
    counts = " ".join(f"{name}={count}" for name, count in group_hits.items())
    weakest, least = min(group_hits.items(), key=lambda item: item[1])
    if least < rules.min_mentions:
        return Verdict(
            False, f"group {weakest}: {_hits(least)}, needs {rules.min_mentions} ({counts})"
        )
    words = max((len(title.encode()) + len(body.encode())) / _BYTES_PER_WORD, 1.0)
    density = least * 1000 / words
    if density < rules.min_density:
        return Verdict(
            False,
            f"group {weakest}: {density:.1f} per 1,000 words, needs {rules.min_density:g} "
            f"({counts}; {words:,.0f} words)",
        )
    return Verdict(True, f"groups {counts}")


def _hits(count: int) -> str:
    return f"{count} hit" if count == 1 else f"{count} hits"


def _listing(counts: Counter[str]) -> str:
    return ", ".join(f"{term} {_TIMES}{count}" for term, count in counts.most_common())


# fmt: off
DEFAULT_RULES = RelevanceRules(
    phrases=(
        "Sino-Russian", "Sino-Russia", "Sino-Soviet", "Russo-Chinese", "Russian-Chinese",
        "Chinese-Russian", "China-Russia", "Russia-China", "Beijing-Moscow", "Moscow-Beijing",
        "Power of Siberia",
        "中俄", "中、俄", "俄中", "中蘇", "西伯利亞力量",
    ),
    groups={
        "china": (
            "China", "Chinese", "PRC", "Beijing", "Xi", "Xi Jinping", "Zhongnanhai", "CCP",
            "Wang Yi", "Li Qiang", "Heilongjiang", "Harbin",
            "中國", "中国", "中方", "中共", "中華人民共和國", "北京", "習近平", "习近平",
            "王毅", "李強", "黑龍江", "哈爾濱",
        ),
        "russia": (
            "Russia", "Russian", "Russians", "Moscow", "Kremlin", "Putin", "Lavrov",
            "Siberia", "Siberian", "Vladivostok", "Khabarovsk", "Blagoveshchensk", "Gazprom",
            "Rosneft",
            "俄", "俄羅斯", "俄罗斯", "俄國", "俄国", "俄方", "普京", "普丁", "莫斯科",
            "克里姆林宮", "克里姆林宫", "拉夫羅夫", "西伯利亞", "海參崴", "符拉迪沃斯托克",
            "哈巴羅夫斯克", "伯力",
        ),
    },
    # Strings that contain a term but mean something else; they use up their characters.
    ignore=(
        "White Russian", "Russian roulette", "Russian doll", "Russian dolls", "Russian dressing",
        "Chinese checkers", "Chinese whispers", "bone china", "fine china",
        "白俄", "白俄羅斯", "俄頃", "俄而", "俄狄浦斯", "俄耳甫斯",
        "俄亥俄", "俄勒岡", "俄克拉荷馬", "俄克拉何馬",  # Ohio, Oregon, Oklahoma
        # "X中" words before 俄 ("其中俄罗斯", "战争中俄军") would otherwise read as 中俄.
        "其中", "當中", "之中", "空中", "心中", "手中", "集中", "途中", "文中", "戰爭中",
        "衝突中", "會談中", "談判中", "過程中", "聲明中", "報告中", "戰鬥中", "行動中",
    ),
)
# fmt: on
