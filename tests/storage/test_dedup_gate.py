"""Quality gate for the dedup classifier, as trafilatura's eval_gate.py pins F1 to a baseline.

Every pair in tests/fixtures/dedup/cases.json is classified both ways (a to b must give the
expected relation, b to a its inverse); precision and recall per relation are compared with
tests/fixtures/dedup/baseline.json, and any drop fails. After a deliberate improvement, write
the new figures with ``python -m tests.storage.test_dedup_gate > tests/fixtures/dedup/baseline.json``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from storage.dedup import INVERSE, relate
from storage.shingles import Profile, profile

CASES = Path(__file__).parents[1] / "fixtures" / "dedup"
RELATIONS = ("identical", "near_duplicate", "excerpt_of", "quotes", "overlaps", "none")
INVERSES = {**INVERSE, "none": "none"}


@cache
def _profile(name: str) -> Profile:
    return profile((CASES / "docs" / name).read_text(encoding="utf-8"))


def _predict(a: str, b: str) -> str:
    found = relate(_profile(a), _profile(b))
    return "none" if found is None else found[0]


def outcomes() -> list[tuple[str, str, str, str]]:
    """(a, b, expected, predicted) for every case in both directions."""
    rows = []
    for case in json.loads((CASES / "cases.json").read_text(encoding="utf-8")):
        a, b, expected = case["a"], case["b"], case["relation"]
        rows.append((a, b, expected, _predict(a, b)))
        rows.append((b, a, INVERSES[expected], _predict(b, a)))
    return rows


def metrics() -> dict[str, dict[str, float]]:
    """Precision and recall per relation, `none` included (it measures false links)."""
    rows = outcomes()
    table = {}
    for relation in RELATIONS:
        hits = sum(1 for *_, exp, got in rows if exp == relation and got == relation)
        predicted = sum(1 for *_, got in rows if got == relation)
        expected = sum(1 for *_, exp, _got in rows if exp == relation)
        table[relation] = {
            "precision": round(hits / predicted, 4) if predicted else 0.0,
            "recall": round(hits / expected, 4) if expected else 0.0,
        }
    return table


def test_every_relation_is_in_the_case_set() -> None:
    expected = {exp for _a, _b, exp, _got in outcomes()}
    assert expected == set(RELATIONS)


@pytest.mark.parametrize("relation", RELATIONS)
def test_no_drop_against_the_baseline(relation: str) -> None:
    baseline = json.loads((CASES / "baseline.json").read_text(encoding="utf-8"))[relation]
    measured = metrics()[relation]
    misses = [
        f"{a} -> {b}: expected {exp}, got {got}"
        for a, b, exp, got in outcomes()
        if (exp == relation) != (got == relation)
    ]
    for name in ("precision", "recall"):
        assert measured[name] >= baseline[name], f"{relation} {name} dropped: {misses}"


if __name__ == "__main__":
    print(json.dumps(metrics(), indent=2, sort_keys=True))
