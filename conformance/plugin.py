"""The pytest plugin: adapter and profile selection, markers, skips and hygiene.

Registered through the ``pytest11`` entry point, so installing
ipc-conformance is enough to run ``pytest --pyargs conformance.suite``
against any adapter from any repository.

Options (each with an environment variable):

``--ipc-adapter NAME|module:object`` (``IPC_CONFORMANCE_ADAPTER``)
    the implementation under test; default ``stdlib``.
``--ipc-profile dev|ci|thorough`` (``IPC_CONFORMANCE_PROFILE``)
    the Hypothesis profile (see :mod:`conformance.profiles`).
``--ipc-survey`` (``IPC_CONFORMANCE_SURVEY=1``)
    grade every clause in one run: no deviation stops a test (see
    :mod:`conformance.evidence`); deviations no expectations entry lists
    fail their tests at the end.
``--ipc-expectations PATH`` (``IPC_CONFORMANCE_EXPECTATIONS``), ``--ipc-report PATH`` (``IPC_CONFORMANCE_REPORT``)
    known deviations and the JSON report (see :mod:`conformance.outcomes`).
``--ipc-example-db SPEC``, ``--ipc-seed N``
    the example database and the seed (see :mod:`conformance.replay`).
``--ipc-watchdog on|off`` (``IPC_CONFORMANCE_WATCHDOG``)
    on by default: a supervisor process kills a test process that stops
    making progress (a call holding the GIL, a deadlock in C, a crash) and
    its test fails with every thread's traceback; a run of the suite uses
    pytest-xdist ``-n 1``, so the run goes on with the next test; the run
    ends within seconds of its summary (see :mod:`conformance.watchdog`).
    Processes a run leaves running are reaped at its end whatever the
    setting (see :mod:`conformance.leftovers`).

Markers:

``@pytest.mark.spec("ID", ...)``
    the clauses a test checks; unknown IDs are a collection error.  The
    test is skipped, with the reasons, unless every one of them applies to
    the adapter (:mod:`conformance.applicability`); with ``any=True`` (a
    state machine or scenario test, whose steps adapt to what the adapter
    offers), unless at least one applies.
``@pytest.mark.uses(Primitive.X or Feature.X, ...)``
    what a test (or a parametrisation of it) runs of the adapter, beyond
    its clauses' needs: the primitive a test parametrised over primitives
    runs on, a simplex pipe; skipped, with the reason, if the adapter does
    not offer it.
"""

import os

import pytest

from conformance import applicability, outcomes, profiles, registry, spec
from conformance.adapter import AdapterError
from conformance.harness.peer import reap
from conformance.primitives import Feature, Primitive
from conformance.verdict import expect

# The seed and example-database options and hooks; the watchdog (a stopped test process fails its test, the run
# goes on and ends); the reaping of what a run left running.
pytest_plugins = ("conformance.replay", "conformance.watchdog", "conformance.leftovers")

SURVEY_ENV_VAR = "IPC_CONFORMANCE_SURVEY"


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
    group.addoption(
        "--ipc-survey",
        action="store_true",
        default=None,
        help=f"grade every clause in one run, stopping at no deviation; unexpected deviations fail their tests "
        f"at the end (env {SURVEY_ENV_VAR}=1)",
    )
    outcomes.add_options(group)


def survey_requested(config) -> bool:
    if config.getoption("--ipc-survey"):
        return True
    raw = os.environ.get(SURVEY_ENV_VAR, "")
    if raw not in ("", "0", "1"):
        raise pytest.UsageError(f"ipc-conformance: {SURVEY_ENV_VAR}={raw!r}; set it to 1 (survey) or 0 (gate)")
    return raw == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "spec(*clause_ids, any=False): the spec clauses this test checks")
    config.addinivalue_line("markers", "uses(*primitives_or_features): what this test runs of the adapter")
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
    config._ipc_survey = survey_requested(config)
    # Expected failures, evidence and the JSON report (see conformance.outcomes).
    config.pluginmanager.register(
        outcomes.Outcomes(config, config._ipc_adapter, config._ipc_profile, config._ipc_survey), "ipc-conformance-outcomes"
    )


def pytest_unconfigure(config):
    from conformance.leftovers import shutdown_adapter  # a plugin of its own: imported by pytest first

    # Done at the session's end already, before the leftovers were reaped, unless the session never ended.
    shutdown_adapter(config)


def pytest_report_header(config):
    adapter = getattr(config, "_ipc_adapter", None)
    if adapter is None:
        return None
    mode = "survey (every clause graded; no deviation stops a test)" if config._ipc_survey else "gate"
    return [registry.describe(adapter), f"ipc-conformance profile: {config._ipc_profile}, mode: {mode}"]


def cited(item):
    """The clauses an item's ``spec`` markers name, and whether any one applying is enough to run it.

    A typo is a usage error naming the test, found whatever the item's fate.
    """
    marks = list(item.iter_markers("spec"))
    try:
        clauses = list(dict.fromkeys(spec.clause(arg) for mark in marks for arg in mark.args))
    except KeyError as exc:
        raise pytest.UsageError(f"{item.nodeid}: {exc.args[0]}") from None
    return clauses, any(mark.kwargs.get("any", False) for mark in marks)


def used(item):
    """The primitives and features an item's ``uses`` markers name."""
    found = sorted((arg for mark in item.iter_markers("uses") for arg in mark.args), key=lambda arg: not isinstance(arg, Primitive))
    wrong = [arg for arg in found if not isinstance(arg, (Primitive, Feature))]
    if wrong:
        raise pytest.UsageError(f"{item.nodeid}: uses() takes Primitive and Feature members, got {wrong!r}")
    return found


def skip_reason(adapter, item):
    """Why the adapter cannot run ``item``, or None: what it uses, then its clauses' needs in the catalogue."""
    for thing in used(item):
        if isinstance(thing, Primitive) and not adapter.offers(thing):
            return f"adapter {adapter.name!r} offers no {thing}"
        if isinstance(thing, Feature) and not adapter.has(thing):
            return f"adapter {adapter.name!r} does not offer {thing} ({adapter.lacks.get(thing, 'no primitive of it')})"
    clauses, any_ = cited(item)
    reasons = applicability.reasons(clauses, adapter)
    if clauses and (len(reasons) == len(clauses) or (reasons and not any_)):
        return "; ".join(reasons)
    return None


def is_suite_item(item) -> bool:
    return item.get_closest_marker("spec") is not None


def pytest_collection_modifyitems(config, items):
    adapter = config._ipc_adapter
    backstop = profiles.BACKSTOP.get(config._ipc_profile)
    if config.getoption("timeout", None) is not None:
        backstop = None  # the user's --timeout wins
    for item in items:
        if not is_suite_item(item):
            continue
        reason = skip_reason(adapter, item)
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
    """A suite test leaves no child process behind (CONC-HYGIENE-1): any it leaves is reaped, then graded."""
    if not is_suite_item(request.node):
        yield
        return
    launcher = request.config._ipc_adapter.launcher
    before = set(launcher.children())
    yield
    leaked = [p for p in launcher.children() if p not in before]
    for process in leaked:
        reap(process)
    expect("CONC-HYGIENE-1", not leaked, f"the test left {len(leaked)} child process(es) running: {leaked}; they have been reaped")
