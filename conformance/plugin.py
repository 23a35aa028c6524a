"""The pytest plugin: adapter selection, markers, skips and hygiene.

Registered through the ``pytest11`` entry point, so installing
ipc-conformance is enough to run ``pytest --pyargs conformance.suite``
against any adapter from any repository.

Options (each with an environment variable):

``--ipc-adapter NAME|module:object`` (``IPC_CONFORMANCE_ADAPTER``)
    the implementation under test; default ``stdlib``.
``--ipc-profile dev|ci|thorough`` (``IPC_CONFORMANCE_PROFILE``)
    the Hypothesis profile (see :mod:`conformance.profiles`).
``--ipc-expectations PATH`` (``IPC_CONFORMANCE_EXPECTATIONS``), ``--ipc-report PATH`` (``IPC_CONFORMANCE_REPORT``)
    known deviations and the JSON report (see :mod:`conformance.outcomes`).
``--ipc-example-db SPEC``, ``--ipc-seed N``
    the example database and the seed (see :mod:`conformance.replay`).

Markers:

``@pytest.mark.spec("ID", ...)``
    the clauses a test checks; unknown IDs are a collection error.  A test
    whose clauses all lie outside the running Python version is skipped.
``@pytest.mark.requires(Capability.X, ...)``
    capabilities the test needs; a test the adapter cannot run is skipped
    with a reason naming the missing capability.
``@pytest.mark.consistency(Consistency.X)``
    the test is about queues of that consistency level only (for example
    the feeder thread of an eventual queue); skipped for the other level.
"""

import os

import pytest

from conformance import outcomes, profiles, registry, spec
from conformance.adapter import AdapterError, Capability, Consistency
from conformance.harness.peer import reap

# The seed and example-database options and hooks.
pytest_plugins = ("conformance.replay",)



def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance")
    group.addoption(
        "--ipc-adapter",
        default=None,
        help=f"adapter under test: a registered name or package.module:object "
        f"(env {registry.ENV_VAR}; default {registry.DEFAULT})",
    )
    group.addoption(
        "--ipc-profile",
        default=None,
        help=f"Hypothesis profile: {', '.join(profiles.PROFILES)} (env {profiles.ENV_VAR}; default ci when CI is set, else dev)",
    )
    outcomes.add_options(group)


def pytest_configure(config):
    config.addinivalue_line("markers", "spec(*clause_ids): the spec clauses this test checks")
    config.addinivalue_line("markers", "requires(*capabilities): adapter capabilities this test needs")
    config.addinivalue_line("markers", "consistency(level): the queue consistency level this test is about")
    # Python 3.12+ warns on every fork from a process with threads; the test
    # process always has some (deadline helpers, feeder threads), and testing
    # the fork start method is the point, so the warning is noise here.
    config.addinivalue_line(
        "filterwarnings", r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\):DeprecationWarning"
    )
    profile = config.getoption("--ipc-profile") or os.environ.get(profiles.ENV_VAR) or profiles.default_name()
    try:
        config._ipc_profile = profiles.select(profile)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    name = config.getoption("--ipc-adapter") or os.environ.get(registry.ENV_VAR) or registry.DEFAULT
    try:
        config._ipc_adapter = registry.activate(registry.load(name))
    except AdapterError as exc:
        raise pytest.UsageError(f"ipc-conformance: {exc}") from None
    # Expected failures and the JSON report (see conformance.outcomes).
    config.pluginmanager.register(outcomes.Outcomes(config, config._ipc_adapter, config._ipc_profile), "ipc-conformance-outcomes")


def pytest_unconfigure(config):
    adapter = getattr(config, "_ipc_adapter", None)
    if adapter is not None and adapter.shutdown is not None:
        adapter.shutdown()


def pytest_report_header(config):
    adapter = getattr(config, "_ipc_adapter", None)
    if adapter is None:
        return None
    return [registry.describe(adapter), f"ipc-conformance profile: {config._ipc_profile}"]


def _marker_args(item, name):
    return [arg for mark in item.iter_markers(name) for arg in mark.args]


def _read_markers(item):
    """The clauses, capabilities and consistency levels an item's markers name.

    A typo in any of them is a usage error naming the test, found whatever
    the item's fate (even one skipped for its Python version).
    """
    try:
        clauses = [spec.clause(i) for i in _marker_args(item, "spec")]
    except KeyError as exc:
        raise pytest.UsageError(f"{item.nodeid}: {exc.args[0]}") from None
    return clauses, _enum_args(item, "requires", Capability), _enum_args(item, "consistency", Consistency)


def _enum_args(item, marker, kind):
    try:
        return [kind(value) for value in _marker_args(item, marker)]
    except ValueError as exc:
        raise pytest.UsageError(
            f"{item.nodeid}: {marker}() names an unknown {kind.__name__.lower()}: {exc}; "
            f"use one of {', '.join(c.value for c in kind)}"
        ) from None


def _skip_reason(adapter, clauses, needed, levels):
    """Why the adapter cannot run a test with these markers, or None."""
    if clauses and not any(c.holds_for() for c in clauses):
        return f"clauses {', '.join(c.id for c in clauses)} do not hold for this Python version"
    if levels and adapter.consistency not in levels:
        return (
            f"adapter {adapter.name!r} declares {adapter.consistency} consistency; "
            f"this test is about {', '.join(str(c) for c in levels)} queues"
        )
    missing = adapter.missing(needed)
    if missing:
        return f"adapter {adapter.name!r} lacks capability {', '.join(sorted(c.value for c in missing))}"
    return None


def pytest_collection_modifyitems(config, items):
    adapter = config._ipc_adapter
    backstop = profiles.BACKSTOP.get(config._ipc_profile)
    if config.getoption("timeout", None) is not None:
        backstop = None  # the user's --timeout wins
    for item in items:
        reason = _skip_reason(adapter, *_read_markers(item))
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
        if backstop is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(backstop))


@pytest.fixture(scope="session")
def ipc_adapter(request):
    """The adapter under test (chosen with ``--ipc-adapter``)."""
    return request.config._ipc_adapter


@pytest.fixture(autouse=True)
def _ipc_no_leaked_children(request):
    """Fail a test that leaves child processes behind, after reaping them."""
    adapter = request.config._ipc_adapter
    active = getattr(adapter.context, "active_children", None)
    if active is None or adapter.has(Capability.THREAD_ONLY):
        yield
        return
    before = set(active())
    yield
    leaked = [p for p in active() if p not in before]
    for process in leaked:
        reap(process)
    if leaked:
        pytest.fail(f"test leaked {len(leaked)} child process(es): {leaked}; they have been reaped", pytrace=False)
