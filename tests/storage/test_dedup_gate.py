"""Quality gate for dedup, as trafilatura's eval_gate.py pins F1 to a baseline.

Two case sets (tests/fixtures/dedup/README.md): ``tuning`` (cases.json), on which the thresholds
in storage/dedup.py and storage/shingles.py were measured and may be tuned, and ``held_out``
(held_out.json), written after them, on which they may not. Each set is run two ways:

- ``pairwise``: every pair classified both ways by `storage.dedup.relate` (a to b must give the
  expected relation, b to a its inverse);
- ``stored``: every pair stored through `store_document` into an emptied archive (SQLite and
  PostgreSQL), in both orders, and the relation the later document was stored with compared
  with the label: the real index, candidate lookup and boilerplate rule, not only `relate`.

Precision and recall per relation are compared with tests/fixtures/dedup/baseline.json and any
drop fails. After a deliberate improvement, write the new figures with
``python -m tests.storage.test_dedup_gate > tests/fixtures/dedup/baseline.json`` (it stores on
SQLite in a temporary folder).
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from storage.archive import DocumentIn, ensure_source, store_document
from storage.database import open_archive, writing
from storage.dedup import INVERSE, relate
from storage.models import Document
from storage.shingles import Profile, profile

CASES = Path(__file__).parents[1] / "fixtures" / "dedup"
SETS = {"tuning": "cases.json", "held_out": "held_out.json"}
RELATIONS = ("identical", "near_duplicate", "excerpt_of", "quotes", "overlaps", "none")
INVERSES = {**INVERSE, "none": "none"}
WHEN = datetime(2025, 12, 24, 8, 0, tzinfo=UTC)

Row = tuple[str, str, str, str]  # (a, b, expected, predicted)


@cache
def cases(name: str) -> tuple[dict[str, object], ...]:
    return tuple(json.loads((CASES / SETS[name]).read_text(encoding="utf-8")))


@cache
def _text(name: str) -> str:
    return (CASES / "docs" / name).read_text(encoding="utf-8")


@cache
def _profile(name: str) -> Profile:
    return profile(_text(name))


def _predict(a: str, b: str) -> str:
    found = relate(_profile(a), _profile(b))
    return "none" if found is None else found[0]


def pairwise(name: str) -> list[Row]:
    """(a, b, expected, predicted) for every case of set `name` in both directions."""
    rows = []
    for case in cases(name):
        a, b, expected = str(case["a"]), str(case["b"]), str(case["relation"])
        rows.append((a, b, expected, _predict(a, b)))
        rows.append((b, a, INVERSES[expected], _predict(b, a)))
    return rows


def _url(name: str, case: dict[str, object], number: int) -> str:
    """Each text on a site of its own, or all of a case's texts on one (``same_site``)."""
    host = "outlet.example" if case.get("same_site") else f"{Path(name).stem}.example"
    return f"https://{host}/{number}/{name}"


def _store_after(engine: Engine, case: dict[str, object], first: str, later: str) -> str:
    """The relation `later` is stored with to `first`, stored just before it in an empty archive."""
    with writing(engine) as session:
        session.execute(delete(Document))  # matches, fingerprints, URLs go with it
    ids = {}
    for number, name in enumerate([*case.get("before", ()), first, later]):  # type: ignore[misc]
        doc = DocumentIn(
            url=_url(name, case, number),
            source="gate",
            text=_text(name),
            relevant=True,
            fetched=WHEN,
        )
        ids[name] = store_document(engine, doc)
    found = {r.other_id: r.relation for r in ids[later].relations}
    return found.get(ids[first].id, "none")


def stored(engine: Engine, name: str) -> list[Row]:
    """(a, b, expected, stored) for every case of set `name`, each document stored second once."""
    ensure_source(engine, "gate", "import", None)
    rows = []
    for case in cases(name):
        a, b, expected = str(case["a"]), str(case["b"]), str(case["relation"])
        rows.append((a, b, expected, _store_after(engine, case, b, a)))
        rows.append((b, a, INVERSES[expected], _store_after(engine, case, a, b)))
    return rows


def metrics(rows: list[Row]) -> dict[str, dict[str, float]]:
    """Precision and recall per relation, `none` included (it measures false links)."""
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


def _check(rows: list[Row], baseline: dict[str, dict[str, float]], label: str) -> None:
    measured = metrics(rows)
    drops = []
    for relation in RELATIONS:
        misses = [
            f"{a} -> {b}: expected {exp}, got {got}"
            for a, b, exp, got in rows
            if (exp == relation) != (got == relation)
        ]
        for name in ("precision", "recall"):
            if measured[relation][name] < baseline[relation][name]:
                drops.append(f"{label} {relation} {name} dropped: {misses}")
    assert not drops, "\n".join(drops)


def _baseline() -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    return json.loads((CASES / "baseline.json").read_text(encoding="utf-8"))


def test_every_relation_is_in_the_tuning_set() -> None:
    assert {exp for _a, _b, exp, _got in pairwise("tuning")} == set(RELATIONS)


def test_held_out_pairs_are_not_tuning_pairs() -> None:
    tuned = {frozenset((case["a"], case["b"])) for case in cases("tuning")}
    assert not tuned & {frozenset((case["a"], case["b"])) for case in cases("held_out")}


@pytest.mark.parametrize("name", SETS)
def test_pairwise_relations_do_not_drop(name: str) -> None:
    _check(pairwise(name), _baseline()["pairwise"][name], f"pairwise {name}")


@pytest.mark.parametrize("name", SETS)
def test_stored_relations_do_not_drop(engine: Engine, name: str) -> None:
    _check(stored(engine, name), _baseline()["stored"][name], f"stored {name}")


def _measure_all() -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_archive(f"sqlite:///{Path(folder) / 'gate.db'}")
        result = {
            "pairwise": {name: metrics(pairwise(name)) for name in SETS},
            "stored": {name: metrics(stored(engine, name)) for name in SETS},
        }
        engine.dispose()
    return result


if __name__ == "__main__":
    json.dump(_measure_all(), sys.stdout, indent=2, sort_keys=True)
    print()
