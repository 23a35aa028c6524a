"""Worker processes that run operation scripts on a shared primitive and record histories.

A *script* is a tuple of :class:`Op`; a *worker* is a process started with
the adapter's ``context.Process`` that receives the primitive by
inheritance, waits at a start barrier shared with the other workers, runs
its script and sends back one :class:`Record` per operation: which process,
which operation and arguments, what it returned or raised, and
``time.monotonic_ns()`` at invocation and return (CLOCK_MONOTONIC is
system-wide on Linux, so times compare across processes).  Then it returns
from its main function and exits normally, which flushes what it put (a
stdlib ``Queue`` joins its feeder thread at exit).

A :class:`Crew` starts workers and watches them without ever blocking on
them for long.  Each worker announces every operation before invoking it
in a shared-memory slot of its own (a plain store: no system call, so the
announcement does not release the GIL and give the worker's feeder thread
a turn the implementation alone would not give it), so the crew knows
which operation each worker is in and since when.  The crew waits
(:func:`multiprocessing.connection.wait`) on the reports and the workers'
sentinels, with the earliest deadline of an operation in progress
(:func:`deadline_of`) as its timeout, or sooner when an operation still
to come has a shorter one, so an operation past its deadline ends the wait
with a :class:`Stall` naming it.  A wait that returns much
later than asked means the host did not run the test process; the Stall
says so (:attr:`Stall.host_stalled`).  The crew then terminates
and kills what is left (:meth:`Crew.reap`).

A worker can block for a reason that is not a bug: ``join_thread()`` (and
exit) wait until the OS pipe has room for everything the process put, so a
flush of a 100 KiB item needs a reader.  When every worker still running is
flushing or waiting for a signal, and a flush (or an exit) has taken longer
than :data:`timing.HELP_AFTER`, :meth:`Crew.wait_reports` (and
:meth:`Crew.wait_exits`) call the caller's help step, a bounded get in the
test process that is recorded like any other operation.

:func:`open_fds` and :func:`live_children` are the hygiene probes the
scenario runner compares before and after every execution.
"""

import ctypes
import os
import queue as queue_module
import random
import threading
import time
from dataclasses import dataclass
from multiprocessing import connection as mp_connection
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import short

#: Who put an item and its number in that producer's sequence: unique per scenario.
Key = Tuple[str, int]

#: A progress slot holds ``invocation time in microseconds * _SLOT + index + 1``
#: in one 64-bit word, so the crew never reads a time and an index that do
#: not belong together (0: the worker has not begun its script).
_SLOT = 256
MAX_SCRIPT = _SLOT - 2


class Op(NamedTuple):
    """One operation of a script.

    ``name`` is a method of the queue (``put``, ``put_nowait``, ``get``,
    ``get_nowait``, ``qsize``, ``empty``, ``full``) or a harness operation:
    ``flush`` (``close()`` then ``join_thread()``), ``cancel``
    (``cancel_join_thread()``), ``signal``/``wait`` (set or wait for event
    number ``key``).  ``key`` identifies the item a put carries, ``size``
    its payload length; ``timeout`` is the blocking form's timeout
    (``None``: no timeout argument).

    On a pipe (the resource is the pair of ends ``(a, b)``), ``end`` names
    the end an operation uses: ``send``, ``recv``, ``poll`` and ``close``
    are the connection's methods; ``expect_eof`` is a ``recv()`` the
    scenario expects to raise EOFError and ``expect_broken`` a ``send()``
    it expects to raise BrokenPipeError (the checker decides whether they
    had to).
    """

    name: str
    key: Any = None
    size: int = 0
    timeout: Optional[float] = None
    end: Optional[str] = None

    def __str__(self) -> str:
        prefix = "" if self.end is None else f"{self.end}."
        if self.name in ("put", "put_nowait", "send", "expect_broken"):
            args = [f"{self.key[0]}#{self.key[1]}/{_size(self.size)}"]
        elif self.name in ("signal", "wait"):
            args = [f"e{self.key}"]
        else:
            args = []
        if self.timeout is not None:
            args.append(f"timeout={self.timeout:g}")
        return f"{prefix}{self.name}({', '.join(args)})"


def _size(n: int) -> str:
    return f"{n // 1024}KiB" if n >= 4096 else f"{n}B"


