"""A process's descendants, read from ``/proc``, and how to end them.

The watchdog kills a stopped test process with everything it started, and
the session's end reaps what a run left behind (a non-daemon child that an
adapter's validation leaked, say).  Neither can ask the processes: the
tree is read from ``/proc`` (Linux; elsewhere it is empty and nothing is
reaped).  ``multiprocessing``'s services (the resource tracker, the
forkserver's server) are left alone: they end by themselves when the
processes holding their pipes do, and the tracker then unlinks what those
leaked.

This module imports only the standard library: the supervisor imports it.
"""

import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

#: Command-line fragments of the services of ``multiprocessing`` and its forks (billiard, multiprocess, loky).
SERVICES = ("resource_tracker", "semaphore_tracker", "forkserver import main")


@dataclass(frozen=True)
class Process:
    pid: int
    command: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command})"


def _stat(pid: int) -> Optional[tuple[str, int]]:
    """The state letter and parent pid of ``pid``, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    fields = data[data.rfind(")") + 2 :].split()  # the command name, in parentheses, may hold spaces
    try:
        return fields[0], int(fields[1])
    except (IndexError, ValueError):
        return None


def command(pid: int, limit: int = 160) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            text = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (a zombie has ended; only its parent's wait is missing)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def stopped(pid: int) -> bool:
    """Whether ``pid`` is stopped (Ctrl-Z, a debugger): not running is then not its fault."""
    stat = _stat(pid)
    return stat is not None and stat[0] in ("T", "t")


def descendants(pid: int) -> list[Process]:
    """Every living descendant of ``pid``, parents before children; empty where there is no ``/proc``."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    children: dict[int, list[int]] = {}
    for name in names:
        if not name.isdigit():
            continue
        stat = _stat(int(name))
        if stat is not None and stat[0] not in ("Z", "X"):
            children.setdefault(stat[1], []).append(int(name))
    found, todo = [], list(children.get(pid, ()))
    while todo:
        child = todo.pop(0)
        found.append(Process(child, command(child)))
        todo.extend(children.get(child, ()))
    return found


def is_service(process: Process) -> bool:
    return any(marker in process.command for marker in SERVICES)


def signal_all(processes: Iterable[Process], signum: int) -> None:
    for process in processes:
        try:
            os.kill(process.pid, signum)
        except OSError:  # gone already
            pass


def end(processes: list[Process], grace: float) -> list[Process]:
    """Terminate ``processes``, then kill those still alive after ``grace`` seconds; returns those that were killed.

    The wait is a bounded poll of ``/proc`` (a process that is not our
    child gives no other signal of its end).
    """
    signal_all(processes, signal.SIGTERM)
    give_up = time.monotonic() + grace
    pause = 0.005
    while True:
        left = [p for p in processes if alive(p.pid)]
        if not left or time.monotonic() >= give_up:
            break
        time.sleep(pause)  # bounded poll, see the docstring
        pause = min(pause * 2, 0.1)
    signal_all(left, signal.SIGKILL)
    return left
