"""Concurrent use: generated multi-process scenarios, recorded histories, the history checker.

Mirrors :mod:`conformance.spec.concurrency`.  Each test starts real
workers with the adapter's launcher (processes, threads or asyncio tasks)
and checks what they recorded with :func:`conformance.checkers.history.check`
at the consistency level the primitive claims: SimpleQueue exact, queues as
the adapter declares (``Consistency.EXACT`` for the Manager proxy,
``EVENTUAL`` for the stdlib Queue).  The checkers declare the clauses they
judge; the tests cite those declarations.  The Hypothesis profile sets how many scenarios run; each example
is executed several times (more once a failure was seen), see
:mod:`conformance.scenarios.runner`.

Process-heavy: every test here is in the xdist group ``processes``, so a
parallel run keeps them on one worker instead of starving each other of
the two cores.

Why both forms, measured against the seeded faults of ``tests/concurrency``
(ci profile, stdlib Queue under fork, ``benchmarks/RESULTS-concurrency.md``):
the process machine does find sequencing bugs, and some races, because
its workers overlap with the test process's own steps: it caught
``exit_loses`` (QUEUE-FLUSH-2), ``close_discards`` (one producer, put then
flush) and ``no_write_lock``.  What only ``@given(scenarios())`` does is
*shrink a race and keep it reproducing*: each example is executed several
times, many more once a failure has been seen and on the final replay,
with the workers released together at a barrier.  The machine runs each
example once, so a shrink candidate that fails one run in three is
rejected as passing; its ``no_write_lock`` counterexample stayed at eight
operations (five puts by the test process, a producer, a join), where the
scenario test reports two producers with one 100 KiB put each (two or
three operations).  ``no_read_lock`` (two consumers splitting one frame)
needs consumers reading at the same instant, which the barrier start
gives: the scenario test catches it, while the machine (whose consumers
start one rule apart) passed it.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import registry
from conformance.checkers import history, streams
from conformance.harness.operations import Action, Op
from conformance.machines import concurrent
from conformance.machines.base import run
from conformance.machines.concurrent import ConcurrentQueueMachine
from conformance.primitives import Primitive, QueueCall, calls
from conformance.scenarios.pipes import pipe_scenarios
from conformance.scenarios.runner import ScenarioRunner
from conformance.scenarios.strategies import Scenario, scenarios

pytestmark = pytest.mark.xdist_group("processes")

#: Shares of the profile's ``max_examples`` for the scenario tests (each
#: example is several executions of 2 to 4 workers).  The Queue test
#: carries the races (lock, flush and exit faults), which need a few
#: hundred executions to be caught every run; SimpleQueue writes
#: synchronously and needs fewer.
QUEUE_SCENARIO_EXAMPLES = 2.4
SIMPLE_QUEUE_SCENARIO_EXAMPLES = 1.0
PIPE_SCENARIO_EXAMPLES = 1.0
#: At most this many examples per scenario test: the thorough profile
#: repeats each ten times, and one test must stay well inside the
#: pytest-timeout backstop on a loaded 2-core box.
MAX_SCENARIO_EXAMPLES = 300
#: Shares of those examples by start method.  An execution starts 2 to 4
#: processes, which costs about 7 times as much under spawn and 3 times as
#: much under forkserver as under fork on these machines
#: (``benchmarks/scenario_rate.py``), so each start method gets about the
#: same wall time.  The races are hunted under fork, where executions are
#: cheapest; the slower methods check that the primitives work, and are
#: checked the same way, in processes they start.
START_METHOD_SHARE = {"forkserver": 0.4, "spawn": 0.2}


def _warm_up(adapter, primitive: Primitive) -> Scenario:
    """A one-item scenario run unchecked before measuring hygiene."""
    if primitive is Primitive.PIPE:
        return Scenario(primitive, None, (), ((Op(Action.SEND, ("wa", 1), 8, end="a"),), (Op(Action.RECV, end="b"),)), (0, 0))
    get = Op(Action.GET)
    if primitive is not Primitive.SIMPLE_QUEUE:
        form = calls(adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET)[0]
        get = Op(Action.GET, timeout=1.0 if form is not QueueCall.GET else None, form=form)
    return Scenario(primitive, None, (), ((Op(Action.PUT, ("w1", 1), 8),), (get,)), (0, 0))


def scenario_settings(share: float) -> settings:
    """One scenario test's settings: ``share`` of the active profile's examples, scaled by
    :data:`START_METHOD_SHARE` for the adapter under test and capped at :data:`MAX_SCENARIO_EXAMPLES`.

    The runner fixture is per test on purpose (it carries the test's
    repetition state across examples), hence the health check.
    """
    examples = settings().max_examples * share * START_METHOD_SHARE.get(registry.active().start_method, 1.0)
    return settings(
        max_examples=min(MAX_SCENARIO_EXAMPLES, max(1, round(examples))),
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@pytest.fixture
def runner(ipc_adapter, request):
    """A :class:`ScenarioRunner` for this test's primitive (its ``uses`` marker); records what it measured."""
    primitive = request.node.get_closest_marker("uses").args[0]
    scenario_runner = ScenarioRunner(ipc_adapter, warm_up=_warm_up(ipc_adapter, primitive))
    yield scenario_runner
    request.node.user_properties.append(("executions", scenario_runner.executions))
    request.node.user_properties.append(("strongest_consistency_observed", scenario_runner.strongest_observed))


