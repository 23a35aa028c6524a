"""A crew: workers that run operation scripts on a shared primitive at once, watched by the test process.

:meth:`Crew.start` starts one worker per script with the adapter's launcher
(:mod:`conformance.harness.launchers`), handing each the primitive and its
:class:`~conformance.harness.worker.Order` (its script).  Each worker
connects to the harness's own channel (:mod:`conformance.harness.control`),
says it is ready and waits; once all are, the crew releases them together
(the start barrier), so races happen within microseconds of each other.
A worker announces every operation before invoking it in a progress slot
of its own, so the crew knows which operation each worker is in and since
when.

The crew waits on the workers' channels (a signal between workers, the
end of a script, or the end of a worker), with the earliest deadline of an
operation in progress (:func:`~conformance.harness.operations.deadline_of`)
as its timeout, or sooner when an operation still to come has a shorter
one, so an operation past its deadline ends the wait with a :class:`Stall`
naming it.  A worker logs the record of each operation as it returns
(:class:`~conformance.harness.control.Log`, which wakes nobody), so the
history holds what a worker that hung or died did.  A wait that returns
much later than asked means the host did not run the test process; the
Stall says so (:attr:`Stall.host_stalled`).  :meth:`Crew.reap` then ends
and releases what is left.

A worker can block for a reason that is not a bug: ``join_thread()`` (and
exit) wait until the OS pipe has room for everything the process put, so a
flush of a 100 KiB item needs a reader.  When every worker still running is
flushing or waiting for a signal, and a flush (or an exit) has taken longer
than :data:`timing.HELP_AFTER`, :meth:`Crew.wait_reports` (and
:meth:`Crew.wait_exits`) call the caller's help step, a bounded get in the
test process that is recorded like any other operation.

:func:`open_fds` is the hygiene probe the scenario runner compares before
and after every execution.
"""

import enum
import functools
import os
import select
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from conformance.harness import heartbeat, timing
from conformance.harness.control import Listener, Log, Slots
from conformance.harness.deadline import patience
from conformance.harness.operations import WAITS_FOR_OTHERS, Action, Op, Record, Status, deadline_of, kind_of
from conformance.harness.peer import Enlisted, reap_worker
from conformance.harness.worker import CONNECT_DEADLINE, MAX_SCRIPT, SLOT, Message, Order


class StallReason(enum.Enum):
    """Why a crew stopped waiting for its workers."""

    #: An operation did not return within its deadline.
    HUNG = "an operation did not return"
    #: A worker ended before it reported its records.
    DIED = "a worker ended early"
    #: A worker never got going: it did not connect, or did not reach the start barrier.
    NEVER_STARTED = "a worker never started"
    #: Workers did not end after their scripts (a producer process that cannot flush cannot exit).
    NOT_EXITED = "workers did not end"


@dataclass
class Stall:
    """Why a crew stopped waiting: an operation past its deadline, or a worker that died or never started.

    ``late`` is how long after the operation's deadline the crew noticed,
    ``overslept`` how much later than asked the crew's last wait returned.
    """

    reason: StallReason
    worker: str
    op: Optional[Op]
    index: Optional[int]
    elapsed: float
    exitcode: Optional[int] = None
    late: float = 0.0
    overslept: float = 0.0
    #: How the worker ended and what it printed, when it died.
    death: str = ""

    @property
    def host_stalled(self) -> bool:
        """Whether the operating system did not run the test process when the deadline passed.

        Then the crew could not watch the deadline, and the worker (frozen
        with it) could not keep it: the operation's time is no evidence of
        a hang.  A worker blocked for real is noticed on time.
        """
        return (
            self.reason is StallReason.HUNG and self.late > timing.NOTICE_LATE and self.overslept > timing.NOTICE_LATE
        )

    def describe(self) -> str:
        where = f"operation {self.index} ({self.op})" if self.op is not None else "the start"
        if self.reason is StallReason.NOT_EXITED:
            return (
                f"worker(s) {self.worker} did not end within {self.elapsed:.2f}s of finishing their scripts, "
                "although the test process was draining the queue"
            )
        if self.reason is StallReason.NEVER_STARTED:
            return f"worker {self.worker} never started: {self.death or 'it did not reach the start barrier'}"
        if self.reason is StallReason.DIED:
            return f"worker {self.worker} {self.death or 'ended'} during {where}"
        text = f"worker {self.worker}: {where} did not return within {self.elapsed:.2f}s"
        if self.late <= timing.NOTICE_LATE:
            return text
        if self.host_stalled:
            return (
                f"{text}; noticed {self.late:.1f}s after its deadline, because the test process's wait for the "
                f"workers returned {self.overslept:.1f}s later than it asked: the host did not run the test process"
            )
        return (
            f"{text}; noticed {self.late:.1f}s after its deadline: the test process was held up outside its "
            "wait for the workers (in a call of the implementation, such as the drain or a proxy's finalizer)"
        )


