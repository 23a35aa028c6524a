"""Validated configuration, adapters from the invocation directory, and the progress lines.

Every ``--ipc-*`` option and ``IPC_CONFORMANCE_*`` variable is checked when
a run asks for the suite, with a one-line usage error that says the fix
(the runs here ask through ``ipc_own_tests``, see ``tests/conftest.py``;
``tests/test_inert.py`` shows that the same values break nothing in runs
that never ask).
"""

import os
import subprocess
import sys

import pytest

from tests.conftest import SELECTION_VARIABLES, output
from tests.test_plugin import PASSING_TEST, USAGE_ERROR, error_line, header

BAD_VALUES = [
    (
        (),
        {"IPC_CONFORMANCE_TIME_SCALE": "fast"},
        "IPC_CONFORMANCE_TIME_SCALE='fast' is not a number; set it to a positive number",
    ),
    ((), {"IPC_CONFORMANCE_TIME_SCALE": "-1"}, "IPC_CONFORMANCE_TIME_SCALE='-1' must be a positive number"),
    ((), {"IPC_CONFORMANCE_WATCHDOG": "maybe"}, "IPC_CONFORMANCE_WATCHDOG='maybe'; set it to on or off"),
    (("--ipc-watchdog", "maybe"), {}, "argument --ipc-watchdog: invalid choice: 'maybe'"),
    ((), {"IPC_CONFORMANCE_SURVEY": "yes"}, "IPC_CONFORMANCE_SURVEY='yes'; set it to 1 (survey) or 0 (gate)"),
    (
        (),
        {"IPC_CONFORMANCE_PROFILE": "leisurely"},
        "IPC_CONFORMANCE_PROFILE: unknown Hypothesis profile 'leisurely'; choose one of dev, ci, thorough",
    ),
    (("--ipc-profile", "leisurely"), {}, "--ipc-profile: unknown Hypothesis profile 'leisurely'; choose one of"),
    ((), {"IPC_CONFORMANCE_ADAPTER": "nope"}, "unknown adapter 'nope'; known adapters:"),
    (("--ipc-adapter", "nope"), {}, "unknown adapter 'nope'; known adapters:"),
    ((), {"IPC_CONFORMANCE_SEED": "x"}, "IPC_CONFORMANCE_SEED='x' is not an integer; give an integer seed"),
    (("--ipc-seed", "x"), {}, "--ipc-seed 'x' is not an integer; give an integer seed"),
    (
        (),
        {"IPC_CONFORMANCE_EXAMPLE_DB": "ftp://x"},
        "IPC_CONFORMANCE_EXAMPLE_DB: unknown example database 'ftp://x': use dir:PATH",
    ),
    (("--ipc-example-db", "ftp://x"), {}, "--ipc-example-db: unknown example database 'ftp://x': use dir:PATH"),
    ((), {"IPC_CONFORMANCE_EXPECTATIONS": "missing.expect"}, "missing.expect: cannot read expectations file"),
    (("--ipc-expectations", "missing.expect"), {}, "missing.expect: cannot read expectations file"),
    ((), {"IPC_CONFORMANCE_REPORT": "."}, "IPC_CONFORMANCE_REPORT '.' is a directory; give a file path"),
    (("--ipc-report", "."), {}, "--ipc-report '.' is a directory; give a file path"),
    ((), {"IPC_CONFORMANCE_PROGRESS": "often"}, "IPC_CONFORMANCE_PROGRESS='often' is not a number of seconds"),
    (("--ipc-progress", "-3"), {}, "--ipc-progress '-3' is not a number of seconds"),
]


@pytest.mark.parametrize(
    "args, env, expected",
    BAD_VALUES,
    ids=[f"{' '.join(a) or next(iter(e))}={next(iter(e.values()), '')}" for a, e, _ in BAD_VALUES],
)
def test_every_option_and_variable_is_validated_with_a_one_line_fix(pytester, run_pytest, args, env, expected):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest(*args, env=env)
    assert result.ret == USAGE_ERROR, output(result)
    if expected.startswith("argument "):  # argparse's own error for a choice option
        assert expected in output(result), output(result)
        return
    assert expected in error_line(result)


