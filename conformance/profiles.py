"""Hypothesis profiles: ``dev`` (quick), ``ci`` (derandomised), ``thorough`` (long runs).

Choose one with ``--ipc-profile NAME`` or ``IPC_CONFORMANCE_PROFILE``; with
neither, ``ci`` is used when the ``CI`` environment variable is set and
``dev`` otherwise.  Every profile disables Hypothesis's per-example
deadline: the suite enforces its own per-operation deadlines
(:mod:`conformance.harness.timing`), which turn hangs into graded failures.
"""

import os

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

PROFILES = {
    "dev": settings(max_examples=25, stateful_step_count=25, **_COMMON),
    "ci": settings(max_examples=40, stateful_step_count=30, derandomize=True, database=None, print_blob=True, **_COMMON),
    "thorough": settings(max_examples=400, stateful_step_count=60, **_COMMON),
}

#: pytest-timeout's backstop per test, in seconds, where a profile needs more
#: than pyproject.toml's 900: a thorough scenario test under spawn runs about
#: 2000 executions of 2 to 4 fresh processes (16 to 25 minutes on a loaded
#: 2-core box).  The suite's own deadlines still end every hang.
BACKSTOP = {"thorough": 3600}

for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)


def default_name() -> str:
    return "ci" if os.environ.get("CI") else "dev"


def select(name: str) -> str:
    """Load the named profile; an unknown name raises ValueError listing the known ones."""
    if name not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {name!r}; choose one of {', '.join(PROFILES)}")
    settings.load_profile(name)
    return name
