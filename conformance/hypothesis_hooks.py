"""Every place where the suite reaches into Hypothesis beyond its public API, in one module.

Each hook degrades to a documented fallback or fails with a message saying
so when Hypothesis changes, and ``tests/test_hypothesis_hooks.py`` has one
meta-test per hook that fails when Hypothesis changes what it relies on, so
an upgrade that breaks a hook is noticed by the project's own tests rather
than by a user.  ``pyproject.toml`` bounds the Hypothesis version from
above; CI installs the newest release below the bound and runs those tests.

* :func:`final_replay`: whether the running example is Hypothesis's final
  replay of a shrunk failure (``current_build_context().is_final``).  The
  scenario runner repeats an example most there, and fast deadlines used
  while shrinking are not used there.  Fallback: False.
* :func:`key_machine`: a state machine's saved examples are keyed by the
  factory's source line (``_hypothesis_internal_add_digest``), the same for
  every machine run by :func:`conformance.machines.base.run`; the digest
  tells them apart.  Fallback: machines share keys.
* :func:`seeded`: the random generator Hypothesis draws a test's seed
  from (``threadlocal._hypothesis_global_random``), replaced while a suite
  test runs to seed it from the run's seed and its name, and put back
  after.  Fallback: none; the seed option then raises.
* :func:`settings_of` and :func:`use_settings`: the settings a ``@given``
  test runs under (``_hypothesis_internal_use_settings``, read when the
  test is called), set per suite test so that the suite never loads a
  global profile.  Fallback: none; a test whose settings cannot be read
  runs under its own.
"""

import contextlib
import random
from collections.abc import Iterator
from typing import Any, Callable, Optional

from hypothesis import core, settings

_SETTINGS_ATTRIBUTE = "_hypothesis_internal_use_settings"


def final_replay() -> bool:
    try:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)
    except Exception:  # outside a test case, or an engine without the attribute
        return False


def key_machine(factory: Callable[[], Any], name: str) -> None:
    """Give the saved examples of the machine ``factory`` builds a key of their own, from ``name``."""
    factory._hypothesis_internal_add_digest = name.encode()


def _random_holder():
    holder = getattr(core, "threadlocal", core)
    if not hasattr(holder, "_hypothesis_global_random"):
        raise RuntimeError(
            "this Hypothesis version keeps its global random generator elsewhere; --ipc-seed cannot seed tests: "
            "use a Hypothesis version within ipc-conformance's requirements"
        )
    return holder


def seed_test(seed: str) -> None:
    """Make the next test's generation start from ``seed`` (Hypothesis has no public setter for this)."""
    _random_holder()._hypothesis_global_random = random.Random(seed)


@contextlib.contextmanager
def seeded(seed: str) -> Iterator[None]:
    """Seed the tests run inside from ``seed``; afterwards Hypothesis's generator is the one it was before."""
    holder = _random_holder()
    before = holder._hypothesis_global_random
    holder._hypothesis_global_random = random.Random(seed)
    try:
        yield
    finally:
        holder._hypothesis_global_random = before


def is_hypothesis_test(test) -> bool:
    try:
        from hypothesis import is_hypothesis_test as check
    except ImportError:  # older Hypothesis
        from hypothesis.internal.detection import is_hypothesis_test as check
    return bool(check(test))


def settings_of(test) -> Optional[settings]:
    """The settings the ``@given`` test ``test`` would run under, or None."""
    found = getattr(test, _SETTINGS_ATTRIBUTE, None)
    return found if isinstance(found, settings) else None


def use_settings(test, chosen: settings) -> None:
    """Make the ``@given`` test ``test`` run under ``chosen`` (as ``@settings`` above ``@given`` does, but
    also for a test that has settings already)."""
    setattr(test, _SETTINGS_ATTRIBUTE, chosen)
