"""Running a scenario: one execution (:func:`execute`) and an example's repetitions (:class:`ScenarioRunner`).

One execution creates a fresh primitive, runs the prefix in the test
process, starts the workers (:class:`~conformance.harness.workers.Crew`),
collects their records, drains what is left while the workers exit (a
producer cannot exit before its buffered items are flushed into the pipe,
spec-digest K1), reaps everything and checks hygiene: no child process and
no file descriptor may outlive the execution (CONC-HYGIENE-1).

Races are probabilistic, so an example runs its scenario several times and
fails at the first failing execution.  Repetitions are few while Hypothesis
generates and many once a failure has been seen (the shrink candidates that
follow) and on the final replay, so a race found once shrinks to a small
scenario that still reproduces (anchors-concurrency §1.7).  The scenario
and the first failing history are attached with ``note()``; when the final
replay does not reproduce the failure, the history seen while shrinking is
noted instead.  An execution the host stalled (the test process was not
run when an operation's deadline passed) cannot be judged and runs again.
Interesting outcomes and the consistency level each history
showed are counted with ``event()``.
"""

import gc
from time import monotonic, monotonic_ns
from typing import Dict, List, Optional, Set, Tuple, Union

from hypothesis import event, note, settings

from conformance.adapter import Capability
from conformance.checkers.history import DRAIN, EVENTUAL, EXACT, History, Verdict, Violation, check
from conformance.checkers.streams import check_pipe
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.workers import ENDS, Crew, Op, Record, Stall, deadline_of, live_children, open_fds, perform
from conformance.scenarios.pipes import DUPLEX, SIMPLEX
from conformance.scenarios.strategies import MAIN, Scenario
from conformance.verdict import expect

#: Executions per example: while generating; once a failure was seen (the
#: shrink candidates); on the final replay.  Shrinking tries many
#: candidates, so its count is a compromise between reproducing a rare
#: race and the time a shrink takes.
REPEATS: Dict[str, Tuple[int, int, int]] = {"dev": (5, 10, 50), "ci": (5, 10, 50), "thorough": (10, 30, 100)}
DEFAULT_REPEATS = REPEATS["dev"]

#: An execution during which the host did not run the test process cannot be
#: judged, so it runs again, at most this many times per example; a further
#: one is graded as it is (its message says the host stalled).
HOST_STALL_RERUNS = 2


def repeats_for(profile: str) -> Tuple[int, int, int]:
    """The repetitions of ``profile``, or of the profile it derives from (``ci-without-explain`` is ``ci``)."""
    base = next((name for name in REPEATS if profile == name or profile.startswith(name + "-")), None)
    return REPEATS[base] if base is not None else DEFAULT_REPEATS


def level_of(adapter, kind: str) -> str:
    """The consistency level a primitive is checked at: SimpleQueue is exact; queues as the adapter declares."""
    return EXACT if kind == "simple_queue" or adapter.exact else EVENTUAL


class DrainHung(Exception):
    """A get of the test process's drain did not return (a torn frame blocks a read for ever)."""

    def __init__(self, record: Record):
        super().__init__(str(record))
        self.record = record