class Record(NamedTuple):
    """What one operation did.

    ``status`` is ``ok`` (``value`` is what it returned; for a get, the key
    of the item, or ``("corrupt", description)`` for an object that is not
    an intact item), ``raise`` (``value`` names the exception: ``Empty``,
    ``Full``, or ``"Type: message"``) or ``hung`` (no return by the
    deadline; ``t_ret`` is when the harness gave up).
    """

    process: str
    index: int
    op: Op
    status: str
    value: Any
    t_inv: int
    t_ret: int

    def __str__(self) -> str:
        if self.status == "ok":
            shown = "" if self.value is None else f" -> {_show(self.value)}"
        elif self.status == "raise":
            shown = f" raised {self.value}"
        else:
            shown = " did not return"
        return f"{self.process}: {self.op}{shown} [{self.t_inv / 1e6:.3f}..{self.t_ret / 1e6:.3f} ms]"


def _show(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
        return f"{value[0]}#{value[1]}"
    return short(value)


def payload(key: Key, size: int) -> bytes:
    """The payload of item ``key``: ``size`` bytes that spell the key, so a torn or mixed item shows."""
    stamp = f"{key[0]}#{key[1]};".encode()
    return (stamp * (size // len(stamp) + 1))[:size]


def item(key: Key, size: int) -> Tuple[str, int, bytes]:
    return (key[0], key[1], payload(key, size))


def received(obj: Any) -> Any:
    """The key of ``obj`` if it is an intact item, else ``("corrupt", description)``."""
    if (
        isinstance(obj, tuple)
        and len(obj) == 3
        and isinstance(obj[0], str)
        and isinstance(obj[1], int)
        and isinstance(obj[2], bytes)
        and obj[2] == payload((obj[0], obj[1]), len(obj[2]))
    ):
        return (obj[0], obj[1])
    return ("corrupt", short(obj))


def perform(resource: Any, op: Op, events: Sequence[Any]) -> Tuple[str, Any]:
    """Run ``op`` on ``resource``; returns ``(status, value)`` as a :class:`Record` holds them."""
    try:
        if op.end is not None:
            return _perform_on_end(resource[ENDS.index(op.end)], op)
        name = op.name
        if name in ("put", "put_nowait"):
            obj = item(op.key, op.size)
            if op.timeout is None:
                getattr(resource, name)(obj)
            else:
                resource.put(obj, True, op.timeout)
            return "ok", None
        if name in ("get", "get_nowait"):
            if op.timeout is None:
                return "ok", received(getattr(resource, name)())
            return "ok", received(resource.get(True, op.timeout))
        if name == "flush":
            resource.close()
            resource.join_thread()
            return "ok", None
        if name == "cancel":
            resource.cancel_join_thread()
            return "ok", None
        if name == "signal":
            events[op.key].set()
            return "ok", None
        if name == "wait":
            if not events[op.key].wait(op.timeout):
                return "raise", "TimeoutError: the signal never came"
            return "ok", None
        return "ok", getattr(resource, name)()
    except queue_module.Empty:
        return "raise", "Empty"
    except queue_module.Full:
        return "raise", "Full"
    except BaseException as exc:  # the implementation may raise anything; the checker grades it
        return "raise", f"{type(exc).__name__}: {short(exc)}"


#: The names of a pipe's ends in scenarios: ``Pipe()`` returns ``(a, b)``.
ENDS = ("a", "b")


def _perform_on_end(connection: Any, op: Op) -> Tuple[str, Any]:
    """Run a pipe operation; exceptions propagate to :func:`perform`, which records them."""
    if op.name in ("send", "expect_broken"):
        connection.send(item(op.key, op.size))
        return "ok", None
    if op.name in ("recv", "expect_eof"):
        return "ok", received(connection.recv())
    if op.name == "poll":
        return "ok", connection.poll() if op.timeout is None else connection.poll(op.timeout)
    if op.name == "close":
        connection.close()
        return "ok", None
    raise ValueError(f"unknown pipe operation {op}")


def deadline_of(op: Op) -> float:
    """Seconds ``op`` may take before it counts as hung.

    A queue call returns at once or after its timeout, so it gets its
    timeout plus :data:`timing.TIMEOUT_LATE` (a read of a torn frame blocks
    for ever, spec-digest Q8: this is what bounds it); a flush, and a pipe's
    ``send``, ``recv``, ``close`` and probes (which return once the other
    process has read, sent or closed) :data:`timing.OPERATION_DEADLINE`; a
    ``wait`` twice that, so when a
    signaller hangs, the signaller's operation is reported first.
    """
    if op.name == "wait":
        return 2 * timing.OPERATION_DEADLINE
    if op.name in ("flush", "send", "recv", "expect_eof", "expect_broken", "close"):
        return timing.OPERATION_DEADLINE
    return (op.timeout or 0.0) + timing.TIMEOUT_LATE


#: Operations that may wait for another process to act: the crew drains
#: for workers that are all in one of these.
WAITS_FOR_OTHERS = ("flush", "wait")


def _noise(rng: random.Random) -> None:
    """Schedule noise before an operation, drawn from the worker's seed.

    This is noise, not synchronisation: it shifts where the OS interleaves
    the workers, so repeated runs of one scenario explore different
    schedules, reproducibly distributed for a given seed.
    """
    pick = rng.random()
    if pick < 0.5:
        return
    if pick < 0.8:
        os.sched_yield() if hasattr(os, "sched_yield") else time.sleep(0)
        return
    time.sleep(rng.choice((0.00002, 0.0001, 0.0005)))  # noise delay, see docstring


def _worker_main(number, name, resource, script, seed, barrier, report, progress, events, close_in_child) -> None:
    """A worker's body: barrier, script, report.  Returning exits the process normally."""
    for other in close_in_child:
        dispose(other)
    rng = random.Random(seed)
    records: List[Record] = []
    try:
        barrier.wait(timing.OPERATION_DEADLINE)
    except threading.BrokenBarrierError:
        report.send(("barrier", None))
        return
    for index, op in enumerate(script):
        _noise(rng)
        t_inv = time.monotonic_ns()
        progress[number] = t_inv // 1000 * _SLOT + index + 1
        status, value = perform(resource, op, events)
        records.append(Record(name, index, op, status, value, t_inv, time.monotonic_ns()))
    report.send(("done", records))


@dataclass
class Stall:
    """Why a crew stopped waiting: an operation past its deadline, or a worker that died.

    ``late`` is how long after the operation's deadline the crew noticed,
    ``overslept`` how much later than asked the crew's last wait returned.
    """

    worker: str
    op: Optional[Op]
    index: Optional[int]
    elapsed: float
    exitcode: Optional[int] = None
    late: float = 0.0
    overslept: float = 0.0

    @property
    def host_stalled(self) -> bool:
        """Whether the operating system did not run the test process when the deadline passed.

        Then the crew could not watch the deadline, and the worker (frozen
        with it) could not keep it: the operation's time is no evidence of
        a hang.  A worker blocked for real is noticed on time.
        """
        return self.exitcode is None and self.late > timing.NOTICE_LATE and self.overslept > timing.NOTICE_LATE

    def describe(self) -> str:
        where = f"operation {self.index} ({self.op})" if self.op is not None else "the start barrier"
        if self.exitcode is not None:
            return f"worker {self.worker} died with exit code {self.exitcode} during {where}"
        text = f"worker {self.worker}: {where} did not return within {self.elapsed:.2f}s"
        if self.late <= timing.NOTICE_LATE:
            return text
        if self.host_stalled:
            return (f"{text}; noticed {self.late:.1f}s after its deadline, because the test process's wait for the "
                    f"workers returned {self.overslept:.1f}s later than it asked: the host did not run the test process")
        return (f"{text}; noticed {self.late:.1f}s after its deadline: the test process was held up outside its "
                "wait for the workers (in a call of the implementation, such as the drain or a proxy's finalizer)")


class _Worker:
    def __init__(self, number: int, name: str, script: Tuple[Op, ...]):
        self.number = number
        self.name = name
        self.script = script
        self.process = None
        self.report = None
        self.records: Optional[List[Record]] = None
        self.current: Optional[int] = None
        self.since = time.monotonic_ns()
        self.exitcode: Optional[int] = None

    def flush_ahead(self) -> bool:
        """Whether a flush is still to come (or in progress) in this worker's script."""
        return any(op.name == "flush" for op in self.script[self.current or 0:])

    def deadline(self) -> float:
        if self.current is None:
            return timing.OPERATION_DEADLINE + timing.JOIN_GRACE  # starting and at the barrier
        return deadline_of(self.script[self.current])

    def next_deadline(self) -> Optional[float]:
        """The shortest deadline of the operations still to come (None: this is the last).

        Progress has no signal: the worker may begin one of them right after
        the crew last looked, so the crew must look again within it.
        """
        ahead = self.script[0 if self.current is None else self.current + 1:]
        return min(map(deadline_of, ahead), default=None)


class Crew:
    """Workers sharing ``resource``; always reaped by :meth:`reap` (use it as a context manager).

    ``events`` are the signal channels ``signal``/``wait`` operations use;
    ``close_in_child`` lists objects a forked worker must close (as
    :class:`conformance.harness.peer.Peer` does).
    """

    def __init__(self, adapter, resource: Any, *, events: Sequence[Any] = (), close_in_child: Sequence[Any] = ()):
        self._context = adapter.context
        self._resource = resource
        self._events = tuple(events)
        self._close_in_child = tuple(close_in_child)
        self._progress = None
        self.workers: List[_Worker] = []
        self._barrier = None
        self._overslept = 0.0

    def __enter__(self) -> "Crew":
        return self

    def __exit__(self, *exc_info) -> None:
        self.reap()

    def start(self, scripts: Sequence[Tuple[str, Tuple[Op, ...], int]]) -> None:
        """Start one worker per ``(name, script, seed)``; they begin together at a barrier."""
        # Kept until reaping: under spawn and forkserver a child opens the barrier's
        # named semaphores while it starts, after start() has returned here.
        self._barrier = barrier = self._context.Barrier(len(scripts))
        # A ctypes type, not the typecode "q", which older multiprocessing forks (billiard) lack.
        self._progress = progress = self._context.RawArray(ctypes.c_int64, len(scripts))
        for name, script, seed in scripts:
            worker = _Worker(len(self.workers), name, tuple(script))
            worker.report, report_out = self._context.Pipe(duplex=False)
            if len(worker.script) > MAX_SCRIPT:
                raise ValueError(f"a script has at most {MAX_SCRIPT} operations")
            others = self._close_in_child + tuple(w.report for w in self.workers) + (worker.report,)
            worker.process = self._context.Process(
                target=_worker_main,
                args=(worker.number, name, self._resource, worker.script, seed, barrier, report_out,
                      progress, self._events, others),
                name=f"ipc-conformance worker {name}",
            )
            worker.process.daemon = True
            self.workers.append(worker)
            try:
                worker.process.start()
            finally:
                dispose(report_out)

    def _read_progress(self) -> None:
        if self._progress is None:
            return
        for worker in self.workers:
            slot = self._progress[worker.number]
            if slot:
                worker.current, worker.since = slot % _SLOT - 1, slot // _SLOT * 1000

    def _collect(self, worker: _Worker) -> Optional[Stall]:
        """Read ``worker``'s report if it has sent one; a Stall if it died without one."""
        # Liveness first: a worker that sent its report and exited since is not dead before reporting.
        alive = worker.process.is_alive()
        if worker.report.poll():
            try:
                kind, records = worker.report.recv()
            except (EOFError, OSError):
                kind, records = "died", None
            if kind == "done":
                worker.records = records
                return None
            if kind == "barrier":
                return Stall(worker.name, None, None, timing.OPERATION_DEADLINE)
        if not alive:
            self._read_progress()
            op = worker.script[worker.current] if worker.current is not None else None
            return Stall(worker.name, op, worker.current, (time.monotonic_ns() - worker.since) / 1e9, worker.process.exitcode)
        return None

    def wait_reports(self, help_step: Optional[Callable[[], None]] = None) -> Optional[Stall]:
        """Wait until every worker has reported its records; a :class:`Stall` if one cannot.

        The wait wakes on a report or a worker's exit, and otherwise at the
        earliest deadline of an operation in progress (or of one that may
        begin meanwhile), so a hang is reported as soon as it is one.  While every unreported worker is in a
        :data:`WAITS_FOR_OTHERS` operation and one of them has been flushing
        for :data:`timing.HELP_AFTER`, ``help_step`` (a bounded get in the
        test process) is called instead of waiting: the flush may need a
        reader to make room in the pipe.  Progress has no signal, so while a
        flush may still come (its script has one) the wait also ends every
        :data:`timing.HELP_AFTER` to look.
        """
        while True:
            pending = [w for w in self.workers if w.records is None]
            for worker in pending:
                stall = self._collect(worker)
                if stall is not None:
                    return stall
            self._read_progress()
            pending = [w for w in pending if w.records is None]
            if not pending:
                return None
            now = time.monotonic_ns()
            due = [(w.since + w.deadline() * 1e9, w) for w in pending]
            overdue = [(when, w) for when, w in due if now > when]
            if overdue:
                when, worker = min(overdue, key=lambda late: late[1].since)
                op = worker.script[worker.current] if worker.current is not None else None
                return Stall(worker.name, op, worker.current, (now - worker.since) / 1e9,
                             late=(now - when) / 1e9, overslept=self._overslept)
            wake = min(when for when, _ in due)
            upcoming = [d for d in (w.next_deadline() for w in pending) if d is not None]
            if upcoming:
                wake = min(wake, now + min(upcoming) * 1e9)
            if help_step is not None:
                flushing = self._flushing_since(pending)
                if flushing is not None and now >= flushing + timing.HELP_AFTER * 1e9:
                    help_step()
                    self._overslept = 0.0
                    continue
                if flushing is not None:
                    wake = min(wake, flushing + timing.HELP_AFTER * 1e9)
                elif any(w.flush_ahead() for w in pending):
                    wake = min(wake, now + timing.HELP_AFTER * 1e9)
            handles = [w.report for w in pending] + [w.process.sentinel for w in pending]
            asked = max(0.0, (wake - now) / 1e9)
            mp_connection.wait(handles, asked)
            self._overslept = (time.monotonic_ns() - now) / 1e9 - asked

    @staticmethod
    def _flushing_since(pending: List[_Worker]) -> Optional[int]:
        """When the earliest flush in progress began, if every pending worker waits for another process."""
        current = [(w.script[w.current].name if w.current is not None else None, w.since) for w in pending]
        if not all(name in WAITS_FOR_OTHERS for name, _ in current):
            return None
        return min((since for name, since in current if name == "flush"), default=None)

    def wait_exits(self, help_step: Optional[Callable[[], None]], deadline: float) -> Optional[str]:
        """Wait until every worker has exited; the names of those still alive after ``deadline`` seconds.

        Waits on the sentinels.  A sentinel becomes ready when the worker has
        closed its last descriptor on its way out, a few milliseconds before
        the kernel lets it be reaped, so a ready worker is joined at once
        (that join cannot block for longer than the exit takes).  Once the
        workers have taken :data:`timing.HELP_AFTER` to exit, ``help_step``
        (a bounded get in the test process) is called between waits: a
        worker may be flushing into a full pipe.
        """
        start = time.monotonic()
        while True:
            alive = [w for w in self.workers if w.process is not None and w.process.exitcode is None]
            if not alive:
                return None
            by_sentinel = {w.process.sentinel: w for w in alive}
            for sentinel in mp_connection.wait(list(by_sentinel), 0):
                by_sentinel[sentinel].process.join()
            alive = [w for w in alive if w.process.exitcode is None]
            if not alive:
                return None
            now = time.monotonic()
            if now - start > deadline:
                return ", ".join(w.name for w in alive)
            if help_step is not None and now - start >= timing.HELP_AFTER:
                help_step()
            else:
                wake = start + (timing.HELP_AFTER if help_step is not None else deadline)
                mp_connection.wait([w.process.sentinel for w in alive], max(0.0, wake - now))

    def hung_records(self, stall: Stall) -> List[Record]:
        """A ``hung`` record for the operation each unreported worker is stuck in."""
        self._read_progress()
        now = time.monotonic_ns()
        hung = []
        for worker in self.workers:
            if worker.records is None and worker.current is not None:
                op = worker.script[worker.current]
                hung.append(Record(worker.name, worker.current, op, "hung", None, worker.since, now))
        return hung

    def records(self) -> List[Record]:
        return [r for w in self.workers for r in (w.records or ())]

    def exited_normally(self) -> List[str]:
        """Workers whose process has ended with exit code 0 (a normal exit flushes their queues)."""
        return [w.name for w in self.workers if w.process is not None and w.process.exitcode == 0]

    def reap(self) -> None:
        """Join workers that finished; terminate, then kill, any that did not."""
        give_up = time.monotonic() + timing.IMMEDIATE
        for worker in self.workers:
            if worker.process is None:
                continue
            if worker.records is not None:
                worker.process.join(max(0.0, give_up - time.monotonic()))
        for escalate in ("terminate", "kill"):
            alive = [w for w in self.workers if w.process is not None and w.process.is_alive()]
            if not alive:
                break
            for worker in alive:
                getattr(worker.process, escalate)()
            for worker in alive:
                worker.process.join(timing.IMMEDIATE)
        for worker in self.workers:
            if worker.process is not None and not worker.process.is_alive():
                worker.exitcode = worker.process.exitcode
                worker.process.close()
                # A Process keeps its arguments, the primitive among them: let it go.
                worker.process = None
            dispose(worker.report)
        self._resource = self._events = self._barrier = self._progress = None


def open_fds() -> Optional[int]:
    """How many file descriptors this process has open (None where /proc is missing).

    The arenas of multiprocessing's shared-memory heap (``pym-*`` files,
    which barriers, events and shared arrays allocate from) are not
    counted: the heap is process-wide, keeps its arenas for reuse and adds
    one whenever blocks still in use (or not yet returned) crowd the last.
    """
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    count = 0
    for name in names:
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the descriptor listdir itself used, closed since
            continue
        count += not os.path.basename(target).startswith("pym-")
    return count


def live_children(context) -> List[Any]:
    """The context's children that are still running."""
    active = getattr(context, "active_children", None)
    return list(active()) if active is not None else []
