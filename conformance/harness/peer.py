"""A peer: a worker beside the test process that runs operations on a shared primitive, one command at a time.

Where a clause is about two processes (the two ends of a pipe, a queue
shared between producers), the test drives the peer with commands.  The
peer is started by the adapter's launcher (a process of the
implementation's own ``Process`` class, a thread, a task) and handed the
primitive its way; it talks to the test process only over the harness's
own channel (:mod:`conformance.harness.control`).  Commands are
asynchronous: :meth:`Peer.submit` returns at once, so the test can, for
example, have the peer start a ``recv`` that drains a large message while
the test process sends it.  :meth:`Pending.result` waits with a deadline
and turns a hang, or the death of the peer, into an :class:`Outcome`; a
peer that died says how, with what it printed.

:meth:`Peer.stop` always ends the peer (asks it to exit, then kills a
process that does not), also when a test fails.
"""

import signal
import time
import uuid
from collections.abc import Iterable
from typing import Any, Optional

from conformance.adapter import Mode
from conformance.harness import heartbeat, timing
from conformance.harness.control import Listener, remove, tail, unique
from conformance.harness.deadline import Outcome, patience, short
from conformance.harness.task_worker import main_async
from conformance.harness.worker import CONNECT_DEADLINE, Message, Order, main, taken


class PeerError(Exception):
    """A peer could not be started, or stopped answering the harness itself."""


class Enlisted:
    """A worker started with the harness's control plane: its handle, token and captured output."""

    def __init__(
        self,
        adapter,
        listener: Listener,
        resources: tuple[Any, ...],
        name: str,
        close_in_child: Iterable[Any] = (),
        order: Optional[Order] = None,
    ):
        launcher = adapter.launcher
        self.token = uuid.uuid4().hex
        processes = launcher.mode is Mode.PROCESSES
        self.capture = unique("capture") if processes else None
        # A forked child inherits the test process's copies (of the other end of a pipe, say) and must close
        # them, or closing them here could never reach the peer; a thread or task shares them and must not.
        closing = tuple(close_in_child) if processes and not launcher.handoff.shared else ()
        sent = tuple(launcher.handoff.send(r) for r in resources + closing)
        target = main_async if launcher.mode is Mode.TASKS else main
        # Only a worker that shares the test process's objects can be handed a socket: a launcher that pickles its
        # arguments (dask's, whose tasks run in threads of this process) gets the listener's address.
        endpoint = listener.endpoint(self.token, here=launcher.handoff.shared)
        self.worker = launcher.start(
            target, (endpoint, self.token, launcher.handoff, sent, self.capture, len(closing), order), name
        )

    def ending(self) -> str:
        """How the worker ended: killed by which signal, or its exit code."""
        code = self.worker.exitcode
        if code is not None and code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with code {code}"

    def printed(self) -> str:
        """What the worker printed (its error output, a fatal-error report), captured instead of shown on the
        terminal: its beginning (where a fatal-error report names the error and the thread that died) and its end."""
        return excerpt(self.capture)

    def death(self) -> str:
        """How the worker ended, with the end of what it printed."""
        printed = self.printed()
        return self.ending() + (f"; its output:\n{printed}" if printed else "")

    def died(self, what: str, elapsed: float, gone: str = "") -> Outcome:
        """The outcome of a command the worker was running when it died, with what it printed in full."""
        return Outcome(
            what, error=ChildProcessError(f"the peer {gone}{self.ending()}"), elapsed=elapsed, printed=self.printed()
        )

    def release(self) -> None:
        self.worker.release()
        remove([self.capture])


#: How much of a worker's captured output a failure shows: its beginning and its end.
HEAD, TAIL = 6000, 2000


def excerpt(path) -> str:
    """The beginning and the end of a captured output file (empty if there is none)."""
    whole = tail(path, HEAD + TAIL)
    if not whole.startswith("..."):
        return whole
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD).decode("utf-8", "replace").rstrip()
    except OSError:
        return whole
    return f"{head}\n...\n{tail(path, TAIL)[3:]}"


def reap_worker(worker) -> None:
    """Wait for ``worker`` to end; kill it if it does not in time (a thread cannot be killed: it is left behind)."""
    if not worker.join(timing.JOIN_GRACE) and worker.killable:
        worker.kill()
        worker.join(timing.JOIN_GRACE)
    worker.release()


class Pending:
    """A command the peer is running; :meth:`result` collects its outcome."""

    def __init__(self, peer: "Peer", what: str):
        self._peer = peer
        self.what = what
        self._outcome: Optional[Outcome] = None

    def ready(self, wait: float = 0.0) -> bool:
        """Whether the peer has answered, waiting up to ``wait`` seconds."""
        return self._outcome is not None or self._peer._channel.ready(wait)

    def result(self, deadline: float = timing.OPERATION_DEADLINE) -> Outcome:
        if self._outcome is None:
            self._outcome = self._peer._collect(self.what, deadline)
        return self._outcome


