"""The worker crew (:mod:`conformance.harness.crew`): scripts, signals, stalls, and a host that did not run us.

The crew starts its workers with the adapter's launcher and coordinates
them over the harness's own control plane (the start barrier, signals and
waits through the test process), never with the implementation's objects.
It reports why it stopped waiting (:class:`~conformance.harness.crew.StallReason`):
an operation past its deadline, a worker that died or never started.

A hang must be reported within its deadline plus ``timing.NOTICE_LATE``.
When the crew's own wait returns much later than it asked, the operating
system did not run the test process (a stalled host), and the operation's
time is no evidence of a hang: the scenario runner runs that execution
again instead of grading it.
"""

import os
import pickle
import queue
import select as select_module
import signal
import threading
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import evidence
from conformance.adapter import Consistency, Mode
from conformance.checkers.history import History
from conformance.harness import crew as crew_module
from conformance.harness import timing
from conformance.harness.control import workspace
from conformance.harness.crew import Crew, Stall, StallReason
from conformance.harness.deadline import CallKind, Outcome, eventually, patience
from conformance.harness.handoff import INHERIT
from conformance.harness.launchers import Processes, Tasks, Threads, Worker
from conformance.harness.operations import Action, Op, Record, StandIn, Status, kind_of
from conformance.harness.peer import Peer, reap, reap_worker
from conformance.harness.worker import Message
from conformance.models.simple_queue import AnyLock, Item
from conformance.primitives import Primitive, QueueCall
from conformance.scenarios import runner
from conformance.scenarios.strategies import Scenario
from conformance.verdict import ClauseViolation, returned
from implementations.stdlib import fork

#: How much later than asked the simulated stalled host returns the crew's wait.
HOST_STALL = timing.NOTICE_LATE + 0.5


@pytest.fixture(autouse=True)
def ledger():
    """Each test records its checks in a ledger of its own.

    Outside a suite test the harness uses one default ledger for the whole
    process; a violation recorded there would make every later wait of this
    session use the shrinking deadline.
    """
    with evidence.recording(evidence.Ledger()) as own:
        yield own


@pytest.fixture
def adapter():
    return fork()


@contextmanager
def simple_queue(adapter):
    made = adapter.simple_queue()
    try:
        yield made
    finally:
        made.close()


def _stall_of_a_blocked_get(adapter) -> Stall:
    """A worker blocks in get() on an empty SimpleQueue: a hang, past its deadline."""
    with simple_queue(adapter) as resource, Crew(adapter, resource) as crew:
        assert crew.start([("w1", (Op(Action.GET),), 0)]) is None
        stall = crew.wait_reports()
    assert stall is not None
    return stall


def test_a_hang_is_noticed_on_time(adapter):
    stall = _stall_of_a_blocked_get(adapter)
    assert stall.reason is StallReason.HUNG, stall.describe()
    assert stall.late <= timing.NOTICE_LATE, stall.describe()
    assert not stall.host_stalled
    assert stall.describe().startswith("worker w1: operation 0 (get()) did not return within")


def test_a_wait_the_host_returned_late_is_not_graded_as_a_hang(adapter, monkeypatch):
    def stalled_host_select(readable, writable, exceptional, timeout=None):
        # The host stalls: the wait returns HOST_STALL later than asked, with nothing ready.
        return select_module.select([], [], [], (timeout or 0.0) + HOST_STALL)

    monkeypatch.setattr(crew_module, "select", SimpleNamespace(select=stalled_host_select))
    stall = _stall_of_a_blocked_get(adapter)
    assert stall.host_stalled, stall.describe()
    assert stall.late > timing.NOTICE_LATE
    assert "the host did not run the test process" in stall.describe()


def test_a_test_process_held_up_outside_its_wait_is_not_called_a_host_stall():
    stall = Stall(StallReason.HUNG, "w1", Op(Action.GET, timeout=0.1), 1, 30.7, late=28.6, overslept=0.0)
    assert not stall.host_stalled
    assert "held up outside its wait" in stall.describe()


def test_only_a_hang_can_be_a_host_stall():
    """A worker that died was not frozen with the test process: its death is evidence, however late it is seen."""
    died = Stall(StallReason.DIED, "w1", Op(Action.GET), 0, 9.0, late=5.0, overslept=5.0)
    assert not died.host_stalled


