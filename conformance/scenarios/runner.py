"""Running a scenario: one execution (:func:`execute`) and an example's repetitions (:class:`ScenarioRunner`).

One execution creates a fresh primitive, runs the prefix in the test
process, starts the workers (:class:`~conformance.harness.crew.Crew`),
collects their records, drains what is left while the workers end (a
producer process cannot exit before its buffered items are flushed into the
pipe), reaps everything and checks hygiene: no child process, worker or
file descriptor may outlive the execution (CONC-HYGIENE-1).

Races are probabilistic, so an example runs its scenario several times and
fails at the first failing execution.  Repetitions are few while Hypothesis
generates and many once a failure has been seen (the shrink candidates that
follow) and on the final replay, so a race found once shrinks to a small
scenario that still reproduces.  A scenario that has failed before runs as
many times as on the final replay: Hypothesis runs the failing example once
more before it shrinks and skips the whole shrink phase when that run passes
("test was flaky"), so a race seen once in hundreds of executions would
otherwise be reported unshrunk.  The scenario and the first failing
history are attached with ``note()``; when the final replay does not
reproduce the failure, the history seen while shrinking is noted instead.
A failure first seen while Hypothesis generates is confirmed before it is
raised: its scenario runs again as many times as a shrink candidate does.
One that does not fail again there would not shrink, and would likely be
reported unshrunk (Hypothesis gives up a failure its replay does not
reproduce), so it is held back
(``Ledger.unreproduced``) and generation goes on to look for one that
reproduces; if none does, the test fails at its end with the held failure
(:mod:`conformance.outcomes`).  A stall is never held back: confirming a
hang would cost a deadline per execution.
An execution the host stalled (the test process was not run when an
operation's deadline passed) cannot be judged and runs again.

Every check the checker made is recorded in the test's evidence; a
violation of a clause the run tolerates is recorded and the next execution
runs, so a known deviation does not hide the other clauses.  Interesting
outcomes and the consistency level each history showed are counted with
``event()``.
"""

import gc
from time import monotonic, monotonic_ns
from typing import Optional

from hypothesis import event, note

from conformance import evidence, hypothesis_hooks, profiles
from conformance.adapter import Consistency, Mode
from conformance.checkers.history import DRAIN, History, Verdict, Violation, check
from conformance.checkers.streams import check_pipe
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.crew import Crew, Stall, StallReason, open_fds
from conformance.harness.deadline import call, reject_past_shrink_budget
from conformance.harness.operations import ENDS, Action, Op, Record, Status, deadline_of, kind_of
from conformance.harness.worker import perform_here
from conformance.primitives import Feature, Primitive, QueueCall, calls
from conformance.scenarios.strategies import MAIN, Scenario
from conformance.verdict import ClauseViolation, expect

#: Executions per example: while generating; once a failure was seen (the
#: shrink candidates); on the final replay.  Shrinking tries many
#: candidates, so its count is a compromise between reproducing a rare
#: race and the time a shrink takes.
REPEATS: dict[str, tuple[int, int, int]] = {"dev": (5, 10, 50), "ci": (5, 10, 50), "thorough": (10, 30, 100)}
DEFAULT_REPEATS = REPEATS["dev"]

#: An execution during which the host did not run the test process cannot be
#: judged, so it runs again, at most this many times per example; a further
#: one is graded as it is (its message says the host stalled).
HOST_STALL_RERUNS = 2


def repeats_for(profile: str) -> tuple[int, int, int]:
    """The repetitions of ``profile``, or of the profile it derives from (``ci+replay`` is ``ci``)."""
    base = next(
        (
            name
            for name in REPEATS
            if profile == name or profile.startswith(name + "+") or profile.startswith(name + "-")
        ),
        None,
    )
    return REPEATS[base] if base is not None else DEFAULT_REPEATS


class DrainHung(Exception):
    """A get of the test process's drain did not return (a torn frame blocks a read for ever)."""

    def __init__(self, record: Record):
        super().__init__(str(record))
        self.record = record