class Peer:
    """A peer holding ``resource``.

    ``close_in_child`` lists objects a forked child inherits but must not
    keep open, such as the test's own end of a pipe: while the child holds
    a copy of it, the test's ``close()`` could never produce EOF or a broken
    pipe on the other side.
    """

    def __init__(self, adapter, resource: Any, close_in_child: Iterable[Any] = ()):
        self._busy: Optional[Pending] = None
        self._exiting = False
        listener = Listener()
        try:
            heartbeat.beat("starting a peer", CONNECT_DEADLINE)  # the watchdog's
            self._enlisted = Enlisted(adapter, listener, (resource,), "ipc-conformance peer", close_in_child)
            self._worker = self._enlisted.worker
            self._channel = listener.accept(self._enlisted.token, CONNECT_DEADLINE, self._worker.alive)
        finally:
            heartbeat.rest()
            listener.close()
        if self._channel is None:
            alive = self._worker.alive()
            reap_worker(self._worker)
            if alive:
                raise PeerError(f"the peer did not connect to the harness within {CONNECT_DEADLINE:.0f}s")
            raise PeerError(f"the peer {self._enlisted.death()} before it connected to the harness")

    def submit(self, name: str, *args: Any, **kwargs: Any) -> Pending:
        """Start ``resource.<name>(*args, **kwargs)`` in the peer; returns at once."""
        if self._busy is not None and self._busy._outcome is None:
            raise RuntimeError(f"peer is still running {self._busy.what}; collect its result first")
        shown = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
        what = f"peer {name}({', '.join(shown)})"
        self._busy = Pending(self, what)
        try:
            self._channel.send((Message.CALL, name, args, kwargs))
        except OSError as exc:
            self._busy._outcome = self._enlisted.died(what, 0.0, gone=f"is gone ({exc}); it ")
        return self._busy

    def run(self, name: str, *args: Any, deadline: float = timing.OPERATION_DEADLINE, **kwargs: Any) -> Outcome:
        """Run one command in the peer and wait for its outcome."""
        return self.submit(name, *args, **kwargs).result(deadline)

    def ping(self) -> None:
        """Make sure the peer is up and serving (so that a command after this one is the only thing it runs)."""
        self._channel.send((Message.PING,))
        outcome = self._collect("peer ping", timing.OPERATION_DEADLINE)
        if not outcome.ok:
            raise PeerError(f"the peer did not answer the harness: {outcome.describe()}")

    def _collect(self, what: str, deadline: float) -> Outcome:
        deadline = patience(deadline)
        heartbeat.beat(what, deadline + timing.IMMEDIATE)  # the watchdog's
        try:
            return self._wait_for(what, deadline)
        finally:
            heartbeat.rest()

    def _wait_for(self, what: str, deadline: float) -> Outcome:
        start = time.monotonic()
        while True:
            waited = time.monotonic() - start
            if waited >= deadline:
                return Outcome(what, elapsed=waited, hung=True)
            try:
                _, status, value, elapsed = self._channel.recv(min(0.1, deadline - waited))
            except TimeoutError:
                if not self._worker.alive():
                    return self._enlisted.died(what, waited)
                continue
            except (EOFError, OSError):
                self._worker.join(timing.IMMEDIATE)
                return self._enlisted.died(what, time.monotonic() - start)
            if status.endswith(" local"):
                status, value = status.split()[0], taken(value)
            if status == "ok":
                return Outcome(what, value=value, elapsed=elapsed)
            return Outcome(what, error=value, elapsed=elapsed)

    def exit(self) -> None:
        """Ask the peer to return from its main loop and end normally; returns at once.

        A process that ends normally runs the implementation's exit
        handlers, such as the stdlib Queue's flush of buffered data.
        """
        if self._exiting:
            return
        self._exiting = True
        try:
            self._channel.send((Message.EXIT,))
        except OSError:
            pass  # the peer is gone already; stop() reaps it either way

    def exited(self, wait: float) -> bool:
        """Whether the peer has ended, waiting up to ``wait`` seconds."""
        return self._worker.join(wait)

    def stop(self) -> None:
        """Ask the peer to exit, then wait, then kill it if it is a process that does not.

        A peer still inside a command cannot read the request to exit, so it
        is killed at once instead of after a grace period.
        """
        stuck = self._busy is not None and self._busy._outcome is None and not self._channel.ready(0)
        self.exit()
        if stuck:
            self._worker.kill()
        reap_worker(self._worker)
        self._channel.close()
        remove([self._enlisted.capture])

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def reap(process) -> None:
    """Join a ``multiprocessing``-style process; terminate it, then kill it, if it does not exit in time."""
    process.join(timing.JOIN_GRACE)
    for escalate in ("terminate", "kill"):
        if not process.is_alive():
            break
        action = getattr(process, escalate, None)
        if action is not None:
            action()
        process.join(timing.JOIN_GRACE)
    close = getattr(process, "close", None)
    if close is not None and not process.is_alive():
        try:
            close()
        except Exception:
            # close() only frees the Process object's own resources, and it is the implementation's code
            # (loky's Popen has no close()): a failure there must not end the cleanup of the rest.
            pass