def _stall_of_a_killed_worker(adapter) -> Stall:
    """A worker blocked in get() on an empty SimpleQueue is killed by SIGKILL."""
    with simple_queue(adapter) as resource, Crew(adapter, resource) as crew:
        assert crew.start([("w1", (Op(Action.GET),), 0)]) is None
        worker = crew.workers[0]

        def in_its_get() -> bool:
            crew._read_progress()  # the worker announces each operation in its progress slot before the call
            return worker.current == 0

        assert eventually(in_its_get, timing.OPERATION_DEADLINE)[0], "the worker never began its get()"
        worker.enlisted.worker.kill()
        stall = crew.wait_reports()
    assert stall is not None
    return stall


def test_a_worker_that_dies_is_reported_with_how_it_died(adapter):
    stall = _stall_of_a_killed_worker(adapter)
    assert stall.reason is StallReason.DIED, stall.describe()
    assert (stall.worker, stall.op, stall.index, stall.exitcode) == ("w1", Op(Action.GET), 0, -signal.SIGKILL)
    assert not stall.host_stalled
    described = stall.describe()
    assert described.startswith("worker w1 ") and described.endswith(
        " was killed by SIGKILL during operation 0 (get())"
    ), described


def test_a_dead_workers_message_reads_as_a_sentence(adapter):
    assert _stall_of_a_killed_worker(adapter).describe() == "worker w1 was killed by SIGKILL during operation 0 (get())"


#: A put, a get of that item, then a get from the empty queue: two operations return before the hang.
_PUT_GET_HANG = (Op(Action.PUT, ("w1", 1), 8), Op(Action.GET), Op(Action.GET))


def _records_around(crew: Crew, stall: Stall) -> tuple[list, list]:
    """The records the crew received, and its hung records."""
    return crew.records(), crew.hung_records(stall)


def _assert_kept_before(records: list, hung: list) -> None:
    assert [(r.index, r.status, r.value) for r in records] == [(0, Status.OK, None), (1, Status.OK, ("w1", 1))], records
    assert [(r.process, r.index, r.op, r.status) for r in hung] == [("w1", 2, Op(Action.GET), Status.HUNG)], hung


def test_a_hung_worker_keeps_the_records_of_what_it_did_before(adapter):
    """The records of the operations that returned before the hang are in the history, with one hung record after."""
    with simple_queue(adapter) as resource, Crew(adapter, resource) as crew:
        assert crew.start([("w1", _PUT_GET_HANG, 0)]) is None
        stall = crew.wait_reports()
        assert stall is not None and stall.reason is StallReason.HUNG, stall
        assert (stall.worker, stall.index) == ("w1", 2), stall.describe()
        records, hung = _records_around(crew, stall)
    _assert_kept_before(records, hung)


def test_a_worker_that_dies_keeps_the_records_of_what_it_did_before(adapter):
    with simple_queue(adapter) as resource, Crew(adapter, resource) as crew:
        assert crew.start([("w1", _PUT_GET_HANG, 0)]) is None
        worker = crew.workers[0]

        def in_its_last_get() -> bool:
            crew._read_progress()
            return worker.current == 2

        assert eventually(in_its_last_get, timing.OPERATION_DEADLINE)[0], "the worker never began its last get()"
        worker.enlisted.worker.kill()
        stall = crew.wait_reports()
        assert stall is not None and stall.reason is StallReason.DIED, stall
        records, hung = _records_around(crew, stall)
    _assert_kept_before(records, hung)


class _ExitAtOnce(Processes):
    """Starts a process that exits with code 3 instead of running the worker."""

    def start(self, target, args, name):
        return super().start(_exit_with_3, (), name)


def _exit_with_3():
    raise SystemExit(3)


class _PicklingThreads(Threads):
    """Threads of the test process that get their arguments pickled, as dask's tasks do; the resource travels as a
    copy."""

    def __init__(self):
        super().__init__()
        self.handoff = INHERIT

    def start(self, target, args, name):
        return super().start(target, pickle.loads(pickle.dumps(args)), name)


