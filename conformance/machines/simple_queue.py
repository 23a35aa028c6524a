"""The SimpleQueue state machine: puts, gets, empty() and close() against a FIFO model.

The test process and, once ``share_with_peer`` has run, a peer process holding
the queue by inheritance both put and get unique items of three sizes:
tiny, about 4 KiB, and larger than an OS pipe buffer.  Every answer is
compared with :class:`~conformance.models.simple_queue.SimpleQueueModel`
exactly, whatever consistency the adapter declares: a SimpleQueue writes
synchronously, so ``empty()`` and the next ``get()`` are exact.

A SimpleQueue ``put`` blocks while the pipe is full (SQ-PIPE-1), and the
machine must never deadlock itself.  So items nobody is reading may pile up
only to :data:`PIPE_BUDGET` bytes, and a large item is put only while the
other process is already reading: the peer has a ``get`` in flight before
the test's ``put``, and the test drains every held item while the peer's
``put`` is in flight.  These choices depend only on the model, so
generation stays deterministic.

After a tolerated deviation: a put that raised holds nothing, a wrong
``empty()`` changes nothing, an unpicklable object that ``put`` took after
all is expected back as some lock, and each use of a closed queue is
judged on its own; anything else sets the example aside.
"""

import pickle
import threading

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from conformance import verdict
from conformance.evidence import Deviated, continuing
from conformance.harness import timing
from conformance.harness.deadline import Outcome, call
from conformance.machines.base import ConformanceMachine, step
from conformance.models.simple_queue import WIRE_OVERHEAD, AnyLock, Item, SimpleQueueModel
from conformance.primitives import Feature

#: Every clause the machine judges.
CLAUSES = (
    "SQ-PUT-1",
    "SQ-GET-1",
    "SQ-FIFO-1",
    "SQ-ITEM-1",
    "SQ-SHARED-1",
    "SQ-EMPTY-1",
    "SQ-PICKLE-1",
    "SQ-PIPE-1",
    "SQ-CLOSE-1",
    "SQ-CLOSE-2",
    "SQ-CLOSED-1",
    "SQ-CLOSED-2",
    "SQ-CLOSED-3",
    "SQ-CLOSED-4",
)

#: Bytes of items the machine lets sit in the pipe with no reader.  The
#: smallest default pipe capacity among POSIX systems is 16 KiB (macOS and
#: FreeBSD start there; Linux has 64 KiB).
PIPE_BUDGET = 16 * 1024

TINY = st.integers(0, 64)
PAGE = st.integers(3584, 4608)
LARGE = st.integers(64 * 1024 + 1, 192 * 1024)
#: Sizes that may wait in the pipe unread (within the budget).
SMALL = st.one_of(TINY, PAGE)
SMALL_WIRE_MAX = 4608 + WIRE_OVERHEAD

#: What a put of an unpicklable object may raise (the pickler's own errors).
PICKLING_ERRORS = (TypeError, pickle.PicklingError, AttributeError)


