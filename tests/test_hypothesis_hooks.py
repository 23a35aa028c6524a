"""The three hooks into Hypothesis's internals (:mod:`conformance.hypothesis_hooks`) still work.

Each hook falls back quietly when Hypothesis changes underneath it; these
tests are what notices: after an upgrade that breaks one, they fail here
rather than the suite silently losing the behaviour.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import hypothesis_hooks

#: Generation that depends on the random source only: no database, not derandomised.
RANDOM = settings(database=None, derandomize=False, max_examples=10)


def test_final_replay_is_false_outside_a_test():
    assert hypothesis_hooks.final_replay() is False


def test_final_replay_is_true_only_when_hypothesis_replays_the_shrunk_failure():
    seen = []

    @settings(RANDOM, max_examples=50, report_multiple_bugs=False)
    @given(st.integers(0, 100))
    def fails_from_ten(n):
        seen.append((n, hypothesis_hooks.final_replay()))
        assert n < 10

    with pytest.raises(AssertionError):
        fails_from_ten()
    assert seen, "the test never ran"
    *before, last = seen
    assert last == (10, True), f"the final replay is of the shrunk example and is known as such: {seen[-3:]}"
    assert not any(final for _, final in before), "only the final replay is final"


def test_key_machine_gives_each_machine_its_own_digest():
    def factory():
        return None

    hypothesis_hooks.key_machine(factory, "conformance.machines.queue.QueueMachine")
    assert factory._hypothesis_internal_add_digest == b"conformance.machines.queue.QueueMachine"


def _draws(seed: str):
    drawn = []

    @RANDOM
    @given(st.integers())
    def test(n):
        drawn.append(n)

    hypothesis_hooks.seed_test(seed)
    test()
    return drawn


def test_seed_test_fixes_the_next_tests_generation():
    assert _draws("7:tests.example") == _draws("7:tests.example")
    assert _draws("7:tests.example") != _draws("8:tests.example")