class Drain:
    """The test process's gets after (and, for stalled flushes, during) the workers' scripts."""

    def __init__(self, adapter, primitive: Primitive, resource):
        self.resource = resource
        self.simple = primitive is Primitive.SIMPLE_QUEUE
        self.records: list[Record] = []
        self.failed: Optional[Record] = None
        forms = calls(
            adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK
        )
        self.get = forms[0] if forms else None
        probes = calls(adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK, QueueCall.GET_ZERO, QueueCall.GET_TIMEOUT)
        self.probe = probes[0] if probes else None
        self.counts = adapter.has(Feature.QUEUE_QSIZE)

    def _run(self, op: Op) -> Record:
        record = timed(DRAIN, len(self.records), self.resource, op)
        self.records.append(record)
        if record.status is Status.HUNG:
            self.failed = record
            raise DrainHung(record)
        return record

    def _get(self, form: QueueCall, timeout: Optional[float]) -> Record:
        return self._run(
            Op(
                Action(form.method),
                timeout=timeout if form in (QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT) else None,
                form=form,
            )
        )

    def step(self) -> Optional[Record]:
        """One get that waits briefly (None: nothing to get); raises DrainHung if a call hangs."""
        if self.simple:
            if self._run(Op(Action.EMPTY)).value is not False:
                return None
            return self._run(Op(Action.GET))
        if self.get is None:
            return None
        return self._get(self.get, timing.DRAIN_STEP)

    def finish(self, records: list[Record], cancelled: set[str]) -> None:
        """Get until every accepted item is out (or :data:`timing.DRAIN_GRACE` passes without one), then probe."""
        accepted = [r for r in records if r.op.name.puts and r.status is Status.OK and r.process not in cancelled]
        expected = {r.op.key for r in accepted}
        got = {r.value for r in records + self.records if r.op.name.gets and r.status is Status.OK}
        # Items of exited producers are in the pipe already; the test process's own
        # prefix items may still be in its feeder thread.
        patience = timing.DRAIN_GRACE if any(r.process == MAIN for r in accepted) else timing.FLUSHED_VISIBLE
        waited = 0.0
        while expected - got and waited < patience:
            before = len(self.records)
            outcome = self.step()
            if outcome is not None and outcome.status is Status.OK and outcome.op.name.gets:
                got.add(outcome.value)
                waited = 0.0
            else:
                waited += sum((r.t_ret - r.t_inv) / 1e9 for r in self.records[before:]) or timing.DRAIN_STEP
        # Nothing more may come out: items beyond those accepted are duplicates or inventions.
        for _ in range(len(expected) + 2):
            if self.simple:
                if self._run(Op(Action.EMPTY)).status is not Status.OK or self.records[-1].value:
                    break
                self._run(Op(Action.GET))
            elif self.probe is None or self._get(self.probe, 0.0).status is not Status.OK:
                break
        if not self.simple and self.counts:
            self._run(Op(Action.QSIZE))


def timed(process: str, index: int, resource, op: Op) -> Record:
    """Run ``op`` in this process with a deadline; the record's interval encloses the call."""
    t_inv = monotonic_ns()
    outcome = call(str(op), perform_here, resource, op, deadline=deadline_of(op))
    t_ret = monotonic_ns()
    if outcome.hung:
        return Record(process, index, op, Status.HUNG, None, t_inv, t_ret)
    status, value = outcome.value
    return Record(process, index, op, status, value, t_inv, t_ret)


class Execution:
    """One run of a scenario: its history, any stall, and hygiene problems."""

    def __init__(self, scenario: Scenario, history: History, stall: Optional[Stall], leaks: list[str]):
        self.scenario = scenario
        self.history = history
        self.stall = stall
        self.leaks = leaks

    @property
    def host_stalled(self) -> bool:
        """The stall was noticed late because the host did not run the test process: it cannot be judged."""
        return self.stall is not None and self.stall.host_stalled


def _make(adapter, scenario: Scenario):
    if scenario.primitive is Primitive.PIPE:
        return adapter.pipe(scenario.duplex)
    return scenario.primitive.make(adapter, *([] if scenario.maxsize is None else [scenario.maxsize]))


def _release(adapter, scenario: Scenario, resource, drained: bool) -> None:
    """Close the primitive in the test process; join its feeder when nothing is left to flush."""
    if (
        scenario.primitive.is_queue
        and adapter.has(Feature.QUEUE_CLOSE)
        and adapter.has(Feature.QUEUE_FEEDER)
        and drained
    ):
        deadline = timing.OPERATION_DEADLINE
        if (
            call("close()", resource.close, deadline=deadline).ok
            and call("join_thread()", resource.join_thread, deadline=deadline).ok
        ):
            return
    dispose(resource)