def test_a_thread_worker_whose_arguments_are_pickled_connects_by_address(adapter):
    """A socket cannot be pickled: a thread-mode launcher that does not share objects gets the listener's address."""
    pickling = replace(adapter, launcher=_PicklingThreads())
    with Peer(pickling, []) as peer:  # the peer's copy of the list
        assert peer.run("append", "x").ok
        got = peer.run("pop")
    assert got.ok and got.value == "x", got.describe()


def test_a_worker_that_never_starts_is_reported_with_its_exit_code(adapter):
    broken = replace(adapter, launcher=_ExitAtOnce(adapter.context))
    with simple_queue(adapter) as resource, Crew(broken, resource) as crew:
        stall = crew.start([("w1", (Op(Action.EMPTY),), 0)])
    assert stall is not None and stall.reason is StallReason.NEVER_STARTED, stall
    assert stall.describe() == "worker w1 never started: it exited with code 3", stall.describe()


@pytest.mark.parametrize("launcher", [pytest.param(None, id="processes"), pytest.param(Threads(), id="threads")])
def test_signals_between_workers_go_through_the_test_process(adapter, launcher):
    """A wait returns once another worker signals; a wait nobody signals gives up after its timeout."""
    if launcher is not None:
        adapter = replace(adapter, launcher=launcher)
    scripts = [
        ("w1", (Op(Action.WAIT, 1, timeout=timing.OPERATION_DEADLINE), Op(Action.GET)), 0),
        ("w2", (Op(Action.PUT, ("w2", 1), 8), Op(Action.SIGNAL, 1), Op(Action.WAIT, 2, timeout=0.1)), 0),
    ]
    with simple_queue(adapter) as resource, Crew(adapter, resource) as crew:
        assert crew.start(scripts) is None
        assert crew.wait_reports() is None
        records = {(r.process, r.index): r for r in crew.records()}
    assert len(records) == 5, records
    released = records[("w1", 0)]
    assert released.status is Status.OK and released.t_ret >= records[("w2", 1)].t_inv, released
    assert (records[("w1", 1)].status, records[("w1", 1)].value) == (Status.OK, ("w2", 1))
    never = records[("w2", 2)]
    assert (never.status, never.value) == (Status.RAISED, "TimeoutError: the signal never came")
    assert 0.1 - timing.TIMEOUT_EARLY <= (never.t_ret - never.t_inv) / 1e9 <= 0.1 + timing.TIMEOUT_LATE


#: A launcher of each mode (None: the adapter's own, processes).
EVERY_MODE = [
    pytest.param(None, id="processes"),
    pytest.param(Threads(), id="threads"),
    pytest.param(Tasks(), id="tasks"),
]


@pytest.mark.parametrize("launcher", EVERY_MODE)
def test_a_worker_ends_once_its_script_is_done(adapter, launcher):
    """Nobody has to tell it: it returns (a process exits, flushing what it put) while the others go on."""
    if launcher is not None:
        adapter = replace(adapter, launcher=launcher)
    with simple_queue(adapter) as resource, Crew(adapter, resource) as crew:
        assert crew.start([("w1", (Op(Action.EMPTY),), 0)]) is None
        assert crew.wait_reports() is None
        assert crew.workers[0].enlisted.worker.join(timing.OPERATION_DEADLINE), "the worker did not end by itself"


@pytest.mark.parametrize("launcher", EVERY_MODE)
def test_a_lingering_worker_keeps_serving_until_told_to_exit(adapter, launcher):
    """A pipe's workers keep their ends after their scripts: the other side's end of file waits for every holder."""
    if launcher is not None:
        adapter = replace(adapter, launcher=launcher)
    with simple_queue(adapter) as resource, Crew(adapter, resource, linger=True) as crew:
        assert crew.start([("w1", (Op(Action.EMPTY),), 0)]) is None
        assert crew.wait_reports() is None
        worker = crew.workers[0]
        worker.channel.send((Message.PING,))
        assert worker.channel.recv(timing.OPERATION_DEADLINE)[0] is Message.REPLY
        assert crew.wait_exits(None, timing.OPERATION_DEADLINE) is None
        assert not worker.enlisted.worker.alive()


