"""The queue state machine: Queue and JoinableQueue against :class:`QueueModel`.

The test process drives the queue; an optional peer process, holding the
queue by inheritance, puts and gets too, blocks in ``get``/``put``/``join``
so the test can wake it, closes its side, and exits to flush.  Every rule is
chosen from the model alone (counts, capacity, closed flags), never from
what the queue answered, so examples replay and shrink.

Weak visibility (``eventual`` consistency, the stdlib feeder thread): right
after ``put`` returns, ``get_nowait`` may raise ``Empty`` and ``empty()``
may say True.  The machine records that as a Hypothesis event and then
requires the item within :data:`timing.VISIBILITY_DEADLINE`, so the model
never branches on a racy answer.

Deadlines follow what the spec promises of each call: a call that must
answer at once (``block=False``, ``*_nowait``, a zero or negative timeout,
a query, a ``put`` with a free slot) is abandoned and graded as hung after
:data:`timing.IMMEDIATE`, a timed wait after its timeout plus
:data:`timing.TIMEOUT_LATE`; only waits for an item or a wake-up get the
full visibility or operation deadline.
"""

import queue as queue_module
import sys
from typing import Optional

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance.adapter import Capability
from conformance.harness import timing
from conformance.harness.deadline import Outcome, call, eventually
from conformance.machines.base import ConformanceMachine
from conformance.models.queue import Item, QueueModel
from conformance.verdict import expect, raised, returned, within

#: Payload sizes: empty, small, just over a 4 KiB page, over the 64 KiB pipe buffer.
SIZES = st.sampled_from([0, 16, 4097, 70_000])
#: Payloads a process may leave unread in the pipe so its feeder thread can
#: always finish: well under the 64 KiB Linux pipe buffer.
PIPE_ROOM = 24 * 1024
#: Timeouts for waits that must expire: short, because each one costs time,
#: and at least twice :data:`timing.TIMEOUT_EARLY`, so a wait that returns
#: at once shows as too short.
SHORT_TIMEOUTS = st.sampled_from([0.02, 0.05])
#: Timeouts that ``block=False`` must ignore: long enough that obeying them shows.
IGNORED_TIMEOUTS = st.sampled_from([1.0, 3.0])
#: Capacities: no argument, unbounded by zero or negative, and small bounds.
MAXSIZES = st.sampled_from([None, 1, 2, 3, 0, -1])

#: For rules that end a phase (close, exit): act only when this draws 0, so
#: a phase lasts several steps; shrinking still reaches 0 directly.
RARELY = st.integers(0, 4)

MAIN, PEER = "main", "peer"


def timed(timeout: float) -> float:
    """The deadline of a call with ``timeout``: past it, the call has overrun its tolerance anyway."""
    return max(timeout, 0) + timing.TIMEOUT_LATE


def expect_blocked(clause_id: str, pending, situation: str) -> None:
    """The peer's call must still be blocked after :data:`timing.STILL_BLOCKED`."""
    if pending.ready(timing.STILL_BLOCKED):
        expect(clause_id, False, f"{pending.result().describe()} {situation}, expected it to block")