def execute(adapter, scenario: Scenario) -> Execution:
    """Run ``scenario`` once; never blocks past the operations' deadlines, always reaps."""
    if scenario.primitive is Primitive.PIPE:
        return _execute_pipe(adapter, scenario)
    hygiene = _Hygiene(adapter)
    resource = _make(adapter, scenario)
    records: list[Record] = []
    exited: set[str] = set()
    cancelled = set(scenario.cancelled())
    stall: Optional[Stall] = None
    drain = Drain(adapter, scenario.primitive, resource)
    crew = None
    try:
        for index, op in enumerate(scenario.prefix):
            records.append(timed(MAIN, index, resource, op))
            if records[-1].status is Status.HUNG:
                stall = Stall(StallReason.HUNG, MAIN, op, index, deadline_of(op))
                break
        if stall is None:
            crew = Crew(adapter, resource)
            with crew:
                stall = _run_crew(crew, scenario, drain, records, exited, cancelled)
    except DrainHung as hung:
        stall = Stall(
            StallReason.HUNG, "the test process's drain", hung.record.op, hung.record.index, deadline_of(hung.record.op)
        )
    finally:
        _release(adapter, scenario, resource, stall is None)
        drain.resource = None
        del resource
    records += drain.records
    level = adapter.consistency_of(scenario.primitive)
    history = History(scenario.primitive, scenario.maxsize, level, records, adapter.mode, exited, cancelled)
    return Execution(scenario, history, stall, hygiene.leaks(crew))


def _execute_pipe(adapter, scenario: Scenario) -> Execution:
    """Run a pipe scenario once: the workers exchange; the test process, if processes hold copies, closes its own."""
    hygiene = _Hygiene(adapter)
    ends = adapter.pipe(scenario.duplex)
    records: list[Record] = []
    stall: Optional[Stall] = None
    crew = Crew(adapter, ends, linger=True)
    try:
        with crew:
            stall = crew.start(list(zip(scenario.names, scenario.workers, scenario.seeds)))
            if adapter.mode is Mode.PROCESSES and stall is None:
                # The workers hold their copies now; the end of file and the broken pipe wait for these too.
                records += [timed(MAIN, i, ends, Op(Action.CLOSE, end=end)) for i, end in enumerate(ENDS)]
            if stall is None:
                try:
                    stall = crew.wait_reports()
                finally:
                    records += crew.records()
            if stall is not None:
                records += crew.hung_records(stall)
            elif crew.wait_exits(None, timing.OPERATION_DEADLINE):
                stall = Stall(StallReason.NOT_EXITED, "a worker", None, None, timing.OPERATION_DEADLINE)
    finally:
        for end in ends:
            dispose(end)
        del ends
    history = History(Primitive.PIPE, None, Consistency.EXACT, records, adapter.mode)
    return Execution(scenario, history, stall, hygiene.leaks(crew))


def _run_crew(crew: Crew, scenario: Scenario, drain: Drain, records, exited, cancelled) -> Optional[Stall]:
    """Start the workers, collect their records, drain while they end; the stall, if any."""
    stall = crew.start(list(zip(scenario.names, scenario.workers, scenario.seeds)))
    if stall is not None:
        return stall
    stalled_drain = None if scenario.primitive is Primitive.SIMPLE_QUEUE else drain.step
    try:
        stall = crew.wait_reports(stalled_drain)
    finally:
        records += crew.records()
    if stall is not None:
        records += crew.hung_records(stall)
        return stall
    late = crew.wait_exits(drain.step, timing.OPERATION_DEADLINE)
    exited.update(crew.exited_normally())
    if late:
        return Stall(StallReason.NOT_EXITED, late, None, None, timing.OPERATION_DEADLINE)
    drain.finish(records, cancelled)
    return None


class _Hygiene:
    """What an execution must leave as it found: the launcher's child processes and this process's descriptors."""

    def __init__(self, adapter):
        self.launcher = adapter.launcher
        self.children = set(self.launcher.children())
        self.fds = open_fds()

    def leaks(self, crew: Optional[Crew]) -> list[str]:
        found = []
        extra = [p for p in self.launcher.children() if p not in self.children]
        if extra:
            found.append(f"child processes still running after the scenario: {extra}")
        if crew is not None and crew.left_behind:
            found.append(f"workers still running after the scenario: {', '.join(crew.left_behind)}")
        if self.fds is not None:
            after = open_fds()
            if after != self.fds:
                gc.collect()  # connections of dropped objects close when collected
                after = open_fds()
            if after is not None and after > self.fds:
                found.append(f"{after - self.fds} file descriptor(s) more open than before the scenario")
        return found


