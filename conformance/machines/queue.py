"""The queue state machine: Queue and JoinableQueue against :class:`QueueModel`.

The test process drives the queue; an optional peer, holding the queue as
the adapter's launcher hands it over, puts and gets too, blocks in
``get``/``put``/``join`` so the test can wake it, closes its side, and
exits to flush.  Every rule is chosen from the model alone (counts,
capacity, closed flags), never from what the queue answered, so examples
replay and shrink.  A rule calls ``put``/``get`` in one of the documented
forms (:class:`~conformance.primitives.QueueCall`); a form the adapter
declares absent is replaced by the first form it offers from a fixed list
of equivalents, so the choice depends on the adapter, never on a run.

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

After a tolerated deviation the machine adopts what the queue did where
that is well defined: a put that was refused holds nothing, a wrong
exception for an empty or full queue is taken as that answer, a wrong
query answer changes nothing, an item accepted after ``close()`` or one
that never became visible may still come out (the model's limbo).
Anything else sets the example aside (:mod:`conformance.machines.base`).
"""

import queue as queue_module
import sys
from typing import Optional

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance import applicability, evidence, spec
from conformance.adapter import Mode, Trait
from conformance.harness import timing
from conformance.harness.deadline import CallKind, Outcome, call, eventually
from conformance.machines.base import ConformanceMachine, step
from conformance.models.queue import Item, QueueModel
from conformance.primitives import Feature, Primitive, QueueCall, Wait, calls
from conformance.verdict import expect, raised, returned, within

#: Every clause the machine judges, on a Queue and on a JoinableQueue.
CLAUSES = (
    "QUEUE-FIFO-1",
    "QUEUE-FIFO-2",
    "QUEUE-DELIVERY-1",
    "QUEUE-MAXSIZE-1",
    "QUEUE-MAXSIZE-2",
    "QUEUE-MAXSIZE-3",
    "QUEUE-PUT-1",
    "QUEUE-PUT-2",
    "QUEUE-PUT-3",
    "QUEUE-GET-1",
    "QUEUE-GET-2",
    "QUEUE-GET-3",
    "QUEUE-TIMEOUT-1",
    "QUEUE-VISIBLE-1",
    "QUEUE-VISIBLE-2",
    "QUEUE-QSIZE-1",
    "QUEUE-EMPTY-1",
    "QUEUE-FULL-1",
    "QUEUE-CLOSE-1",
    "QUEUE-CLOSE-2",
    "QUEUE-CLOSE-3",
    "QUEUE-CLOSE-4",
    "QUEUE-CLOSE-5",
    "QUEUE-FLUSH-1",
    "QUEUE-FLUSH-2",
    "QUEUE-CANCEL-1",
    "QUEUE-JOINTHREAD-1",
    "QUEUE-LARGE-1",
    "MGR-TIMEOUT-1",
    "MGR-PROXY-1",
)
#: What the machine judges on a JoinableQueue besides: each Queue clause checked there is a check of
#: JQ-QUEUE-1, and the task accounting.
JOINABLE_CLAUSES = CLAUSES + (
    "JQ-QUEUE-1",
    "JQ-TASKDONE-1",
    "JQ-TASKDONE-2",
    "JQ-TASKDONE-3",
    "JQ-JOIN-1",
    "JQ-JOIN-2",
    "JQ-CLOSE-1",
)

#: The Linux pipe buffer, in bytes: items over it are large (QUEUE-LARGE-1).
PIPE_BUFFER = 65536
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

#: The forms of a put with a free slot, each of which must return at once.
FREE_SLOT_PUTS = (
    QueueCall.PUT,
    QueueCall.PUT_NOWAIT,
    QueueCall.PUT_BLOCK,
    QueueCall.PUT_BLOCK_TIMEOUT,
    QueueCall.PUT_TIMEOUT,
    QueueCall.PUT_NOBLOCK,
    QueueCall.PUT_NOBLOCK_TIMEOUT,
)
#: The forms of a put on a full queue that must raise Full (at once, or after the timeout).
REFUSED_PUTS = (
    QueueCall.PUT_NOWAIT,
    QueueCall.PUT_NOBLOCK,
    QueueCall.PUT_NOBLOCK_TIMEOUT,
    QueueCall.PUT_BLOCK_TIMEOUT,
    QueueCall.PUT_TIMEOUT,
    QueueCall.PUT_ZERO,
    QueueCall.PUT_NEGATIVE,
)
#: The forms of a get while items are held.
HELD_GETS = (
    QueueCall.GET,
    QueueCall.GET_NOWAIT,
    QueueCall.GET_NOBLOCK,
    QueueCall.GET_NOBLOCK_TIMEOUT,
    QueueCall.GET_BLOCK_TIMEOUT,
    QueueCall.GET_TIMEOUT,
    QueueCall.GET_ZERO,
)
#: The forms of a get from an empty queue that must raise Empty (at once, or after the timeout).
EMPTY_GETS = (
    QueueCall.GET_NOWAIT,
    QueueCall.GET_NOBLOCK,
    QueueCall.GET_NOBLOCK_TIMEOUT,
    QueueCall.GET_BLOCK_TIMEOUT,
    QueueCall.GET_TIMEOUT,
    QueueCall.GET_ZERO,
    QueueCall.GET_NEGATIVE,
)


