"""Launchers: how the suite runs a worker or a peer beside the test process, in the implementation's own way.

The suite needs other processes (or threads, or tasks) to share a primitive
with the test process.  It never asks the implementation to coordinate
them: every worker is told where the harness's own control channel is
(:mod:`conformance.harness.control`) and reports there.  What the
implementation supplies is only how to *run* a worker and how to *hand*
it the primitive under test:

* a :class:`Launcher` starts ``target(*args)`` and returns a
  :class:`Worker` handle: :class:`Processes` uses a context's ``Process``
  class (the stdlib's, billiard's, multiprocess's, loky's),
  :class:`Threads` uses threads of the test process, :class:`Tasks` runs
  coroutines on an asyncio event loop of its own.  Any other model (an
  executor, a dask worker, an actor) is a subclass implementing
  :meth:`Launcher.start`.
* a :class:`~conformance.harness.handoff.Handoff` turns the primitive into
  what travels in the launcher's arguments and back into the object the
  worker uses (:mod:`conformance.harness.handoff`).

The :class:`~conformance.adapter.Mode` of a launcher tells which clauses
its workers can judge: an exit that flushes a queue needs processes.
"""

import functools
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Callable, Optional

from conformance.adapter import Mode
from conformance.harness import worker
from conformance.harness.handoff import INHERIT, Handoff, Shared


class Worker:
    """A handle on one started worker; every method returns within its timeout."""

    def __init__(self, name: str):
        self.name = name

    def alive(self) -> bool:
        raise NotImplementedError

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the worker to end; whether it has."""
        raise NotImplementedError

    #: Whether :meth:`kill` can end the worker: a thread cannot be ended from outside.
    killable = True

    def kill(self) -> None:
        """End the worker now if its kind can be ended from outside; otherwise do nothing."""

    @property
    def exitcode(self) -> Optional[int]:
        """0 once it ended normally, another number if it failed or was killed, None while it runs."""
        raise NotImplementedError

    @property
    def pid(self) -> Optional[int]:
        """Its process id, when it is a process of its own."""
        return None

    @property
    def sentinel(self) -> Optional[int]:
        """A file descriptor that becomes readable when the worker's process ends (None: not a process)."""
        return None

    def release(self) -> None:
        """Let go of the handle's resources once the worker has ended."""


class Launcher:
    """Runs ``target(*args)`` as a worker of :attr:`mode`; subclass it for another process model."""

    mode: Mode = Mode.PROCESSES
    #: The start method its processes use, for the header and the report (None when not a process).
    start_method: Optional[str] = None
    handoff: Handoff = INHERIT

    def start(self, target: Callable[..., Any], args: tuple[Any, ...], name: str) -> Worker:
        raise NotImplementedError

    def children(self) -> list[Any]:
        """The processes of this launcher's kind still running (for the leak checks); none for threads and tasks."""
        return []

    def describe(self) -> str:
        return str(self.mode) if self.start_method is None else f"{self.mode} ({self.start_method})"