def _stall_clause(execution: Execution) -> str:
    """The clause a stall breaks: a producer process that cannot exit has not flushed; anything else is unsafe use."""
    stall = execution.stall
    if (
        stall.reason is StallReason.NOT_EXITED
        and execution.history.mode is Mode.PROCESSES
        and execution.scenario.primitive.is_queue
    ):
        return "QUEUE-FLUSH-2"
    return "CONC-PIPE-1" if execution.scenario.primitive is Primitive.PIPE else "CONC-SAFE-1"


def _shown(scenario: Scenario) -> str:
    """The scenario as a failure message shows it, with its size."""
    return f"\n  scenario ({scenario.processes} processes, {scenario.operations} operations):\n    " + str(
        scenario
    ).replace("\n", "\n    ")


def verdict_of(execution: Execution) -> tuple[Verdict, list[Violation]]:
    """The checker's verdict and every failure of one execution, most fundamental first."""
    if execution.scenario.primitive is Primitive.PIPE:
        result = check_pipe(execution.history)
        failures = list(result.violations)
        # The pipe checker grades a hung operation by what it waited for; a stall it did not explain (a worker that
        # died, a receive that waited on a stuck or failed other side) is its own failure.
        explained = any(r.status is Status.HUNG for v in failures for r in v.witness)
        if execution.stall is not None and not explained:
            failures.insert(0, Violation(_stall_clause(execution), execution.stall.describe()))
    else:
        # After a stall the drain did not run: an item not got is not lost.
        result = check(execution.history, final=execution.stall is None)
        failures = []
        if execution.stall is not None:
            failures.append(Violation(_stall_clause(execution), execution.stall.describe()))
            failures += [v for v in result.violations if v.clause != "CONC-SAFE-1"]
        else:
            failures += result.violations
    failures += [Violation("CONC-HYGIENE-1", leak) for leak in execution.leaks]
    if not execution.leaks:
        result.passes["CONC-HYGIENE-1"] += 1
    return result, failures


