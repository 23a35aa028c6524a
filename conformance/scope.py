"""Which runs and which tests the ipc-conformance plugin acts on.

Installing ipc-conformance registers its pytest plugin in every pytest run
of the environment, so the plugin must leave a run that never asked for the
suite as it would be without it.  It acts on *suite items* only:

* the tests of the ``conformance.suite`` package (the files of this
  installed copy's ``suite`` directory);
* with the ini option ``ipc_own_tests = true``, also a project's own tests
  that carry the suite's ``spec`` marker.

and a run *asks for the suite* when

* its command line names the suite (``--pyargs conformance.suite[.module]``
  or a path inside the suite's directory),
* it gives an ``--ipc-*`` option (on the command line or in ``addopts``),
* or its ini file sets ``ipc_own_tests = true``.

Only such a run loads the adapter at configure time, validates the options
and ``IPC_CONFORMANCE_*`` variables, prints the header and runs under the
watchdog.  A run that collects suite items without asking (``--pyargs
conformance``, say) configures the suite when its first suite file is
collected.  Environment variables alone never ask for the suite: a bad
``IPC_CONFORMANCE_*`` variable does not break a run that never asked.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

SUITE_PACKAGE = "conformance.suite"
#: The ini option that makes a project's own ``spec``-marked tests suite items.
OWN_TESTS_INI = "ipc_own_tests"
#: The options of the plugin whose value, when given, asks for the suite (their defaults are None or False).
OPTIONS = (
    "--ipc-adapter",
    "--ipc-profile",
    "--ipc-survey",
    "--ipc-expectations",
    "--ipc-report",
    "--ipc-require-evidence",
    "--ipc-example-db",
    "--ipc-seed",
    "--ipc-watchdog",
)

_SUITE_ITEM = pytest.StashKey[bool]()


def suite_directory() -> Path:
    """This copy's suite directory (not whatever ``conformance.suite`` would import as: that may be shadowed)."""
    return Path(__file__).resolve().parent / "suite"


def add_ini(parser) -> None:
    parser.addini(
        OWN_TESTS_INI,
        type="bool",
        default=False,
        help="ipc-conformance: treat this project's tests that carry the spec marker as suite tests "
        "(adapter, profile, seed, hygiene check); every run of the project then asks for the suite",
    )


def own_tests(config) -> bool:
    try:
        return bool(config.getini(OWN_TESTS_INI))
    except ValueError:  # the plugin that registers the option is not loaded in this config
        return False


def names_suite(config) -> bool:
    """Whether the command line names the suite: ``--pyargs conformance.suite[.module][::test]`` or a path inside it."""
    args = list(getattr(config, "args", None) or ())  # the test paths and names, options taken out
    suite = suite_directory()
    for arg in args:
        target = str(arg).split("::")[0]
        if getattr(config.option, "pyargs", False) and (
            target == SUITE_PACKAGE or target.startswith(SUITE_PACKAGE + ".")
        ):
            return True
        try:
            path = Path(config.invocation_params.dir, target).resolve()
        except (OSError, ValueError):
            continue
        if path == suite or suite in path.parents:
            return True
    return False


def options_given(config) -> bool:
    """Whether the run gives any ``--ipc-*`` option."""
    return any(config.getoption(name, None) not in (None, False) for name in OPTIONS)


def asks_for_suite(config) -> bool:
    return names_suite(config) or options_given(config) or own_tests(config)


def in_suite(path) -> bool:
    """Whether ``path`` is a file of the suite's directory."""
    try:
        resolved = Path(path).resolve()
    except (OSError, ValueError, TypeError):
        return False
    return suite_directory() in resolved.parents


def is_suite_item(item) -> bool:
    """A test of the suite package, or (``ipc_own_tests``) a test of the project's own with a ``spec`` marker."""
    known = item.stash.get(_SUITE_ITEM, None)
    if known is None:
        path = getattr(item, "path", None)
        known = (path is not None and in_suite(path)) or (
            item.get_closest_marker("spec") is not None and own_tests(item.config)
        )
        item.stash[_SUITE_ITEM] = known
    return known


@dataclass
class Suite:
    """What a run that asks for the suite chose (kept in ``config.stash[SUITE]``; see
    :func:`conformance.plugin.suite`)."""

    adapter: Any
    #: The profile's name (``dev``, ``ci+replay``, ...) and the Hypothesis settings of the suite's tests.
    profile: str
    settings: Any
    survey: bool
    example_db: str
    #: The seed of every suite test's generation, or None (derandomised).
    seed: Optional[int]
    shut_down: bool = False
    #: The settings each suite test function ran under before the plugin set them (see conformance.plugin).
    own_settings: dict[int, Any] = field(default_factory=dict)


SUITE = pytest.StashKey[Suite]()


def configured(config) -> Optional[Suite]:
    """The run's suite configuration, or None if nothing asked for the suite (yet)."""
    return config.stash.get(SUITE, None)