def test_workers_in_the_test_process_use_no_files(adapter):
    """Threads share the crew's progress slots and record logs in memory: nothing is created in the workspace."""
    threads = replace(adapter, launcher=Threads())
    before = set(os.listdir(workspace()))
    with simple_queue(adapter) as resource, Crew(threads, resource) as crew:
        assert crew.start([("w1", (Op(Action.PUT, ("w1", 1), 8), Op(Action.GET)), 0)]) is None
        assert crew.wait_reports() is None
        assert set(os.listdir(workspace())) == before
        got = [(r.status, r.value) for r in crew.records()]
    assert got == [(Status.OK, None), (Status.OK, ("w1", 1))], got


class _Stuck(Worker):
    """A worker that never ends, recording what the harness asks of it."""

    def __init__(self, killable: bool):
        super().__init__("stuck")
        self.killable = killable
        self.asked: list[str] = []

    def alive(self) -> bool:
        return True

    def join(self, timeout: float) -> bool:
        self.asked.append("join")
        return False

    def kill(self) -> None:
        self.asked.append("kill")

    @property
    def exitcode(self):
        return None


@pytest.mark.parametrize(("killable", "asked"), [(True, ["join", "kill", "join"]), (False, ["join"])])
def test_a_stuck_worker_is_killed_if_it_can_be_and_otherwise_left_behind_after_one_grace(monkeypatch, killable, asked):
    monkeypatch.setattr(timing, "JOIN_GRACE", 0.0)
    stuck = _Stuck(killable)
    reap_worker(stuck)
    assert stuck.asked == asked


def test_threads_are_workers_of_the_threads_mode(adapter):
    assert replace(adapter, launcher=Threads()).mode is Mode.THREADS
    assert adapter.mode is Mode.PROCESSES


# --- what a peer replies ---------------------------------------------------------------------------


class _Maker:
    """A resource whose calls return or raise objects the standard pickle cannot carry back to the test process."""

    def lock(self):
        return threading.Lock()

    def function(self):
        return lambda: None

    def empty(self):
        class Unreachable(queue.Empty):  # a local class, as ray makes one per raise (RayTaskError(Empty))
            pass

        raise Unreachable("timed out")


def test_a_process_peer_reports_an_object_it_cannot_pickle_as_returned(adapter):
    """The call returned: the outcome says so, with a stand-in that keeps the object's type, repr and methods."""
    with Peer(adapter, _Maker()) as peer:
        lock, function = peer.run("lock"), peer.run("function")
    assert lock.ok and isinstance(lock.value, StandIn), lock.describe()
    assert lock.value.type_name == "_thread.lock" and "_thread.lock object" in lock.value.text, lock.value
    assert function.ok and isinstance(function.value, StandIn), function.describe()
    assert "<lambda>" in function.value.text, function.value


def test_a_process_peer_reports_a_queue_signal_it_cannot_pickle_as_that_signal(adapter):
    """An implementation's own subclass of queue.Empty reaches the test process as a queue.Empty naming it."""
    with Peer(adapter, _Maker()) as peer:
        outcome = peer.run("empty")
    assert isinstance(outcome.error, queue.Empty), outcome.describe()
    assert "Unreachable" in str(outcome.error) and "timed out" in str(outcome.error), outcome.error


def test_a_stand_in_matches_what_its_object_would_and_nothing_else(adapter):
    """A lock's stand-in matches the model's any-lock, a function's does not; neither is an item, nor equal to
    another stand-in (which object another process held is unknown here)."""
    with Peer(adapter, _Maker()) as peer:
        lock, again, function = (peer.run(name).value for name in ("lock", "lock", "function"))
    assert AnyLock() == lock and lock == AnyLock()
    assert AnyLock() != function and function != AnyLock()
    assert lock != again and lock == lock
    assert lock != Item.make(1, 0) and Item.make(1, 0) != lock


class _CoroutineEnd:
    """A pipe end whose receive into a buffer is a coroutine only (its blocking form must not be used)."""

    def __init__(self, connection):
        self.connection = connection

    async def coro_recv_bytes_into(self, buffer, offset=0):
        return self.connection.recv_bytes_into(buffer, offset)

    def recv_bytes_into(self, buffer, offset=0):
        raise AssertionError("a task peer must await coro_recv_bytes_into()")