def timed(timeout: float) -> float:
    """The deadline of a call with ``timeout``: past it, the call has overrun its tolerance anyway."""
    return max(timeout, 0) + timing.TIMEOUT_LATE


def deadline_of(form: QueueCall, timeout: Optional[float]) -> float:
    """How long a call of ``form`` that must answer without an item or slot to wait for may take."""
    if form.wait is Wait.TIMEOUT:
        return timed(timeout)
    return timing.IMMEDIATE


def kind_of(form: QueueCall, timeout: Optional[float]) -> Optional[CallKind]:
    """What a call of ``form`` is, for recognising its hang while shrinking; None for a wait for an item or a
    slot, which has no bound of its own (the feeder thread decides when an item shows)."""
    own = form.value_of_timeout(timeout) if form.wait is Wait.TIMEOUT else 0
    if form.wait is Wait.FOREVER or own is None:
        return None
    return CallKind(form, max(own, 0) + timing.KNOWN_HANG_LATE)


def expect_blocked(clause_id: str, pending, situation: str) -> None:
    """The peer's call must still be blocked after :data:`timing.STILL_BLOCKED`."""
    if pending.ready(timing.STILL_BLOCKED):
        expect(clause_id, False, f"{pending.result().describe()} {situation}, expected it to block")
    else:
        expect(clause_id, True, "")


def api_clause(adapter, primitive: Primitive) -> str:
    """The clause a documented call that fails outright (a constructor, a missing argument form) breaks."""
    if adapter.is_(Trait.PROXY):
        return "MGR-PROXY-1"
    return "JQ-API-1" if primitive is Primitive.JOINABLE_QUEUE else "QUEUE-API-1"


