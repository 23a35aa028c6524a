"""The pytest plugin: adapter and profile selection, markers, skips and hygiene.

Registered through the ``pytest11`` entry point (``ipc_conformance``, the
module :mod:`ipc_conformance`), so installing ipc-conformance is enough to
run ``python -m pytest --pyargs conformance.suite`` against any adapter
from any repository.  It acts on the suite's own tests only, and only a
run that asks for the suite configures it (:mod:`conformance.scope`): the
other tests of a run, and runs that never ask, are left as they would be
without it (``-p no:ipc_conformance`` switches it off altogether).

Options (each with an environment variable):

``--ipc-adapter NAME|module:object|path/to/file.py:object`` (``IPC_CONFORMANCE_ADAPTER``)
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
``--ipc-progress SECONDS`` (``IPC_CONFORMANCE_PROGRESS``)
    a status line every SECONDS while a suite test runs (see :mod:`conformance.progress`).
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

from conformance import applicability, hypothesis_hooks, outcomes, profiles, registry, scope, spec
from conformance.adapter import AdapterError
from conformance.harness import timing
from conformance.harness.peer import reap
from conformance.primitives import Feature, Primitive
from conformance.scope import Suite, configured
from conformance.verdict import expect

# The seed and example-database options and hooks; the watchdog (a stopped test process fails its test, the run
# goes on and ends); the reaping of what a run left running; the progress lines.
pytest_plugins = ("conformance.replay", "conformance.watchdog", "conformance.leftovers", "conformance.progress")

SURVEY_ENV_VAR = "IPC_CONFORMANCE_SURVEY"
#: Python 3.12+ warns on every fork from a process with threads; the test process always has some (deadline
#: helpers, feeder threads), and testing the fork start method is the point, so the warning is noise here.
FORK_WARNING = r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\):DeprecationWarning"


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance")
    group.addoption(
        "--ipc-adapter",
        default=None,
        help=f"adapter under test: a registered name, package.module:object (the invocation directory is importable) "
        f"or path/to/file.py:object (env {registry.ENV_VAR}; default {registry.DEFAULT})",
    )
    group.addoption(
        "--ipc-profile",
        default=None,
        help=f"Hypothesis profile of the suite's tests: {', '.join(profiles.PROFILES)} (env {profiles.ENV_VAR}; "
        "default ci when CI is set, else dev)",
    )
    group.addoption(
        "--ipc-survey",
        action="store_true",
        default=None,
        help=f"grade every clause in one run, stopping at no deviation; unexpected deviations fail their tests "
        f"at the end (env {SURVEY_ENV_VAR}=1)",
    )
    outcomes.add_options(group)
    scope.add_ini(parser)


def survey_requested(config) -> bool:
    if config.getoption("--ipc-survey"):
        return True
    raw = os.environ.get(SURVEY_ENV_VAR, "")
    if raw not in ("", "0", "1"):
        raise pytest.UsageError(f"ipc-conformance: {SURVEY_ENV_VAR}={raw!r}; set it to 1 (survey) or 0 (gate)")
    return raw == "1"


def _profile_name(config) -> str:
    if config.getoption("--ipc-profile"):
        name, source = config.getoption("--ipc-profile"), "--ipc-profile"
    elif os.environ.get(profiles.ENV_VAR):
        name, source = os.environ[profiles.ENV_VAR], profiles.ENV_VAR
    else:
        return profiles.default_name()
    try:
        return profiles.check(name)
    except ValueError as exc:
        raise pytest.UsageError(f"ipc-conformance: {source}: {exc}") from None


def _check_report_path(config) -> None:
    path = config.getoption("--ipc-report") or os.environ.get(outcomes.REPORT_ENV_VAR)
    if not path:
        return
    source = "--ipc-report" if config.getoption("--ipc-report") else outcomes.REPORT_ENV_VAR
    if os.path.isdir(path):
        raise pytest.UsageError(
            f"ipc-conformance: {source} {path!r} is a directory; give a file path such as "
            f"{os.path.join(path, '{adapter}.json')!r}"
        )
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise pytest.UsageError(
            f"ipc-conformance: {source} {path!r} cannot be written ({parent} is not a writable "
            "directory); give a path in a writable directory"
        )


def suite(config) -> Suite:
    """The run's suite configuration, made (and every option and variable validated) on first use.

    A run that asks for the suite (:func:`conformance.scope.asks_for_suite`) makes it when pytest
    configures; another makes it when it first collects a file of the suite.  A value that is wrong is a
    one-line usage error saying how to fix it.
    """
    found = configured(config)
    if found is not None:
        return found
    # Plugins of their own, imported by pytest first (importing them here first would keep pytest from
    # rewriting their asserts).
    from conformance import progress, replay, watchdog

    if timing.SCALE_ERROR:
        raise pytest.UsageError(f"ipc-conformance: {timing.SCALE_ERROR}")
    watchdog.setting(config)  # IPC_CONFORMANCE_WATCHDOG
    progress.interval(config)  # --ipc-progress, IPC_CONFORMANCE_PROGRESS
    survey = survey_requested(config)
    profile = _profile_name(config)
    _check_report_path(config)
    name = config.getoption("--ipc-adapter") or os.environ.get(registry.ENV_VAR) or registry.DEFAULT
    try:
        adapter = registry.activate(registry.load(name, base=str(config.invocation_params.dir)))
    except AdapterError as exc:
        source = (
            "--ipc-adapter"
            if config.getoption("--ipc-adapter")
            else registry.ENV_VAR
            if os.environ.get(registry.ENV_VAR)
            else ""
        )
        raise pytest.UsageError(f"ipc-conformance: {exc}" + (f" (from {source})" if source else "")) from None
    changes, example_db, seed = replay.configure(config, adapter, profile)
    name = f"{profile}+replay" if changes else profile
    chosen = Suite(
        adapter=adapter,
        profile=name,
        settings=profiles.build(profile, **changes),
        survey=survey,
        example_db=example_db,
        seed=seed,
    )
    profiles.activate(chosen.profile, chosen.settings)
    config.stash[scope.SUITE] = chosen
    # Expected failures, evidence and the JSON report (see conformance.outcomes).
    config.pluginmanager.register(outcomes.Outcomes(config, adapter, name, survey), "ipc-conformance-outcomes")
    progress.start(config)
    return chosen


def adjust_settings(config, suffix: str, **changes) -> None:
    """Change the settings of the run's suite tests (a plugin of the project's own, ``tests.probe``, does);
    ``suffix`` is added to the profile's name."""
    from hypothesis import settings

    found = suite(config)
    found.profile += suffix
    found.settings = settings(found.settings, **changes)
    profiles.activate(found.profile, found.settings)