@pytest.mark.parametrize("launcher", [pytest.param(None, id="processes"), pytest.param(Tasks(), id="tasks")])
def test_a_peer_receives_into_a_fresh_buffer(adapter, launcher):
    """``recv_bytes_into`` with a size and an offset: the peer makes the buffer, a task awaits the coroutine form,
    and the reply is the count and the whole buffer."""
    first, second = adapter.pipe(True)
    try:
        end = first if launcher is None else _CoroutineEnd(first)
        if launcher is not None:
            adapter = replace(adapter, launcher=launcher)
        with Peer(adapter, end, close_in_child=[second]) as peer:
            second.send_bytes(b"abc")
            outcome = peer.run("recv_bytes_into", 8, 2)
    finally:
        first.close()
        second.close()
    assert outcome.ok and outcome.value == (3, b"\0\0abc\0\0\0"), outcome.describe()


# --- the scenario runner and stalled hosts ------------------------------------------------------


def _execution(host_stalled: bool) -> runner.Execution:
    scenario = Scenario(Primitive.SIMPLE_QUEUE, None, (), ((Op(Action.EMPTY),),), (0,))
    stall = None
    if host_stalled:
        late = 2 * timing.NOTICE_LATE
        stall = Stall(StallReason.HUNG, "w1", Op(Action.EMPTY), 0, 3.0, late=late, overslept=late)
        assert stall.host_stalled
    history = History(Primitive.SIMPLE_QUEUE, None, Consistency.EXACT, [], Mode.PROCESSES)
    return runner.Execution(scenario, history, stall, [])


@contextmanager
def _scripted(executions):
    """The scenario runner gets ``executions``, in order, instead of running anything."""
    original = runner.execute
    runner.execute = lambda adapter, scenario: executions.pop(0)
    try:
        yield runner.ScenarioRunner(fork(), repeats=(3, 3, 3))
    finally:
        runner.execute = original


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_an_execution_the_host_stalled_runs_again(nothing):
    executions = [_execution(True), _execution(True)] + [_execution(False)] * 10
    with _scripted(executions) as run:
        run(executions[0].scenario)
    assert run.executions == 2 + 3  # two re-runs, then the three repeats, all passing
    assert not run.failure_seen


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_a_host_that_keeps_stalling_is_graded(nothing):
    executions = [_execution(True)] * (runner.HOST_STALL_RERUNS + 1)
    with _scripted(executions) as run, pytest.raises(Exception, match="CONC-SAFE-1") as raised:
        run(executions[0].scenario)
    assert run.executions == runner.HOST_STALL_RERUNS + 1
    assert "the host did not run the test process" in str(raised.value)


def _failing_execution(scenario: Scenario) -> runner.Execution:
    stall = Stall(StallReason.HUNG, "w1", Op(Action.EMPTY), 0, 3.0)
    assert not stall.host_stalled
    history = History(Primitive.SIMPLE_QUEUE, None, Consistency.EXACT, [], Mode.PROCESSES)
    return runner.Execution(scenario, history, stall, [])


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_a_scenario_that_failed_repeats_as_on_the_final_replay(nothing):
    """Hypothesis replays a failing example once before shrinking and skips the shrink phase if it passes:
    a scenario that failed before runs as many times as on the final replay, another one as a shrink candidate."""
    failing = _execution(False).scenario
    other = Scenario(Primitive.SIMPLE_QUEUE, None, (), ((Op(Action.EMPTY), Op(Action.EMPTY)),), (0,))
    passing = _execution(False)
    executions = [_failing_execution(failing)] + [passing] * 20
    original = runner.execute
    runner.execute = lambda adapter, scenario: executions.pop(0)
    try:
        run = runner.ScenarioRunner(fork(), repeats=(2, 3, 7))
        with pytest.raises(Exception, match="CONC-SAFE-1"):
            run(failing)
        assert run.executions == 1
        run(failing)  # the replay before shrinking
        assert run.executions == 1 + 7
        run(other)  # a shrink candidate
        assert run.executions == 1 + 7 + 3
    finally:
        runner.execute = original