class _Worker:
    def __init__(self, number: int, name: str, script: tuple[Op, ...], seed: int):
        self.number = number
        self.name = name
        self.script = script
        self.seed = seed
        self.enlisted: Optional[Enlisted] = None
        self.channel = None
        #: Where the worker logs each operation of its script that returns (read when it is done, hung or dead).
        self.log: Optional[Log] = None
        #: The records of the operations that have returned, read from its log (kept when the worker hangs or dies).
        self.records: list[Record] = []
        #: The worker has finished its script: every record is in.
        self.reported = False
        self.current: Optional[int] = None
        self.since = time.monotonic_ns()
        self.ended = False
        self.exitcode: Optional[int] = None
        # Each operation's deadline, and the shortest of those from each index on: the wait loop asks for them at
        # every turn, and they hold for the whole execution (patience changes only between examples).
        self._deadlines = [patience(deadline_of(op), shrinking=False, kind=kind_of(op)) for op in script]
        self._shortest_from = list(self._deadlines)
        for index in range(len(script) - 2, -1, -1):
            self._shortest_from[index] = min(self._shortest_from[index], self._shortest_from[index + 1])

    def flush_ahead(self) -> bool:
        """Whether a flush is still to come (or in progress) in this worker's script."""
        return any(op.name is Action.FLUSH for op in self.script[self.current or 0 :])

    def deadline(self) -> float:
        if self.current is None:
            return patience(timing.OPERATION_DEADLINE, shrinking=False)  # released, not yet in its first operation
        return self._deadlines[self.current]

    def next_deadline(self) -> Optional[float]:
        """The shortest deadline of the operations still to come (None: this is the last).

        Progress has no signal: the worker may begin one of them right after
        the crew last looked, so the crew must look again within it.
        """
        ahead = 0 if self.current is None else self.current + 1
        return self._shortest_from[ahead] if ahead < len(self._shortest_from) else None


