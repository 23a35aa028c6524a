"""Progress lines during a long run of the suite, and the executions of each test in the summary.

A thorough run spends many minutes in a single test, and pytest prints
nothing until the test ends.  While a suite test runs, a status line is
printed every ``--ipc-progress SECONDS`` (``IPC_CONFORMANCE_PROGRESS``;
default :data:`DEFAULT_INTERVAL`, ``0`` for none), under ``-q`` too::

    ipc-conformance progress: 2m30s elapsed, 31 tests done, 0 failed; test_concurrency.py::test_queue_scenarios
    running for 1m05s: 812 executions (12.5/s), 6301 checks

*Executions* are what a test repeats: the executions of a concurrency
scenario (:mod:`conformance.scenarios.runner`) and the steps of a state
machine (:func:`conformance.machines.base.step`), counted in the test's
evidence ledger (:class:`conformance.evidence.Ledger`); *checks* are the
clause checks recorded.  The terminal summary lists the executions and
checks of every suite test that had executions.

Under pytest-xdist (the suite's default ``-n 1``, see
:mod:`conformance.watchdog`) the worker running a test writes its test's
figures to a file at most every second, and the controller, which prints
the run's output, reads them and prints the line (the worker writes as it
counts, from the test's thread: it runs no thread of its own, which would
show in every traceback dump the watchdog takes); without xdist the test
process prints it itself, from a thread, on the terminal pytest had before
it captured the test's output.
"""

import json
import os
import shutil
import tempfile
import threading
import time
from typing import Optional

import pytest

from conformance import evidence, scope

ENV_VAR = "IPC_CONFORMANCE_PROGRESS"
#: Seconds between two progress lines, unless chosen.
DEFAULT_INTERVAL = 20.0
#: How often a worker writes its test's figures.
WRITE_EVERY = 1.0
#: The option that hands a worker the controller's progress directory.
WORKER_KEY = "ipc_progress_dir"


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance")
    group.addoption(
        "--ipc-progress",
        default=None,
        metavar="SECONDS",
        help=f"print a status line (test, executions, rate, elapsed time, failures) every SECONDS while a suite test "
        f"runs; 0 for none (env {ENV_VAR}; default {DEFAULT_INTERVAL:.0f})",
    )


def interval(config) -> float:
    """The seconds between progress lines (0: none); a value that is not a number of seconds is a usage error."""
    given = config.getoption("--ipc-progress", None)
    raw, source = (given, "--ipc-progress ") if given is not None else (os.environ.get(ENV_VAR), f"{ENV_VAR}=")
    if raw is None or raw == "":
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise pytest.UsageError(
            f"ipc-conformance: {source}{raw!r} is not a number of seconds; give for example 30, "
            "or 0 for no progress lines"
        )
    return value


def shown(item) -> str:
    """``module::test[params]``: short, and the same from a clone or an installed copy."""
    module = getattr(item, "module", None)
    return f"{module.__name__}::{item.name}" if module is not None else item.nodeid


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def status_line(elapsed: float, done: int, failed: int, running: Optional[dict], now: float) -> str:
    """The status line: the run's elapsed time and counts, and the running test's figures."""
    line = f"ipc-conformance progress: {_duration(elapsed)} elapsed, {done} tests done, {failed} failed"
    if running:
        took = max(now - running["started"], 1e-9)
        executions = running["executions"]
        line += (
            f"; {running['test']} running for {_duration(took)}: {executions} executions "
            f"({executions / took:.1f}/s), {running['checks']} checks"
        )
    return line


