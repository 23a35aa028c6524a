"""The watchdog, the bounded exit and quiet failures, on seeded faults (``tests/faults``).

Each test runs pytest in a subprocess, reading its output line by line as
it comes, with the time each line came, and bounds the run with a timeout:

* a queue ``get`` that holds the GIL for ever (``get_holds_gil``) stops the
  whole test process; the run must report a failure of that test within a
  minute of the hang, naming the operation with every thread's traceback,
  and go on with the next test (under pytest-xdist, which a run of the
  suite uses by default); without xdist the run must still end, saying why;
  from a directory outside the clone, with the suite installed from a
  wheel into a fresh virtualenv, too (slow);
* an adapter whose validation leaks a non-daemon child process
  (``leaks_at_validation``): the run must reap it, say so, and exit within
  seconds of its summary; a non-daemon thread (``thread_at_exit``) cannot be
  reaped: the watchdog must end the run a few seconds after its summary;
* a peer that calls ``os.abort()`` (``peer_aborts``): its fatal-error report
  must be in the failure text, and not in the progress output;
* a pipe whose ``poll()`` always answers True (``poll_lies``): graded as a
  PIPE-POLL failure within a minute (the harness does not use the
  implementation's ``poll``).

The heartbeat and the process tree are also checked directly.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from conformance.harness import heartbeat, proctree, timing
from conformance.harness.heartbeat import Phase
from tests.conftest import REPO_ROOT, SELECTION_VARIABLES

#: The issue's bound: from the hang to the graded failure.
HANG_REPORTED_WITHIN = 60.0
#: The issue's bound: from the summary to the end of the process, for a leaked child.
EXIT_WITHIN = 10.0
#: A generous bound for one pytest run here (a run past it is a hang of the watchdog itself).
RUN_TIMEOUT = 240
#: The focused queue tests of the hang: the second one calls get(); the first and the last do not.
AROUND_A_GET = ("--pyargs", "conformance.suite.test_queue", "-k", "documented_methods or get_timeout or put_timeout")


SUMMARY = re.compile(r"^=+ .*\b(passed|failed)\b.* in [\d.]+s")


@dataclass
class Run:
    """A finished pytest run: its lines with the wall-clock time each arrived, its exit code and when it exited."""

    lines: list[tuple[float, str]]
    returncode: int
    started: float
    exited: float

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def first(self, fragment: str) -> Optional[float]:
        """When the first line holding ``fragment`` arrived."""
        return next((when for when, line in self.lines if fragment in line), None)

    def summary(self) -> Optional[float]:
        """When pytest's closing summary line ("=== 1 passed in 0.5s ===") arrived."""
        return next((when for when, line in self.lines if SUMMARY.match(line)), None)

    def before(self, fragment: str) -> str:
        """Everything printed before the first line holding ``fragment`` (all of it if there is none)."""
        found = [line for _, line in self.lines]
        index = next((i for i, line in enumerate(found) if fragment in line), len(found))
        return "\n".join(found[:index])


