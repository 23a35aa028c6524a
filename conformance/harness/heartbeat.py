"""The test process's heartbeat: what it is doing, and by when it must have moved on, in a shared-memory file.

A test process can stop dead: an implementation's call that holds the GIL
for ever (a C function called through ``ctypes.PyDLL``), a deadlock in C,
a crash.  Nothing inside the process can report that, not even the
harness's deadlines (their threads need the GIL too), so a watchdog in
another process (:mod:`conformance.harness.supervisor`) reads this file and
acts once a beat is overdue.

The harness beats where it waits: :func:`conformance.harness.deadline.call`
before it hands an operation to its helper thread, the peer and crew
waits, :func:`~conformance.harness.deadline.eventually`.  Each beat records
the operation (its ``what``) and the monotonic time by which the next beat
is due: the operation's own deadline plus :data:`timing.WATCHDOG_SLACK`.
When it is over the process is back between operations
(:func:`rest`), with the generous :data:`timing.WATCHDOG_IDLE`.

A beat is a few plain stores into an ``mmap`` (no system call, no lock the
implementation could hold), so it costs about a microsecond and can be
made on every operation.  The reader in the other process takes a
consistent copy with a sequence number (a seqlock): odd while a write is
in progress, bumped again when it is done.

Until :func:`arm` is called every beat is a no-op: a process that nothing
watches (a plain run of the project's own tests, a forked worker, which
inherits the map but must not write the test process's beat) pays only a
global lookup.  This module imports only the standard library: the
supervisor imports it.
"""

import enum
import mmap
import os
import struct
import threading
import time
from typing import NamedTuple, Optional

from conformance.harness import timing


class Phase(enum.IntEnum):
    """What the watched process is doing, as far as its deadline is concerned."""

    #: Not watched: before the first suite test, during a test that is not the suite's, under a debugger.
    OFF = 0
    #: Inside a test, between operations (the harness's own work, Hypothesis generating or shrinking).
    BETWEEN = 1
    #: Waiting for an operation of the implementation or of the harness, with a deadline.
    OPERATION = 2
    #: Between two tests (pytest's and pytest-xdist's own work, the session's end).
    IDLE = 3
    #: The run's summary is out: the process has :data:`timing.EXIT_GRACE` to end.
    EXITING = 4


#: The file: a header, then the test's node id and the operation, each a length and UTF-8 bytes.
_HEAD = struct.Struct("<QIxxxxdd")  # sequence number, phase, due, since
_SEQUENCE = struct.Struct("<Q")
_LENGTH = struct.Struct("<H")
TEXT = 1000
_TEST_AT = _HEAD.size
_WHAT_AT = _TEST_AT + _LENGTH.size + TEXT
SIZE = 4096


class State(NamedTuple):
    """One consistent reading of a heartbeat file."""

    sequence: int
    phase: Phase
    #: The monotonic time (system-wide on Linux) by which the next beat is due; 0: none is.
    due: float
    #: When the current phase or operation began.
    since: float
    test: str
    what: str

    @property
    def armed(self) -> bool:
        return self.phase is not Phase.OFF and self.due > 0

    def doing(self) -> str:
        """What the process was doing, in words: the operation in flight, or where it was between them."""
        after = f" (after {self.what})" if self.what else ""
        if self.phase is Phase.OPERATION:
            return self.what
        if self.phase is Phase.BETWEEN:
            return "no operation of the implementation or the harness" + after
        if self.phase is Phase.IDLE:
            return "the work between two tests"
        if self.phase is Phase.EXITING:
            return "the interpreter's exit"
        return "nothing watched"


def _put_text(view: mmap.mmap, at: int, text: str) -> None:
    data = text.encode("utf-8", "replace")[:TEXT]
    _LENGTH.pack_into(view, at, len(data))
    view[at + _LENGTH.size : at + _LENGTH.size + len(data)] = data


def _get_text(view, at: int) -> str:
    (size,) = _LENGTH.unpack_from(view, at)
    size = min(size, TEXT)
    return bytes(view[at + _LENGTH.size : at + _LENGTH.size + size]).decode("utf-8", "replace")


