"""Hypothesis strategies and settings shared by the fuzzers."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CRASHES = FIXTURES / "fuzz"


def fuzz(max_examples: int) -> settings:
    """Settings for one fuzzer: `max_examples` is its share of the suite's time budget.

    No deadline (a loaded CI machine is slow at random) and no example database (nothing is
    written into the working tree: a crash is kept as a fixture under tests/fixtures/fuzz/).
    AMUR_FUZZ_SCALE=N runs N times as many examples, for a deeper search by hand.
    """
    return settings(
        max_examples=max_examples * int(os.environ.get("AMUR_FUZZ_SCALE", "1")),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Text with the characters parsers trip on: markup, entities, CJK, controls, surrogates' kin.
ODD_TEXT = st.text(
    st.one_of(
        st.sampled_from("<>&;\"'=/ \n\t\r\x00\x0b\x0c\u00a0\u3000\ufeff\ufffd\u2028\u00b2\u0661"),
        st.characters(codec="utf-8"),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40),
    ),
    max_size=40,
)


@st.composite
def mutated(draw: st.DrawFn, original: bytes, max_edits: int = 6) -> bytes:
    """`original` with a few random edits: spans deleted, duplicated, replaced, or cut off."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, max_edits))):
        if not data:
            break
        start = draw(st.integers(0, len(data) - 1))
        end = min(len(data), start + draw(st.integers(0, 64)))
        edit = draw(st.sampled_from(["delete", "duplicate", "replace", "truncate"]))
        if edit == "delete":
            del data[start:end]
        elif edit == "duplicate":
            data[start:start] = data[start:end]
        elif edit == "replace":
            data[start:end] = draw(st.binary(max_size=16))
        else:
            del data[start:]
    return bytes(data)
