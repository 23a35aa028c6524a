"""The pytest plugin: adapter and profile selection, validation, header, markers, hygiene.

Every test runs pytest in a subprocess on a tiny test file (or on a suite
module) and reads what it printed: the plugin is configured once per
process, and its errors are what a user sees.
"""

import platform
import re
import sys

import pytest

from conformance import profiles, registry, spec
from conformance.primitives import Feature
from tests.conftest import output

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR

PASSING_TEST = """
def test_nothing():
    pass
"""

#: Adapters that are wrong in one way each, loaded by ``module:object``.
BAD_ADAPTERS = '''
import multiprocessing

from conformance.adapter import Adapter
from conformance.primitives import Feature

CONTEXT = multiprocessing.get_context("fork")


class QueueWithoutClose:
    """A stdlib Queue that hides close(), join_thread() and cancel_join_thread()."""

    HIDDEN = ("close", "join_thread", "cancel_join_thread")

    def __init__(self, maxsize=0):
        self._queue = CONTEXT.Queue(maxsize)

    def __getattr__(self, name):
        if name in self.HIDDEN:
            raise AttributeError(name)
        return getattr(self._queue, name)


def queue_only(name, **kwargs):
    return Adapter(name=name, implementation="bad", version="0", context=CONTEXT, queue=QueueWithoutClose, **kwargs)


NO_CLOSE = {Feature.QUEUE_CLOSE: "this queue has no close()", Feature.QUEUE_FEEDER: "this queue has no feeder thread"}

#: Its queue has no close(), and it does not say so.
SILENT_ABOUT_CLOSE = queue_only("silent-about-close")
#: The same queue, declared as it is.
DECLARES_NO_CLOSE = queue_only("declares-no-close", lacks=NO_CLOSE)
#: Declares it lacks a feature of a primitive it does not offer.
LACKS_POLL_WITHOUT_A_PIPE = queue_only("lacks-poll", lacks={**NO_CLOSE, Feature.PIPE_POLL: "no poll()"})
#: Its launcher is not one.
BAD_LAUNCHER = queue_only("bad-launcher", lacks=NO_CLOSE, launcher=object())

NOT_AN_ADAPTER = {"name": "a dict is not an adapter"}


def returns_a_string():
    return "stdlib"
'''

#: Adapters whose module raises while it builds them (Adapter checks its arguments as it is made).
UNKNOWN_FEATURE = """
import multiprocessing
from conformance.adapter import Adapter

ADAPTER = Adapter(name="telepath", implementation="bad", version="0",
                  context=multiprocessing.get_context("fork"),
                  lacks={"qsize": "no counting", "telepathy": "no mind reading"})
"""

UNKNOWN_TRAIT = """
import multiprocessing
from conformance.adapter import Adapter

ADAPTER = Adapter(name="traity", implementation="bad", version="0",
                  context=multiprocessing.get_context("fork"), traits={"proxy"})
"""

NO_WAY_TO_RUN_WORKERS = """
from conformance.adapter import Adapter

ADAPTER = Adapter(name="nowhere", implementation="bad", version="0", queue=lambda maxsize=0: None)
"""

BROKEN_IMPORT = """
import a_dependency_that_is_not_installed

ADAPTER = None
"""


def error_line(result) -> str:
    """The single ``ERROR:`` line of a usage error (and check there is exactly one, without traceback)."""
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1, output(result)
    assert "Traceback" not in output(result), output(result)
    return errors[0]


def header(result) -> str:
    return next(line for line in result.outlines if line.startswith("ipc-conformance adapter:"))


def profile_line(result) -> str:
    return next(line for line in result.outlines if line.startswith("ipc-conformance profile:"))


# --- choosing the adapter ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["option", "environment"])
def test_unknown_adapter_name_is_a_one_line_usage_error_listing_known_adapters(pytester, run_pytest, how):
    pytester.makepyfile(PASSING_TEST)
    if how == "option":
        result = run_pytest("--ipc-adapter", "no-such-adapter")
    else:
        result = run_pytest(env={registry.ENV_VAR: "no-such-adapter"})
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "unknown adapter 'no-such-adapter'" in line
    for known in ("stdlib", "stdlib-fork", "stdlib-spawn", "stdlib-forkserver", "manager"):
        assert re.search(rf"\b{known}\b", line.split("known adapters:")[1]), line


