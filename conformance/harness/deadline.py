"""Calls with deadlines, and bounded polling.

:func:`call` runs one operation of the implementation under test in a
helper thread and waits for it with a deadline, so a hang becomes an
ordinary :class:`Outcome` (``hung=True``) that the caller grades against a
clause, inside the Hypothesis example, instead of a stuck test.
"""

import os
import queue
import sys
import threading
import time
from collections.abc import Hashable
from typing import Any, Callable, NamedTuple, Optional

from conformance.harness import heartbeat, timing


class CallKind(NamedTuple):
    """What a call is, so that a hang of it that failed the test is recognised in the candidates Hypothesis shrinks.

    ``call`` names the call (a :class:`~conformance.primitives.QueueCall` form, a worker's operation), ``wait``
    is how long a call of this kind is waited for once one has hung in the failure being shrunk: its own timeout
    plus a short lateness, chosen by the caller.
    """

    call: Hashable
    wait: float


class Outcome:
    """What one call did: returned ``value``, raised ``error``, or never returned.

    ``printed`` is what a worker that died printed (its fatal-error report,
    say), shown whole after the one-line outcome; ``kind`` what the call
    was, when its caller said (see :func:`patience`).  (A plain class, not a
    dataclass: every process worker imports this module, and a spawned one
    would import :mod:`dataclasses`, and :mod:`inspect` with it, only for it.)
    """

    __slots__ = ("what", "value", "error", "elapsed", "hung", "printed", "kind")

    def __init__(
        self,
        what: str,
        value: Any = None,
        error: Optional[BaseException] = None,
        elapsed: float = 0.0,
        hung: bool = False,
        printed: str = "",
        kind: Optional[CallKind] = None,
    ):
        self.what = what
        self.value = value
        self.error = error
        self.elapsed = elapsed
        self.hung = hung
        self.printed = printed
        self.kind = kind

    def __repr__(self) -> str:
        return f"Outcome({', '.join(f'{name}={getattr(self, name)!r}' for name in self.__slots__)})"

    @property
    def ok(self) -> bool:
        return not self.hung and self.error is None

    def describe(self) -> str:
        if self.hung:
            text = f"{self.what} did not return within {self.elapsed:.2f}s"
        elif self.error is not None:
            text = (
                f"{self.what} raised {qualified_name(type(self.error))}({short(self.error)}) after {self.elapsed:.3f}s"
            )
        else:
            text = f"{self.what} returned {short(self.value)} after {self.elapsed:.3f}s"
        if self.printed:
            text += "\n  what it printed:\n" + "\n".join("    " + line for line in self.printed.splitlines())
        return text


def qualified_name(kind: type) -> str:
    """An exception class's name with its module (``queue.Empty``, ``persistqueue.exceptions.Empty``);
    builtins by name alone, and a private module by the public one that re-exports the class."""
    module = kind.__module__
    if module == "builtins":
        return kind.__qualname__
    if module.startswith("_") and getattr(sys.modules.get(module[1:]), kind.__qualname__, None) is kind:
        module = module[1:]
    return f"{module}.{kind.__qualname__}"


def short(value: Any, limit: int = 80) -> str:
    """A one-line, bounded repr for messages (large payloads as their size)."""
    if isinstance(value, BaseException):
        text = ", ".join(short(a, limit) for a in value.args)
    elif isinstance(value, (bytes, bytearray)) and len(value) > 16:
        text = f"<{len(value)} bytes {bytes(value[:8])!r}...>"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _CallThread:
    """A daemon thread that runs the calls handed to it, one at a time.

    Each calling thread reuses one (a handoff costs far less than starting
    a thread per call).  A call that hangs takes its thread with it: the
    caller abandons that thread and the next call starts another.
    """

    def __init__(self):
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        #: A forked child inherits this object but not the thread: it must start its own.
        self.pid = os.getpid()
        threading.Thread(target=self._serve, name="ipc-conformance: calls", daemon=True).start()

    def _serve(self) -> None:
        while True:
            job = self.jobs.get()
            job()
            del job


_threads = threading.local()