class QueueMachine(ConformanceMachine):
    """Checks one Queue (``kind = "queue"``) or JoinableQueue against the model."""

    kind = "queue"

    def __init__(self, adapter):
        super().__init__(adapter)
        self.queue = None
        self.model = None
        self.peer = None
        self.peer_closed = False
        self.peer_exited = False
        self.flushed = False
        self.cancelled = False
        self.seq = 0

    # -- set-up ---------------------------------------------------------

    @initialize(maxsize=MAXSIZES, with_peer=st.booleans())
    def create(self, maxsize, with_peer):
        factory = getattr(self.adapter, self.kind)
        self.queue = self.own(factory() if maxsize is None else factory(maxsize))
        bounded = maxsize is not None and maxsize > 0
        self.model = QueueModel(maxsize if bounded else None, exact=self.adapter.exact)
        if with_peer and self.adapter.has(Capability.INHERITANCE):
            self.peer = self.start_peer(self.queue)

    # -- helpers --------------------------------------------------------

    @property
    def open(self) -> bool:
        return not self.model.closed

    @property
    def peer_usable(self) -> bool:
        return self.peer is not None and not self.peer_exited and not self.peer_closed

    def new_item(self, producer: str, size: int) -> Item:
        self.seq += 1
        return Item(producer, self.seq, bytes([self.seq % 256]) * size)

    def has(self, capability: Capability) -> bool:
        return self.adapter.has(capability)

    def check_got(self, outcome: Outcome) -> None:
        """``outcome`` must be a successful get of an item the model allows now."""
        returned(self.missing_clause(), outcome)
        got = outcome.value
        if self.model.take(got):
            return
        held = isinstance(got, Item) and got in self.model.remaining()
        if not held:
            clause = "QUEUE-DELIVERY-1"
        elif self.model.exact and got.producer != self.model.acceptable()[0].producer:
            clause = "QUEUE-FIFO-2"
        else:
            clause = "QUEUE-FIFO-1"
        # Which items are visible is racy, so this detection is too: defer it.
        self.defer(clause, f"{outcome.what}: {self.model.explain(got)}")
        if held:
            self.model.discard(got)

    def missing_clause(self) -> str:
        """The clause an item that never shows up violates."""
        if self.peer_exited and any(i.producer == PEER for i in self.model.acceptable()):
            return "QUEUE-FLUSH-2"
        return "QUEUE-VISIBLE-2" if self.model.exact else "QUEUE-VISIBLE-1"

    def get_visible(self) -> None:
        """A blocking get that must deliver an acceptable item within the visibility deadline."""
        if self.has(Capability.TIMEOUTS):
            outcome = call("get(True, VISIBILITY_DEADLINE)", self.queue.get, True, timing.VISIBILITY_DEADLINE, deadline=timed(timing.VISIBILITY_DEADLINE))
            outcome = self.gave_up_early(outcome, timing.VISIBILITY_DEADLINE, lambda: call("get_nowait()", self.queue.get_nowait, deadline=timing.IMMEDIATE))
        else:
            outcome = call("get()", self.queue.get, deadline=timing.VISIBILITY_DEADLINE)
        self.check_got(outcome)

    def peer_get_visible(self) -> None:
        if self.has(Capability.TIMEOUTS):
            outcome = self.peer.run("get", True, timing.VISIBILITY_DEADLINE, deadline=timed(timing.VISIBILITY_DEADLINE))
            outcome = self.gave_up_early(outcome, timing.VISIBILITY_DEADLINE, lambda: self.peer.run("get_nowait"))
        else:
            outcome = self.peer.run("get", deadline=timing.VISIBILITY_DEADLINE)
        self.check_got(outcome)

    def gave_up_early(self, outcome: Outcome, timeout: float, retry) -> Outcome:
        """``outcome`` of ``get(True, timeout)`` with items held; a get that raised Empty before its timeout is graded.

        Such a get violates QUEUE-GET-2 whether or not the item was visible
        yet, but whether it happens depends on the feeder thread: the
        violation is deferred, and the item is got with ``retry``
        (``get_nowait``) until it shows up, so the model stays in step and
        the example runs on exactly as with a conforming queue.
        """
        if not self.defer_if_early(outcome, timeout):
            return outcome
        attempts = [outcome]

        def got() -> bool:
            attempts.append(retry())
            return not isinstance(attempts[-1].error, queue_module.Empty)

        settled, waited = eventually(got, timing.VISIBILITY_DEADLINE)
        return attempts[-1] if settled else Outcome(outcome.what + " and get_nowait()", elapsed=waited, hung=True)

    def defer_if_early(self, outcome: Outcome, timeout: float) -> bool:
        """Whether ``get(True, timeout)``, with items held, raised Empty before its timeout; if so, QUEUE-GET-2 is deferred
        (too early whatever the feeder thread did, but whether it happens is racy)."""
        early = isinstance(outcome.error, queue_module.Empty) and outcome.elapsed < timeout - timing.TIMEOUT_EARLY
        if early:
            self.defer("QUEUE-GET-2", f"{outcome.describe()} while the queue held {self.model.held} item(s), expected an item or a wait of about {timeout}s")
        return early

    def put_returned(self, clause_id: str, outcome: Outcome, item: Item) -> None:
        """A put with a free slot must have returned at once; then the model holds ``item``.

        A put refused or stuck with a slot free may come from a count broken
        underneath (a duplicated item takes a slot): the queue is audited
        first, so such a cause is named.  ``item`` itself may still arrive
        from the abandoned call; the audit does not count it as extra.
        """
        if not outcome.ok:
            self.audit(outcome.describe(), late=item)
        returned(clause_id, outcome)
        self.model.put(item)

    # -- put ------------------------------------------------------------

    @precondition(lambda self: self.open and not self.model.full)
    @rule(size=SIZES, form=st.sampled_from(["put", "put_nowait", "block", "block_timeout", "noblock", "noblock_timeout"]))
    def put_with_free_slot(self, size, form):
        item = self.new_item(MAIN, size)
        # With a slot free nothing is worth waiting for (QUEUE-MAXSIZE-2: a slot is
        # free as soon as a get has returned), so every form must return at once.
        if form in ("put", "put_nowait") or not self.has(Capability.TIMEOUTS):
            form = form if form in ("put", "put_nowait") else "put"
            outcome = call(f"{form}({item})", getattr(self.queue, form), item, deadline=timing.IMMEDIATE)
        else:
            block = form.startswith("block")
            args = (item, block, timing.VISIBILITY_DEADLINE) if form.endswith("timeout") else (item, block)
            outcome = call(f"put{args}", self.queue.put, *args, deadline=timing.IMMEDIATE)
        self.put_returned("QUEUE-PUT-1" if form in ("put", "block", "block_timeout") else "QUEUE-MAXSIZE-2", outcome, item)

    @precondition(lambda self: self.open and not self.model.full)
    @rule(sizes=st.lists(st.sampled_from([0, 16, 4097]), min_size=2, max_size=4))
    def put_burst(self, sizes):
        """Puts in a row, while a slot is free: a queue holding several items (order, capacity, consumers taking turns).

        Single puts and gets alternate, so without bursts an example seldom
        holds more than two items.
        """
        for size in sizes:
            if self.model.full:
                break
            item = self.new_item(MAIN, size)
            self.put_returned("QUEUE-PUT-1", call(f"put({item})", self.queue.put, item, deadline=timing.IMMEDIATE), item)

    @precondition(lambda self: self.open and self.model.full)
    @rule(form=st.sampled_from(["put_nowait", "noblock", "noblock_timeout", "timeout", "zero", "negative"]), timeout=SHORT_TIMEOUTS, ignored=IGNORED_TIMEOUTS)
    def put_to_full_queue(self, form, timeout, ignored):
        item = self.new_item(MAIN, 16)
        at_once = timing.IMMEDIATE
        if form == "put_nowait" or not self.has(Capability.TIMEOUTS):
            outcome = call(f"put_nowait({item})", self.queue.put_nowait, item, deadline=at_once)
            clause = "QUEUE-MAXSIZE-1"
        elif form == "noblock":
            outcome = call(f"put({item}, False)", self.queue.put, item, False, deadline=at_once)
            clause = "QUEUE-MAXSIZE-1"
        elif form == "noblock_timeout":
            outcome = call(f"put({item}, False, {ignored})", self.queue.put, item, False, ignored, deadline=at_once)
            clause = "QUEUE-PUT-3"
        elif form == "timeout":
            outcome = call(f"put({item}, True, {timeout})", self.queue.put, item, True, timeout, deadline=timed(timeout))
            raised("QUEUE-PUT-2", outcome, queue_module.Full)
            within("QUEUE-PUT-2", outcome, timeout - timing.TIMEOUT_EARLY, timeout + timing.TIMEOUT_LATE)
            return
        else:
            value = 0 if form == "zero" else -1
            outcome = call(f"put({item}, True, {value})", self.queue.put, item, True, value, deadline=at_once)
            if value < 0 and self.has(Capability.PROXY):
                raised("MGR-TIMEOUT-1", outcome, ValueError)
                return
            clause = "QUEUE-TIMEOUT-1"
        raised(clause, outcome, queue_module.Full)
        within(clause, outcome, 0, timing.IMMEDIATE)

    # -- get ------------------------------------------------------------

    @precondition(lambda self: self.open and not self.model.empty)
    @rule(form=st.sampled_from(["get", "get_nowait", "noblock", "noblock_timeout", "block_timeout", "short_timeout", "zero"]), ignored=IGNORED_TIMEOUTS, timeout=SHORT_TIMEOUTS)
    def get_available_item(self, form, ignored, timeout):
        if form == "get":
            self.check_got(call("get()", self.queue.get, deadline=timing.VISIBILITY_DEADLINE))
            return
        if form == "block_timeout" and self.has(Capability.TIMEOUTS):
            self.get_visible()
            return
        if form == "get_nowait" or not self.has(Capability.TIMEOUTS):
            outcome = call("get_nowait()", self.queue.get_nowait, deadline=timing.IMMEDIATE)
        else:
            args = {"noblock": (False,), "noblock_timeout": (False, ignored), "short_timeout": (True, timeout), "zero": (True, 0)}[form]
            outcome = call(f"get{args}", self.queue.get, *args, deadline=timed(timeout) if form == "short_timeout" else timing.IMMEDIATE)
        if form == "short_timeout":
            self.defer_if_early(outcome, timeout)  # then the rule goes on as for Empty
        if outcome.error is not None and not self.model.exact:
            if not isinstance(outcome.error, queue_module.Empty):
                # Whether the item was visible yet is racy: defer the violation.
                clause = {"short_timeout": "QUEUE-GET-2", "zero": "QUEUE-TIMEOUT-1"}.get(form, "QUEUE-GET-3")
                self.defer(clause, outcome.describe() + ", expected an item or queue.Empty")
            # Empty is allowed at eventual consistency: the item is still in the feeder thread.
            event(f"eventual: {outcome.what} raised Empty with items held")
            self.get_visible()
            return
        self.check_got(outcome)

    @precondition(lambda self: self.open and self.model.empty)
    @rule(form=st.sampled_from(["get_nowait", "noblock", "noblock_timeout", "timeout", "zero", "negative"]), timeout=SHORT_TIMEOUTS, ignored=IGNORED_TIMEOUTS)
    def get_from_empty_queue(self, form, timeout, ignored):
        at_once = timing.IMMEDIATE
        if form == "get_nowait" or not self.has(Capability.TIMEOUTS):
            outcome, clause = call("get_nowait()", self.queue.get_nowait, deadline=at_once), "QUEUE-GET-3"
        elif form in ("noblock", "noblock_timeout"):
            args = (False,) if form == "noblock" else (False, ignored)
            outcome, clause = call(f"get{args}", self.queue.get, *args, deadline=at_once), "QUEUE-GET-3"
        elif form == "timeout":
            outcome = call(f"get(True, {timeout})", self.queue.get, True, timeout, deadline=timed(timeout))
            raised("QUEUE-GET-2", outcome, queue_module.Empty)
            within("QUEUE-GET-2", outcome, timeout - timing.TIMEOUT_EARLY, timeout + timing.TIMEOUT_LATE)
            return
        else:
            value = 0 if form == "zero" else -1
            outcome = call(f"get(True, {value})", self.queue.get, True, value, deadline=at_once)
            if value < 0 and self.has(Capability.PROXY):
                raised("MGR-TIMEOUT-1", outcome, ValueError)
                return
            clause = "QUEUE-TIMEOUT-1"
        if outcome.ok:
            expect("QUEUE-DELIVERY-1", False, f"{outcome.what} returned {outcome.value!r} from a queue that should be empty")
        raised(clause, outcome, queue_module.Empty)
        within(clause, outcome, 0, timing.IMMEDIATE)

    # -- approximate queries --------------------------------------------

    @precondition(lambda self: self.open)
    @rule(query=st.sampled_from(["qsize", "empty", "full"]))
    def query(self, query):
        """An approximate query must settle on the model's answer.

        A wrong answer may be the symptom of a required clause broken
        underneath (an item got twice takes a slot, a queue over its bound
        says it is not full), so before the query's own, unreliable clause
        is graded, the required operations that must agree with the model
        are tried: first those that leave a conforming queue unchanged
        (:meth:`cross_check`), and once the answer has failed to settle,
        a drain of the whole queue (:meth:`audit`).
        """
        if query == "qsize" and not self.has(Capability.QSIZE):
            return
        expected = {"qsize": self.model.held, "empty": self.model.empty, "full": self.model.full}[query]
        method = getattr(self.queue, query)
        clause = "QUEUE-VISIBLE-2" if self.model.exact else f"QUEUE-{query.upper()}-1"
        first = returned(clause, call(f"{query}()", method, deadline=timing.IMMEDIATE))
        if first == expected:
            return
        self.cross_check(query, first)
        observed = f"{query}() returned {first!r}, expected {expected!r}"
        if not self.model.exact:
            event(f"eventual: {query}() lagged")
            settled, waited = eventually(lambda: returned(clause, call(f"{query}()", method, deadline=timing.IMMEDIATE)) == expected)
            if settled:
                return
            observed = f"{query}() still differed from {expected!r} after {waited:.2f}s"
        self.audit(observed)
        expect(clause, False, observed)

    def cross_check(self, query: str, answer) -> None:
        """After ``query()`` returned ``answer`` against the model: the required calls a conforming queue answers without a change.

        A queue the model holds full must refuse ``put_nowait``
        (QUEUE-MAXSIZE-1); one the model holds empty must have nothing for
        ``get_nowait`` (QUEUE-DELIVERY-1) and, if bounded, its whole room
        (:meth:`check_capacity`).  Each is tried only when the answer
        contradicts it, and on a conforming queue it leaves queue and model
        as they were, so generation stays the same.
        """
        says_room = answer is False if query == "full" else query == "qsize" and isinstance(answer, int) and answer < self.model.held
        if self.model.full and says_room:
            probe = Item(MAIN, 0)  # never accepted by a conforming queue, so it needs no sequence number of its own
            outcome = call(f"put_nowait({probe}) after {query}() returned {answer!r}", self.queue.put_nowait, probe, deadline=timing.IMMEDIATE)
            raised("QUEUE-MAXSIZE-1", outcome, queue_module.Full)
        says_items = answer != {"qsize": 0, "empty": True, "full": False}[query]
        if self.model.empty and says_items:
            outcome = call(f"get_nowait() after {query}() returned {answer!r}", self.queue.get_nowait, deadline=timing.IMMEDIATE)
            if outcome.ok:
                expect("QUEUE-DELIVERY-1", False, f"{outcome.describe()} from a queue that should be empty")
            if query != "empty":
                self.check_capacity(f"after {query}() returned {answer!r}")

    def check_capacity(self, situation: str) -> None:
        """The model holds the queue empty: a bounded one takes ``maxsize`` probe items (QUEUE-MAXSIZE-2) and then
        refuses one more (QUEUE-MAXSIZE-1); the probes, the only items, are got back (:meth:`take_turns`), so
        nothing changes."""
        if self.model.maxsize is None:
            return
        for number in range(-self.model.maxsize, 0):  # never a sequence number of the example's items
            probe = Item(MAIN, number)
            self.put_returned("QUEUE-MAXSIZE-2", call(f"put_nowait({probe}) {situation}", self.queue.put_nowait, probe, deadline=timing.IMMEDIATE), probe)
        extra = Item(MAIN, 0)
        outcome = call(f"put_nowait({extra}) {situation}, with {self.model.maxsize} probe(s) held", self.queue.put_nowait, extra, deadline=timing.IMMEDIATE)
        raised("QUEUE-MAXSIZE-1", outcome, queue_module.Full)
        self.take_turns()
        if self.tasks():
            for _ in range(self.model.maxsize):
                returned("JQ-TASKDONE-1", call("task_done()", self.queue.task_done, deadline=timing.IMMEDIATE))
                self.model.unfinished -= 1

    def audit(self, observed: str, late: Optional[Item] = None) -> None:
        """About to report ``observed`` (a failed query or put): get every item first, so a lost, duplicated or
        invented item is named before the symptom.

        Reports the first deferred violation, else QUEUE-DELIVERY-1 for an
        item left over (other than ``late``, the item of an abandoned put);
        returns when the contents match the model, or when this process
        cannot get (it closed the queue).
        """
        if not self.open:
            return
        while not self.model.empty:
            self.get_visible()
        extra = call("get_nowait()", self.queue.get_nowait, deadline=timing.IMMEDIATE)
        if extra.ok and late is not None and extra.value == late:
            extra = call("get_nowait()", self.queue.get_nowait, deadline=timing.IMMEDIATE)
        if self.deferred is not None:
            expect(self.deferred[0], False, self.deferred[1])
        if extra.ok:
            expect("QUEUE-DELIVERY-1", False, f"after every item was got, {extra.describe()} (then: {observed})")

    # -- close, join_thread, cancel_join_thread ---------------------------

    @precondition(lambda self: self.has(Capability.CLOSE) and self.open and self.model.held_bytes(MAIN) <= PIPE_ROOM)
    @rule(now=RARELY)
    def close(self, now):
        if now:
            return
        returned("QUEUE-CLOSE-4", call("close()", self.queue.close))
        self.model.closed = True

    @precondition(lambda self: self.model.closed)
    @rule(operation=st.sampled_from(["put", "put_nowait", "put_noblock", "get", "get_nowait", "empty", "close"]))
    def use_after_close(self, operation):
        if operation == "close":
            returned("QUEUE-CLOSE-4", call("close()", self.queue.close))
        elif operation == "empty":
            outcome = call("empty()", self.queue.empty)
            expect(
                "QUEUE-CLOSE-5",
                not outcome.hung and (isinstance(outcome.value, bool) if outcome.ok else isinstance(outcome.error, OSError)),
                outcome.describe() + ", expected a bool or OSError",
            )
        elif operation.startswith("put"):
            item = self.new_item(MAIN, 16)
            if operation == "put_noblock" and self.has(Capability.TIMEOUTS):
                outcome = call(f"put({item}, False)", self.queue.put, item, False)
            else:
                method = "put_nowait" if operation == "put_nowait" else "put"
                outcome = call(f"{method}({item})", getattr(self.queue, method), item)
            raised("QUEUE-CLOSE-1", outcome, ValueError)
        else:
            outcome = call(f"{operation}()", getattr(self.queue, operation))
            raised("QUEUE-CLOSE-2", outcome, ValueError)
            within("QUEUE-CLOSE-2", outcome, 0, timing.IMMEDIATE)

    @precondition(lambda self: self.model.closed and not self.flushed)
    @rule()
    def join_thread(self):
        clause = "QUEUE-CANCEL-1" if self.cancelled else "QUEUE-FLUSH-1"
        returned(clause, call("join_thread()", self.queue.join_thread))
        self.flushed = True

    @precondition(lambda self: self.has(Capability.CLOSE) and self.open and not sys.flags.optimize)
    @rule(now=RARELY)
    def join_thread_before_close(self, now):
        if now:
            return
        raised("QUEUE-JOINTHREAD-1", call("join_thread()", self.queue.join_thread), AssertionError)

    @precondition(lambda self: self.has(Capability.CLOSE) and not self.cancelled)
    @rule(now=RARELY)
    def cancel_join_thread(self, now):
        if now:
            return
        returned("QUEUE-CANCEL-1", call("cancel_join_thread()", self.queue.cancel_join_thread))
        self.cancelled = True

    # After cancel_join_thread(), join_thread() does not wait for the feeder (QUEUE-CANCEL-1):
    # the items may still be on their way.
    @precondition(lambda self: self.flushed and not self.cancelled and self.peer_usable and not self.model.empty)
    @rule()
    def flushed_items_visible_to_peer(self):
        """The peer gets an item at once while this process's flushed items are held.

        Whether this process's items are among those held depends on which
        items earlier gets returned, which is racy, so it is decided here,
        not in the precondition: otherwise the peer just gets one item.
        """
        if not any(i.producer == MAIN for i in self.model.acceptable()):
            self.peer_get_visible()
            return
        outcome = self.peer.run("get_nowait")
        if isinstance(outcome.error, queue_module.Empty):
            expect("QUEUE-FLUSH-1", False, f"{outcome.describe()} although close() and join_thread() had returned")
        self.check_got(outcome)

    # -- the peer process -------------------------------------------------

    @precondition(lambda self: self.peer_usable and not self.model.full)
    @rule(size=st.sampled_from([0, 16, 4097]))
    def peer_puts(self, size):
        if self.model.held_bytes(PEER) + size > PIPE_ROOM:
            size = 0
        item = self.new_item(PEER, size)
        # A slot is free, so the put must return at once (as put_with_free_slot).
        self.put_returned("QUEUE-PUT-1", self.peer.run("put", item, deadline=timing.IMMEDIATE), item)

    @precondition(lambda self: self.peer_usable and not self.model.empty)
    @rule(form=st.sampled_from(["timeout", "get"]))
    def peer_gets(self, form):
        if form == "get":  # no timeout: it waits for the item to become visible
            self.check_got(self.peer.run("get", deadline=timing.VISIBILITY_DEADLINE))
        else:
            self.peer_get_visible()

    @precondition(lambda self: self.peer_usable and self.open and self.model.empty)
    @rule(size=SIZES)
    def peer_get_blocks_until_put(self, size):
        pending = self.peer.submit("get")
        if pending.ready(timing.STILL_BLOCKED) and pending.result().ok:
            # An item out of a queue the model holds empty was never put, or was got before.
            expect("QUEUE-DELIVERY-1", False, f"{pending.result().describe()} from a queue that should be empty")
        expect_blocked("QUEUE-GET-1", pending, "on an empty queue")
        item = self.new_item(MAIN, size)
        self.put_returned("QUEUE-PUT-1", call(f"put({item})", self.queue.put, item, deadline=timing.IMMEDIATE), item)
        event("blocked get woken by a put")
        outcome = pending.result(timing.VISIBILITY_DEADLINE)
        expect("QUEUE-GET-1", not outcome.hung, f"{outcome.describe()} after the test put {item}")
        self.check_got(outcome)

    @precondition(lambda self: self.peer_usable and self.open and self.model.full)
    @rule()
    def peer_put_blocks_until_get(self):
        item = self.new_item(PEER, 16)
        pending = self.peer.submit("put", item)
        expect_blocked("QUEUE-PUT-1", pending, "on a full queue")
        self.get_visible()
        event("blocked put woken by a get")
        outcome = pending.result(timing.OPERATION_DEADLINE)
        expect("QUEUE-PUT-1", not outcome.hung, f"{outcome.describe()} after the test got an item")
        returned("QUEUE-PUT-1", outcome)
        self.model.put(item)

    @precondition(lambda self: self.peer_usable and self.has(Capability.CLOSE))
    @rule(now=RARELY)
    def peer_closes(self, now):
        if now:
            return
        returned("QUEUE-CLOSE-4", self.peer.run("close"))
        self.peer_closed = True
        raised("QUEUE-CLOSE-1", self.peer.run("put_nowait", self.new_item(PEER, 0)), ValueError)

    @precondition(lambda self: self.peer is not None and not self.peer_exited)
    @rule(now=RARELY)
    def peer_exits(self, now):
        if now:
            return
        self.peer.exit()
        self.peer_exited = True

    # -- JoinableQueue task accounting --------------------------------------

    def tasks(self) -> bool:
        return self.kind == "joinable_queue" and self.has(Capability.TASK_DONE)

    @precondition(lambda self: self.tasks())
    @rule()
    def task_done(self):
        outcome = call("task_done()", self.queue.task_done)
        if self.model.unfinished == 0:
            raised("JQ-TASKDONE-2", outcome, ValueError)
            return
        ahead_of_get = self.model.unfinished <= self.model.held
        clause = "JQ-CLOSE-1" if self.model.closed else ("JQ-TASKDONE-3" if ahead_of_get else "JQ-TASKDONE-1")
        returned(clause, outcome)
        self.model.unfinished -= 1

    @precondition(lambda self: self.tasks() and self.model.unfinished == 0)
    @rule()
    def join_with_no_unfinished_tasks(self):
        outcome = call("join()", self.queue.join)
        returned("JQ-JOIN-1", outcome)
        within("JQ-JOIN-1", outcome, 0, timing.IMMEDIATE)

    @precondition(lambda self: self.tasks() and self.model.unfinished > 0 and self.peer is not None and not self.peer_exited)
    @rule()
    def peer_join_waits_for_task_done(self):
        pending = self.peer.submit("join")
        expect_blocked("JQ-JOIN-2", pending, "with unfinished tasks")
        while self.model.unfinished:
            returned("JQ-TASKDONE-1", call("task_done()", self.queue.task_done))
            self.model.unfinished -= 1
        outcome = pending.result(timing.OPERATION_DEADLINE)
        expect("JQ-JOIN-2", outcome.ok, f"{outcome.describe()} after every task was marked done")
        event("blocked join woken by task_done")

    # -- teardown: drain and check nothing was lost -------------------------

    def teardown(self):
        try:
            if sys.exc_info()[0] is None and self.deferred is None and self.model is not None:
                self.drain()
        finally:
            super().teardown()

    def take_turns(self) -> None:
        """Get every item held, this process and the peer (when both can get) taking turns.

        Items come out in order whichever process gets them: an item one
        consumer holds back shows as out of order or missing for the other.
        """
        getters = [get for get, able in ((self.get_visible, self.open), (self.peer_get_visible, self.peer_usable)) if able]
        turn = 0
        while not self.model.empty:
            getters[turn % len(getters)]()
            turn += 1

    def drain(self) -> None:
        """Get every item still held (:meth:`take_turns`): all must come out, in order, then the queue is empty.

        A queue this process closed must still refuse ``get``
        (QUEUE-CLOSE-2); an open, bounded one must have all its room back
        (:meth:`check_capacity`).
        """
        if self.open:
            last = lambda: call("get_nowait()", self.queue.get_nowait, deadline=timing.IMMEDIATE)  # noqa: E731
        else:
            outcome = call("get_nowait() after close()", self.queue.get_nowait, deadline=timing.IMMEDIATE)
            raised("QUEUE-CLOSE-2", outcome, ValueError)
            if not self.peer_usable:
                return
            last = lambda: self.peer.run("get_nowait")  # noqa: E731
        self.take_turns()
        outcome = last()
        if outcome.ok:
            expect("QUEUE-DELIVERY-1", False, f"after every item was got, {outcome.describe()}")
        if self.open:
            self.check_capacity("once every item was got")


class JoinableQueueMachine(QueueMachine):
    """The same machine on a JoinableQueue, with task_done()/join() accounting."""

    kind = "joinable_queue"