def _leaking_execution(scenario: Scenario) -> runner.Execution:
    """An execution that fails without a stall: a child process outlived it (CONC-HYGIENE-1)."""
    history = History(Primitive.SIMPLE_QUEUE, None, Consistency.EXACT, [], Mode.PROCESSES)
    return runner.Execution(scenario, history, None, ["a child process outlived the execution"])


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_a_failure_that_does_not_fail_again_is_held_back(nothing):
    """Hypothesis would report a failure its replay does not reproduce unshrunk: the runner runs the example
    again (a shrink candidate's count) first, and holds back one that does not fail again; generation goes on."""
    scenario = _execution(False).scenario
    executions = [_leaking_execution(scenario)] + [_execution(False)] * 20
    with evidence.recording(evidence.Ledger()) as own, _scripted(executions) as run:
        run.repeats = (2, 3, 7)
        run(scenario)
        assert run.executions == 1 + 3 and not run.failure_seen and not own.failure_seen
        (held,) = own.unreproduced
        assert held.clause == "CONC-HYGIENE-1"
        assert "a child process outlived the execution" in held.text
        assert "It did not fail again in 3 more executions of the same scenario." in held.text
        assert own.checks["CONC-HYGIENE-1"].failed == 1 and own.checks["CONC-HYGIENE-1"].passed == 3
        run(scenario)  # the next example runs as any other while generating
        assert run.executions == 1 + 3 + 2


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_a_failure_that_fails_again_is_raised(nothing):
    scenario = _execution(False).scenario
    executions = [_leaking_execution(scenario), _execution(False), _leaking_execution(scenario)]
    with evidence.recording(evidence.Ledger()) as own, _scripted(executions) as run:
        run.repeats = (2, 3, 7)
        with pytest.raises(Exception, match="CONC-HYGIENE-1"):
            run(scenario)
        assert run.executions == 3 and run.failure_seen and not own.unreproduced
        assert "it failed again at execution 2 of up to 3 more" in run.witness


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_a_stall_is_raised_without_running_it_again(nothing):
    """Confirming a hang would cost a deadline per execution."""
    scenario = _execution(False).scenario
    with evidence.recording(evidence.Ledger()) as own, _scripted([_failing_execution(scenario)]) as run:
        with pytest.raises(Exception, match="CONC-SAFE-1"):
            run(scenario)
        assert run.executions == 1 and not own.unreproduced


# --- waits while Hypothesis shrinks a hang -------------------------------------------------------


def test_a_call_of_a_kind_whose_hang_failed_the_test_waits_only_the_kinds_wait(ledger):
    """While a failure in which a call hung is shrunk, another call of its kind waits only the kind's wait;
    other calls keep the shrinking wait, and a crew's workers (not hurried) their deadline."""
    kind, other = CallKind(QueueCall.PUT_BLOCK_TIMEOUT, 0.12), CallKind(QueueCall.PUT_BLOCK_TIMEOUT, 0.15)
    with pytest.raises(ClauseViolation):
        returned("QUEUE-PUT-2", Outcome("put(1, True, 0.02)", elapsed=2.02, hung=True, kind=kind))
    assert ledger.hung_kinds == {kind}
    assert patience(timing.OPERATION_DEADLINE, kind=kind) == 0.12
    assert patience(timing.OPERATION_DEADLINE, kind=other) == timing.SHRINK_WAIT
    assert patience(timing.OPERATION_DEADLINE, shrinking=False, kind=kind) == 0.12
    assert patience(timing.OPERATION_DEADLINE, shrinking=False, kind=other) == timing.OPERATION_DEADLINE


# --- the shrink budget ------------------------------------------------------------------------


def test_the_first_failure_starts_the_shrink_budget(ledger):
    """A failure not tolerated stamps when it was seen; later failures do not move the stamp."""
    assert ledger.failure_seen_at is None
    with pytest.raises(ClauseViolation):
        returned("QUEUE-PUT-2", Outcome("put(1, True, 0.02)", error=ValueError("no")))
    first = ledger.failure_seen_at
    assert ledger.failure_seen and first is not None
    with pytest.raises(ClauseViolation):
        returned("QUEUE-PUT-2", Outcome("put(2, True, 0.02)", error=ValueError("no")))
    assert ledger.failure_seen_at == first