@pytest.mark.spec(*history.QUEUE_CLAUSES, "CONC-HYGIENE-1", any=True)
@pytest.mark.uses(Primitive.QUEUE)
@scenario_settings(QUEUE_SCENARIO_EXAMPLES)
@given(data=st.data())
def test_queue_scenarios(ipc_adapter, runner, data):
    """Generated scenarios on a Queue: 2-4 workers, prefix, flush/exit/cancel, signals, 8 B to 100 KiB items.

    This ``@given(scenarios())`` form stays beside the machine because it
    repeats each example (many times once a failure is seen, and on the
    final replay) with workers released together at a barrier: it is what
    catches the lock races (a missing read or write lock) and shrinks them
    to a few operations that still reproduce.  The machine runs each
    example once and cannot repeat it.
    """
    runner(data.draw(scenarios(ipc_adapter, Primitive.QUEUE), label="scenario"))


@pytest.mark.spec(*history.SIMPLE_QUEUE_CLAUSES, "CONC-HYGIENE-1", any=True)
@pytest.mark.uses(Primitive.SIMPLE_QUEUE)
@scenario_settings(SIMPLE_QUEUE_SCENARIO_EXAMPLES)
@given(data=st.data())
def test_simple_queue_scenarios(ipc_adapter, runner, data):
    """Generated scenarios on a SimpleQueue, checked at exact consistency (global FIFO, exact empty()).

    ``@given`` form for the same reason as :func:`test_queue_scenarios`;
    the machine drives Queues only.
    """
    runner(data.draw(scenarios(ipc_adapter, Primitive.SIMPLE_QUEUE), label="scenario"))


@pytest.mark.spec(*streams.CLAUSES, "CONC-HYGIENE-1", any=True)
@pytest.mark.uses(Primitive.PIPE)
@scenario_settings(PIPE_SCENARIO_EXAMPLES)
@given(data=st.data())
def test_pipe_scenarios(ipc_adapter, runner, data):
    """Generated pipe scenarios: a worker at each end, both directions at once, end of file and broken pipe
    waiting for every copy of the closed end, checked at exact consistency.

    ``@given`` form: a pipe scenario is a whole exchange between two
    workers, closes included, so there is no state a machine could carry
    from one rule to the next.
    """
    runner(data.draw(pipe_scenarios(ipc_adapter), label="scenario"))


@pytest.mark.spec(*concurrent.CLAUSES, any=True)
@pytest.mark.uses(Primitive.QUEUE)
def test_queue_process_machine(ipc_adapter):
    """Producers and consumers started, flushed and joined by rules over one queue's life; checked at every
    quiescent point and after the final drain."""
    share = START_METHOD_SHARE.get(ipc_adapter.start_method, 1.0)
    run(ConcurrentQueueMachine, ipc_adapter, examples=0.2 * share, steps=0.3)