class Drain:
    """The test process's gets after (and, for stalled flushes, during) the workers' scripts."""

    def __init__(self, adapter, kind: str, resource):
        self.adapter = adapter
        self.resource = resource
        self.simple = kind == "simple_queue"
        self.records: List[Record] = []
        self.failed: Optional[Record] = None

    def _run(self, op: Op) -> Record:
        record = timed(DRAIN, len(self.records), self.resource, op, ())
        self.records.append(record)
        if record.status == "hung":
            self.failed = record
            raise DrainHung(record)
        return record

    def step(self) -> Optional[Record]:
        """One get that waits briefly (None: a SimpleQueue had nothing); raises DrainHung if a call hangs."""
        if self.simple:
            if self._run(Op("empty")).value is not False:
                return None
            return self._run(Op("get"))
        if self.adapter.has(Capability.TIMEOUTS):
            return self._run(Op("get", timeout=timing.DRAIN_STEP))
        return self._run(Op("get_nowait"))

    def finish(self, records: List[Record], cancelled: Set[str]) -> None:
        """Get until every accepted item is out (or :data:`timing.DRAIN_GRACE` passes without one), then probe."""
        accepted = [r for r in records if r.op.name.startswith("put") and r.status == "ok" and r.process not in cancelled]
        expected = {r.op.key for r in accepted}
        got = {r.value for r in records + self.records if r.op.name.startswith("get") and r.status == "ok"}
        # Items of exited producers are in the pipe already; the test process's own
        # prefix items may still be in its feeder thread.
        patience = timing.DRAIN_GRACE if any(r.process == MAIN for r in accepted) else timing.FLUSHED_VISIBLE
        waited = 0.0
        while expected - got and waited < patience:
            before = len(self.records)
            outcome = self.step()
            if outcome is not None and outcome.status == "ok" and outcome.op.name.startswith("get"):
                got.add(outcome.value)
                waited = 0.0
            else:
                waited += sum((r.t_ret - r.t_inv) / 1e9 for r in self.records[before:]) or timing.DRAIN_STEP
        # Nothing more may come out: items beyond those accepted are duplicates or inventions.
        probe = Op("empty") if self.simple else Op("get_nowait")
        for _ in range(len(expected) + 2):
            if self._run(probe).status != "ok" or self.simple and self.records[-1].value:
                break
            if self.simple:
                self._run(Op("get"))
        if not self.simple and self.adapter.has(Capability.QSIZE):
            self._run(Op("qsize"))


def timed(process: str, index: int, resource, op: Op, events) -> Record:
    """Run ``op`` in this process with a deadline; the record's interval encloses the call."""
    t_inv = monotonic_ns()
    outcome = call(str(op), perform, resource, op, events, deadline=deadline_of(op))
    t_ret = monotonic_ns()
    if outcome.hung:
        return Record(process, index, op, "hung", None, t_inv, t_ret)
    status, value = outcome.value
    return Record(process, index, op, status, value, t_inv, t_ret)


class Execution:
    """One run of a scenario: its history, any stall, and hygiene problems.

    ``host_stalled``: the stall was noticed late because the host did not
    run the test process (:attr:`Stall.host_stalled`), so it cannot be judged.
    """

    def __init__(self, scenario: Scenario, history: History, stall: Optional[str], leaks: List[str],
                 host_stalled: bool = False):
        self.scenario = scenario
        self.history = history
        self.stall = stall
        self.leaks = leaks
        self.host_stalled = host_stalled


def _make(adapter, scenario: Scenario):
    if scenario.kind == "simple_queue":
        return adapter.simple_queue()
    factory = getattr(adapter, scenario.kind)
    return factory() if scenario.maxsize is None else factory(scenario.maxsize)


def _release(adapter, scenario: Scenario, resource, drained: bool) -> None:
    """Close the primitive in the test process; join its feeder when nothing is left to flush."""
    if scenario.kind != "simple_queue" and adapter.has(Capability.CLOSE) and drained:
        deadline = timing.OPERATION_DEADLINE
        if call("close()", resource.close, deadline=deadline).ok and \
                call("join_thread()", resource.join_thread, deadline=deadline).ok:
            return
    dispose(resource)