@pytest.mark.parametrize("how", ["option", "environment"])
def test_adapter_is_chosen_by_option_or_environment(pytester, run_pytest, how):
    pytester.makepyfile(PASSING_TEST)
    if how == "option":
        result = run_pytest("--ipc-adapter", "stdlib-spawn")
    else:
        result = run_pytest(env={registry.ENV_VAR: "stdlib-spawn"})
    assert result.ret == 0, output(result)
    assert header(result).startswith("ipc-conformance adapter: stdlib-spawn ")


def test_option_overrides_environment(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "stdlib-fork", env={registry.ENV_VAR: "no-such-adapter"})
    assert result.ret == 0, output(result)
    assert header(result).startswith("ipc-conformance adapter: stdlib-fork ")


def test_header_shows_adapter_version_python_workers_profile_and_mode(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "stdlib-forkserver", "--ipc-profile", "ci")
    assert result.ret == 0, output(result)
    python = platform.python_version()
    assert header(result) == (
        f"ipc-conformance adapter: stdlib-forkserver (CPython multiprocessing {python}), "
        f"Python {python}, workers: processes (forkserver), queue consistency eventual, "
        "primitives Queue, JoinableQueue, SimpleQueue, Pipe, lacks nothing, limits none"
    ), header(result)
    assert profile_line(result) == "ipc-conformance profile: ci, mode: gate"


def test_header_names_what_the_manager_lacks_and_its_trait(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "manager")
    assert result.ret == 0, output(result)
    line = header(result)
    assert (
        "queue consistency exact, proxy queues, primitives Queue, JoinableQueue, lacks QUEUE_CLOSE, QUEUE_FEEDER,"
        in line
    ), line


@pytest.mark.parametrize("how", ["option", "environment"])
def test_survey_mode_is_chosen_by_option_or_environment(pytester, run_pytest, how):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-survey") if how == "option" else run_pytest(env={"IPC_CONFORMANCE_SURVEY": "1"})
    assert result.ret == 0, output(result)
    assert (
        profile_line(result)
        == "ipc-conformance profile: dev, mode: survey (every clause graded; no deviation stops a test)"
    )