class Progress:
    """One process's share: the test process records its running test; the printing process prints the lines."""

    def __init__(self, config, every: float):
        self.config = config
        self.every = every
        self.worker = hasattr(config, "workerinput")
        self.distributed = not self.worker and config.getoption("dist", "no") != "no"
        self.started = time.monotonic()
        self.done = 0
        self.failed = 0
        #: Per suite test reported: (executions, checks, seconds).
        self.executions: dict[str, tuple] = {}
        #: The running test in this process: its node id, start and ledger.
        self.running: Optional[tuple] = None
        self._directory: Optional[str] = getattr(config, "workerinput", {}).get(WORKER_KEY)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._terminal_fd: Optional[int] = None
        self._printed_at: Optional[int] = None
        self._written = 0.0

    # --- where the figures are -------------------------------------------------------------

    @property
    def directory(self) -> str:
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="ipc-progress-")
        return self._directory

    def _snapshot(self) -> Optional[dict]:
        running = self.running
        if running is None:
            return None
        nodeid, started, ledger = running
        return {"test": nodeid, "started": started, "executions": ledger.executions, "checks": ledger.checks_run}

    def _workers_running(self) -> Optional[dict]:
        """The test a worker runs (the one that started last), from the files the workers write."""
        found = None
        try:
            names = os.listdir(self.directory)
        except OSError:
            return None
        for name in names:
            try:
                with open(os.path.join(self.directory, name), encoding="utf-8") as handle:
                    record = json.load(handle)
            except (OSError, ValueError):
                continue
            if record and (found is None or record["started"] > found["started"]):
                found = record
        return found

    # --- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        if self.every <= 0 or self._thread is not None:
            return
        if self.worker:
            # No thread in a worker (it would show in every traceback dump of the test process): the figures are
            # written as executions are counted, at most every WRITE_EVERY seconds.
            evidence.listener = self._executed
            return
        if not self.worker and not self.distributed:
            # Pytest captures a test's output at the file descriptors; the lines go to the terminal it had before.
            try:
                self._terminal_fd = os.dup(1)
            except OSError:
                return
        self._thread = threading.Thread(target=self._loop, name="ipc-conformance-progress", daemon=True)
        self._thread.start()

    def _executed(self, ledger) -> None:
        now = time.monotonic()
        if now - self._written >= WRITE_EVERY:
            self._written = now
            try:
                self._write()
            except OSError:
                pass

    def _loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(min(1.0, self.every)):
            try:
                now = time.monotonic()
                if now - last < self.every:
                    continue
                running = self._workers_running() if self.distributed else self._snapshot()
                if running is None:
                    continue
                last = now
                self._print(status_line(now - self.started, self.done, self.failed, running, now))
            except Exception:  # never let the progress thread disturb a run
                continue

    def _write(self) -> None:
        record = self._snapshot()
        path = os.path.join(self.directory, f"{self.config.workerinput['workerid']}.json")
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(temporary, path)

    def _print(self, line: str) -> None:
        if self._terminal_fd is not None:
            os.write(self._terminal_fd, f"\n{line}\n".encode())
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            if self._printed_at != self.done:
                reporter.write("\n")  # after the progress dots of -q, on a line of its own
            reporter.write_line(line)
            self._printed_at = self.done

    def stop(self) -> None:
        if evidence.listener == self._executed:
            evidence.listener = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        if self.worker and self._directory is not None:
            try:
                self._write()
            except OSError:
                pass
        if self._terminal_fd is not None:
            os.close(self._terminal_fd)
            self._terminal_fd = None

    # --- hooks -----------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[WORKER_KEY] = self.directory

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        if scope.is_suite_item(item):
            self.running = (shown(item), time.monotonic(), evidence.current())
            if self.worker and self.every > 0:
                self._executed(None)
        try:
            yield
        finally:
            was, self.running = self.running, None
            if was is not None and self.worker and self.every > 0:
                self._written = 0.0
                self._executed(None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if call.when == "call" and scope.is_suite_item(item):
            ledger = evidence.current()
            report = outcome.get_result()
            report.ipc_executions = [ledger.executions, ledger.checks_run, call.duration, shown(item)]

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed += 1
        if report.when == "teardown":
            self.done += 1
        figures = getattr(report, "ipc_executions", None)
        if figures is not None:
            self.executions[report.nodeid] = tuple(figures)

    def pytest_sessionfinish(self, session):
        self.stop()

    def pytest_unconfigure(self, config):
        self.stop()
        if not self.worker and self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter):
        busy = [figures for figures in self.executions.values() if figures[0]]
        if not busy:
            return
        terminalreporter.write_sep("-", "ipc-conformance: executions per test")
        for executions, checks, seconds, nodeid in sorted(busy, key=lambda figures: -figures[0]):
            rate = executions / seconds if seconds else 0.0
            terminalreporter.write_line(
                f"{executions:>7} executions ({rate:.1f}/s), {checks:>8} checks, {seconds:6.1f}s  {nodeid}"
            )


def start(config) -> None:
    """Register this run's progress plugin (the suite has been configured: see :func:`conformance.plugin.suite`)."""
    if config.pluginmanager.get_plugin("ipc-conformance-progress") is not None:
        return
    progress = Progress(config, interval(config))
    config.pluginmanager.register(progress, "ipc-conformance-progress")
    progress.start()