class ScenarioRunner:
    """Runs an example's scenario repeatedly and fails, naming the clause, at the first failing execution.

    One runner serves one test (one Hypothesis run): it remembers whether a
    failure has been seen, to repeat more while shrinking, when the first
    one came (noted with the shrunk example: time to first failure is a
    figure of merit of the suite), and the strongest consistency level
    every history was consistent with.
    """

    def __init__(self, adapter, repeats: Optional[tuple[int, int, int]] = None, warm_up: Optional[Scenario] = None):
        self.adapter = adapter
        self.repeats = repeats or repeats_for(profiles.current_name())
        self._warm_up = warm_up
        self.failure_seen = False
        self.witness: Optional[str] = None
        self.observed: set[Consistency] = set()
        self.executions = 0
        self.started = monotonic()
        self.first_failure: Optional[str] = None
        #: The scenarios that failed in this test (their ``repr``): run again, they repeat as on the final replay.
        self.failed: set[str] = set()

    def __call__(self, scenario: Scenario) -> None:
        reject_past_shrink_budget()
        if self._warm_up is not None:
            # Run once unchecked, so lazily created process-wide resources (a manager process, a
            # forkserver) exist before hygiene is measured.  Here, not in a fixture, so an
            # implementation the harness cannot drive fails the test.
            execute(self.adapter, self._warm_up)
            self._warm_up = None
        final = hypothesis_hooks.final_replay()
        # Hypothesis replays a failing example once before shrinking it and gives the shrink phase up if that
        # replay passes (ConjectureRunner.shrink_interesting_examples: ExitReason.flaky): a scenario that failed
        # before repeats as much as on the final replay, or a rare race is reported unshrunk.
        again = repr(scenario) in self.failed
        runs = self.repeats[2] if final or again else self.repeats[1] if self.failure_seen else self.repeats[0]
        attempt = reruns = 0
        while attempt < runs:
            execution = self._execute(scenario)
            if execution.host_stalled and reruns < HOST_STALL_RERUNS:
                reruns += 1
                event("execution run again: the host did not run the test process")
                note(f"Execution run again, it could not be judged: {execution.stall.describe()}")
                continue
            attempt += 1
            result, failures = self._checked(execution)
            for label in result.events:
                event(label)
            if not failures:
                event(f"observed level: {result.observed}")
                self.observed.add(result.observed)
                continue
            untolerated = self._judge(scenario, failures)
            if untolerated:
                self._fail(scenario, execution, untolerated, attempt, runs, confirm=not (final or again))
            # Only tolerated deviations: recorded; repeating the example would only record them again.
            if execution.stall is not None:
                evidence.current().hangs += 1
            break
        if final and self.witness is not None:
            note(self.first_failure)
            note("The final replay did not reproduce the failure; a history seen while shrinking:\n" + self.witness)

    def _execute(self, scenario: Scenario) -> Execution:
        """One execution of ``scenario``, counted."""
        execution = execute(self.adapter, scenario)
        self.executions += 1
        evidence.current().executed()
        return execution

    @staticmethod
    def _checked(execution: Execution) -> tuple[Verdict, list[Violation]]:
        """:func:`verdict_of` ``execution``, its passing checks recorded in the test's evidence."""
        result, failures = verdict_of(execution)
        ledger = evidence.current()
        for clause, count in result.passes.items():
            ledger.passed(clause, count)
        return result, failures

    def _judge(self, scenario: Scenario, failures: list[Violation]) -> list[AssertionError]:
        """Record every failure of one execution; return the violations no expectation tolerates."""
        untolerated = []
        for failure in failures:
            try:
                expect(failure.clause, False, f"{failure}{_shown(scenario)}")
            except evidence.Deviated:
                continue
            except AssertionError as violation:
                untolerated.append(violation)
        return untolerated

    def _fail(
        self,
        scenario: Scenario,
        execution: Execution,
        untolerated: list[AssertionError],
        attempt: int,
        runs: int,
        confirm: bool,
    ) -> None:
        """Fail the example with the first of ``untolerated``, or hold a failure that does not reproduce back.

        ``confirm``: the failure is the first one of this scenario outside Hypothesis's replays; unless the
        execution stalled and while no failure was raised yet, it must fail again to be raised here.
        """
        history = f"Failing history (execution {attempt} of up to {runs}):\n{execution.history}"
        first_failure = (
            f"First failure after {monotonic() - self.started:.2f}s, at execution {self.executions} of this test"
        )
        if confirm and not self.failure_seen and execution.stall is None:
            tries = self._reproduce(scenario)
            if tries is None:
                ledger = evidence.current()
                # Nothing was raised: later waits are not cut as they are while Hypothesis shrinks.
                ledger.failure_seen_at = None
                violation = untolerated[0]
                ledger.unreproduced.append(
                    evidence.HeldFailure(
                        violation.clause.id if isinstance(violation, ClauseViolation) else None,
                        f"{violation}\n{first_failure}\n{history}\n"
                        f"It did not fail again in {self.repeats[1]} more executions of the same scenario.",
                    )
                )
                event("failure held back: it did not reproduce")
                return
            history += f"\n(it failed again at execution {tries} of up to {self.repeats[1]} more)"
        self.failure_seen = True
        hung = (
            execution.stall.op if execution.stall is not None and execution.stall.reason is StallReason.HUNG else None
        )
        if hung is not None and kind_of(hung) is not None:
            evidence.current().hung_kinds.add(kind_of(hung))
        self.failed.add(repr(scenario))
        if self.first_failure is None:
            self.first_failure = first_failure
        note(self.first_failure)
        self.witness = history
        note(f"Scenario: {scenario}")
        note(history)
        held = evidence.current().unreproduced
        if held:
            note(f"{len(held)} earlier example(s) failed once and did not fail again; the first:\n{held[0].text}")
        raise untolerated[0]

    def _reproduce(self, scenario: Scenario) -> Optional[int]:
        """Run ``scenario`` up to a shrink candidate's count; the execution that failed again untolerated, or None."""
        tolerance = evidence.current().tolerance
        for attempt in range(1, self.repeats[1] + 1):
            execution = self._execute(scenario)
            if execution.host_stalled:
                continue
            _, failures = self._checked(execution)
            if any(tolerance(failure.clause) is None for failure in failures):
                return attempt
        return None

    @property
    def strongest_observed(self) -> Optional[str]:
        """The strongest level every passing history was consistent with (None before any passed)."""
        if not self.observed:
            return None
        return str(Consistency.EVENTUAL if Consistency.EVENTUAL in self.observed else Consistency.EXACT)
