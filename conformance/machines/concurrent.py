"""The process machine: worker processes started, joined and flushed by rules, over one queue.

Where a scenario (:mod:`conformance.scenarios`) is one burst of workers
started together, the machine builds a longer life of one queue out of
rules: start a producer or a consumer worker with a generated script (it
begins at once, so workers started by consecutive rules overlap), put or
get in the test process meanwhile, and join every running worker.  A
producer's script ends with a flush (``close()`` + ``join_thread()``) or a
plain exit, both flush points.  After every join the machine is quiescent:
the invariant checks the history so far (everything but loss, which only
the final drain can tell).  Teardown joins what still runs, drains the
queue in the test process and checks the whole history
(:func:`conformance.checkers.history.check`).

Rules and preconditions depend only on what the machine started (the
number of workers started since the last join), never on what a worker
observed, so examples replay and shrink.  A violation is racy, so it is
deferred (:meth:`ConformanceMachine.defer`) rather than raised at the step
that saw it: later rules keep their place in the sequence but leave the
broken queue alone, and teardown raises it.  Each example runs once: the machine finds bugs of
sequencing (a flush, then an exit, then a later consumer), while races
that need repetition to reproduce and shrink are the scenario test's job.
Every evaluation of the history checker is recorded as a check of its
clause.
"""

import sys
from typing import Optional

from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance import evidence
from conformance.adapter import Mode
from conformance.checkers.history import History, check
from conformance.harness import timing
from conformance.harness.crew import Crew
from conformance.harness.operations import Action, Op, Record
from conformance.machines.base import ConformanceMachine, step
from conformance.primitives import Feature, Primitive, QueueCall, Wait, calls
from conformance.scenarios.runner import Drain, DrainHung, timed
from conformance.scenarios.strategies import GET_TIMEOUTS, MAIN, PUT_TIMEOUTS, QUEUE_SIZES, fit_limits

#: Every clause the machine judges (through the history checker).
CLAUSES = (
    "CONC-SAFE-1",
    "CONC-CONSUMERS-1",
    "SHARE-SAFE-1",
    "SHARE-SAFE-2",
    "QUEUE-DELIVERY-1",
    "QUEUE-FIFO-1",
    "CONC-ORDER-1",
    "QUEUE-FLUSH-1",
    "QUEUE-FLUSH-2",
    "CONC-COUNT-1",
    "CONC-EMPTY-1",
    "CONC-LEVEL-1",
    "CONC-LEVEL-2",
    "QUEUE-MAXSIZE-1",
    "QUEUE-MAXSIZE-2",
    "QUEUE-PUT-2",
    "QUEUE-GET-2",
    "QUEUE-GET-3",
)

#: Workers that may run at once (the test process is one more).
MAX_RUNNING = 3

SEEDS = st.integers(0, 2**32 - 1)