class Heartbeat:
    """The writing side, in the watched process."""

    def __init__(self, path: str):
        self.path = path
        with open(path, "wb") as handle:
            handle.write(bytes(SIZE))
        with open(path, "r+b") as handle:
            self._map = mmap.mmap(handle.fileno(), SIZE)
        self._sequence = 0
        self._lock = threading.Lock()  # threads of this process take turns; held only for the stores
        #: False while nothing is watched (Phase.OFF): the harness's beats then leave the file alone.
        self.watching = False

    def _write(
        self, phase: Phase, due: float, since: float, what: Optional[str] = None, test: Optional[str] = None
    ) -> None:
        with self._lock:
            self._sequence += 1  # odd: a write is in progress
            _SEQUENCE.pack_into(self._map, 0, self._sequence)
            if test is not None:
                _put_text(self._map, _TEST_AT, test)
            if what is not None:
                _put_text(self._map, _WHAT_AT, what)
            self._sequence += 1
            _HEAD.pack_into(self._map, 0, self._sequence, phase, due, since)

    def operation(self, what: str, deadline: float) -> None:
        """An operation begins that should be over within ``deadline`` seconds (the harness's beat)."""
        if self.watching:
            now = time.monotonic()
            self._write(Phase.OPERATION, now + deadline + timing.WATCHDOG_SLACK, now, what=what)

    def between(self) -> None:
        """The operation is over (the harness's beat)."""
        if self.watching:
            now = time.monotonic()
            self._write(Phase.BETWEEN, now + timing.WATCHDOG_IDLE, now)

    def test(self, nodeid: str) -> None:
        """A suite test begins (the plugin's beat, as are the ones below)."""
        self.watching = True
        now = time.monotonic()
        self._write(Phase.BETWEEN, now + timing.WATCHDOG_IDLE, now, what="", test=nodeid)

    def idle(self) -> None:
        """A test is over; the process is in pytest's own work until the next."""
        self.watching = False
        now = time.monotonic()
        self._write(Phase.IDLE, now + timing.WATCHDOG_IDLE, now)

    def exiting(self, grace: float) -> None:
        """The run is over: the process must end within ``grace`` seconds."""
        self.watching = False
        now = time.monotonic()
        self._write(Phase.EXITING, now + grace, now, what="")

    def off(self) -> None:
        """Nothing is watched (a test that is not the suite's)."""
        self.watching = False
        self._write(Phase.OFF, 0.0, time.monotonic())


def read(path: str, view=None) -> Optional[State]:
    """A consistent copy of the heartbeat at ``path`` (or of ``view``, an open map of it); None if there is none.

    A write in progress is retried a bounded number of times (the writer
    holds its lock only for a few stores); past that the last copy is taken.
    """
    own = view is None
    if own:
        try:
            with open(path, "rb") as handle:
                view = mmap.mmap(handle.fileno(), SIZE, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
    try:
        for _ in range(1000):
            first = _SEQUENCE.unpack_from(view, 0)[0]
            sequence, phase, due, since = _HEAD.unpack_from(view, 0)
            test, what = _get_text(view, _TEST_AT), _get_text(view, _WHAT_AT)
            if first % 2 == 0 and _SEQUENCE.unpack_from(view, 0)[0] == first:
                break
        try:
            phase = Phase(phase)
        except ValueError:
            phase = Phase.OFF
        return State(sequence, phase, due, since, test, what)
    finally:
        if own:
            view.close()


# --- the process's own heartbeat ---------------------------------------------------------

_heart: Optional[Heartbeat] = None


def arm(path: str) -> Heartbeat:
    """Start beating into ``path`` (the watchdog plugin does, when the supervisor starts)."""
    global _heart
    _heart = Heartbeat(path)
    return _heart


def current() -> Optional[Heartbeat]:
    return _heart


def _forgotten_in_child() -> None:
    # A forked worker inherits the map, shared with the test process: its beats would pass for the test process's.
    global _heart
    _heart = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forgotten_in_child)


def beat(what: str, deadline: float) -> None:
    """An operation begins that should be over within ``deadline`` seconds."""
    heart = _heart
    if heart is not None:
        heart.operation(what, deadline)


def rest() -> None:
    """The operation is over: the process is between operations again."""
    heart = _heart
    if heart is not None:
        heart.between()