def test_a_shrink_candidate_past_the_budget_is_rejected(ledger, monkeypatch):
    """Within the budget an example runs; past it, hypothesis.reject() ends every one (none is satisfiable)."""
    from hypothesis.errors import Unsatisfiable

    from conformance.harness.deadline import reject_past_shrink_budget

    reject_past_shrink_budget()  # no failure yet: nothing is shrinking
    with pytest.raises(ClauseViolation):
        returned("QUEUE-PUT-2", Outcome("put(1, True, 0.02)", error=ValueError("no")))
    reject_past_shrink_budget()  # the failure is fresh: within the budget
    monkeypatch.setattr(timing, "SHRINK_BUDGET", 0.0)
    began = []

    @settings(database=None, max_examples=5)
    @given(st.none())
    def candidate(_):
        reject_past_shrink_budget()
        began.append(True)

    with pytest.raises(Unsatisfiable):
        candidate()
    assert not began


def test_a_failure_past_the_shrink_budget_is_reported_with_the_smallest_example_so_far(ledger, monkeypatch):
    """Once the budget is spent Hypothesis stops shrinking and reports the smallest failing example it had,
    replayed for real (no flaky-replay error): the budget bounds the candidates tried, not the verdict."""
    from conformance import evidence as evidence_module
    from conformance.harness import deadline as deadline_module
    from conformance.harness.deadline import reject_past_shrink_budget

    clock = SimpleNamespace(now=0.0)
    fake_time = SimpleNamespace(monotonic=lambda: clock.now)
    monkeypatch.setattr(deadline_module, "time", fake_time)
    monkeypatch.setattr(evidence_module, "time", fake_time)
    monkeypatch.setattr(timing, "SHRINK_BUDGET", 5.0)
    failing = []

    @settings(database=None, max_examples=200, derandomize=True, report_multiple_bugs=False)
    @given(st.lists(st.integers(0, 1000), min_size=1))
    def fails_on_a_large_sum(items):
        reject_past_shrink_budget()
        clock.now += 1.0  # each example "takes" a second of the fake clock
        large = sum(items) >= 3000  # a shrink to [1000, 1000, 1000] takes about 150 candidates
        if large:
            failing.append(list(items))
        returned("QUEUE-PUT-2", Outcome(f"put({sum(items)})", error=ValueError("no") if large else None))

    with pytest.raises(ClauseViolation):
        fails_on_a_large_sum()
    # The first failure, its replay and the candidates of the first five seconds ran, then every candidate was
    # rejected: the failing examples are those and the final replay of the smallest (without the budget, 163).
    assert 2 <= len(failing) <= 10
    assert failing[-1] == failing[-2]


def test_only_an_operation_that_answers_by_its_own_timeout_has_a_kind():
    assert kind_of(Op(Action.GET, timeout=0.1)) == CallKind(Action.GET, 0.1 + timing.SHRINK_WAIT)
    assert kind_of(Op(Action.FLUSH)) is None
    assert kind_of(Op(Action.WAIT, key=0, timeout=10.0)) is None


@settings(max_examples=1, database=None)
@given(st.just(None))
def test_the_kind_of_operation_that_hung_in_a_failing_execution_is_noted(nothing):
    failing = _execution(False).scenario
    with _scripted([_failing_execution(failing)]) as run, pytest.raises(Exception, match="CONC-SAFE-1"):
        run(failing)
    assert evidence.current().hung_kinds == {kind_of(Op(Action.EMPTY))}


# --- judging what a hung worker did --------------------------------------------------------------

_PIPE = Scenario(Primitive.PIPE, None, (), (), (), worker_names=("wa", "wb"))


def _pipe_verdict(*records: Record) -> list:
    """The failures the runner reports for a pipe history in which wa's last operation hung (the crew's stall)."""
    hung = next(r for r in records if r.status is Status.HUNG)
    stall = Stall(StallReason.HUNG, hung.process, hung.op, hung.index, 10.0)
    history = History(Primitive.PIPE, None, Consistency.EXACT, list(records), Mode.PROCESSES)
    return runner.verdict_of(runner.Execution(_PIPE, history, stall, []))[1]


def _op(process: str, index: int, op: Op, status: Status = Status.OK, value=None) -> Record:
    return Record(process, index, op, status, value, 10 * index + 1, 10 * index + 2 if status is Status.OK else 1000)