class ConcurrentQueueMachine(ConformanceMachine):
    """One queue of the adapter, shared by the test process and the workers the rules start."""

    def __init__(self, adapter):
        super().__init__(adapter)
        self.queue = None
        self.maxsize = None
        self.crews: list[Crew] = []
        self.records: list[Record] = []
        self.exited = set()
        self.started = 0
        self.unjoined = 0
        self.main_puts = 0
        #: The payload size of every put the example has made, in order (all may still be held).
        self.put_sizes: list[int] = []
        self.drain = None
        self.failed = False
        #: The forms a bounded put and a consumer's get take: ones that give up, so no worker blocks for ever.
        self.timed_put: Optional[QueueCall] = (
            calls(adapter, QueueCall.PUT_BLOCK_TIMEOUT, QueueCall.PUT_TIMEOUT, QueueCall.PUT_NOWAIT) or (None,)
        )[0]
        self.timed_get: Optional[QueueCall] = (
            calls(adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET_NOWAIT) or (None,)
        )[0]
        #: Only a process's close() and join_thread() are its own.
        self.flushes = (
            adapter.has(Feature.QUEUE_CLOSE) and adapter.has(Feature.QUEUE_FEEDER) and adapter.mode is Mode.PROCESSES
        )

    # -- set-up ---------------------------------------------------------

    @initialize(maxsize=st.sampled_from((None, 1, 2, 3)))
    @step
    def create(self, maxsize):
        if self.timed_put is None:
            maxsize = None  # without a put that gives up, a bounded queue could block a producer for ever
        self.maxsize = maxsize
        self.queue = self.own(self.adapter.queue() if maxsize is None else self.adapter.queue(maxsize))
        self.drain = Drain(self.adapter, Primitive.QUEUE, self.queue)

    # -- helpers ----------------------------------------------------------

    @property
    def running(self) -> int:
        """Workers started since the last join (whether or not a violation stopped them from starting)."""
        return self.unjoined

    def _put(self, name: str, seq: int, drawn: int) -> Op:
        size = fit_limits(self.adapter.limits, self.maxsize, self.put_sizes, drawn, QUEUE_SIZES)
        self.put_sizes.append(size)
        if self.maxsize is None:
            return Op(Action.PUT, (name, seq), size)
        form = self.timed_put
        return Op(
            Action(form.method), (name, seq), size, PUT_TIMEOUTS[0] if form.wait is Wait.TIMEOUT else None, form=form
        )

    def _get(self, timeout: float) -> Op:
        form = self.timed_get
        return Op(Action(form.method), timeout=timeout if form.wait is Wait.TIMEOUT else None, form=form)

    def _start(self, kind: str, script: list[Op], seed: int) -> None:
        self.started += 1
        self.unjoined += 1
        if self.failed:
            return
        name = f"{kind}{self.started}"
        crew = Crew(self.adapter, self.queue)
        self.crews.append(
            (
                crew,
                crew.start(
                    [(name, tuple(op._replace(key=(name, op.key[1])) if op.key else op for op in script), seed)]
                ),
            )
        )
        note(f"started {name}: " + "; ".join(map(str, crew.workers[0].script)))

    def history(self) -> History:
        level = self.adapter.consistency_of(Primitive.QUEUE)
        return History(
            Primitive.QUEUE, self.maxsize, level, self.records + self.drain.records, self.adapter.mode, set(self.exited)
        )

    # -- rules ------------------------------------------------------------

    @precondition(lambda self: self.running < MAX_RUNNING)
    @rule(sizes=st.lists(st.sampled_from(QUEUE_SIZES), min_size=1, max_size=4), flush=st.booleans(), seed=SEEDS)
    @step
    def start_producer(self, sizes, flush, seed):
        script = [self._put("?", seq, size) for seq, size in enumerate(sizes, 1)]
        if flush and self.flushes:
            script.append(Op(Action.FLUSH))
        self._start("p", script, seed)

    @precondition(lambda self: self.running < MAX_RUNNING and self.timed_get is not None)
    @rule(timeouts=st.lists(st.sampled_from(GET_TIMEOUTS), min_size=1, max_size=4), seed=SEEDS)
    @step
    def start_consumer(self, timeouts, seed):
        self._start("c", [self._get(t) for t in timeouts], seed)

    @rule(size=st.sampled_from(QUEUE_SIZES))
    @step
    def put_in_test_process(self, size):
        self.main_puts += 1
        if self.failed:
            return
        self.records.append(timed(MAIN, len(self.records), self.queue, self._put(MAIN, self.main_puts, size)))

    @rule(query=st.sampled_from(("get_nowait", "qsize", "empty", "full")))
    @step
    def query_in_test_process(self, query):
        needs = {
            "get_nowait": Feature.QUEUE_NOWAIT,
            "qsize": Feature.QUEUE_QSIZE,
            "empty": Feature.QUEUE_EMPTY_FULL,
            "full": Feature.QUEUE_EMPTY_FULL,
        }
        if self.failed or not self.adapter.has(needs[query]):
            return
        self.records.append(timed(MAIN, len(self.records), self.queue, Op(Action(query))))

    @precondition(lambda self: self.running > 0)
    @rule()
    @step
    def join_workers(self):
        """Wait for every running worker's records, draining while they flush; reap them all."""
        crews, self.crews, self.unjoined = self.crews, [], 0
        try:
            for crew, never_started in crews:
                if never_started is not None:
                    self._fail("CONC-SAFE-1", never_started.describe())
                    continue
                stall = crew.wait_reports(self.drain.step)
                self.records += crew.records()
                if stall is not None:
                    self.records += crew.hung_records(stall)
                    self._fail("CONC-SAFE-1", stall.describe())
                late = crew.wait_exits(self.drain.step, timing.OPERATION_DEADLINE)
                if late:
                    clause = "QUEUE-FLUSH-2" if self.adapter.mode is Mode.PROCESSES else "CONC-SAFE-1"
                    self._fail(clause, f"worker {late} did not end after its script while the test drained")
                self.exited.update(crew.exited_normally())
        except DrainHung as hung:
            self._fail("CONC-SAFE-1", f"the test process's {hung.record.op} did not return")
        finally:
            for crew, _ in crews:
                crew.reap()

    # -- checks -----------------------------------------------------------

    @invariant()
    @step
    def history_so_far_is_allowed(self):
        if self.queue is None or self.running or self.failed:
            return
        self._judge(check(self.history(), final=False))

    def _judge(self, verdict, final: bool = False) -> None:
        """Act on a verdict; the final one's passing evaluations are recorded (earlier ones see a prefix of it)."""
        for label in verdict.events:
            event(label)
        if final:
            ledger = evidence.current()
            for clause, count in verdict.passes.items():
                ledger.passed(clause, count)
        if verdict.violations:
            note("History:\n" + str(self.history()))
            first = verdict.violations[0]
            self._fail(first.clause, str(first))

    def _fail(self, clause: str, observed: str) -> None:
        self.failed = True
        self.defer(clause, observed)

    def teardown(self):
        try:
            if self.queue is not None and not self.failed and self.aside is None and sys.exc_info()[0] is None:
                if self.crews:
                    self.join_workers()
                if not self.failed:
                    try:
                        self.drain.finish(self.records, set())
                    except DrainHung as hung:
                        self._fail("CONC-SAFE-1", f"the test process's {hung.record.op} did not return")
                if not self.failed:
                    self._judge(check(self.history(), final=True), final=True)
        finally:
            for crew, _ in self.crews:
                crew.reap()
            super().teardown()