def test_survey_environment_variable_takes_only_0_or_1(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    assert profile_line(run_pytest(env={"IPC_CONFORMANCE_SURVEY": "0"})).endswith("mode: gate")
    result = run_pytest(env={"IPC_CONFORMANCE_SURVEY": "yes"})
    assert result.ret == USAGE_ERROR
    assert "IPC_CONFORMANCE_SURVEY='yes'; set it to 1 (survey) or 0 (gate)" in error_line(result)


def test_module_that_fails_to_import_is_named(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, broken_adapter=BROKEN_IMPORT)
    result = run_pytest("--ipc-adapter", "broken_adapter:ADAPTER")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "adapter module 'broken_adapter'" in line
    assert "a_dependency_that_is_not_installed" in line


def test_module_that_does_not_exist_is_named(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "no_such_module:ADAPTER")
    assert result.ret == USAGE_ERROR
    assert "adapter module 'no_such_module'" in error_line(result)


def test_missing_attribute_is_named(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", "bad_adapters:NO_SUCH_ADAPTER")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "module 'bad_adapters' has no attribute 'NO_SUCH_ADAPTER'" in line


def test_path_without_object_is_explained(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "bad_adapters:")
    assert result.ret == USAGE_ERROR
    assert "must look like 'package.module:object'" in error_line(result)


def test_undeclared_missing_method_names_primitive_method_and_how_to_declare_it(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", "bad_adapters:SILENT_ABOUT_CLOSE")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "adapter 'silent-about-close': its Queue has no method close()" in line, line
    assert "declare lacks={Feature.QUEUE_CLOSE: 'why'}" in line, line


def test_declared_absence_is_accepted_and_shown(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", "bad_adapters:DECLARES_NO_CLOSE")
    assert result.ret == 0, output(result)
    assert "primitives Queue, lacks QUEUE_CLOSE, QUEUE_FEEDER," in header(result), header(result)


def test_lacking_a_feature_of_a_primitive_not_offered_is_an_error(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", "bad_adapters:LACKS_POLL_WITHOUT_A_PIPE")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "adapter 'lacks-poll' declares it lacks poll(), a feature of Pipe, which it does not offer" in line, line


def test_launcher_that_is_not_one_is_an_error(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", "bad_adapters:BAD_LAUNCHER")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "adapter 'bad-launcher': its launcher" in line and "is not a Launcher" in line, line
    assert "Processes(context), Threads() or Tasks()" in line, line


def test_unknown_feature_is_an_error_listing_the_valid_ones(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, telepath=UNKNOWN_FEATURE)
    result = run_pytest("--ipc-adapter", "telepath:ADAPTER")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "adapter 'telepath' declares it lacks 'qsize', which is not a Feature" in line, line
    valid = line.split("use one of")[1]
    for feature in Feature:
        assert re.search(rf"\bFeature\.{feature.name}\b", valid), line


def test_unknown_trait_is_an_error_naming_the_valid_ones(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, traits=UNKNOWN_TRAIT)
    result = run_pytest("--ipc-adapter", "traits:ADAPTER")
    assert result.ret == USAGE_ERROR
    assert "adapter 'traity' declares traits ['proxy']; use Trait members (PROXY)" in error_line(result)


def test_adapter_without_launcher_or_context_is_an_error(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, nowhere=NO_WAY_TO_RUN_WORKERS)
    result = run_pytest("--ipc-adapter", "nowhere:ADAPTER")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "adapter 'nowhere' gives neither a launcher nor a context with Process" in line, line


@pytest.mark.parametrize(
    "target, kind",
    [("bad_adapters:NOT_AN_ADAPTER", "dict"), ("bad_adapters:returns_a_string", "str")],
)
def test_object_that_is_not_an_adapter_is_an_error(pytester, run_pytest, target, kind):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", target)
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert f"is a {kind}, not a conformance.adapter.Adapter" in line


# --- choosing the Hypothesis profile --------------------------------------------------------

#: Reports the profile a suite test runs under: the name and settings the suite's code sees, and the
#: examples a suite ``@given`` test runs (not Hypothesis's global profile, which stays the project's own).
PROFILE_PROBE = """
import os

import pytest
from hypothesis import given, settings, strategies as st

from conformance import profiles

SEEN = []

@pytest.mark.spec("QUEUE-FIFO-1")
@given(st.integers())
def test_examples(n):
    SEEN.append(n)

@pytest.mark.spec("QUEUE-FIFO-1")
def test_profile_in_force():
    expected = os.environ["EXPECTED_PROFILE"]
    assert profiles.current_name() == expected
    assert profiles.current().max_examples == profiles.PROFILES[expected].max_examples
    assert len(SEEN) == profiles.PROFILES[expected].max_examples
    assert settings.get_current_profile_name() in ("default", "ci")  # Hypothesis's own choice, untouched
"""


@pytest.mark.parametrize(
    "args, env, expected",
    [
        ((), {}, "dev"),
        (("--ipc-profile", "ci"), {}, "ci"),
        (("--ipc-profile", "thorough"), {}, "thorough"),
        ((), {profiles.ENV_VAR: "thorough"}, "thorough"),
        ((), {"CI": "1"}, "ci"),
        (("--ipc-profile", "dev"), {"CI": "1"}, "dev"),
        ((), {"CI": "1", profiles.ENV_VAR: "thorough"}, "thorough"),
    ],
    ids=[
        "default-dev",
        "option-ci",
        "option-thorough",
        "env-thorough",
        "CI-means-ci",
        "option-beats-CI",
        "env-beats-CI",
    ],
)
def test_profile_selection(pytester, run_pytest, args, env, expected):
    pytester.makepyfile(PROFILE_PROBE)
    result = run_pytest(*args, env={**env, "EXPECTED_PROFILE": expected})
    assert result.ret == 0, output(result)
    assert profile_line(result) == f"ipc-conformance profile: {expected}, mode: gate"


def test_profiles_differ_in_what_the_probe_checks():
    """The profile probe above can tell the profiles apart."""
    assert len({p.max_examples for p in profiles.PROFILES.values()}) == len(profiles.PROFILES)


#: Reports the pytest-timeout backstop a suite test (one citing a clause) runs under.
BACKSTOP_PROBE = """
import os

import pytest

@pytest.mark.spec("QUEUE-FIFO-1")
def test_backstop(request):
    marker = request.node.get_closest_marker("timeout")
    assert (marker.args[0] if marker else None) == eval(os.environ["EXPECTED_BACKSTOP"])
"""


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--ipc-profile", "dev"), None),
        (("--ipc-profile", "thorough"), profiles.BACKSTOP["thorough"]),
        (("--ipc-profile", "thorough", "--timeout", "60"), None),
    ],
    ids=["dev-keeps-the-ini-backstop", "thorough-raises-it", "the-user-option-wins"],
)
def test_thorough_tests_get_a_longer_backstop(pytester, run_pytest, args, expected):
    pytester.makepyfile(BACKSTOP_PROBE)
    result = run_pytest(*args, env={"EXPECTED_BACKSTOP": repr(expected)})
    assert result.ret == 0, output(result)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_unknown_profile_is_a_usage_error_listing_profiles(pytester, run_pytest, how):
    pytester.makepyfile(PASSING_TEST)
    if how == "option":
        result = run_pytest("--ipc-profile", "leisurely")
    else:
        result = run_pytest(env={profiles.ENV_VAR: "leisurely"})
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "'leisurely'" in line
    for name in ("dev", "ci", "thorough"):
        assert re.search(rf"\b{name}\b", line.split("leisurely")[1]), line


# --- markers ----------------------------------------------------------------------------------

#: Tests whose clauses (``spec``) or other needs (``uses``) the manager adapter, the stdlib, or this Python
#: version may not meet.  Each passes when it runs.
NEEDS = """
import pytest
from conformance.primitives import Feature, Primitive

@pytest.mark.spec("QUEUE-FIFO-1")
@pytest.mark.uses(Primitive.PIPE)
def test_uses_a_pipe(ipc_adapter):
    ipc_adapter.pipe(True)

@pytest.mark.spec("QUEUE-FIFO-1")
@pytest.mark.uses(Feature.QUEUE_CLOSE)
def test_uses_close():
    pass

@pytest.mark.spec("QUEUE-VISIBLE-1")
def test_about_eventual_queues():
    pass

@pytest.mark.spec("QUEUE-CLOSE-1")
def test_about_close():
    pass

@pytest.mark.spec("QUEUE-API-1")
def test_not_part_of_the_proxy_contract():
    pass

@pytest.mark.spec("MGR-PROXY-1")
def test_about_proxies():
    pass

@pytest.mark.spec("MGR-PROXY-1", "QUEUE-CLOSE-1")
def test_needs_every_clause():
    pass

@pytest.mark.spec("MGR-PROXY-1", "QUEUE-CLOSE-1", any=True)
def test_needs_one_clause():
    pass

@pytest.mark.spec("QUEUE-CLOSE-1", "PIPE-DUPLEX-1", any=True)
def test_none_applies():
    pass
"""


def skips(result):
    """``{test name: skip reason}`` from a ``-rs`` summary."""
    found = {}
    for line in result.outlines:
        match = re.match(r"SKIPPED \[1\] test_needs\.py:(\d+): (.*)$", line)
        if match:
            found[int(match.group(1))] = match.group(2)
    source = NEEDS.lstrip("\n").splitlines()
    name = {}
    for number, text in enumerate(source, start=1):
        test = re.match(r"def (test_\w+)", text)
        if test:  # the skip names the line of the test's first decorator
            first = number
            while first > 1 and source[first - 2].startswith("@"):
                first -= 1
            name[first] = test.group(1)
    return {name[line]: reason for line, reason in found.items()}


def test_skip_reasons_come_from_the_catalogue_and_the_uses_markers(pytester, run_pytest):
    pytester.makepyfile(test_needs=NEEDS)
    result = run_pytest("--ipc-adapter", "manager", "-rs")
    result.assert_outcomes(passed=2, skipped=7)
    no_close = "which adapter 'manager' declares absent (a proxy of queue.Queue has no close())"
    assert skips(result) == {
        "test_uses_a_pipe": "adapter 'manager' offers no Pipe",
        "test_uses_close": "adapter 'manager' does not offer Queue.close() (a proxy of queue.Queue has no close())",
        "test_about_eventual_queues": "QUEUE-VISIBLE-1 is about eventual queues; adapter 'manager' declares "
        "exact consistency",
        "test_about_close": f"QUEUE-CLOSE-1 needs Queue.close(), {no_close}",
        "test_not_part_of_the_proxy_contract": "QUEUE-API-1 is not part of the contract of proxy queues, which "
        "adapter 'manager' has",
        "test_needs_every_clause": f"QUEUE-CLOSE-1 needs Queue.close(), {no_close}",
        "test_none_applies": f"QUEUE-CLOSE-1 needs Queue.close(), {no_close}; "
        "PIPE-DUPLEX-1 needs a Pipe, which adapter 'manager' does not offer",
    }, output(result)


def test_proxy_clauses_are_skipped_for_the_stdlib_naming_the_trait(pytester, run_pytest):
    """And ``any=True`` runs a test as long as one of its clauses applies."""
    pytester.makepyfile(test_needs=NEEDS)
    result = run_pytest("--ipc-adapter", "stdlib-fork", "-rs")
    result.assert_outcomes(passed=7, skipped=2)
    not_a_proxy = "MGR-PROXY-1 needs proxy queues, which adapter 'stdlib-fork' does not have"
    assert skips(result) == {"test_about_proxies": not_a_proxy, "test_needs_every_clause": not_a_proxy}, output(result)


def test_a_clause_of_another_python_version_skips_naming_the_versions(pytester, run_pytest):
    other = next((c for c in spec.CATALOGUE.values() if not c.holds_for() and not c.untestable), None)
    if other is None:
        pytest.skip("every testable clause holds for this Python version")
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.spec("{other.id}")
        def test_other_version():
            pass
        """
    )
    result = run_pytest("--ipc-adapter", "manager", "-rs")
    result.assert_outcomes(skipped=1)
    python = "{}.{}".format(*sys.version_info[:2])
    result.stdout.fnmatch_lines([f"SKIPPED * {other.id} holds for Python {other.versions}, not {python}"])


def test_suite_pipe_tests_are_skipped_for_an_adapter_without_pipes(run_pytest):
    """Every test of the pipe section uses a pipe; for the manager each says it offers none."""
    result = run_pytest("--pyargs", "conformance.suite.test_pipe", "--ipc-adapter", "manager", "-rs")
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("skipped", 0) > 0, output(result)
    assert set(outcomes) <= {"skipped", "deselected", "warnings"}, output(result)
    skipped = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert skipped, output(result)
    for line in skipped:
        assert line.endswith("adapter 'manager' offers no Pipe"), line


def test_unknown_clause_in_spec_marker_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.spec("NO-SUCH-CLAUSE-1")
        def test_cites_nothing_real():
            pass
        """
    )
    result = run_pytest()
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "test_cites_nothing_real" in line and "'NO-SUCH-CLAUSE-1'" in line


def test_unknown_clause_on_a_class_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.spec("NO-SUCH-CLAUSE-2")
        class TestSection:
            def test_inside(self):
                pass
        """
    )
    result = run_pytest()
    assert result.ret == USAGE_ERROR
    assert "'NO-SUCH-CLAUSE-2'" in error_line(result)


def test_uses_marker_with_something_other_than_a_primitive_or_feature_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.spec("QUEUE-FIFO-1")
        @pytest.mark.uses("telepathy")
        def test_uses_telepathy():
            pass
        """
    )
    result = run_pytest()
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "test_uses_telepathy" in line and "uses() takes Primitive and Feature members, got ['telepathy']" in line, (
        line
    )


# --- hygiene ---------------------------------------------------------------------------------

LEAKS_A_CHILD = """
import os
from pathlib import Path

import pytest


@pytest.mark.spec("CONC-HYGIENE-1")
def test_leaks_a_child(ipc_adapter):
    never_set = ipc_adapter.context.Event()
    child = ipc_adapter.context.Process(target=never_set.wait)
    child.start()
    Path("child.pid").write_text(str(child.pid))


def test_the_leaked_child_was_reaped():
    pid = int(Path("child.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
"""


def test_leaked_child_fails_the_test_and_is_reaped(pytester, run_pytest):
    """A suite test (one citing a clause) that leaves a child running violates CONC-HYGIENE-1 in its teardown.

    The child waits forever: only the plugin's reaping lets the session end.
    """
    pytester.makepyfile(LEAKS_A_CHILD)
    # Shorten JOIN_GRACE: the child never exits by itself.
    result = run_pytest("--ipc-adapter", "stdlib-fork", env={"IPC_CONFORMANCE_TIME_SCALE": "0.1"}, timeout=60)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks_a_child*",
            "*CONC-HYGIENE-1 violated (required*",
            "*observed: the test left 1 child process(es) running: *; they have been reaped",
        ]
    )