def execute(adapter, scenario: Scenario) -> Execution:
    """Run ``scenario`` once; never blocks past the operations' deadlines, always reaps."""
    if scenario.kind in (DUPLEX, SIMPLEX):
        return _execute_pipe(adapter, scenario)
    context = adapter.context
    children_before = set(live_children(context))
    fds_before = open_fds()
    resource = _make(adapter, scenario)
    events = [context.Event() for _ in range(scenario.signals)]
    records: List[Record] = []
    exited: Set[str] = set()
    cancelled = set(scenario.cancelled())
    stall: Optional[str] = None
    host_stalled = False
    drain = Drain(adapter, scenario.kind, resource)
    try:
        for index, op in enumerate(scenario.prefix):
            records.append(timed(MAIN, index, resource, op, events))
            if records[-1].status == "hung":
                stall = f"{MAIN}: prefix operation {index} ({op}) did not return within {deadline_of(op):.2f}s"
                break
        if stall is None:
            with Crew(adapter, resource, events=events) as crew:
                found = _run_crew(crew, scenario, drain, records, exited, cancelled)
            host_stalled = isinstance(found, Stall) and found.host_stalled
            stall = found.describe() if isinstance(found, Stall) else found
    except DrainHung as hung:
        stall = f"the test process's drain: {hung.record.op} did not return within {deadline_of(hung.record.op):.2f}s"
    finally:
        _release(adapter, scenario, resource, stall is None)
        drain.resource = None
        del resource, events
    records += drain.records
    leaks = _leaks(context, children_before, fds_before)
    history = History(scenario.kind, scenario.maxsize, level_of(adapter, scenario.kind), records, exited, cancelled)
    return Execution(scenario, history, stall, leaks, host_stalled)


def _execute_pipe(adapter, scenario: Scenario) -> Execution:
    """Run a pipe scenario once: the workers exchange, the test process only closes its copies of the ends."""
    context = adapter.context
    children_before = set(live_children(context))
    fds_before = open_fds()
    ends = adapter.pipe(scenario.kind == DUPLEX)
    events = [context.Event() for _ in range(scenario.signals)]
    records: List[Record] = []
    stall: Optional[str] = None
    host_stalled = False
    try:
        with Crew(adapter, ends, events=events) as crew:
            crew.start(list(zip(scenario.names, scenario.workers, scenario.seeds)))
            # The workers hold their copies now; the end of file and the broken pipe wait for these too.
            records += [timed(MAIN, i, ends, Op("close", end=end), events) for i, end in enumerate(ENDS)]
            try:
                found = crew.wait_reports()
            finally:
                records += crew.records()
            if found is not None:
                records += crew.hung_records(found)
                stall, host_stalled = found.describe(), found.host_stalled
            elif crew.wait_exits(None, timing.OPERATION_DEADLINE):
                stall = f"a worker did not exit within {timing.OPERATION_DEADLINE:.2f}s of finishing its script"
    finally:
        for end in ends:
            dispose(end)
        del ends, events
    leaks = _leaks(context, children_before, fds_before)
    return Execution(scenario, History(scenario.kind, None, EXACT, records), stall, leaks, host_stalled)


def _run_crew(crew: Crew, scenario: Scenario, drain: Drain, records, exited, cancelled) -> Union[Stall, str, None]:
    """Start the workers, collect their records, drain while they exit; the stall, if any."""
    crew.start(list(zip(scenario.names, scenario.workers, scenario.seeds)))
    stalled_drain = None if scenario.kind == "simple_queue" else drain.step
    try:
        found: Optional[Stall] = crew.wait_reports(stalled_drain)
    finally:
        records += crew.records()
    if found is not None:
        records += crew.hung_records(found)
        return found
    late = crew.wait_exits(drain.step, timing.OPERATION_DEADLINE)
    exited.update(crew.exited_normally())
    if late:
        return (f"worker(s) {late} did not exit within {timing.OPERATION_DEADLINE:.2f}s of finishing their scripts, "
                "although the test process was draining the queue")
    drain.finish(records, cancelled)
    return None


def _leaks(context, children_before, fds_before) -> List[str]:
    leaks = []
    extra = [p for p in live_children(context) if p not in children_before]
    if extra:
        leaks.append(f"child processes still running after the scenario: {extra}")
    if fds_before is not None:
        after = open_fds()
        if after != fds_before:
            gc.collect()  # connections of dropped objects close when collected
            after = open_fds()
        if after is not None and after > fds_before:
            leaks.append(f"{after - fds_before} file descriptor(s) more open than before the scenario")
    return leaks


