"""The worker crew tells a hang from a host that did not run the test process.

A hang must be reported within its deadline plus ``timing.NOTICE_LATE``.
When the crew's own wait returns much later than it asked, the operating
system did not run the test process (a stalled host), and the operation's
time is no evidence of a hang: the scenario runner runs that execution
again instead of grading it.
"""

from contextlib import contextmanager
from multiprocessing import connection as mp_connection

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.checkers.history import EXACT, History
from conformance.harness import timing, workers
from conformance.harness.workers import Crew, Op, Stall
from conformance.scenarios import runner
from conformance.scenarios.strategies import Scenario
from implementations.stdlib import fork

#: How much later than asked the simulated stalled host returns the crew's wait.
HOST_STALL = timing.NOTICE_LATE + 0.5


@pytest.fixture
def adapter():
    return fork()


def _stall_of_a_blocked_get(adapter) -> Stall:
    """A worker blocks in get() on an empty SimpleQueue: a hang, past its deadline."""
    resource = adapter.simple_queue()
    try:
        with Crew(adapter, resource) as crew:
            crew.start([("w1", (Op("get"),), 0)])
            stall = crew.wait_reports()
    finally:
        resource.close()
    assert stall is not None
    return stall


def test_a_hang_is_noticed_on_time(adapter):
    stall = _stall_of_a_blocked_get(adapter)
    assert stall.late <= timing.NOTICE_LATE, stall.describe()
    assert not stall.host_stalled
    assert stall.describe().startswith("worker w1: operation 0 (get()) did not return within")


def test_a_wait_the_host_returned_late_is_not_graded_as_a_hang(adapter, monkeypatch):
    real_wait = mp_connection.wait

    class StalledHost:
        @staticmethod
        def wait(handles, timeout=None):
            # The host stalls: the wait returns HOST_STALL later than asked, with nothing ready.
            return real_wait([], (timeout or 0.0) + HOST_STALL)

    monkeypatch.setattr(workers, "mp_connection", StalledHost)
    stall = _stall_of_a_blocked_get(adapter)
    assert stall.host_stalled, stall.describe()
    assert stall.late > timing.NOTICE_LATE
    assert "the host did not run the test process" in stall.describe()


def test_a_test_process_held_up_outside_its_wait_is_not_called_a_host_stall():
    stall = Stall("w1", Op("get", timeout=0.1), 1, 30.7, late=28.6, overslept=0.0)
    assert not stall.host_stalled
    assert "held up outside its wait" in stall.describe()


def _execution(host_stalled: bool) -> runner.Execution:
    scenario = Scenario("simple_queue", None, (), ((Op("empty"),),), (0,))
    stall = "worker w1: operation 0 (empty()) did not return within 3.00s" if host_stalled else None
    return runner.Execution(scenario, History("simple_queue", None, EXACT, []), stall, [], host_stalled)


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
    with _scripted(executions) as run, pytest.raises(Exception, match="CONC-SAFE-1"):
        run(executions[0].scenario)
    assert run.executions == runner.HOST_STALL_RERUNS + 1