def patience(deadline: float, shrinking: bool = True, kind: Optional[CallKind] = None) -> float:
    """``deadline``, or :data:`timing.SHRINK_WAIT` while Hypothesis shrinks a failure of the running test.

    Every wait of the suite goes through here: once a test has failed,
    the candidates Hypothesis tries while shrinking wait only so long for
    what should come at once; its final replay waits the full deadline.
    A call of a ``kind`` whose hang failed the test (``Ledger.hung_kinds``)
    waits only ``kind.wait`` then: the candidates that reproduce the
    failure hang there, and each would otherwise pay the whole cut wait
    (hundreds of candidates for a state machine).
    Once a tolerated hang has recurred in the test (``Ledger.hurried``), it
    waits :data:`timing.HURRIED_WAIT`: the known hang is not paid for again.
    A crew's workers are not hurried while shrinking (``shrinking=False``):
    a race's candidates must run as the failing execution did, except in
    an operation of a kind whose hang failed the test.
    """
    from conformance import evidence, hypothesis_hooks

    ledger = evidence.current()
    if ledger.failure_seen and not hypothesis_hooks.final_replay():
        if kind in ledger.hung_kinds:
            deadline = min(deadline, kind.wait)
        if shrinking and deadline > timing.SHRINK_WAIT:
            return timing.SHRINK_WAIT
    if deadline > timing.HURRIED_WAIT and ledger.hurried:
        return timing.HURRIED_WAIT
    return deadline


def reject_past_shrink_budget() -> None:
    """Reject the running example if it is a shrink candidate of a failure older than :data:`timing.SHRINK_BUDGET`.

    Called where an example begins (a state machine's construction, a
    scenario's run).  ``hypothesis.reject()`` makes the candidate invalid,
    which the shrinker treats as one that does not fail: past the budget
    every candidate is rejected at once, Hypothesis ends its shrink with the
    smallest failing example it has, and replays that one, which is never
    rejected (its final replay).  A failure is then reported within the
    budget of its first sighting instead of after minutes of candidates that
    each repeat a race or wait out a hang.
    """
    from hypothesis import reject

    from conformance import evidence, hypothesis_hooks

    ledger = evidence.current()
    if (
        ledger.failure_seen
        and time.monotonic() - ledger.failure_seen_at > timing.SHRINK_BUDGET
        and not hypothesis_hooks.final_replay()
    ):
        reject()


def call(
    what: str,
    fn: Callable[..., Any],
    *args: Any,
    deadline: float = timing.OPERATION_DEADLINE,
    kind: Optional[CallKind] = None,
    **kwargs: Any,
) -> Outcome:
    """Run ``fn(*args, **kwargs)`` with a deadline and report what happened.

    The call runs on a helper thread.  If it has not returned by the
    deadline (cut short while Hypothesis shrinks, :func:`patience`) the
    thread is abandoned (closing the resource in teardown releases it) and
    the outcome is ``hung``.
    """
    deadline = patience(deadline, kind=kind)
    outcome = Outcome(what, kind=kind)
    # A bare lock, held until the call is over: a handoff through an Event's condition costs several times as much.
    done = threading.Lock()
    done.acquire()

    def run():
        nonlocal fn, args, kwargs
        start = time.monotonic()
        try:
            outcome.value = fn(*args, **kwargs)
        except BaseException as exc:  # the implementation may raise anything
            # Without its traceback: the frames would keep the implementation's
            # objects (buffers, locks) alive in a reference cycle through this
            # frame, and CPython 3.13 warns when such buffers are collected late.
            outcome.error = exc.with_traceback(None)
        outcome.elapsed = time.monotonic() - start
        # Let go of the primitive before reporting: callers may count its
        # file descriptors as soon as the call has returned.
        fn = args = kwargs = None
        done.release()

    worker = getattr(_threads, "worker", None)
    if worker is None or worker.pid != os.getpid():
        worker = _threads.worker = _CallThread()
    started = time.monotonic()
    heartbeat.beat(what, deadline)  # the watchdog's, for a call that stops the whole process
    worker.jobs.put(run)
    returned = done.acquire(timeout=deadline)
    heartbeat.rest()
    if returned:
        return outcome
    _threads.worker = None  # stuck in the call
    return Outcome(what, elapsed=time.monotonic() - started, hung=True, kind=kind)


def eventually(predicate: Callable[[], bool], deadline: float = timing.VISIBILITY_DEADLINE) -> tuple[bool, float]:
    """Poll ``predicate`` until it is true or ``deadline`` passes.

    Returns ``(became_true, seconds_waited)``.  The pause between polls
    starts at :data:`timing.POLL_FIRST` and doubles up to
    :data:`timing.POLL_LONGEST`; it is a bounded poll of a condition that has
    no signal to wait on (the feeder thread publishes silently), not a
    synchronising sleep.
    """
    deadline = patience(deadline)
    start = time.monotonic()
    pause = timing.POLL_FIRST
    what = f"polling {getattr(predicate, '__qualname__', 'a condition')} until it holds"
    while True:
        heartbeat.beat(what, max(0.0, deadline - (time.monotonic() - start)) + timing.POLL_LONGEST)
        if predicate():
            heartbeat.rest()
            return True, time.monotonic() - start
        waited = time.monotonic() - start
        if waited >= deadline:
            heartbeat.rest()
            return False, waited
        time.sleep(min(pause, deadline - waited))  # bounded poll, see docstring
        pause = min(pause * 2, timing.POLL_LONGEST)
