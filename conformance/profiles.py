"""Hypothesis profiles: ``dev`` (quick), ``ci`` (derandomised), ``thorough`` (long runs).

Choose one with ``--ipc-profile NAME`` or ``IPC_CONFORMANCE_PROFILE``; with
neither, ``ci`` is used when the ``CI`` environment variable is set and
``dev`` otherwise.  Every profile disables Hypothesis's per-example
deadline: the suite enforces its own per-operation deadlines
(:mod:`conformance.harness.timing`), which turn hangs into graded failures.

The profiles are applied to the suite's own tests only, test by test
(:func:`for_test`); Hypothesis's global profile (``settings.load_profile``)
is never changed, so the other tests of a run keep the project's own
profile.  Code of the suite that needs the settings in force while a test
runs (a state machine, a ``@given`` inside a test, the scenario runner)
asks :func:`current` and :func:`current_name`.
"""

import os
from typing import Any, Callable, Optional

from hypothesis import HealthCheck, Phase, settings

ENV_VAR = "IPC_CONFORMANCE_PROFILE"

# The explain phase ("lines only failing runs executed") triples the time of
# a failing run and says nothing about which clause failed or how.
# One bug per test: each clause raises its own exception type, so with
# several bugs reported Hypothesis shrinks every violated clause apart, up
# to its five-minute shrinking cap, and leaves some examples unshrunk (a
# faulty queue violating five clauses took 313 s and reported 25 steps;
# with one bug, 59 s and 3 steps; benchmarks/suite_power.py).
_COMMON = dict(
    deadline=None,
    report_multiple_bugs=False,
    phases=[p for p in Phase if p is not Phase.explain],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: What each profile sets; everything else (verbosity, say) comes from the run's own Hypothesis default.
FIELDS: dict[str, dict[str, Any]] = {
    "dev": dict(max_examples=25, stateful_step_count=25, derandomize=False, **_COMMON),
    "ci": dict(max_examples=40, stateful_step_count=30, derandomize=True, database=None, print_blob=True, **_COMMON),
    "thorough": dict(max_examples=400, stateful_step_count=60, derandomize=False, **_COMMON),
}

#: The profiles on top of Hypothesis's built-in defaults (for reference; a run builds its own with :func:`build`).
PROFILES = {name: settings(settings.get_profile("default"), **fields) for name, fields in FIELDS.items()}

#: pytest-timeout's backstop per test, in seconds, where a profile needs more
#: than pyproject.toml's 900: a thorough scenario test under spawn runs about
#: 2000 executions of 2 to 4 fresh processes (16 to 25 minutes on a loaded
#: 2-core box).  The suite's own deadlines still end every hang.
BACKSTOP = {"thorough": 3600}

#: Settings fields a test's own ``@settings`` may choose for itself; the run decides the rest (its
#: database and seed, in particular: see :mod:`conformance.replay`).
TEST_FIELDS = (
    "max_examples",
    "stateful_step_count",
    "suppress_health_check",
    "deadline",
    "phases",
    "report_multiple_bugs",
    "verbosity",
    "print_blob",
)

_current: Optional[settings] = None
_current_name: Optional[str] = None


def default_name() -> str:
    return "ci" if os.environ.get("CI") else "dev"


def check(name: str) -> str:
    """``name`` if it is a profile; else ValueError listing the known ones."""
    if name not in FIELDS:
        raise ValueError(f"unknown Hypothesis profile {name!r}; choose one of {', '.join(FIELDS)}")
    return name


def build(name: str, **changes) -> settings:
    """The named profile on top of the run's Hypothesis default (its verbosity, say), with ``changes``."""
    fields = {**FIELDS[check(name)], **changes}
    if fields.get("derandomize"):
        fields["database"] = None
    elif "database" not in fields:
        # Hypothesis's own default database (the local .hypothesis/examples), whatever the project's profile says.
        fields["database"] = settings.get_profile("default").database
    return settings(settings.default, **fields)


def activate(name: str, active: settings) -> None:
    """Make ``active`` (called ``name``) the settings of the suite's tests in this process."""
    global _current, _current_name
    _current, _current_name = active, name


def current() -> settings:
    """The settings of the suite's tests in this run (the ``dev`` profile outside a run)."""
    return _current if _current is not None else build(default_name())


def current_name() -> str:
    return _current_name if _current_name is not None else default_name()


def scaled(adjust: Callable[[settings, Any], dict[str, Any]]):
    """Decorate a suite ``@given`` test with settings computed from the run's: ``adjust(run_settings, adapter)``
    returns the fields to change (applied by the plugin when the test is collected, see :func:`for_test`)."""

    def decorate(test):
        test._ipc_adjust_settings = adjust
        return test

    return decorate


def for_test(base: settings, own: Optional[settings], default: settings, test=None, adapter=None) -> settings:
    """The settings a suite test runs under: the run's ``base``, with what the test's own settings ``own``
    chose (a value of :data:`TEST_FIELDS` that differs from Hypothesis's ``default``), then with its
    :func:`scaled` adjustment."""
    changes = {}
    if own is not None:
        for field in TEST_FIELDS:
            value = getattr(own, field)
            if value != getattr(default, field):
                changes[field] = value
    adjust = getattr(test, "_ipc_adjust_settings", None)
    if adjust is not None:
        changes.update(adjust(settings(base, **changes), adapter))
    return settings(base, **changes) if changes else base
