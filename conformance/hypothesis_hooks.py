"""The three places where the suite reaches into Hypothesis beyond its public API, in one module.

Each hook degrades to a documented fallback when Hypothesis changes, and
``tests/test_hypothesis_hooks.py`` fails when one of them stops working, so
an upgrade that breaks a hook is noticed by the project's own tests rather
than by a user:

* :func:`final_replay`: whether the running example is Hypothesis's final
  replay of a shrunk failure (``current_build_context().is_final``).  The
  scenario runner repeats an example most there, and fast deadlines used
  while shrinking are not used there.  Fallback: False.
* :func:`key_machine`: a state machine's saved examples are keyed by the
  factory's source line (``_hypothesis_internal_add_digest``), the same for
  every machine run by :func:`conformance.machines.base.run`; the digest
  tells them apart.  Fallback: machines share keys.
* :func:`seed_test`: the random generator Hypothesis draws a test's seed
  from (``threadlocal._hypothesis_global_random``), replaced to seed every
  test from the run's seed and its name.  Fallback: none; the seed option
  then raises.
"""

import random
from typing import Any, Callable

from hypothesis import core


def final_replay() -> bool:
    try:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)
    except Exception:  # outside a test case, or an engine without the attribute
        return False


def key_machine(factory: Callable[[], Any], name: str) -> None:
    """Give the saved examples of the machine ``factory`` builds a key of their own, from ``name``."""
    factory._hypothesis_internal_add_digest = name.encode()


def seed_test(seed: str) -> None:
    """Make the next test's generation start from ``seed`` (Hypothesis has no public setter for this)."""
    holder = getattr(core, "threadlocal", core)
    if not hasattr(holder, "_hypothesis_global_random"):
        raise RuntimeError(
            "this Hypothesis version keeps its global random generator elsewhere; --ipc-seed cannot seed tests: "
            "use the Hypothesis version pinned in ipc-conformance's requirements"
        )
    holder._hypothesis_global_random = random.Random(seed)
