"""The watchdog's process: it watches one test process's heartbeat and kills the process once it has stopped.

Run as ``python -m conformance.harness.supervisor --pid PID --dir DIR
--name NAME`` by the watchdog plugin (:mod:`conformance.watchdog`), one per
test process.  It polls the process's heartbeat
(:mod:`conformance.harness.heartbeat`) every :data:`timing.WATCHDOG_POLL`
seconds, a bounded poll rather than synchronisation: the beat tells by
when the process must have moved on, and a process that stopped stops
beating.  Once a beat is overdue (and the process is not merely stopped,
by Ctrl-Z or a debugger) it

1. asks the process for every thread's Python traceback: the plugin has
   registered ``faulthandler`` for ``SIGUSR2``, whose handler runs in C and
   works even while another thread holds the GIL; it waits for the dump
   (bounded, :data:`timing.DUMP_WAIT`);
2. stops the process, takes a snapshot of its descendants, and writes a
   :class:`Finding` (what the process was doing, for how long, the
   tracebacks, what it kills) to ``DIR/NAME.finding.json``, where the
   pytest-xdist controller reads it into the crashed test's report;
3. with ``--announce`` (a run without xdist: nobody else will say it)
   prints the finding to its error output, the terminal; with
   ``--report PATH`` also writes it into the JSON report, in place of the
   report's "the test process died" text;
4. kills the process and the snapshot of its descendants (not
   ``multiprocessing``'s resource tracker and forkserver: they end by
   themselves, and the tracker cleans up after the killed processes).

It ends when its test process ends, by itself or killed.  With ``--owner``
it then removes ``DIR``.  It imports only the standard library and the
harness's light modules, and ignores Ctrl-C (its test process decides
what an interrupt means).
"""

import argparse
import enum
import json
import os
import select
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Optional

from conformance.harness import heartbeat, proctree, timing
from conformance.harness.heartbeat import Phase


@dataclass(frozen=True)
class Files:
    """Where one watched process's heartbeat, dumps and finding live."""

    directory: str
    name: str

    def _path(self, suffix: str) -> str:
        return os.path.join(self.directory, f"{self.name}.{suffix}")

    @property
    def beat(self) -> str:
        return self._path("beat")

    @property
    def tracebacks(self) -> str:
        """Where ``faulthandler`` writes every thread's traceback on ``SIGUSR2``."""
        return self._path("tracebacks")

    @property
    def fatal(self) -> str:
        """Where ``faulthandler`` writes its report of a fatal error (a pytest-xdist worker's segfault, abort)."""
        return self._path("fatal")

    @property
    def finding(self) -> str:
        return self._path("finding.json")


class Verdict(str, enum.Enum):
    """Why the watchdog killed a test process."""

    #: A beat was overdue during the run: the process made no progress.
    HUNG = "hung"
    #: The process was still alive :data:`timing.EXIT_GRACE` after the run's summary.
    STUCK_AT_EXIT = "stuck at exit"


@dataclass
class Finding:
    """What the watchdog saw and did."""

    verdict: Verdict
    pid: int
    test: str
    doing: str
    phase: str
    stalled: float
    tracebacks: str
    killed: list[str] = field(default_factory=list)

    def headline(self) -> str:
        if self.verdict is Verdict.STUCK_AT_EXIT:
            return (
                f"ipc-conformance watchdog: the test process (pid {self.pid}) was still running "
                f"{self.stalled:.0f} s after the run's summary; it was killed"
            )
        where = f"after {self.test}" if self.phase == Phase.IDLE.name else f"in {self.test}"
        return (
            f"ipc-conformance watchdog: the test process made no progress for {self.stalled:.0f} s "
            f"during {self.doing} {where}; it was killed"
        )

    def text(self) -> str:
        if self.verdict is Verdict.STUCK_AT_EXIT:
            why = (
                "Something kept the interpreter from exiting: a non-daemon thread, or an exit handler that waits "
                "(multiprocessing joins its non-daemon children at exit)."
            )
        else:
            why = (
                "Its deadline had passed by more than the watchdog's slack, so the harness's own deadline could not "
                "fire: the process was stopped as a whole (a call holding the GIL, a deadlock in C) and is "
                "graded as a failure of the running test."
            )
        lines = [self.headline() + ".", why]
        if self.killed:
            lines.append("Killed with it, the processes it had started: " + "; ".join(self.killed))
        lines += [
            "",
            "Python traceback of every thread of the test process (faulthandler):",
            self.tracebacks or "(none: the process did not answer SIGUSR2)",
        ]
        return "\n".join(lines)

    def save(self, path: str) -> None:
        record = asdict(self)
        record.update(verdict=self.verdict.value, text=self.text())
        partial = f"{path}.tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(partial, path)