def test_the_stream_to_a_hung_worker_is_judged_on_what_it_sent_before():
    """wb received wa's second message first: out of turn, though wa hung afterwards (its sends are known)."""
    failures = _pipe_verdict(
        _op("wa", 0, Op(Action.SEND, ("wa", 1), 8, end="a")),
        _op("wa", 1, Op(Action.SEND, ("wa", 2), 8, end="a")),
        _op("wa", 2, Op(Action.RECV, end="a"), Status.HUNG),
        _op("wb", 3, Op(Action.RECV, end="b"), value=("wa", 2)),
    )
    assert [f.clause for f in failures] == ["CONC-PIPE-1", "PIPE-FIFO-1"], failures
    assert "did not return" in failures[0].message and "out of turn" in failures[1].message, failures


def test_a_poll_is_judged_on_what_a_hung_worker_had_sent():
    failures = _pipe_verdict(
        _op("wa", 0, Op(Action.SEND, ("wa", 1), 8, end="a")),
        _op("wa", 1, Op(Action.RECV, end="a"), Status.HUNG),
        _op("wb", 2, Op(Action.POLL, end="b"), value=False),
    )
    assert [f.clause for f in failures] == ["CONC-PIPE-1", "PIPE-POLL-6"], failures


def test_a_hung_send_may_have_delivered_its_message():
    failures = _pipe_verdict(
        _op("wa", 0, Op(Action.SEND, ("wa", 1), 8, end="a"), Status.HUNG),
        _op("wb", 1, Op(Action.RECV, end="b"), value=("wa", 1)),
    )
    assert [f.clause for f in failures] == ["CONC-PIPE-1"], failures
    assert failures[0].witness, "the hung send is graded by the checker, with its record"


def test_a_hung_receive_is_a_lost_message_only_when_one_was_owed():
    """A receive that waited while a returned send's message was unreceived: lost (PIPE-FIFO-1), and the stall is
    explained; one that waited with nothing owed is reported as the stall it is."""
    owed = _pipe_verdict(
        _op("wb", 0, Op(Action.SEND, ("wb", 1), 8, end="b")),
        _op("wa", 1, Op(Action.RECV, end="a"), Status.HUNG),
    )
    assert [f.clause for f in owed] == ["PIPE-FIFO-1"], owed
    nothing_owed = _pipe_verdict(
        _op("wb", 0, Op(Action.SEND, ("wb", 1), 8, end="b")),
        _op("wa", 1, Op(Action.RECV, end="a"), value=("wb", 1)),
        _op("wa", 2, Op(Action.RECV, end="a"), Status.HUNG),
    )
    assert [(f.clause, f.witness) for f in nothing_owed] == [("CONC-PIPE-1", ())], nothing_owed
    assert nothing_owed[0].message.startswith("worker wa: operation 2 (a.recv()) did not return within")


def test_after_a_stall_an_item_not_got_is_not_lost():
    """The drain does not run after a stall: the items it would have got are not reported lost."""
    scenario = Scenario(Primitive.SIMPLE_QUEUE, None, (), ((Op(Action.PUT, ("w1", 1), 8), Op(Action.GET)),), (0,))
    records = [
        _op("w1", 0, Op(Action.PUT, ("w1", 1), 8)),
        _op("w1", 1, Op(Action.EMPTY), value=False),
        _op("w1", 2, Op(Action.PUT, ("w1", 2), 8), Status.HUNG),
    ]
    stall = Stall(StallReason.HUNG, "w1", records[-1].op, 2, 10.0)
    history = History(Primitive.SIMPLE_QUEUE, None, Consistency.EXACT, records, Mode.PROCESSES)
    failures = runner.verdict_of(runner.Execution(scenario, history, stall, []))[1]
    assert [f.clause for f in failures] == ["CONC-SAFE-1"], failures


def test_reap_goes_on_when_the_implementations_close_fails():
    """loky's processes have no Popen.close(): reaping one must not raise from the implementation's close()."""

    class ExitedProcess:
        def join(self, timeout=None):
            pass

        def is_alive(self):
            return False

        def close(self):
            raise AttributeError("'Popen' object has no attribute 'close'")

    reap(ExitedProcess())