def verdict_of(execution: Execution) -> Tuple[Verdict, List[Violation]]:
    """The checker's verdict and every failure of one execution, most fundamental first."""
    if execution.scenario.kind in (DUPLEX, SIMPLEX):
        return _pipe_verdict(execution)
    result = check(execution.history)
    failures = []
    if execution.stall is not None:
        clause = "QUEUE-FLUSH-2" if "did not exit" in execution.stall else "CONC-SAFE-1"
        failures.append(Violation(clause, execution.stall))
    failures += result.violations if execution.stall is None else [v for v in result.violations if v.clause != "CONC-SAFE-1"]
    failures += [Violation("CONC-HYGIENE-1", leak) for leak in execution.leaks]
    return result, failures


def _pipe_verdict(execution: Execution) -> Tuple[Verdict, List[Violation]]:
    """A pipe's checker grades hung operations itself; a stall without one (a worker died) is CONC-PIPE-1."""
    result = check_pipe(execution.history)
    failures = list(result.violations)
    if execution.stall is not None and not any(r.status == "hung" for r in execution.history.records):
        failures.insert(0, Violation("CONC-PIPE-1", execution.stall))
    failures += [Violation("CONC-HYGIENE-1", leak) for leak in execution.leaks]
    return result, failures


def _final_replay() -> bool:
    try:
        from hypothesis.control import current_build_context

        return current_build_context().is_final
    except Exception:  # outside a test case, or an engine without the attribute
        return False


class ScenarioRunner:
    """Runs an example's scenario repeatedly and fails, naming the clause, at the first failing execution.

    One runner serves one test (one Hypothesis run): it remembers whether a
    failure has been seen, to repeat more while shrinking, when the first
    one came (noted with the shrunk example: time to first failure is a
    figure of merit of the suite), and the strongest consistency level
    every history was consistent with.
    """

    def __init__(self, adapter, repeats: Optional[Tuple[int, int, int]] = None, warm_up: Optional[Scenario] = None):
        self.adapter = adapter
        self.repeats = repeats or repeats_for(settings.get_current_profile_name())
        self._warm_up = warm_up
        self.failure_seen = False
        self.witness: Optional[str] = None
        self.observed: Set[str] = set()
        self.executions = 0
        self.started = monotonic()
        self.first_failure: Optional[str] = None

    def __call__(self, scenario: Scenario) -> None:
        if self._warm_up is not None:
            # Run once unchecked, so lazily created process-wide resources (a manager process,
            # the shared-memory arena barriers use) exist before hygiene is measured.  Here,
            # not in a fixture, so an implementation the harness cannot drive fails the test.
            execute(self.adapter, self._warm_up)
            self._warm_up = None
        final = _final_replay()
        runs = self.repeats[2] if final else self.repeats[1] if self.failure_seen else self.repeats[0]
        attempt = reruns = 0
        while attempt < runs:
            execution = execute(self.adapter, scenario)
            self.executions += 1
            if execution.host_stalled and reruns < HOST_STALL_RERUNS:
                reruns += 1
                event("execution run again: the host did not run the test process")
                note(f"Execution run again, it could not be judged: {execution.stall}")
                continue
            attempt += 1
            result, failures = verdict_of(execution)
            for label in result.events:
                event(label)
            if not failures:
                event(f"observed level: {result.observed}")
                self.observed.add(result.observed)
                continue
            self.failure_seen = True
            if self.first_failure is None:
                self.first_failure = (f"First failure after {monotonic() - self.started:.2f}s, at execution "
                                      f"{self.executions} of this test")
            note(self.first_failure)
            first = failures[0]
            history = f"Failing history (execution {attempt} of up to {runs}):\n{execution.history}"
            self.witness = history
            note(f"Scenario: {scenario}")
            note(history)
            expect(first.clause, False, f"{first}\n  scenario ({scenario.processes} processes, "
                   f"{scenario.operations} operations):\n    " + str(scenario).replace("\n", "\n    "))
        if final and self.witness is not None:
            note(self.first_failure)
            note("The final replay did not reproduce the failure; a history seen while shrinking:\n" + self.witness)

    @property
    def strongest_observed(self) -> Optional[str]:
        """The strongest level every passing history was consistent with (None before any passed)."""
        if not self.observed:
            return None
        return EVENTUAL if EVENTUAL in self.observed else EXACT