def test_time_scale_fast_is_one_line_when_the_suite_is_named(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in SELECTION_VARIABLES}
    environment["IPC_CONFORMANCE_TIME_SCALE"] = "fast"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "conformance.suite"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == USAGE_ERROR, done.stdout + done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines == [
        "ERROR: ipc-conformance: IPC_CONFORMANCE_TIME_SCALE='fast' is not a number; set it to a positive "
        "number such as 2 (slower runner) or unset it"
    ], lines


# --- adapters from the invocation directory ---------------------------------------------------------------

MY_ADAPTER = """
from conformance.adapter import Adapter
import multiprocessing

ADAPTER = Adapter(name="mine", implementation="my-queues", version="1.0", context=multiprocessing.get_context("fork"),
                  queue=multiprocessing.get_context("fork").Queue)
"""


def _bare_pytest(where, *args):
    """The ``pytest`` script, not ``python -m pytest``: the invocation directory is not on ``sys.path``."""
    script = os.path.join(os.path.dirname(sys.executable), "pytest")
    environment = {k: v for k, v in os.environ.items() if k not in SELECTION_VARIABLES}
    environment.pop("PYTHONPATH", None)
    return subprocess.run(
        [script, "-p", "no:cacheprovider", *args],
        cwd=where,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.parametrize("target", ["my_adapter:ADAPTER", "adapters/my_adapter.py:ADAPTER"])
def test_an_adapter_of_the_invocation_directory_loads_under_bare_pytest(tmp_path, target):
    folder = tmp_path / os.path.dirname(target.split(":")[0])
    folder.mkdir(exist_ok=True)
    (folder / "my_adapter.py").write_text(MY_ADAPTER)
    done = _bare_pytest(
        tmp_path,
        "--pyargs",
        "conformance.suite.test_queue",
        "-q",
        "--ipc-adapter",
        target,
        "-k",
        "test_queue_offers_the_documented_methods",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout, done.stdout


def test_a_missing_adapter_file_is_a_one_line_error(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    result = run_pytest("--ipc-adapter", "nowhere/adapter.py:ADAPTER")
    assert result.ret == USAGE_ERROR
    assert "adapter file 'nowhere/adapter.py'" in error_line(result) and "is not a Python file" in error_line(result)


def test_an_adapter_file_shows_in_the_header(pytester, run_pytest):
    pytester.makepyfile(PASSING_TEST)
    (pytester.path / "mine.py").write_text(MY_ADAPTER)
    result = run_pytest("--ipc-adapter", "mine.py:ADAPTER")
    assert result.ret == 0, output(result)
    assert header(result).startswith("ipc-conformance adapter: mine (my-queues 1.0)")


# --- progress ---------------------------------------------------------------------------------------------

SLOW_SUITE_TEST = """
import time

import pytest

from conformance import evidence


@pytest.mark.spec("QUEUE-FIFO-1")
def test_slow():
    for _ in range(30):
        evidence.current().executed()
        time.sleep(0.1)
"""


@pytest.mark.parametrize("distributed", [False, True], ids=["plain", "xdist"])
def test_a_long_test_prints_progress_lines_under_q_and_the_summary_counts_executions(pytester, run_pytest, distributed):
    pytester.makepyfile(test_slow=SLOW_SUITE_TEST)
    args = ["-q", "--ipc-progress", "1"] + (["-n", "1"] if distributed else [])
    result = run_pytest(*args)
    text = output(result)
    assert result.ret == 0, text
    lines = [line for line in text.splitlines() if line.startswith("ipc-conformance progress:")]
    assert len(lines) >= 1, text
    assert "tests done, 0 failed; test_slow::test_slow running for" in lines[-1] and " executions (" in lines[-1], text
    assert "ipc-conformance: executions per test" in text
    assert any(
        line.split()[:2] == ["30", "executions"] and line.endswith("test_slow::test_slow") for line in text.splitlines()
    ), text


def test_no_progress_lines_with_0(pytester, run_pytest):
    pytester.makepyfile(test_slow=SLOW_SUITE_TEST)
    result = run_pytest("-q", "--ipc-progress", "0")
    assert result.ret == 0 and "ipc-conformance progress:" not in output(result)