def _resting(method):
    """The watchdog's: once a wait of the crew is over, however it ends, the test process is between operations."""

    @functools.wraps(method)
    def waiting(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        finally:
            heartbeat.rest()

    return waiting


class Crew:
    """Workers sharing ``resource``; always reaped by :meth:`reap` (use it as a context manager).

    ``close_in_child`` lists objects a forked worker must close (as
    :class:`~conformance.harness.peer.Peer` does).  A worker ends once its
    script is done, unless ``linger``: then it keeps the primitive until
    :meth:`wait_exits` (or :meth:`reap`) tells it to exit, as the workers of
    a pipe must (the other side's end of file waits for every holder).
    """

    def __init__(self, adapter, resource, *, close_in_child: Sequence = (), linger: bool = False):
        self._adapter = adapter
        self._resource = resource
        self._close_in_child = tuple(close_in_child)
        self._linger = linger
        self._slots: Optional[Slots] = None
        self.workers: list[_Worker] = []
        self._signalled: set = set()
        self._waiting: dict[int, list[_Worker]] = {}
        self._overslept = 0.0
        #: Workers still running after :meth:`reap` (threads stuck in a call cannot be ended).
        self.left_behind: list[str] = []

    def __enter__(self) -> "Crew":
        return self

    def __exit__(self, *exc_info) -> None:
        self.reap()

    @_resting
    def start(self, scripts: Sequence[tuple[str, tuple[Op, ...], int]]) -> Optional[Stall]:
        """Start one worker per ``(name, script, seed)`` and release them together; a Stall if one never starts."""
        # Workers that share the test process (threads, tasks) need no files: they use the creator's objects.
        in_memory = self._adapter.launcher.handoff.shared
        self._slots = Slots(len(scripts), in_memory=in_memory)
        resources = self._resource if isinstance(self._resource, tuple) else (self._resource,)
        listener = Listener()
        try:
            for name, script, seed in scripts:
                if len(script) > MAX_SCRIPT:
                    raise ValueError(f"a script has at most {MAX_SCRIPT} operations")
                worker = _Worker(len(self.workers), name, tuple(script), seed)
                self.workers.append(worker)
                worker.log = Log(in_memory=in_memory)
                order = Order(
                    worker.number,
                    worker.script,
                    seed,
                    self._slots.path,
                    len(scripts),
                    worker.log.path,
                    self._linger,
                )
                worker.enlisted = Enlisted(
                    self._adapter, listener, resources, f"ipc-conformance worker {name}", self._close_in_child, order
                )
            for worker in self.workers:
                heartbeat.beat(f"starting crew worker {worker.name}", CONNECT_DEADLINE)
                worker.channel = listener.accept(worker.enlisted.token, CONNECT_DEADLINE, worker.enlisted.worker.alive)
                if worker.channel is None:
                    return self._never_started(worker)
        finally:
            listener.close()
        for worker in self.workers:
            heartbeat.beat(f"waiting for crew worker {worker.name} to be ready", CONNECT_DEADLINE)
            try:
                ready = worker.channel.recv(CONNECT_DEADLINE)
            except (EOFError, TimeoutError, OSError):
                ready = None
            if ready is None or ready[0] is not Message.READY:
                return self._never_started(worker)
        for worker in self.workers:  # the start barrier
            worker.since = time.monotonic_ns()
            worker.channel.send((Message.GO,))
        return None

    def _never_started(self, worker: _Worker) -> Stall:
        alive = worker.enlisted.worker.alive()
        death = "it did not connect to the harness in time" if alive else f"it {worker.enlisted.death()}"
        return Stall(StallReason.NEVER_STARTED, worker.name, None, None, CONNECT_DEADLINE, death=death)

    def _read_progress(self, *workers: _Worker) -> None:
        """Which operation each of ``workers`` (default: all) is in, and since when."""
        if self._slots is None:
            return
        for worker in workers or self.workers:
            slot = self._slots[worker.number]
            if slot:
                worker.current, worker.since = slot % SLOT - 1, slot // SLOT * 1000

    def _receive(self, worker: _Worker) -> Optional[Stall]:
        """Take every message ``worker`` has sent; a Stall if it ended before finishing its script."""
        while not worker.reported and worker.channel.ready(0):
            try:
                message = worker.channel.recv(timing.IMMEDIATE)
            except (EOFError, OSError):
                worker.ended = True
                break
            kind = message[0]
            if kind is Message.DONE:
                self._collect(worker)
                worker.reported = True
            elif kind is Message.SIGNAL:
                self._signal(message[1])
            elif kind is Message.WAIT:
                self._wait(message[1], worker)
        if worker.ended and not worker.reported:
            worker.enlisted.worker.join(timing.IMMEDIATE)
            self._read_progress(worker)
            op = worker.script[worker.current] if worker.current is not None else None
            return Stall(
                StallReason.DIED,
                worker.name,
                op,
                worker.current,
                (time.monotonic_ns() - worker.since) / 1e9,
                worker.enlisted.worker.exitcode,
                death=worker.enlisted.death(),
            )
        return None

    def _collect(self, worker: _Worker) -> None:
        """The records of what ``worker`` has logged (:class:`~conformance.harness.worker.Returned`) since the last
        look."""
        for done in worker.log.read():
            op = worker.script[done.index]
            worker.records.append(Record(worker.name, done.index, op, done.status, done.value, done.t_inv, done.t_ret))

    def _signal(self, key: int) -> None:
        self._signalled.add(key)
        for waiter in self._waiting.pop(key, []):
            waiter.channel.send((Message.RELEASE, key))

    def _wait(self, key: int, worker: _Worker) -> None:
        if key in self._signalled:
            worker.channel.send((Message.RELEASE, key))
        else:
            self._waiting.setdefault(key, []).append(worker)

    @_resting
    def wait_reports(self, help_step: Optional[Callable[[], None]] = None) -> Optional[Stall]:
        """Wait until every worker has reported its records; a :class:`Stall` if one cannot.

        The wait wakes on a message or a worker's end, and otherwise at the
        earliest deadline of an operation in progress (or of one that may
        begin meanwhile), so a hang is reported as soon as it is one.  While
        every unreported worker is in a :data:`WAITS_FOR_OTHERS` operation
        and one of them has been flushing for :data:`timing.HELP_AFTER`,
        ``help_step`` (a bounded get in the test process) is called instead
        of waiting: the flush may need a reader to make room in the pipe.
        Progress has no signal, so while a flush may still come (its script
        has one) the wait also ends every :data:`timing.HELP_AFTER` to look.
        However the wait ends, the logs of the workers that have not finished
        are read then: the records of what they did before they hung or died.
        """
        try:
            return self._await_reports(help_step)
        finally:
            for worker in self.workers:
                if not worker.reported:
                    self._collect(worker)

    def _await_reports(self, help_step: Optional[Callable[[], None]]) -> Optional[Stall]:
        while True:
            pending = [w for w in self.workers if not w.reported]
            # Progress first: a worker logs an operation's record before it announces the next operation, so every
            # record before the operation read last is in the logs read once the wait ends (what hung_records relies
            # on).
            self._read_progress(*pending)
            stalls = [stall for stall in map(self._receive, pending) if stall is not None]
            if stalls:
                return stalls[0]
            pending = [w for w in pending if not w.reported]
            if not pending:
                return None
            now = time.monotonic_ns()
            due = [(w.since + w.deadline() * 1e9, w) for w in pending]
            overdue = [(when, w) for when, w in due if now > when]
            if overdue:
                when, worker = min(overdue, key=lambda late: late[1].since)
                op = worker.script[worker.current] if worker.current is not None else None
                return Stall(
                    StallReason.HUNG,
                    worker.name,
                    op,
                    worker.current,
                    (now - worker.since) / 1e9,
                    late=(now - when) / 1e9,
                    overslept=self._overslept,
                )
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
            asked = max(0.0, (wake - now) / 1e9)
            heartbeat.beat(f"waiting for crew workers {', '.join(w.name for w in pending)}", asked)
            select.select([w.channel for w in pending], [], [], asked)
            self._overslept = (time.monotonic_ns() - now) / 1e9 - asked

    @staticmethod
    def _flushing_since(pending: list[_Worker]) -> Optional[int]:
        """When the earliest flush in progress began, if every pending worker waits for another worker."""
        current = [(w.script[w.current].name if w.current is not None else None, w.since) for w in pending]
        if not all(name in WAITS_FOR_OTHERS for name, _ in current):
            return None
        return min((since for name, since in current if name is Action.FLUSH), default=None)

    @_resting
    def wait_exits(self, help_step: Optional[Callable[[], None]], deadline: float) -> Optional[str]:
        """Wait until every worker has ended (telling lingering ones to); the names of those still running after
        ``deadline``.

        A process worker's channel closes when the process exits, after the
        exit handlers that flush what it put; a thread's when it returns.
        Once the workers have taken :data:`timing.HELP_AFTER` to end,
        ``help_step`` (a bounded get in the test process) is called between
        waits: a worker may be flushing into a full pipe.
        """
        if self._linger:
            for worker in self.workers:
                try:
                    worker.channel.send((Message.EXIT,))
                except OSError:
                    worker.ended = True
        start = time.monotonic()
        while True:
            for worker in self.workers:
                while not worker.ended and worker.channel.ready(0):
                    try:
                        worker.channel.recv(timing.IMMEDIATE)
                    except (EOFError, OSError):
                        worker.ended = True
            running = [w for w in self.workers if not w.ended]
            if not running:
                for worker in self.workers:
                    worker.enlisted.worker.join(timing.IMMEDIATE)
                return None
            now = time.monotonic()
            if now - start > deadline:
                return ", ".join(w.name for w in running)
            if help_step is not None and now - start >= timing.HELP_AFTER:
                help_step()
            else:
                wake = start + (timing.HELP_AFTER if help_step is not None else deadline)
                heartbeat.beat(
                    f"waiting for crew workers {', '.join(w.name for w in running)} to end", max(0.0, wake - now)
                )
                select.select([w.channel for w in running], [], [], max(0.0, wake - now))

    def hung_records(self, stall: Stall) -> list[Record]:
        """A ``hung`` record for the operation each unfinished worker was in when the crew stopped waiting (as
        :meth:`wait_reports` last saw it: the records received are those of the operations before)."""
        now = time.monotonic_ns()
        hung = []
        for worker in self.workers:
            if not worker.reported and worker.current is not None and worker.current == len(worker.records):
                op = worker.script[worker.current]
                hung.append(Record(worker.name, worker.current, op, Status.HUNG, None, worker.since, now))
        return hung

    def records(self) -> list[Record]:
        """The records received so far: every worker's that finished, and those of the operations that returned in
        a worker that hung or died."""
        return [r for w in self.workers for r in w.records]

    def exited_normally(self) -> list[str]:
        """Workers that have ended with exit code 0 (a normal exit flushes their queues)."""
        return [w.name for w in self.workers if w.enlisted is not None and w.enlisted.worker.exitcode == 0]

    def reap(self) -> None:
        """End every worker: those that finished are joined, the others killed (a stuck thread is left behind)."""
        give_up = time.monotonic() + timing.IMMEDIATE
        for worker in self.workers:
            if worker.enlisted is None:
                continue
            handle = worker.enlisted.worker
            if not worker.reported and not worker.ended:
                handle.kill()
            elif not worker.ended:
                try:
                    worker.channel.send((Message.EXIT,))
                except OSError:
                    pass
            handle.join(max(0.0, give_up - time.monotonic()))
        for worker in self.workers:
            if worker.log is not None:
                worker.log.close(remove=True)
            if worker.enlisted is None:
                continue
            handle = worker.enlisted.worker
            if handle.alive():
                reap_worker(handle)
            if handle.alive():
                self.left_behind.append(worker.name)
            worker.exitcode = handle.exitcode
            worker.enlisted.release()
            if worker.channel is not None:
                worker.channel.close()
        if self._slots is not None:
            self._slots.close(remove=True)
        self._resource = self._slots = None


def open_fds() -> Optional[int]:
    """How many file descriptors this process has open (None where /proc is missing).

    The arenas of multiprocessing's shared-memory heap (``pym-*`` files,
    which the implementation's own barriers, events and shared arrays
    allocate from) are not counted: the heap is process-wide, keeps its
    arenas for reuse and adds one whenever blocks still in use crowd the last.
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