def load_finding(path: str) -> Optional[dict]:
    """A finding the supervisor saved, or None."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def dump_tracebacks(pid: int, path: str) -> str:
    """Every thread's traceback, written by the process's ``faulthandler`` on ``SIGUSR2``; empty if none came.

    The wait is a bounded poll of the file's size: the dump has come once
    it has grown and stopped growing.
    """
    before = _size(path)
    try:
        os.kill(pid, signal.SIGUSR2)
    except OSError:
        return ""
    give_up = time.monotonic() + timing.DUMP_WAIT
    last = before
    while time.monotonic() < give_up:
        time.sleep(0.05)  # bounded poll, see the docstring
        size = _size(path)
        if size > before and size == last:
            break
        last = size
    try:
        with open(path, "rb") as handle:
            handle.seek(before)
            return handle.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def amend_report(path: str, text: str) -> None:
    """Put ``text`` in the JSON report in place of the provisional failure of the running test."""
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError):
        return
    replaced = {}
    for test in report.get("tests", []):
        for failure in test.get("failures", []):
            if failure.get("when") == "running":
                replaced[(test.get("nodeid"), failure.get("text"))] = True
                failure["text"] = text
    for clause in report.get("clauses", []):
        for failure in clause.get("failures", []):
            if (failure.get("test"), failure.get("text")) in replaced:
                failure["text"] = text
    report["watchdog"] = text
    partial = f"{path}.watchdog.tmp"
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, ensure_ascii=False)
        os.replace(partial, path)
    except OSError:
        pass


class Parent:
    """The watched process: waits for its end with a pidfd where there is one, else by polling the parent pid."""

    def __init__(self, pid: int):
        self.pid = pid
        self._fd = None
        if hasattr(os, "pidfd_open"):
            try:
                self._fd = os.pidfd_open(pid)
            except OSError:
                self._fd = None

    def gone(self) -> bool:
        return os.getppid() != self.pid or not proctree.alive(self.pid)

    def wait(self, timeout: float) -> bool:
        """Whether the process has ended, waiting up to ``timeout`` seconds for it to."""
        if self._fd is not None:
            return bool(select.select([self._fd], [], [], timeout)[0]) or self.gone()
        if self.gone():
            return True
        time.sleep(timeout)  # no pidfd: a bounded poll of the parent pid
        return self.gone()


def kill(pid: int, tree: list[proctree.Process]) -> None:
    proctree.signal_all([proctree.Process(pid, "")] + tree, signal.SIGKILL)


def judge(state: heartbeat.State, files: Files, pid: int) -> tuple[Finding, list[proctree.Process]]:
    """Dump the stopped process's tracebacks, stop it and take its tree: what the watchdog saw, and whom to kill."""
    stalled = time.monotonic() - state.since
    tracebacks = dump_tracebacks(pid, files.tracebacks)
    try:
        os.kill(pid, signal.SIGSTOP)  # no new children between the snapshot and the kill
    except OSError:
        pass
    mine = os.getpid()
    tree = [p for p in proctree.descendants(pid) if p.pid != mine and not proctree.is_service(p)]
    verdict = Verdict.STUCK_AT_EXIT if state.phase is Phase.EXITING else Verdict.HUNG
    finding = Finding(
        verdict,
        pid,
        state.test or "(no test yet)",
        state.doing(),
        state.phase.name,
        stalled,
        tracebacks,
        [p.describe() for p in tree],
    )
    return finding, tree


def say(text: str) -> None:
    try:
        sys.stderr.write("\n" + text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def watch(pid: int, files: Files, announce: bool, report: Optional[str]) -> Optional[Finding]:
    """Watch ``pid`` until it ends; the finding if the watchdog had to kill it."""
    parent = Parent(pid)
    view = None
    #: A process that was stopped (Ctrl-Z, a debugger) or not run (the host stalled: this poll overslept) is
    #: given the slack again before it is judged: its beats were due while it could not make them.
    reprieve = 0.0
    asked = time.monotonic()
    while not parent.wait(timing.WATCHDOG_POLL):
        now = time.monotonic()
        if now - asked > timing.WATCHDOG_POLL + timing.NOTICE_LATE or proctree.stopped(pid):
            reprieve = now + timing.WATCHDOG_SLACK
        asked = now
        if view is None:
            view = _open(files.beat)
            if view is None:
                continue
        state = heartbeat.read(files.beat, view)
        if state is None or not state.armed or now <= max(state.due, reprieve):
            continue
        finding, tree = judge(state, files, pid)
        finding.save(files.finding)
        if announce or finding.verdict is Verdict.STUCK_AT_EXIT:
            say(finding.text())
        if report and finding.verdict is Verdict.HUNG:
            amend_report(report, finding.text())
        kill(pid, tree)
        parent.wait(timing.DUMP_WAIT)
        return finding
    return None


def _open(path: str):
    import mmap

    try:
        with open(path, "rb") as handle:
            return mmap.mmap(handle.fileno(), heartbeat.SIZE, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.harness.supervisor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--pid", type=int, required=True, help="the test process to watch (this process's parent)")
    parser.add_argument("--dir", required=True, help="the directory of the heartbeat, dumps and findings")
    parser.add_argument("--name", required=True, help="the watched process's name in that directory")
    parser.add_argument(
        "--announce", action="store_true", help="print a finding to the error output (no xdist controller will)"
    )
    parser.add_argument("--report", default=None, help="the JSON report to write a finding into")
    parser.add_argument("--owner", action="store_true", help="remove the directory once the test process has ended")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        watch(args.pid, Files(args.dir, args.name), args.announce, args.report)
    finally:
        if args.owner:
            shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
