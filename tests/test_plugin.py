"""The pytest plugin: adapter and profile selection, validation, header, markers, hygiene.

Every test runs pytest in a subprocess on a tiny test file (or on a suite
module) and reads what it printed: the plugin is configured once per
process, and its errors are what a user sees.
"""

import platform
import re

import pytest

from conformance import profiles, registry
from conformance.adapter import Capability
from tests.conftest import output

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR

PASSING_TEST = """
def test_nothing():
    pass
"""

#: Adapters that are wrong in one way each, loaded by ``module:object``.
BAD_ADAPTERS = '''
import multiprocessing
import platform

from conformance.adapter import Adapter, Capability

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


CLAIMS_CLOSE = Adapter(
    name="claims-close",
    implementation="bad",
    version="0",
    context=CONTEXT,
    queue=QueueWithoutClose,
    capabilities={Capability.CLOSE},
)

NOT_AN_ADAPTER = {"name": "a dict is not an adapter"}


def returns_a_string():
    return "stdlib"
'''

UNKNOWN_CAPABILITY = """
import multiprocessing
from conformance.adapter import Adapter

ADAPTER = Adapter(name="telepath", implementation="bad", version="0",
                  context=multiprocessing.get_context("fork"), capabilities={"qsize", "telepathy"})
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


def test_header_shows_adapter_version_python_start_method_and_profile(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "stdlib-forkserver", "--ipc-profile", "ci")
    assert result.ret == 0, output(result)
    python = platform.python_version()
    assert header(result).startswith(
        f"ipc-conformance adapter: stdlib-forkserver (CPython multiprocessing {python}), "
        f"Python {python}, start method forkserver, "
    ), header(result)
    assert profile_line(result) == "ipc-conformance profile: ci"


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


def test_claimed_capability_with_missing_method_names_primitive_method_and_capability(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, bad_adapters=BAD_ADAPTERS)
    result = run_pytest("--ipc-adapter", "bad_adapters:CLAIMS_CLOSE")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "its queue has no method close()" in line, line
    assert re.search(r"claims capability [^;]*'close'", line), line


def test_unknown_capability_is_an_error_listing_the_valid_ones(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST, telepath=UNKNOWN_CAPABILITY)
    result = run_pytest("--ipc-adapter", "telepath:ADAPTER")
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "unknown capability 'telepathy'" in line
    valid = line.split("valid capabilities are")[1]
    for capability in Capability:
        assert re.search(rf"\b{capability.value}\b", valid), line


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

#: Reports the Hypothesis profile actually in force while tests run.
PROFILE_PROBE = """
import os
from hypothesis import settings

def test_profile_in_force():
    assert settings.get_current_profile_name() == os.environ["EXPECTED_PROFILE"]
    assert settings().max_examples == settings.get_profile(os.environ["EXPECTED_PROFILE"]).max_examples
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
    ids=["default-dev", "option-ci", "option-thorough", "env-thorough", "CI-means-ci", "option-beats-CI", "env-beats-CI"],
)
def test_profile_selection(pytester, run_pytest, args, env, expected):
    pytester.makepyfile(PROFILE_PROBE)
    result = run_pytest(*args, env={**env, "EXPECTED_PROFILE": expected})
    assert result.ret == 0, output(result)
    assert profile_line(result) == f"ipc-conformance profile: {expected}"


def test_profiles_differ_in_what_the_probe_checks():
    """The profile probe above can tell the profiles apart."""
    assert len({p.max_examples for p in profiles.PROFILES.values()}) == len(profiles.PROFILES)


#: Reports the pytest-timeout backstop a test runs under.
BACKSTOP_PROBE = """
import os

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

NEEDS_A_PIPE = """
import pytest
from conformance.adapter import Capability

@pytest.mark.requires(Capability.PIPE)
def test_needs_a_pipe(ipc_adapter):
    ipc_adapter.pipe(True)

@pytest.mark.requires("qsize", "task_done")
def test_needs_qsize_and_task_done():
    pass

@pytest.mark.consistency("eventual")
def test_about_the_feeder_thread():
    pass
"""


def test_missing_capability_or_other_consistency_skips_with_a_reason_naming_it(pytester, run_pytest):
    pytester.makepyfile(NEEDS_A_PIPE)
    result = run_pytest("--ipc-adapter", "manager", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines_random([
        "SKIPPED * adapter 'manager' lacks capability pipe",
        "SKIPPED * adapter 'manager' declares exact consistency; this test is about eventual queues",
    ])


def test_suite_pipe_tests_are_skipped_for_an_adapter_without_pipes(run_pytest):
    """Every test of the pipe section declares that it needs a pipe."""
    result = run_pytest("--pyargs", "conformance.suite.test_pipe", "--ipc-adapter", "manager", "-rs")
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("skipped", 0) > 0, output(result)
    assert set(outcomes) <= {"skipped", "deselected", "warnings"}, output(result)
    skips = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert skips, output(result)
    assert "adapter 'manager' lacks capability pipe" in "\n".join(skips)
    for line in skips:
        assert "lacks capability pipe" in line or "do not hold for this Python version" in line, line


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


def test_unknown_capability_in_requires_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requires("telepathy")
        def test_needs_telepathy():
            pass
        """
    )
    result = run_pytest()
    assert result.ret == USAGE_ERROR
    line = error_line(result)
    assert "test_needs_telepathy" in line and "'telepathy'" in line


def test_unknown_consistency_level_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.consistency("psychic")
        def test_about_psychic_queues():
            pass
        """
    )
    result = run_pytest()
    assert result.ret == USAGE_ERROR, output(result)
    line = error_line(result)
    assert "test_about_psychic_queues" in line and "'psychic'" in line


# --- hygiene ---------------------------------------------------------------------------------

LEAKS_A_CHILD = """
import os
from pathlib import Path

import pytest


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
    """The child waits forever: only the plugin's reaping lets the session end."""
    pytester.makepyfile(LEAKS_A_CHILD)
    # Shorten JOIN_GRACE: the child never exits by itself.
    result = run_pytest("--ipc-adapter", "stdlib-fork", env={"IPC_CONFORMANCE_TIME_SCALE": "0.1"}, timeout=60)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks_a_child*", "*test leaked 1 child process(es)*reaped*"])
