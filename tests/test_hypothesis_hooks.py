"""The hooks into Hypothesis's internals (:mod:`conformance.hypothesis_hooks`) still work: one meta-test each.

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
    from hypothesis.internal.reflection import function_digest

    factories = [lambda: None for _ in range(2)]  # one source line: the same key unless the digest tells them apart
    assert function_digest(factories[0]) == function_digest(factories[1])
    hypothesis_hooks.key_machine(factories[0], "conformance.machines.queue.QueueMachine")
    hypothesis_hooks.key_machine(factories[1], "conformance.machines.pipe.PipeMachine")
    assert factories[0]._hypothesis_internal_add_digest == b"conformance.machines.queue.QueueMachine"
    assert function_digest(factories[0]) != function_digest(factories[1]), "Hypothesis no longer reads the digest"


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


def test_seeded_seeds_inside_and_puts_hypothesiss_generator_back():
    from hypothesis import core

    holder = getattr(core, "threadlocal", core)
    before = holder._hypothesis_global_random
    with hypothesis_hooks.seeded("7:tests.example"):
        inside = holder._hypothesis_global_random
        assert inside is not before
    assert holder._hypothesis_global_random is before, "the seeded generator was left in place"
    drawn = []

    @RANDOM
    @given(st.integers())
    def test(n):
        drawn.append(n)

    runs = []
    for _ in range(2):
        drawn.clear()
        with hypothesis_hooks.seeded("7:tests.example"):
            test()
        runs.append(list(drawn))
    assert runs[0] == runs[1], "the same seed did not give the same examples"


def test_use_settings_sets_the_settings_a_given_test_runs_under():
    count = []

    @settings(max_examples=50, database=None)
    @given(st.integers())
    def test(n):
        count.append(n)

    assert hypothesis_hooks.is_hypothesis_test(test) and not hypothesis_hooks.is_hypothesis_test(lambda: None)
    assert hypothesis_hooks.settings_of(test).max_examples == 50
    hypothesis_hooks.use_settings(test, settings(hypothesis_hooks.settings_of(test), max_examples=3))
    test()
    assert len(count) == 3, "Hypothesis no longer reads the settings where use_settings puts them"
    assert hypothesis_hooks.settings_of(test).max_examples == 3