def environment(**extra: str) -> dict:
    """The environment of a run: nothing selecting an adapter or the watchdog, the repository importable."""
    env = {k: v for k, v in os.environ.items() if k not in SELECTION_VARIABLES and k != "IPC_CONFORMANCE_WATCHDOG"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_live(
    args, cwd: Path, env: Optional[dict] = None, python: str = sys.executable, timeout: float = RUN_TIMEOUT
) -> Run:
    """pytest in a subprocess, its output read as it comes; killed (and the test failed) past ``timeout``."""
    command = [python, "-u", "-m", "pytest", "-p", "no:cacheprovider", *args]
    started = time.time()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env or environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: list[tuple[float, str]] = []

    def read():
        for raw in process.stdout:
            lines.append((time.time(), raw.decode("utf-8", "replace").rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        returncode = process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        reader.join(5)
        pytest.fail(f"the run did not end within {timeout}s:\n" + "\n".join(line for _, line in lines))
    exited = time.time()
    reader.join(timing.WATCHDOG_POLL * 8 + 5)  # the supervisors, which share the output, end with their processes
    return Run(lines, returncode, started, exited)


def report_tests(path: Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    return {test["nodeid"].rsplit("::", 1)[-1]: test for test in report["tests"]}


# --- a test process that stops --------------------------------------------------------------


def test_a_call_holding_the_gil_fails_its_test_within_a_minute_and_the_run_goes_on(tmp_path):
    stamp = tmp_path / "hang"
    run = run_live(
        [*AROUND_A_GET, "--ipc-adapter", "tests.faults.get_holds_gil:ADAPTER", "--ipc-report", "r.json"],
        tmp_path,
        environment(IPC_FAULT_HANG_STAMP=str(stamp)),
    )
    assert run.returncode == 1, run.text
    assert "created: 1/1 worker" in run.text, "a run of the suite uses pytest-xdist by default"
    hung_at = float(stamp.read_text())
    replaced = run.first("replacing crashed worker")
    assert replaced is not None, run.text
    assert replaced - hung_at < HANG_REPORTED_WITHIN, f"reported {replaced - hung_at:.1f}s after the hang"
    assert "the test process made no progress for" in run.text
    assert (
        "during get(False, 3.0) in" in run.text
        and "test_get_timeout_is_honoured_and_ignored_without_block; it was killed" in run.text
    )
    assert "Python traceback of every thread" in run.text and "in hold_the_gil_for_ever" in run.text
    assert re.search(r"\b1 failed, 2 passed\b", run.text)
    tests = report_tests(tmp_path / "r.json")
    assert list(tests) == [
        "test_queue_offers_the_documented_methods",
        "test_get_timeout_is_honoured_and_ignored_without_block",
        "test_put_timeout_is_honoured_and_ignored_without_block",
    ]
    hung = tests["test_get_timeout_is_honoured_and_ignored_without_block"]
    assert hung["outcome"] == "failed"
    assert hung["failures"][0]["text"].startswith("ipc-conformance watchdog: the test process made no progress")
    assert "in hold_the_gil_for_ever" in hung["failures"][0]["text"]
    assert tests["test_put_timeout_is_honoured_and_ignored_without_block"]["outcome"] == "passed"


def test_without_xdist_the_watchdog_still_ends_the_run_and_says_why(tmp_path):
    stamp = tmp_path / "hang"
    run = run_live(
        [
            *AROUND_A_GET,
            "-p",
            "no:xdist",
            "--ipc-adapter",
            "tests.faults.get_holds_gil:ADAPTER",
            "--ipc-report",
            "r.json",
        ],
        tmp_path,
        environment(IPC_FAULT_HANG_STAMP=str(stamp)),
    )
    assert run.returncode == -signal.SIGKILL, run.text
    announced = run.first("ipc-conformance watchdog: the test process made no progress")
    assert announced is not None, run.text
    assert announced - float(stamp.read_text()) < HANG_REPORTED_WITHIN
    assert "during get(False, 3.0)" in run.text and "in hold_the_gil_for_ever" in run.text
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["complete"] is False and report["running"][0].endswith(
        "test_get_timeout_is_honoured_and_ignored_without_block"
    )
    clause = next(c for c in report["clauses"] if c["id"] == "QUEUE-GET-3")
    assert clause["status"] == "failed" and "made no progress" in clause["failures"][0]["text"]


def test_a_segfault_fails_its_test_with_the_fatal_error_report_and_the_run_goes_on(tmp_path):
    run = run_live(
        [*AROUND_A_GET, "--ipc-adapter", "tests.faults.get_segfaults:ADAPTER", "--ipc-report", "r.json"], tmp_path
    )
    assert run.returncode == 1, run.text
    assert re.search(r"\b1 failed, 2 passed\b", run.text)
    assert "Fatal Python error: Segmentation fault" not in run.before("= FAILURES =")
    tests = report_tests(tmp_path / "r.json")
    text = tests["test_get_timeout_is_honoured_and_ignored_without_block"]["failures"][0]["text"]
    assert "crashed while running" in text and "Fatal Python error: Segmentation fault" in text
    assert "in get" in text.split("Fatal Python error: Segmentation fault", 1)[1][:600]
    assert tests["test_put_timeout_is_honoured_and_ignored_without_block"]["outcome"] == "passed"


@pytest.mark.slow
def test_installed_from_a_wheel_outside_the_clone(tmp_path):
    """The suite from a wheel in a fresh virtualenv, run from elsewhere: no pyproject.toml, no pytest-timeout
    backstop."""
    wheels, venv, outside = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    # Away from the clone: pip run there would take its egg-info for an installed copy.
    away = {
        "cwd": tmp_path,
        "env": {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "check": True,
        "capture_output": True,
    }
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO_ROOT)],
        timeout=300,
        **away,
    )
    subprocess.run([sys.executable, "-m", "venv", str(venv)], timeout=120, **away)
    python = str(venv / "bin" / "python")
    wheel = next(wheels.glob("ipc_conformance-*.whl"))
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheel), "pytest", "hypothesis", "pytest-timeout", "pytest-xdist"],
        timeout=600,
        **away,
    )
    # The fault, copied beside the run as a package of its own: the clone is not on the path.
    faults = outside / "tests" / "faults"
    faults.mkdir(parents=True)
    (outside / "tests" / "__init__.py").write_text("")
    (outside / "tests" / "concurrency").mkdir()
    (outside / "tests" / "concurrency" / "__init__.py").write_text("")
    shutil.copy(REPO_ROOT / "tests" / "concurrency" / "_base.py", outside / "tests" / "concurrency")
    for name in ("__init__.py", "get_holds_gil.py"):
        shutil.copy(REPO_ROOT / "tests" / "faults" / name, faults)
    env = environment(IPC_FAULT_HANG_STAMP=str(tmp_path / "hang"))
    env["PYTHONPATH"] = str(outside)
    found = subprocess.run(
        [python, "-c", "import conformance; print(conformance.__file__)"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert str(venv) in found and str(REPO_ROOT) not in found, found
    run = run_live([*AROUND_A_GET, "--ipc-adapter", "tests.faults.get_holds_gil:ADAPTER"], outside, env, python=python)
    assert run.returncode == 1, run.text
    assert "timeout: 900" not in run.text
    replaced = run.first("replacing crashed worker")
    assert replaced is not None and replaced - float((tmp_path / "hang").read_text()) < HANG_REPORTED_WITHIN, run.text
    assert "during get(False, 3.0)" in run.text and "in hold_the_gil_for_ever" in run.text
    assert re.search(r"\b1 failed, 2 passed\b", run.text)


# --- bounded exit ---------------------------------------------------------------------------


def test_a_child_leaked_by_validation_is_reaped_and_the_run_exits_soon_after_its_summary(tmp_path):
    run = run_live(
        [
            "--pyargs",
            "conformance.suite.test_queue",
            "-k",
            "documented_methods",
            "--ipc-adapter",
            "tests.faults.leaks_at_validation:ADAPTER",
            "--ipc-report",
            "r.json",
        ],
        tmp_path,
    )
    assert run.returncode == 0, run.text
    summary = run.summary()
    assert summary is not None and run.exited - summary < EXIT_WITHIN, run.text
    assert "processes left running at the end of the run" in run.text
    for where in ("controller", "gw0"):  # each process that validated the adapter leaked one
        assert f'[{where}] process "leaked by the adapter\'s validation"' in run.text
    leftovers = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["leftovers"]
    assert len(leftovers) == 2 and all("leaked by the adapter's validation" in text for text in leftovers)


def test_a_thread_that_never_ends_is_ended_by_the_watchdog_soon_after_the_summary(tmp_path):
    run = run_live(
        [
            "--pyargs",
            "conformance.suite.test_queue",
            "-k",
            "documented_methods",
            "--ipc-adapter",
            "tests.faults.thread_at_exit:ADAPTER",
        ],
        tmp_path,
    )
    summary = run.summary()
    assert summary is not None, run.text
    assert run.exited - summary < timing.EXIT_GRACE + EXIT_WITHIN / 2, run.text
    assert run.returncode == -signal.SIGKILL
    assert "was still running 5 s after the run's summary; it was killed" in run.text
    assert "Something kept the interpreter from exiting: a non-daemon thread" in run.text


# --- quiet failures --------------------------------------------------------------------------


@pytest.mark.parametrize("distribution", [[], ["-p", "no:xdist"]], ids=["xdist", "plain"])
def test_a_peers_fatal_error_report_is_in_the_failure_text_not_the_progress_output(tmp_path, distribution):
    run = run_live(
        [
            "--pyargs",
            "conformance.suite.test_queue",
            "-k",
            "get_blocks_until or consumers_in_two",
            "--ipc-adapter",
            "tests.faults.peer_aborts:ADAPTER",
            *distribution,
        ],
        tmp_path,
    )
    assert run.returncode == 1, run.text
    assert "2 failed" in run.text
    assert "Fatal Python error: Aborted" not in run.before("= FAILURES =")
    assert run.text.count("Fatal Python error: Aborted") >= 2  # once per failing test, in its failure text
    assert "the peer was killed by SIGABRT" in run.text and "what it printed:" in run.text
    assert "in get" in run.text.split("Fatal Python error: Aborted", 1)[1][:400]  # the thread that aborted, first


def test_a_lying_poll_is_graded_within_a_minute(tmp_path):
    run = run_live(
        [
            "--pyargs",
            "conformance.suite.test_pipe",
            "-k",
            "poll_answers_exactly or pipe_machine",
            "--ipc-adapter",
            "tests.faults.poll_lies:ADAPTER",
        ],
        tmp_path,
    )
    assert run.returncode == 1, run.text
    assert "ClauseViolation_PIPE_POLL_" in run.text
    graded = run.first("PIPE-POLL-")
    assert graded is not None and graded - run.started < HANG_REPORTED_WITHIN


# --- choosing pytest-xdist ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, uses_xdist",
    [
        ([], True),
        (["--ipc-watchdog", "off"], False),
        (["-p", "no:xdist"], False),
        (["-n", "0"], False),
    ],
)
def test_a_run_of_the_suite_uses_one_xdist_worker_unless_told_otherwise(tmp_path, args, uses_xdist):
    run = run_live(["--pyargs", "conformance.suite.test_queue", "-k", "documented_methods", *args], tmp_path)
    assert run.returncode == 0, run.text
    assert ("created: 1/1 worker" in run.text) is uses_xdist, run.text


# --- the parts -------------------------------------------------------------------------------


def test_heartbeat_reads_back_what_was_written(tmp_path):
    heart = heartbeat.Heartbeat(str(tmp_path / "beat"))
    assert heartbeat.read(heart.path).phase is Phase.OFF
    heart.operation("get()", 5.0)
    assert heartbeat.read(heart.path).phase is Phase.OFF, "no beat is written while nothing is watched"
    heart.test("t.py::test_x")
    before = time.monotonic()
    heart.operation("get()", 5.0)
    state = heartbeat.read(heart.path)
    assert (state.phase, state.test, state.what, state.doing()) == (Phase.OPERATION, "t.py::test_x", "get()", "get()")
    assert before + 5.0 + timing.WATCHDOG_SLACK <= state.due <= time.monotonic() + 5.0 + timing.WATCHDOG_SLACK
    heart.between()
    state = heartbeat.read(heart.path)
    assert state.phase is Phase.BETWEEN and state.doing().endswith("(after get())")
    heart.exiting(3.0)
    assert heartbeat.read(heart.path).phase is Phase.EXITING


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_beat_for_its_parent(tmp_path):
    heart = heartbeat.arm(str(tmp_path / "beat"))
    try:
        heart.test("t.py::test_x")
        heartbeat.beat("in the parent", 5.0)
        pid = os.fork()
        if pid == 0:  # the child: a beat here must not reach the parent's file
            heartbeat.beat("in the child", 5.0)
            os._exit(0)
        os.waitpid(pid, 0)
        assert heartbeat.read(heart.path).what == "in the parent"
    finally:
        heartbeat._heart = None


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_process_tree_lists_descendants_and_ends_them(tmp_path):
    script = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while len(proctree.descendants(child.pid)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # bounded poll for the grandchild to start
        found = [child.pid] + [p.pid for p in proctree.descendants(child.pid)]
        tree = [p for p in proctree.descendants(os.getpid()) if p.pid in found]
        assert len(tree) == 2 and tree[0].pid == child.pid
        proctree.end(tree, timing.REAP_GRACE)
        child.wait(10)
        assert not any(proctree.alive(p.pid) for p in tree)
    finally:
        child.kill()
        child.wait()
