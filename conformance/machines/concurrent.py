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
"""

import sys
from typing import List

from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance.adapter import Capability
from conformance.checkers.history import EVENTUAL, EXACT, History, check
from conformance.harness import timing
from conformance.harness.workers import Crew, Op, Record
from conformance.machines.base import ConformanceMachine
from conformance.scenarios.runner import Drain, DrainHung, timed
from conformance.scenarios.strategies import GET_TIMEOUTS, MAIN, PUT_TIMEOUTS, QUEUE_SIZES

#: Workers that may run at once (the test process is one more).
MAX_RUNNING = 3

SEEDS = st.integers(0, 2**32 - 1)


class ConcurrentQueueMachine(ConformanceMachine):
    """One queue of the adapter, shared by the test process and the workers the rules start."""

    def __init__(self, adapter):
        super().__init__(adapter)
        self.queue = None
        self.maxsize = None
        self.crews: List[Crew] = []
        self.records: List[Record] = []
        self.exited = set()
        self.started = 0
        self.unjoined = 0
        self.main_puts = 0
        self.drain = None
        self.failed = False

    # -- set-up ---------------------------------------------------------

    @initialize(maxsize=st.sampled_from((None, 1, 2, 3)))
    def create(self, maxsize):
        self.maxsize = maxsize
        self.queue = self.own(self.adapter.queue() if maxsize is None else self.adapter.queue(maxsize))
        self.drain = Drain(self.adapter, "queue", self.queue)

    # -- helpers ----------------------------------------------------------

    @property
    def running(self) -> int:
        """Workers started since the last join (whether or not a violation stopped them from starting)."""
        return self.unjoined

    def _put(self, name: str, seq: int, size: int) -> Op:
        if self.maxsize is None:
            return Op("put", (name, seq), size)
        if self.adapter.has(Capability.TIMEOUTS):
            return Op("put", (name, seq), size, PUT_TIMEOUTS[0])
        return Op("put_nowait", (name, seq), size)

    def _get(self, timeout: float) -> Op:
        return Op("get", timeout=timeout) if self.adapter.has(Capability.TIMEOUTS) else Op("get_nowait")

    def _start(self, kind: str, script: List[Op], seed: int) -> None:
        self.started += 1
        self.unjoined += 1
        if self.failed:
            return
        name = f"{kind}{self.started}"
        crew = Crew(self.adapter, self.queue)
        self.crews.append(crew)
        crew.start([(name, tuple(op._replace(key=(name, op.key[1])) if op.key else op for op in script), seed)])
        note(f"started {name}: " + "; ".join(map(str, crew.workers[0].script)))

    def history(self) -> History:
        level = EXACT if self.adapter.exact else EVENTUAL
        return History("queue", self.maxsize, level, self.records + self.drain.records, set(self.exited))

    # -- rules ------------------------------------------------------------

    @precondition(lambda self: self.running < MAX_RUNNING)
    @rule(sizes=st.lists(st.sampled_from(QUEUE_SIZES), min_size=1, max_size=4), flush=st.booleans(), seed=SEEDS)
    def start_producer(self, sizes, flush, seed):
        script = [self._put("?", seq, size) for seq, size in enumerate(sizes, 1)]
        if flush and self.adapter.has(Capability.CLOSE):
            script.append(Op("flush"))
        self._start("p", script, seed)

    @precondition(lambda self: self.running < MAX_RUNNING)
    @rule(timeouts=st.lists(st.sampled_from(GET_TIMEOUTS), min_size=1, max_size=4), seed=SEEDS)
    def start_consumer(self, timeouts, seed):
        self._start("c", [self._get(t) for t in timeouts], seed)

    @rule(size=st.sampled_from(QUEUE_SIZES))
    def put_in_test_process(self, size):
        self.main_puts += 1
        if self.failed:
            return
        self.records.append(timed(MAIN, len(self.records), self.queue, self._put(MAIN, self.main_puts, size), ()))

    @rule(query=st.sampled_from(("get_nowait", "qsize", "empty", "full")))
    def query_in_test_process(self, query):
        if self.failed or query == "qsize" and not self.adapter.has(Capability.QSIZE):
            return
        self.records.append(timed(MAIN, len(self.records), self.queue, Op(query), ()))

    @precondition(lambda self: self.running > 0)
    @rule()
    def join_workers(self):
        """Wait for every running worker's records, draining while they flush; reap them all."""
        crews, self.crews, self.unjoined = self.crews, [], 0
        try:
            for crew in crews:
                stall = crew.wait_reports(self.drain.step)
                self.records += crew.records()
                if stall is not None:
                    self.records += crew.hung_records(stall)
                    self._fail("CONC-SAFE-1", stall.describe())
                late = crew.wait_exits(self.drain.step, timing.OPERATION_DEADLINE)
                if late:
                    self._fail("QUEUE-FLUSH-2", f"worker {late} did not exit after its script while the test drained")
                self.exited.update(crew.exited_normally())
        except DrainHung as hung:
            self._fail("CONC-SAFE-1", f"the test process's {hung.record.op} did not return")
        finally:
            for crew in crews:
                crew.reap()

    # -- checks -----------------------------------------------------------

    @invariant()
    def history_so_far_is_allowed(self):
        if self.queue is None or self.running or self.failed:
            return
        self._judge(check(self.history(), final=False))

    def _judge(self, verdict) -> None:
        for label in verdict.events:
            event(label)
        if verdict.violations:
            note("History:\n" + str(self.history()))
            first = verdict.violations[0]
            self._fail(first.clause, str(first))

    def _fail(self, clause: str, observed: str) -> None:
        self.failed = True
        self.defer(clause, observed)

    def teardown(self):
        try:
            if self.queue is not None and not self.failed and sys.exc_info()[0] is None:
                if self.crews:
                    self.join_workers()
                if not self.failed:
                    try:
                        self.drain.finish(self.records, set())
                    except DrainHung as hung:
                        self._fail("CONC-SAFE-1", f"the test process's {hung.record.op} did not return")
                if not self.failed:
                    self._judge(check(self.history(), final=True))
        finally:
            for crew in self.crews:
                crew.reap()
            super().teardown()