def pytest_configure(config):
    config.addinivalue_line("markers", "spec(*clause_ids, any=False): the spec clauses this test checks")
    config.addinivalue_line("markers", "uses(*primitives_or_features): what this test runs of the adapter")
    if scope.asks_for_suite(config):
        suite(config)


def pytest_collect_file(file_path, parent):
    """A run that did not ask for the suite but collects it: configure the suite before its modules import."""
    if "conformance" in file_path.parts and configured(parent.config) is None and scope.in_suite(file_path):
        suite(parent.config)


def pytest_unconfigure(config):
    from conformance.leftovers import shutdown_adapter  # a plugin of its own: imported by pytest first

    # Done at the session's end already, before the leftovers were reaped, unless the session never ended.
    shutdown_adapter(config)


def pytest_report_header(config):
    found = configured(config)
    if found is None:
        return None
    from conformance import replay

    mode = "survey (every clause graded; no deviation stops a test)" if found.survey else "gate"
    return [
        registry.describe(found.adapter),
        f"ipc-conformance profile: {found.profile}, mode: {mode}",
        *replay.header(found),
    ]


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
    found = sorted(
        (arg for mark in item.iter_markers("uses") for arg in mark.args), key=lambda arg: not isinstance(arg, Primitive)
    )
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


is_suite_item = scope.is_suite_item


def apply_settings(found: Suite, item) -> None:
    """Run a suite ``@given`` test under the run's profile, with what the test chose itself (see
    :func:`conformance.profiles.for_test`): per test, never through Hypothesis's global profile."""
    test = getattr(item, "obj", None)
    if test is None or not hypothesis_hooks.is_hypothesis_test(test):
        return
    key = id(test)
    if key not in found.own_settings:
        found.own_settings[key] = (test, hypothesis_hooks.settings_of(test))
    own = found.own_settings[key][1]
    from hypothesis import settings

    hypothesis_hooks.use_settings(test, profiles.for_test(found.settings, own, settings.default, test, found.adapter))


def pytest_collection_modifyitems(config, items):
    chosen = [item for item in items if is_suite_item(item)]
    if not chosen:
        return
    found = suite(config)
    backstop = profiles.BACKSTOP.get(found.profile.split("+")[0])
    if config.getoption("timeout", None) is not None:
        backstop = None  # the user's --timeout wins
    for item in chosen:
        reason = skip_reason(found.adapter, item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
        if backstop is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(backstop))
        item.add_marker(pytest.mark.filterwarnings(FORK_WARNING))
        # The hygiene check, for suite tests only (an autouse fixture would run for every test of the run).
        if "_ipc_no_leaked_children" not in item.fixturenames:
            item.fixturenames.insert(0, "_ipc_no_leaked_children")
        apply_settings(found, item)


@pytest.fixture(scope="session")
def ipc_adapter(request):
    """The adapter under test (chosen with ``--ipc-adapter``)."""
    return suite(request.config).adapter


@pytest.fixture
def _ipc_no_leaked_children(request):
    """A suite test leaves no child process behind (CONC-HYGIENE-1): any it leaves is reaped, then graded."""
    launcher = suite(request.config).adapter.launcher
    before = set(launcher.children())
    yield
    leaked = [p for p in launcher.children() if p not in before]
    for process in leaked:
        reap(process)
    expect(
        "CONC-HYGIENE-1",
        not leaked,
        f"the test left {len(leaked)} child process(es) running: {leaked}; they have been reaped",
    )