class _ProcessWorker(Worker):
    def __init__(self, name: str, process: Any):
        super().__init__(name)
        self.process = process

    def alive(self) -> bool:
        return self.process.is_alive()

    def join(self, timeout: float) -> bool:
        self.process.join(max(0.0, timeout))
        return not self.process.is_alive()

    def kill(self) -> None:
        if not self.process.is_alive():
            return
        kill = getattr(self.process, "kill", None)
        if kill is not None:
            kill()
        elif self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)

    @property
    def exitcode(self) -> Optional[int]:
        return self.process.exitcode

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid

    @property
    def sentinel(self) -> Optional[int]:
        return getattr(self.process, "sentinel", None)

    def release(self) -> None:
        if isinstance(self.process, _Ended) or self.process.is_alive():
            return
        exitcode = self.process.exitcode
        close = getattr(self.process, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # a Process class without a working close(): the handle is dropped anyway
                pass
        # A Process keeps its arguments, the primitive among them: let it go.
        self.process = _Ended(exitcode)


class _Ended:
    """What stays of a released process: its exit code."""

    def __init__(self, exitcode: Optional[int]):
        self.exitcode = exitcode
        self.pid = None
        self.sentinel = None

    def is_alive(self) -> bool:
        return False

    def join(self, timeout: Optional[float] = None) -> None:
        return None


@functools.cache
def _server_finds_this_harness() -> bool:
    """Whether a fresh interpreter, started as a forkserver's server is (same executable, flags, environment and
    directory), imports this copy of the module every process worker runs (:mod:`conformance.harness.worker`).

    Before CPython 3.12.8 and 3.13.1 (gh-117378) the server imports its
    preloaded modules with its own ``sys.path``, not this process's, so a
    copy of the suite found first there (a ``conformance/`` folder in the
    current directory under bare ``pytest``) would serve the workers.
    """
    probe = f"import importlib.util; print(importlib.util.find_spec({worker.__name__!r}).origin)"
    try:
        found = subprocess.run(
            [sys.executable, *subprocess._args_from_interpreter_flags(), "-c", probe],
            capture_output=True,
            text=True,
            timeout=worker.CONNECT_DEADLINE,
            check=True,
        ).stdout.strip()
        return os.path.samefile(found, worker.__file__)
    except (OSError, subprocess.SubprocessError):
        return False


class Processes(Launcher):
    """Workers are processes of ``context`` (its ``Process`` class), started as daemons.

    Under a forkserver, the server is asked to import the workers' module
    (its preload list becomes ``__main__`` and that module) before it starts,
    when it would import this very copy: every worker forked from it then
    starts with the harness imported, as under fork, instead of importing
    it anew.  The implementation's own modules are not preloaded: a worker
    imports them as it unpickles the primitive, as before.
    """

    mode = Mode.PROCESSES

    def __init__(self, context: Any, handoff: Handoff = INHERIT):
        self.context = context
        self.handoff = handoff
        method = getattr(context, "get_start_method", None)
        self.start_method = method() if method is not None else None
        self._preload = self.start_method == "forkserver" and hasattr(context, "set_forkserver_preload")

    def children(self) -> list[Any]:
        active = getattr(self.context, "active_children", None)
        return list(active()) if active is not None else []

    def start(self, target, args, name) -> Worker:
        if self._preload:
            # Before the first worker, which starts the server (a server already running keeps its preload list).
            self._preload = False
            if _server_finds_this_harness():
                self.context.set_forkserver_preload(["__main__", worker.__name__])
        process = self.context.Process(target=target, args=args, name=name)
        process.daemon = True
        process.start()
        return _ProcessWorker(name, process)


class _ThreadWorker(Worker):
    killable = False

    def __init__(self, name: str, target: Callable[..., Any], args: tuple[Any, ...]):
        super().__init__(name)
        self._code: Optional[int] = None

        def run():
            try:
                target(*args)
                self._code = 0
            except BaseException:  # the worker reports its own errors; this is only its exit code
                self._code = 1

        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float) -> bool:
        self.thread.join(max(0.0, timeout))
        return not self.thread.is_alive()

    @property
    def exitcode(self) -> Optional[int]:
        return None if self.thread.is_alive() else self._code


class Threads(Launcher):
    """Workers are daemon threads of the test process, sharing the primitive itself.

    A thread cannot be killed: one stuck in a call is abandoned (the
    primitive is closed under it where it can be).
    """

    mode = Mode.THREADS

    def __init__(self):
        self.handoff = Shared()

    def start(self, target, args, name) -> Worker:
        return _ThreadWorker(name, target, args)


class _TaskWorker(Worker):
    def __init__(self, name: str, future):
        super().__init__(name)
        self.future = future

    def alive(self) -> bool:
        return not self.future.done()

    def join(self, timeout: float) -> bool:
        import concurrent.futures

        concurrent.futures.wait([self.future], timeout=max(0.0, timeout))
        return self.future.done()

    def kill(self) -> None:
        self.future.cancel()

    @property
    def exitcode(self) -> Optional[int]:
        if not self.future.done():
            return None
        return 0 if not self.future.cancelled() and self.future.exception() is None else 1


class Tasks(Launcher):
    """Workers are asyncio tasks on one event loop, run by a daemon thread this launcher starts on first use.

    ``target`` must be a coroutine function.  A task stuck in a blocking
    call stalls the loop and every other task: that is a hang of the
    implementation, and the harness's deadlines report it.
    """

    mode = Mode.TASKS

    def __init__(self):
        self.handoff = Shared()
        self._lock = threading.Lock()
        self._loop = None

    @property
    def loop(self):
        import asyncio

        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="ipc-conformance tasks", daemon=True).start()
            return self._loop

    def start(self, target, args, name) -> Worker:
        import asyncio

        return _TaskWorker(name, asyncio.run_coroutine_threadsafe(target(*args), self.loop))


def _handed(handoff: Handoff, sent: tuple[Any, ...], target: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return target(*(handoff.receive(item) for item in sent), *args)


def start_with(
    launcher: Launcher, target: Callable[..., Any], resources: tuple[Any, ...], args: tuple[Any, ...], name: str
) -> Worker:
    """Start ``target(*resources, *args)`` as a worker, each resource handed over the launcher's way."""
    sent = tuple(launcher.handoff.send(resource) for resource in resources)
    return launcher.start(_handed, (launcher.handoff, sent, target, args), name)
