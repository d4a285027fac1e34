"""Hostile input: truncated, extended and mutated real messages raise only the project's errors.

Any mutant that still decodes must rebuild to exactly the mutated bytes. The number of
cases is set by ``--fuzz-examples``: the slow soak runs 100,000 (the CI figure), the quick run in
the default set 2,000.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from smets_emu.errors import SmetsError
from smets_emu.protocols.message import decode_message, encode_message
from tests_support import RTDS_FILES

SOAK_EXAMPLES = 100_000
QUICK_EXAMPLES = 2_000


def _seeds() -> list[bytes]:
    if RTDS_FILES:
        return [f.read() for f in RTDS_FILES]
    from smets_emu.tools.corpus import corpus_messages

    return corpus_messages()


@st.composite
def mutants(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    kind = draw(st.sampled_from(["truncate", "extend", "flip", "replace", "insert", "delete", "splice"]))
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, max(len(data) - 1, 0)))])
    if kind == "extend":
        return bytes(data) + draw(st.binary(min_size=1, max_size=16))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "replace":
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 4))]
        else:
            other = draw(st.sampled_from(seeds))
            cut = draw(st.integers(0, len(other)))
            data = data[:pos] + bytearray(other[cut:])
    return bytes(data)


@pytest.mark.parametrize(
    "default_examples",
    [pytest.param(QUICK_EXAMPLES, id="quick"), pytest.param(SOAK_EXAMPLES, id="soak", marks=pytest.mark.slow)],
)
def test_mutated_messages_raise_only_project_errors(request: pytest.FixtureRequest, default_examples: int) -> None:
    examples = request.config.getoption("--fuzz-examples") or default_examples
    seeds = _seeds()
    stats = {"decoded": 0, "rejected": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(mutants(seeds))
    def check(data: bytes) -> None:
        try:
            message = decode_message(data)
        except SmetsError:
            stats["rejected"] += 1
            return
        stats["decoded"] += 1
        assert encode_message(message) == data

    check()
    assert stats["rejected"] > 0