class SimpleQueueMachine(ConformanceMachine):
    """Drives one SimpleQueue from the test process and an optional peer process."""

    def __init__(self, adapter):
        super().__init__(adapter)
        self.queue = self.own(adapter.simple_queue())
        self.model = SimpleQueueModel()
        self.peer = None
        self._serial = 0

    def _item(self, size: int) -> Item:
        self._serial += 1
        return Item.make(self._serial, size)

    def _check_got(self, order_clause: str, outcome: Outcome) -> None:
        """A get (by whoever) of a held item must return the oldest one, intact; it is then removed.

        ``order_clause`` is SQ-FIFO-1 within the test process, SQ-SHARED-1
        when another process took part.
        """
        got = verdict.returned("SQ-GET-1", outcome)
        verdict.expect("SQ-ITEM-1", not self.model.is_corruption(got), f"{outcome.what}: {self.model.explain(got)}")
        verdict.expect(order_clause, got == self.model.oldest, f"{outcome.what}: {self.model.explain(got)}")
        self.model.get()

    # --- preconditions: model state and static adapter facts only -----------------

    def _room(self) -> bool:
        return self.model.wire_size + SMALL_WIRE_MAX <= PIPE_BUDGET

    # --- the test process ---------------------------------------------------------

    def _accepted(self, clause: str, outcome: Outcome, item: Item) -> None:
        """A put must have returned; then the model holds ``item`` (a tolerated refusal holds nothing)."""
        try:
            verdict.returned(clause, outcome)
        except Deviated:
            if outcome.hung:
                raise
            return
        self.model.put(item)

    @precondition(lambda self: self._room())
    @rule(size=SMALL)
    @step
    def put(self, size):
        item = self._item(size)
        self._accepted("SQ-PUT-1", call(f"put({item!r})", self.queue.put, item), item)

    @precondition(lambda self: not self.model.empty)
    @rule()
    @step
    def get(self):
        self._check_got("SQ-FIFO-1", call("get()", self.queue.get))

    @rule()
    @step
    def empty(self):
        outcome = call("empty()", self.queue.empty)
        with continuing():  # a wrong answer changes nothing
            answer = verdict.returned("SQ-EMPTY-1", outcome)
            verdict.expect(
                "SQ-EMPTY-1",
                answer == self.model.empty,
                f"empty() returned {answer!r} while the queue holds {len(self.model.items)} item(s)",
            )

    @precondition(lambda self: self._room())
    @rule()
    @step
    def put_unpicklable(self):
        # Nothing may be enqueued: the following gets and empty() check that.
        outcome = call("put(threading.Lock())", self.queue.put, threading.Lock())
        try:
            verdict.raised("SQ-PICKLE-1", outcome, PICKLING_ERRORS)
        except Deviated:
            if outcome.hung:
                raise
            if outcome.ok:
                self.model.put(AnyLock())  # taken after all: some lock comes out in its place

    # --- a peer sharing the queue ------------------------------------------------

    @precondition(lambda self: self.peer is None)
    @rule()
    @step
    def share_with_peer(self):
        self.peer = self.start_peer(self.queue)

    @precondition(lambda self: self.peer is not None and self._room())
    @rule(size=SMALL)
    @step
    def peer_put(self, size):
        item = self._item(size)
        self._accepted("SQ-SHARED-1", self.peer.run("put", item), item)

    @precondition(lambda self: self.peer is not None and not self.model.empty)
    @rule()
    @step
    def peer_get(self):
        self._check_got("SQ-SHARED-1", self.peer.run("get"))

    @precondition(lambda self: self.peer is not None and self.model.empty)
    @rule(size=LARGE)
    @step
    def put_large_while_peer_gets(self, size):
        item = self._item(size)
        reading = self.peer.submit("get")  # in flight before the put, so the put can complete
        verdict.returned("SQ-PIPE-1", call(f"put({item!r})", self.queue.put, item))
        self.model.put(item)
        self._check_got("SQ-SHARED-1", reading.result())

    @precondition(lambda self: self.peer is not None)
    @rule(size=LARGE)
    @step
    def peer_put_large_while_draining(self, size):
        item = self._item(size)
        writing = self.peer.submit("put", item)
        self.model.put(item)  # after every held item: their puts returned before this one began
        # Drain first and judge after, so a wrong answer does not leave the peer blocked in put().
        gets = []
        while len(gets) < len(self.model.items) and (not gets or gets[-1].ok):
            gets.append(call("get()", self.queue.get))
        putting = writing.result()
        for outcome in gets:
            self._check_got("SQ-SHARED-1", outcome)
        verdict.returned("SQ-PIPE-1", putting)

    # --- close and use after close ---------------------------------------------

    @precondition(lambda self: self.peer is None and self.adapter.has(Feature.SIMPLE_QUEUE_CLOSE))
    @rule(uses=st.lists(st.sampled_from(["close", "put", "get", "empty"]), max_size=4))
    @step
    def close_then_use(self, uses):
        """Close the queue, try each of ``uses`` on it, then carry on with a fresh queue.

        One step rather than a closed state that later steps must respect:
        the exploration goes on after a close, and a failing close shrinks
        to a single step.  Only before a peer is started, so a run starts
        at most one peer (``close()`` is per process: a peer would keep
        the old queue open anyway).
        """
        verdict.returned("SQ-CLOSE-1", call("close()", self.queue.close))
        for operation in uses:
            with continuing():
                self._use_closed(operation)
        self.queue = self.own(self.adapter.simple_queue())
        self.model = SimpleQueueModel()

    def _use_closed(self, operation: str) -> None:
        if operation == "close":
            verdict.returned("SQ-CLOSE-2", call("close() again", self.queue.close))
        elif operation == "put":
            item = self._item(0)
            verdict.raised("SQ-CLOSED-3", call(f"put({item!r}) after close()", self.queue.put, item), OSError)
        elif operation == "get":
            outcome = call("get() after close()", self.queue.get, deadline=timing.IMMEDIATE)
            verdict.raised("SQ-CLOSED-4", outcome, OSError)
        else:
            outcome = call("empty() after close()", self.queue.empty)
            for clause_id in ("SQ-CLOSED-1", "SQ-CLOSED-2"):  # the one for this Python version grades
                verdict.raised(clause_id, outcome, OSError)
