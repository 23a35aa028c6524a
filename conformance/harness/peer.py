"""A peer: a second process that runs operations on a shared resource.

Where a clause is about two processes (the two ends of a pipe, a queue
shared by inheritance), the test drives the peer with commands.  Commands
are asynchronous: :meth:`Peer.submit` returns at once, so the test can, for
example, have the peer start a ``recv`` that drains a large message while
the test process sends it.  :meth:`Pending.result` waits with a deadline
and turns a hang, or the death of the peer, into an :class:`Outcome`.

The peer process is started with the adapter's ``context.Process`` and
talks over the context's ``Pipe``; it is always reaped (joined, then
terminated, then killed) by :meth:`Peer.stop`, also when a test fails.
"""

import time
from typing import Any, Callable, Dict, Iterable, Optional

from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import Outcome, short


def _recv_bytes_into(resource, size: int, offset: int):
    buffer = bytearray(size)
    count = resource.recv_bytes_into(buffer, offset)
    return count, bytes(buffer)


def _relay(resource, value, timeout: float):
    """Get a queue out of the resource queue and put ``value`` into it."""
    inner = resource.get(True, timeout)
    inner.put(value)


#: Operations a peer can run besides plain method calls on its resource.
SPECIAL_OPERATIONS: Dict[str, Callable[..., Any]] = {
    "recv_bytes_into": _recv_bytes_into,
    "relay": _relay,
}


def _serve(resource, control, close_in_child) -> None:
    """The peer's main loop: run each command, answer with its outcome."""
    for other in close_in_child:
        dispose(other)
    while True:
        try:
            command = control.recv()
        except (EOFError, OSError):
            return
        if command is None:
            return
        name, args, kwargs = command
        start = time.monotonic()
        try:
            special = SPECIAL_OPERATIONS.get(name)
            value = special(resource, *args, **kwargs) if special else getattr(resource, name)(*args, **kwargs)
            reply = ("ok", value)
        except BaseException as exc:  # report whatever the implementation raised
            reply = ("raise", exc)
        elapsed = time.monotonic() - start
        try:
            control.send((reply[0], reply[1], elapsed))
        except Exception as exc:  # e.g. an unpicklable value or exception
            control.send(("raise", RuntimeError(f"peer could not report {reply[1]!r}: {exc}"), elapsed))


class Pending:
    """A command the peer is running; :meth:`result` collects its outcome."""

    def __init__(self, peer: "Peer", what: str):
        self._peer = peer
        self.what = what
        self._outcome: Optional[Outcome] = None

    def ready(self, wait: float = 0.0) -> bool:
        """Whether the peer has answered, waiting up to ``wait`` seconds."""
        return self._outcome is not None or self._peer._control.poll(wait)

    def result(self, deadline: float = timing.OPERATION_DEADLINE) -> Outcome:
        if self._outcome is None:
            self._outcome = self._peer._collect(self.what, deadline)
        return self._outcome


class Peer:
    """A peer process holding ``resource``.

    ``close_in_child`` lists objects a forked child inherits but must not
    keep open, such as the test's own end of a pipe: while the child holds
    a copy of it, the test's ``close()`` could never produce EOF or a broken
    pipe on the other side.
    """

    def __init__(self, adapter, resource: Any, close_in_child: Iterable[Any] = ()):
        self._adapter = adapter
        self._control, child_control = adapter.context.Pipe()
        threads = adapter.has("thread_only")
        others = () if threads else tuple(close_in_child) + (self._control,)
        self._process = adapter.context.Process(
            target=_serve, args=(resource, child_control, others), name="ipc-conformance peer"
        )
        self._process.daemon = True
        self._busy: Optional[Pending] = None
        self._exiting = False
        try:
            self._process.start()
        finally:
            if not threads:
                dispose(child_control)

    def submit(self, name: str, *args: Any, **kwargs: Any) -> Pending:
        """Start ``resource.<name>(*args, **kwargs)`` in the peer; returns at once."""
        if self._busy is not None and self._busy._outcome is None:
            raise RuntimeError(f"peer is still running {self._busy.what}; collect its result first")
        shown = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
        what = f"peer {name}({', '.join(shown)})"
        self._control.send((name, args, kwargs))
        self._busy = Pending(self, what)
        return self._busy

    def run(self, name: str, *args: Any, deadline: float = timing.OPERATION_DEADLINE, **kwargs: Any) -> Outcome:
        """Run one command in the peer and wait for its outcome."""
        return self.submit(name, *args, **kwargs).result(deadline)

    def _collect(self, what: str, deadline: float) -> Outcome:
        start = time.monotonic()
        while not self._control.poll(min(0.1, deadline)):
            waited = time.monotonic() - start
            if not self._process.is_alive():
                return Outcome(what, error=ChildProcessError(f"peer died with exit code {self._process.exitcode}"), elapsed=waited)
            if waited >= deadline:
                return Outcome(what, elapsed=waited, hung=True)
        try:
            status, value, elapsed = self._control.recv()
        except (EOFError, OSError) as exc:
            return Outcome(what, error=ChildProcessError(f"peer died: {exc!r}"), elapsed=time.monotonic() - start)
        if status == "ok":
            return Outcome(what, value=value, elapsed=elapsed)
        return Outcome(what, error=value, elapsed=elapsed)

    def exit(self) -> None:
        """Ask the peer to return from its main loop and exit normally; returns at once.

        A normal exit runs the implementation's exit handlers, such as the
        stdlib Queue's flush of buffered data.
        """
        if self._exiting:
            return
        self._exiting = True
        try:
            self._control.send(None)
        except Exception:
            pass  # the peer may be dead already; stop() reaps it either way

    def exited(self, wait: float) -> bool:
        """Whether the peer process has ended, waiting up to ``wait`` seconds."""
        self._process.join(wait)
        return not self._process.is_alive()

    def stop(self) -> None:
        """Ask the peer to exit, then join, terminate and kill as needed.

        A peer still inside a command cannot read the request to exit, so it
        is terminated at once instead of after a grace period.
        """
        stuck = self._busy is not None and self._busy._outcome is None and not self._control.poll(0)
        self.exit()
        if stuck and self._process.is_alive():
            self._process.terminate()
        reap(self._process)
        dispose(self._control)

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def reap(process) -> None:
    """Join ``process``; terminate it, then kill it, if it does not exit in time."""
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
        close()