class QueueMachine(ConformanceMachine):
    """Checks one Queue (or, in the subclass, JoinableQueue) against the model."""

    primitive = Primitive.QUEUE

    def __init__(self, adapter):
        super().__init__(adapter)
        self.queue = None
        self.model = None
        self.peer = None
        self.peer_closed = False
        self.peer_exited = False
        self.flushed = False
        self.cancelled = False
        self.unbounded_by_argument = False
        self.seq = 0
        #: The forms this adapter's queue offers, in order of preference, for each situation.
        self.waiting_get = calls(adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET)[0]
        self.nowait_gets = calls(adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK, QueueCall.GET_ZERO)
        self.refused_puts = calls(adapter, *REFUSED_PUTS)
        self.empty_gets = calls(adapter, *EMPTY_GETS)
        self.queries = tuple(
            q
            for q, f in (
                ("qsize", Feature.QUEUE_QSIZE),
                ("empty", Feature.QUEUE_EMPTY_FULL),
                ("full", Feature.QUEUE_EMPTY_FULL),
            )
            if adapter.has(f)
        )

    # -- set-up ---------------------------------------------------------

    @initialize(maxsize=MAXSIZES, with_peer=st.booleans())
    @step
    def create(self, maxsize, with_peer):
        shown = "" if maxsize is None else str(maxsize)
        outcome = call(
            f"{self.primitive.attribute}({shown})",
            self.primitive.make,
            self.adapter,
            *([] if maxsize is None else [maxsize]),
        )
        unbounded = maxsize is None or maxsize <= 0
        #: Made with a maxsize of zero or less, which the docs make unbounded (QUEUE-MAXSIZE-3).
        self.unbounded_by_argument = unbounded and maxsize is not None
        self.model = QueueModel(None if unbounded else maxsize, exact=self.adapter.exact)
        self.queue = self.own(
            returned(
                "QUEUE-MAXSIZE-3" if unbounded and maxsize is not None else api_clause(self.adapter, self.primitive),
                outcome,
            )
        )
        if with_peer:
            self.peer = self.start_peer(self.queue)

    # -- helpers --------------------------------------------------------

    @property
    def open(self) -> bool:
        return not self.model.closed

    @property
    def peer_usable(self) -> bool:
        return self.peer is not None and not self.peer_exited and not self.peer_closed

    @property
    def processes(self) -> bool:
        return self.adapter.mode is Mode.PROCESSES

    def judged(self, clause_id: str) -> bool:
        """Whether ``clause_id`` applies to this adapter (a check of one that does not is never made)."""
        return applicability.applies(spec.clause(clause_id), self.adapter)

    def room_for(self, size: int) -> bool:
        """Whether the queue's declared byte capacity still holds ``size`` more bytes."""
        return self.adapter.limits.holds(self.model.held_bytes(MAIN) + self.model.held_bytes(PEER) + size)

    def new_item(self, producer: str, size: int) -> Item:
        """An item of ``size`` payload bytes, or of the largest the adapter declares a put accepts."""
        self.seq += 1
        return Item(producer, self.seq, bytes([self.seq % 256]) * self.adapter.limits.largest(size))

    def has(self, feature: Feature) -> bool:
        return self.adapter.has(feature)

    def pick(self, drawn: QueueCall, offered: tuple[QueueCall, ...]) -> QueueCall:
        """``drawn`` if the adapter offers it, else the first form it offers among the equivalents."""
        return drawn if drawn in offered else offered[0]

    def invoke(self, form: QueueCall, item=None, timeout=None, deadline=None) -> Outcome:
        """``form`` on the queue in the test process, abandoned after ``deadline`` (by default what ``form`` may
        take)."""
        args, kwargs = form.arguments(item, timeout)
        return call(
            form.describe(item, timeout),
            getattr(self.queue, form.method),
            *args,
            deadline=deadline_of(form, timeout) if deadline is None else deadline,
            kind=kind_of(form, timeout),
            **kwargs,
        )

    def invoke_in_peer(self, form: QueueCall, item=None, timeout=None, deadline=None) -> Outcome:
        args, kwargs = form.arguments(item, timeout)
        return self.peer.run(
            form.method, *args, deadline=deadline_of(form, timeout) if deadline is None else deadline, **kwargs
        )

    def check_got(self, outcome: Outcome) -> None:
        """``outcome`` must be a successful get of an item the model allows now."""
        returned(self.missing_clause(), outcome)
        got = outcome.value
        if self.model.take(got):
            expect("QUEUE-DELIVERY-1", True, "")
            expect("QUEUE-FIFO-1", True, "")
            if self.model.exact and self.judged("QUEUE-FIFO-2"):
                expect("QUEUE-FIFO-2", True, "")
            if self.peer_closed and self.judged("QUEUE-CLOSE-3"):
                expect("QUEUE-CLOSE-3", True, "")
            return
        held = isinstance(got, Item) and got in self.model.remaining()
        if not held:
            clause = "QUEUE-DELIVERY-1"
        elif self.model.exact and got.producer != self.model.acceptable()[0].producer and self.judged("QUEUE-FIFO-2"):
            clause = "QUEUE-FIFO-2"
        else:
            clause = "QUEUE-FIFO-1"
        # Which items are visible is racy, so this detection is too: defer it.
        self.defer(clause, f"{outcome.what}: {self.model.explain(got)}")
        if held:
            self.model.discard(got)

    def missing_clause(self) -> str:
        """The clause an item that never shows up violates."""
        if self.peer_exited and self.processes and any(i.producer == PEER for i in self.model.acceptable()):
            return "QUEUE-FLUSH-2"
        return "QUEUE-VISIBLE-2" if self.model.exact else "QUEUE-VISIBLE-1"

    def get_visible(self) -> None:
        """A blocking get that must deliver an acceptable item within the visibility deadline.

        If none shows up and the deviation is tolerated, the items held are
        abandoned to the model's limbo (they may still come out, late), and
        the example goes on.
        """
        try:
            self.check_got(self.wait_for_item(self.invoke, self.nowait_gets))
        except evidence.Deviated:
            if self.model.maxsize is not None:
                raise  # an item that never shows up may still hold a slot: capacity is unknown now
            self.model.abandon()

    def peer_get_visible(self) -> None:
        self.check_got(self.wait_for_item(self.invoke_in_peer, self.nowait_gets))

    def wait_for_item(self, invoke, retries) -> Outcome:
        """A get in the waiting form, with the visibility deadline; one that gave up early is retried at once."""
        form, wait = self.waiting_get, timing.VISIBILITY_DEADLINE
        timeout = wait if form.wait is Wait.TIMEOUT else None
        outcome = invoke(form, timeout=timeout, deadline=timed(wait) if timeout is not None else wait)
        if timeout is None or not self.defer_if_early(outcome, timeout) or not retries:
            return outcome
        # Raising Empty before its timeout is wrong whatever the feeder did; the item is then got at once,
        # until it shows up, so the model stays in step and the example runs on as with a conforming queue.
        attempts = [outcome]

        def got() -> bool:
            attempts.append(invoke(retries[0]))
            return not isinstance(attempts[-1].error, queue_module.Empty)

        settled, waited = eventually(got, timing.VISIBILITY_DEADLINE)
        return (
            attempts[-1]
            if settled
            else Outcome(outcome.what + f" and {retries[0].describe()}", elapsed=waited, hung=True)
        )

    def defer_if_early(self, outcome: Outcome, timeout: float) -> bool:
        """Whether a timed get, with items held, raised Empty before its timeout; if so, QUEUE-GET-2 is deferred
        (too early whatever the feeder thread did, but whether it happens is racy)."""
        early = isinstance(outcome.error, queue_module.Empty) and outcome.elapsed < timeout - timing.TIMEOUT_EARLY
        if early:
            self.defer(
                "QUEUE-GET-2",
                f"{outcome.describe()} while the queue held {self.model.held} item(s), expected an item or a "
                f"wait of about {timeout}s",
            )
        return early

    def put_accepted(self, form: QueueCall, outcome: Outcome, item: Item) -> None:
        """A put with a free slot must have returned at once; then the model holds ``item``.

        A put refused or stuck with a slot free may come from a count broken
        underneath (a duplicated item takes a slot): the queue is audited
        first, so such a cause is named.  ``item`` itself may still arrive
        from the abandoned call; the audit does not count it as extra.  A
        tolerated refusal leaves the model as it was: nothing was put.
        """
        if not outcome.ok:
            self.audit(outcome.describe(), late=item)
        large = len(item.payload) > PIPE_BUFFER
        if self.model.maxsize is None and isinstance(outcome.error, queue_module.Full):
            clause = "QUEUE-MAXSIZE-3"  # an unbounded queue always has room, whatever the item's size
        elif large:
            clause = "QUEUE-LARGE-1"  # any other failure of a large item: put must deliver it, and not wait
        elif self.unbounded_by_argument:
            clause = "QUEUE-MAXSIZE-3"  # a queue made unbounded has room: a put that does not return breaks that
        elif form.wait is Wait.NEVER:
            clause = "QUEUE-MAXSIZE-2"
        else:
            clause = "QUEUE-PUT-1"
        try:
            returned(clause, outcome)
        except evidence.Deviated:
            if outcome.hung:
                raise
            return
        if large:
            expect("QUEUE-LARGE-1", True, "")
        if self.peer_closed and self.judged("QUEUE-CLOSE-3"):
            expect("QUEUE-CLOSE-3", True, "")
        self.model.put(item)

    # -- put ------------------------------------------------------------

    @precondition(lambda self: self.open and not self.model.full)
    @rule(size=SIZES, form=st.sampled_from(FREE_SLOT_PUTS), ignored=IGNORED_TIMEOUTS)
    @step
    def put_with_free_slot(self, size, form, ignored):
        # With a slot free nothing is worth waiting for (QUEUE-MAXSIZE-2: a slot is
        # free as soon as a get has returned), so every form must return at once.
        form = self.pick(form, calls(self.adapter, *FREE_SLOT_PUTS))
        item = self.new_item(MAIN, size)
        if not self.room_for(len(item.payload)):
            return
        self.put_accepted(form, self.invoke(form, item, ignored, deadline=timing.IMMEDIATE), item)

    @precondition(lambda self: self.open and not self.model.full)
    @rule(sizes=st.lists(st.sampled_from([0, 16, 4097]), min_size=2, max_size=4))
    @step
    def put_burst(self, sizes):
        """Puts in a row, while a slot is free: a queue holding several items (order, capacity, consumers taking turns).

        Single puts and gets alternate, so without bursts an example seldom
        holds more than two items.
        """
        for size in sizes:
            if self.model.full or not self.room_for(size):
                break
            item = self.new_item(MAIN, size)
            self.put_accepted(QueueCall.PUT, self.invoke(QueueCall.PUT, item, deadline=timing.IMMEDIATE), item)

    @precondition(lambda self: self.open and self.model.full and self.refused_puts)
    @rule(form=st.sampled_from(REFUSED_PUTS), timeout=SHORT_TIMEOUTS, ignored=IGNORED_TIMEOUTS)
    @step
    def put_to_full_queue(self, form, timeout, ignored):
        form = self.pick(form, self.refused_puts)
        item = self.new_item(MAIN, 16)
        drawn = ignored if form.wait is Wait.NEVER else timeout
        outcome = self.invoke(form, item, drawn)
        if form is QueueCall.PUT_NEGATIVE and self.adapter.is_(Trait.PROXY):
            self.refused_or_adopted("MGR-TIMEOUT-1", outcome, item, ValueError)
            return
        if form.wait is Wait.TIMEOUT:
            within(form.refusal, outcome, timeout - timing.TIMEOUT_EARLY, timeout + timing.TIMEOUT_LATE)
        else:
            within(form.refusal, outcome, 0, timing.IMMEDIATE)
        self.refused_or_adopted(form.refusal, outcome, item, queue_module.Full)

    def refused_or_adopted(self, clause_id: str, outcome: Outcome, item: Item, expected) -> None:
        """A call that must raise ``expected`` on a full queue: a tolerated deviation is adopted (an accepted
        item is held, another exception stands for the refusal); a call that never returned ends the example."""
        try:
            raised(clause_id, outcome, expected)
        except evidence.Deviated:
            if outcome.hung:
                raise
            if outcome.ok:
                self.model.put(item)

    # -- get ------------------------------------------------------------

    @precondition(lambda self: self.open and not self.model.empty)
    @rule(form=st.sampled_from(HELD_GETS), ignored=IGNORED_TIMEOUTS, timeout=st.one_of(st.none(), SHORT_TIMEOUTS))
    @step
    def get_available_item(self, form, ignored, timeout):
        """A get of an item held; ``timeout`` None gives a timed form the visibility deadline (it must deliver)."""
        form = self.pick(form, calls(self.adapter, *HELD_GETS))
        if form is QueueCall.GET:
            self.check_got(self.invoke(form, deadline=timing.VISIBILITY_DEADLINE))
            return
        if form.wait is Wait.TIMEOUT and timeout is None:
            self.get_visible()
            return
        drawn = ignored if form.wait is Wait.NEVER else timeout
        outcome = self.invoke(form, timeout=drawn)
        if form.wait is Wait.TIMEOUT:
            self.defer_if_early(outcome, timeout)  # then the rule goes on as for Empty
        if outcome.error is not None and not self.model.exact:
            if not isinstance(outcome.error, queue_module.Empty):
                # Whether the item was visible yet is racy: defer the violation.
                self.defer(form.refusal, outcome.describe() + ", expected an item or queue.Empty")
            # Empty is allowed at eventual consistency: the item is still in the feeder thread.
            event(f"eventual: {outcome.what} raised Empty with items held")
            self.get_visible()
            return
        self.check_got(outcome)

    @precondition(lambda self: self.open and self.model.empty and self.empty_gets)
    @rule(form=st.sampled_from(EMPTY_GETS), timeout=SHORT_TIMEOUTS, ignored=IGNORED_TIMEOUTS)
    @step
    def get_from_empty_queue(self, form, timeout, ignored):
        form = self.pick(form, self.empty_gets)
        drawn = ignored if form.wait is Wait.NEVER else timeout
        outcome = self.invoke(form, timeout=drawn)
        if outcome.ok and self.model.take(outcome.value):
            return  # an item in limbo came out, as it may at any time
        if outcome.ok:
            # An item out of a queue the model holds empty was never put, or was got before.
            expect(
                "QUEUE-DELIVERY-1",
                False,
                f"{outcome.what} returned {outcome.value!r} from a queue that should be empty",
            )
        if form is QueueCall.GET_NEGATIVE and self.adapter.is_(Trait.PROXY):
            with evidence.continuing():
                raised("MGR-TIMEOUT-1", outcome, ValueError)
            return
        # A wrong exception or a wrong duration is adopted as the empty answer it stands for.
        with evidence.continuing():
            raised(form.refusal, outcome, queue_module.Empty)
        if form.wait is Wait.TIMEOUT:
            within(form.refusal, outcome, timeout - timing.TIMEOUT_EARLY, timeout + timing.TIMEOUT_LATE)
        else:
            within(form.refusal, outcome, 0, timing.IMMEDIATE)

    # -- approximate queries --------------------------------------------

    @precondition(lambda self: self.open and self.queries)
    @rule(query=st.sampled_from(["qsize", "empty", "full"]))
    @step
    def query(self, query):
        """An approximate query must settle on the model's answer.

        A wrong answer may be the symptom of a required clause broken
        underneath (an item got twice takes a slot, a queue over its bound
        says it is not full), so before the query's own, unreliable clause
        is graded, the required operations that must agree with the model
        are tried: first those that leave a conforming queue unchanged
        (:meth:`cross_check`), and once the answer has failed to settle,
        a drain of the whole queue (:meth:`audit`).  A tolerated wrong
        answer changes nothing: the audit has brought queue and model back
        in step.
        """
        query = query if query in self.queries else self.queries[0]
        expected = {"qsize": self.model.held, "empty": self.model.empty, "full": self.model.full}[query]
        method = getattr(self.queue, query)
        clause = "QUEUE-VISIBLE-2" if self.model.exact else f"QUEUE-{query.upper()}-1"
        first = returned(clause, call(f"{query}()", method, deadline=timing.IMMEDIATE))
        if first == expected:
            expect(clause, True, "")
            return
        if self.model.limbo:
            event("query not judged: items in limbo, so the true count is unknown")
            return
        self.cross_check(query, first)
        observed = f"{query}() returned {first!r}, expected {expected!r}"
        if not self.model.exact:
            event(f"eventual: {query}() lagged")
            settled, waited = eventually(
                lambda: returned(clause, call(f"{query}()", method, deadline=timing.IMMEDIATE)) == expected
            )
            if settled:
                return
            observed = f"{query}() still differed from {expected!r} after {waited:.2f}s"
        self.audit(observed)
        with evidence.continuing():
            expect(clause, False, observed)

    def cross_check(self, query: str, answer) -> None:
        """After ``query()`` returned ``answer`` against the model: the required calls a conforming queue answers
        without a change.

        A queue the model holds full must refuse a non-blocking put
        (QUEUE-MAXSIZE-1); one the model holds empty must have nothing for
        a non-blocking get (QUEUE-DELIVERY-1) and, if bounded, its whole
        room (:meth:`check_capacity`); one made unbounded by a maxsize of
        zero or less that says it is full must take an item all the same
        (QUEUE-MAXSIZE-3).  Each is tried only when the answer
        contradicts it, and on a conforming queue it leaves queue and model
        as they were, so generation stays the same.
        """
        puts = calls(self.adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
        says_room = (
            answer is False
            if query == "full"
            else query == "qsize" and isinstance(answer, int) and answer < self.model.held
        )
        if self.model.full and says_room and puts:
            probe = Item(MAIN, 0)  # never accepted by a conforming queue, so it needs no sequence number of its own
            outcome = self.invoke(puts[0], probe)
            raised("QUEUE-MAXSIZE-1", outcome, queue_module.Full)
        if query == "full" and answer is True and self.unbounded_by_argument and self.model.empty and puts:
            # Made unbounded by a maxsize of zero or less, it must take an item (QUEUE-MAXSIZE-3); taken back after.
            probe = Item(MAIN, -1)  # never a sequence number of the example's items
            returned("QUEUE-MAXSIZE-3", self.invoke(puts[0], probe))  # refused: that explains the answer
            self.model.put(probe)
            self.take_turns()
        says_items = answer != {"qsize": 0, "empty": True, "full": False}[query]
        if self.model.empty and says_items and self.nowait_gets:
            outcome = self.invoke(self.nowait_gets[0])
            if outcome.ok:
                expect(
                    "QUEUE-DELIVERY-1",
                    False,
                    f"{outcome.describe()} after {query}() returned {answer!r}, from a queue that should be empty",
                )
            if query != "empty":
                self.check_capacity(f"after {query}() returned {answer!r}")

    def check_capacity(self, situation: str) -> None:
        """The model holds the queue empty: a bounded one takes ``maxsize`` probe items (QUEUE-MAXSIZE-2) and then
        refuses one more (QUEUE-MAXSIZE-1); the probes, the only items, are got back (:meth:`take_turns`), so
        nothing changes."""
        puts = calls(self.adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
        if self.model.maxsize is None or not puts:
            return
        for number in range(-self.model.maxsize, 0):  # never a sequence number of the example's items
            probe = Item(MAIN, number)
            self.put_accepted(puts[0], self.invoke(puts[0], probe), probe)
        extra = Item(MAIN, 0)
        outcome = self.invoke(puts[0], extra)
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
        if not self.open or not self.nowait_gets:
            return
        while not self.model.empty:
            self.get_visible()
        extra = self.invoke(self.nowait_gets[0])
        if extra.ok and (late is not None and extra.value == late or extra.value in self.model.limbo):
            self.model.take(extra.value)
            extra = self.invoke(self.nowait_gets[0])
        if self.deferred is not None:
            expect(self.deferred[0], False, self.deferred[1])
        if extra.ok:
            expect("QUEUE-DELIVERY-1", False, f"after every item was got, {extra.describe()} (then: {observed})")

    # -- close, join_thread, cancel_join_thread ---------------------------

    @precondition(lambda self: self.has(Feature.QUEUE_CLOSE) and self.open and self.model.held_bytes(MAIN) <= PIPE_ROOM)
    @rule(now=RARELY)
    @step
    def close(self, now):
        if now:
            return
        try:
            returned("QUEUE-CLOSE-4", call("close()", self.queue.close))
        except evidence.Deviated:
            return  # close() raised: the queue stays open, as far as this process can tell
        self.model.closed = True
        if not self.processes:
            # A thread or task peer holds the very same queue object: its handle is closed too.
            self.peer_closed = True

    @precondition(lambda self: self.model.closed)
    @rule(operation=st.sampled_from(["put", "put_nowait", "put_noblock", "get", "get_nowait", "empty", "close"]))
    @step
    def use_after_close(self, operation):
        if operation == "close":
            returned("QUEUE-CLOSE-4", call("close()", self.queue.close))
        elif operation == "empty":
            if not self.has(Feature.QUEUE_EMPTY_FULL):
                return
            outcome = call("empty()", self.queue.empty)
            expect(
                "QUEUE-CLOSE-5",
                not outcome.hung
                and (isinstance(outcome.value, bool) if outcome.ok else isinstance(outcome.error, OSError)),
                outcome.describe() + ", expected a bool or OSError",
            )
        elif operation.startswith("put"):
            form = {"put": QueueCall.PUT, "put_nowait": QueueCall.PUT_NOWAIT, "put_noblock": QueueCall.PUT_NOBLOCK}[
                operation
            ]
            form = self.pick(form, calls(self.adapter, form, QueueCall.PUT))
            item = self.new_item(MAIN, 16)
            outcome = self.invoke(form, item, deadline=timing.OPERATION_DEADLINE)
            try:
                raised("QUEUE-CLOSE-1", outcome, ValueError)
            except evidence.Deviated:
                if outcome.hung or outcome.ok and self.model.maxsize is not None:
                    raise  # blocked; or accepted by a bounded queue, where it may hold a slot: capacity is unknown now
                if outcome.ok:
                    self.model.limbo.add(item)  # accepted after close(): it may come out elsewhere, or never
        else:
            form = self.pick(
                QueueCall.GET_NOWAIT if operation == "get_nowait" else QueueCall.GET,
                calls(self.adapter, QueueCall.GET_NOWAIT, QueueCall.GET),
            )
            outcome = self.invoke(form, deadline=timing.IMMEDIATE)
            try:
                raised("QUEUE-CLOSE-2", outcome, ValueError)
            except evidence.Deviated:
                if outcome.hung or outcome.ok and not self.model.take(outcome.value):
                    raise  # blocked in get, or handed out an item the model cannot account for
                return
            within("QUEUE-CLOSE-2", outcome, 0, timing.IMMEDIATE)

    @precondition(lambda self: self.model.closed and not self.flushed and self.has(Feature.QUEUE_FEEDER))
    @rule()
    @step
    def join_thread(self):
        clause = "QUEUE-CANCEL-1" if self.cancelled else "QUEUE-FLUSH-1"
        returned(clause, call("join_thread()", self.queue.join_thread))
        self.flushed = True

    @precondition(
        lambda self: (
            self.has(Feature.QUEUE_CLOSE) and self.has(Feature.QUEUE_FEEDER) and self.open and not sys.flags.optimize
        )
    )
    @rule(now=RARELY)
    @step
    def join_thread_before_close(self, now):
        if now:
            return
        with evidence.continuing():
            raised("QUEUE-JOINTHREAD-1", call("join_thread()", self.queue.join_thread), AssertionError)

    @precondition(lambda self: self.has(Feature.QUEUE_FEEDER) and not self.cancelled)
    @rule(now=RARELY)
    @step
    def cancel_join_thread(self, now):
        if now:
            return
        returned("QUEUE-CANCEL-1", call("cancel_join_thread()", self.queue.cancel_join_thread))
        self.cancelled = True

    # After cancel_join_thread(), join_thread() does not wait for the feeder (QUEUE-CANCEL-1):
    # the items may still be on their way.
    @precondition(
        lambda self: (
            self.flushed and not self.cancelled and self.peer_usable and not self.model.empty and self.nowait_gets
        )
    )
    @rule()
    @step
    def flushed_items_visible_to_peer(self):
        """The peer gets an item at once while this process's flushed items are held.

        Whether this process's items are among those held depends on which
        items earlier gets returned, which is racy, so it is decided here,
        not in the precondition: otherwise the peer just gets one item.
        """
        if not any(i.producer == MAIN for i in self.model.acceptable()):
            self.peer_get_visible()
            return
        outcome = self.invoke_in_peer(self.nowait_gets[0])
        if isinstance(outcome.error, queue_module.Empty):
            expect("QUEUE-FLUSH-1", False, f"{outcome.describe()} although close() and join_thread() had returned")
        expect("QUEUE-FLUSH-1", True, "")
        self.check_got(outcome)

    # -- the peer -----------------------------------------------------------

    @precondition(lambda self: self.peer_usable and not self.model.full)
    @rule(size=st.sampled_from([0, 16, 4097]))
    @step
    def peer_puts(self, size):
        if self.model.held_bytes(PEER) + size > PIPE_ROOM or not self.room_for(size):
            size = 0
        item = self.new_item(PEER, size)
        # A slot is free, so the put must return at once (as put_with_free_slot).
        self.put_accepted(QueueCall.PUT, self.invoke_in_peer(QueueCall.PUT, item, deadline=timing.IMMEDIATE), item)

    @precondition(lambda self: self.peer_usable and not self.model.empty)
    @rule(waits=st.booleans())
    @step
    def peer_gets(self, waits):
        """The peer gets an item: with no timeout (it waits for the item to become visible), or in the waiting form."""
        if waits:
            self.check_got(self.invoke_in_peer(QueueCall.GET, deadline=timing.VISIBILITY_DEADLINE))
        else:
            self.peer_get_visible()

    @precondition(lambda self: self.peer_usable and self.open and self.model.empty)
    @rule(size=SIZES)
    @step
    def peer_get_blocks_until_put(self, size):
        pending = self.peer.submit("get")
        if pending.ready(timing.STILL_BLOCKED) and pending.result().ok:
            if self.model.take(pending.result().value):
                return  # an item in limbo came out, as it may at any time
            # An item out of a queue the model holds empty was never put, or was got before.
            expect("QUEUE-DELIVERY-1", False, f"{pending.result().describe()} from a queue that should be empty")
        expect_blocked("QUEUE-GET-1", pending, "on an empty queue")
        item = self.new_item(MAIN, size)
        self.put_accepted(QueueCall.PUT, self.invoke(QueueCall.PUT, item, deadline=timing.IMMEDIATE), item)
        event("blocked get woken by a put")
        outcome = pending.result(timing.VISIBILITY_DEADLINE)
        expect("QUEUE-GET-1", not outcome.hung, f"{outcome.describe()} after the test put {item}")
        self.check_got(outcome)

    @precondition(lambda self: self.peer_usable and self.open and self.model.full)
    @rule()
    @step
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

    # Closing in another thread or task closes the one shared object: only a process's close is its own.
    @precondition(lambda self: self.peer_usable and self.has(Feature.QUEUE_CLOSE) and self.processes)
    @rule(now=RARELY)
    @step
    def peer_closes(self, now):
        if now:
            return
        returned("QUEUE-CLOSE-4", self.peer.run("close"))
        self.peer_closed = True
        form = self.pick(QueueCall.PUT_NOWAIT, calls(self.adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT))
        item = self.new_item(PEER, 0)
        outcome = self.invoke_in_peer(form, item, deadline=timing.OPERATION_DEADLINE)
        try:
            raised("QUEUE-CLOSE-1", outcome, ValueError)
        except evidence.Deviated:
            if outcome.hung:
                raise
            if outcome.ok:
                self.model.limbo.add(item)

    @precondition(lambda self: self.peer is not None and not self.peer_exited)
    @rule(now=RARELY)
    @step
    def peer_exits(self, now):
        if now:
            return
        self.peer.exit()
        self.peer_exited = True

    # -- JoinableQueue task accounting --------------------------------------

    def tasks(self) -> bool:
        return self.primitive is Primitive.JOINABLE_QUEUE and self.has(Feature.TASKS)

    @precondition(lambda self: self.tasks())
    @rule()
    @step
    def task_done(self):
        outcome = call("task_done()", self.queue.task_done)
        if self.model.unfinished == 0:
            raised("JQ-TASKDONE-2", outcome, ValueError)
            return
        ahead_of_get = self.model.unfinished <= self.model.held
        clause = "JQ-CLOSE-1" if self.model.closed else ("JQ-TASKDONE-3" if ahead_of_get else "JQ-TASKDONE-1")
        try:
            returned(clause, outcome)
        except evidence.Deviated:
            if outcome.hung:
                raise
            return  # refused: the count is as it was
        self.model.unfinished -= 1

    @precondition(lambda self: self.tasks() and self.model.unfinished == 0)
    @rule()
    @step
    def join_with_no_unfinished_tasks(self):
        outcome = call("join()", self.queue.join)
        returned("JQ-JOIN-1", outcome)
        within("JQ-JOIN-1", outcome, 0, timing.IMMEDIATE)

    @precondition(
        lambda self: self.tasks() and self.model.unfinished > 0 and self.peer is not None and not self.peer_exited
    )
    @rule()
    @step
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
            if sys.exc_info()[0] is None and self.deferred is None and self.model is not None and self.aside is None:
                with evidence.continuing():
                    self.drain()
        finally:
            super().teardown()

    def take_turns(self) -> None:
        """Get every item held, this process and the peer (when both can get) taking turns.

        Items come out in order whichever process gets them: an item one
        consumer holds back shows as out of order or missing for the other.
        """
        getters = [
            get for get, able in ((self.get_visible, self.open), (self.peer_get_visible, self.peer_usable)) if able
        ]
        turn = 0
        while not self.model.empty:
            getters[turn % len(getters)]()
            turn += 1

    def drain(self) -> None:
        """Get every item still held (:meth:`take_turns`): all must come out, in order, then the queue is empty.

        A queue this process closed must still refuse ``get``
        (QUEUE-CLOSE-2); an open, bounded one must have all its room back
        (:meth:`check_capacity`).  Items in limbo may come out on the way.
        """
        if not self.nowait_gets:
            return
        if self.open:
            last = lambda: self.invoke(self.nowait_gets[0])  # noqa: E731
        else:
            raised("QUEUE-CLOSE-2", self.invoke(self.nowait_gets[0]), ValueError)
            if not self.peer_usable:
                return
            last = lambda: self.invoke_in_peer(self.nowait_gets[0])  # noqa: E731
        self.take_turns()
        outcome = last()
        while outcome.ok and outcome.value in self.model.limbo:
            self.model.take(outcome.value)
            outcome = last()
        if outcome.ok:
            expect("QUEUE-DELIVERY-1", False, f"after every item was got, {outcome.describe()}")
        expect("QUEUE-DELIVERY-1", True, "")
        if self.open:
            self.check_capacity("once every item was got")


class JoinableQueueMachine(QueueMachine):
    """The same machine on a JoinableQueue, with task_done()/join() accounting; every Queue clause checked here is
    also a check of JQ-QUEUE-1."""

    primitive = Primitive.JOINABLE_QUEUE

    def __init__(self, adapter):
        super().__init__(adapter)
        evidence.current().echo = ("QUEUE-", "JQ-QUEUE-1")
