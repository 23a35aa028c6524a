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

Fixed cases come first, one behaviour each, with the test process and a
peer (or two) acting at once: calls that return as documented, two
consumers, counts, flushed items, exact consistency, a cancelled
producer's items, both ends of a pipe in use, and end of file or a broken
pipe only once every process has closed the other end.  They judge each
concurrency clause deterministically, where the generated tests below
reach a clause only when the draw does.

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

from collections import Counter
from queue import Empty, Full
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import profiles
from conformance.adapter import Mode
from conformance.checkers import history, streams
from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import Outcome, call
from conformance.harness.operations import Action, Op
from conformance.harness.peer import Peer
from conformance.machines import concurrent
from conformance.machines.base import run
from conformance.machines.concurrent import ConcurrentQueueMachine
from conformance.machines.pipe import offered
from conformance.machines.queue import api_clause
from conformance.primitives import Feature, Primitive, QueueCall, Wait, calls, waiting_get
from conformance.scenarios.pipes import pipe_scenarios
from conformance.scenarios.runner import ScenarioRunner
from conformance.scenarios.strategies import LARGE, MAIN, Scenario, scenarios
from conformance.verdict import expect, raised, returned, within

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
#: checked the same way, in processes they start.  A ray task (the ray-queue
#: adapter's workers) runs in a fresh ray worker process, which costs about
#: as much as a spawned one.
START_METHOD_SHARE = {"forkserver": 0.4, "spawn": 0.2, "ray task": 0.2}


def _warm_up(adapter, primitive: Primitive) -> Scenario:
    """A scenario run unchecked before measuring hygiene, so that what an implementation opens once per process,
    on first use, is open before the count: an item from one worker to another and, on a Queue, an item of the
    largest size the scenarios draw that the test process puts and gets back (ray's driver connects to its
    object store the first time it gets a large item, and keeps the connection)."""
    if primitive is Primitive.PIPE:
        return Scenario(
            primitive, None, (), ((Op(Action.SEND, ("wa", 1), 8, end="a"),), (Op(Action.RECV, end="b"),)), (0, 0)
        )
    if primitive is Primitive.SIMPLE_QUEUE:  # a large put would wait for a reader: the test process is the only one
        return Scenario(primitive, None, (), ((Op(Action.PUT, ("w1", 1), 8),), (Op(Action.GET),)), (0, 0))
    form = calls(adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET)[0]
    get = Op(Action.GET, timeout=1.0 if form is not QueueCall.GET else None, form=form)
    large = Op(Action.PUT, (MAIN, 1), adapter.limits.largest(LARGE))
    return Scenario(primitive, None, (large, get), ((Op(Action.PUT, ("w1", 1), 8),), (get,)), (0, 0))


def scenario_settings(share: float):
    """One scenario test's settings: ``share`` of the run's examples, scaled by
    :data:`START_METHOD_SHARE` for the adapter under test and capped at :data:`MAX_SCENARIO_EXAMPLES`
    (computed by the plugin when the test is collected: :func:`conformance.profiles.scaled`).

    The runner fixture is per test on purpose (it carries the test's
    repetition state across examples), hence the health check.
    """

    def adjust(active: settings, adapter) -> dict:
        examples = active.max_examples * share * START_METHOD_SHARE.get(adapter.start_method, 1.0)
        return dict(
            max_examples=min(MAX_SCENARIO_EXAMPLES, max(1, round(examples))),
            suppress_health_check=[*active.suppress_health_check, HealthCheck.function_scoped_fixture],
        )

    return profiles.scaled(adjust)


@pytest.fixture
def runner(ipc_adapter, request):
    """A :class:`ScenarioRunner` for this test's primitive (its ``uses`` marker); records what it measured."""
    primitive = request.node.get_closest_marker("uses").args[0]
    scenario_runner = ScenarioRunner(ipc_adapter, warm_up=_warm_up(ipc_adapter, primitive))
    yield scenario_runner
    request.node.user_properties.append(("executions", scenario_runner.executions))
    request.node.user_properties.append(("strongest_consistency_observed", scenario_runner.strongest_observed))


# -- fixed cases: one behaviour each, the test process and a peer ---------------------------

#: The timeout of the timed gets below that must expire (or must return an item at once).
SHORT_TIMEOUT = 0.05


def _queue(adapter, *maxsize):
    shown = ", ".join(map(str, maxsize))
    return returned(api_clause(adapter, Primitive.QUEUE), call(f"queue({shown})", adapter.queue, *maxsize))


def _deadline(form: QueueCall, timeout: Optional[float]) -> float:
    """How long a call of ``form`` may take: its timeout and the lateness allowed, at once, or an item's visibility."""
    if form.wait is Wait.TIMEOUT:
        return timeout + timing.TIMEOUT_LATE
    return timing.IMMEDIATE if form.wait is Wait.NEVER else timing.VISIBILITY_DEADLINE


def _in_test(queue, form: QueueCall, item=None, timeout=None) -> Outcome:
    args, kwargs = form.arguments(item, timeout)
    return call(
        f"test {form.describe(item, timeout)}",
        getattr(queue, form.method),
        *args,
        deadline=_deadline(form, timeout),
        **kwargs,
    )


def _in_peer(peer, form: QueueCall, item=None, timeout=None):
    """``form`` submitted to the peer; collect it with ``.result(_deadline(form, timeout))``."""
    args, kwargs = form.arguments(item, timeout)
    return peer.submit(form.method, *args, **kwargs)


def _at_once(peer, queue, form: QueueCall, items=(None, None), timeout=None) -> tuple[Outcome, Outcome]:
    """``form`` in the peer and in the test process at the same time (the peer's first); their outcomes."""
    pending = _in_peer(peer, form, items[0], timeout)
    mine = _in_test(queue, form, items[1], timeout)
    return pending.result(_deadline(form, timeout)), mine


def _waiting_get_timeout(form: QueueCall) -> Optional[float]:
    return timing.VISIBILITY_DEADLINE if form is not QueueCall.GET else None


@pytest.mark.spec("CONC-SAFE-1")
@pytest.mark.uses(Primitive.QUEUE)
def test_calls_of_two_processes_at_once_return_as_documented(ipc_adapter):
    """The test process and a peer call ``queue(2)`` at the same time: two puts with room return, two
    non-blocking puts on the full queue raise queue.Full, two waiting gets return the two items intact, two
    timed gets on the empty queue raise queue.Empty within their timeout."""
    puts = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
    get = waiting_get(ipc_adapter)
    timed = calls(ipc_adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT)
    bounded = _queue(ipc_adapter, 2)
    items = ("from the peer", "from the test")
    try:
        with Peer(ipc_adapter, bounded) as peer:
            peer.ping()
            for outcome in _at_once(peer, bounded, QueueCall.PUT, items):
                expect(
                    "CONC-SAFE-1", outcome.ok, outcome.describe() + " with a slot free for it, expected it to return"
                )
            if puts:
                for outcome in _at_once(peer, bounded, puts[0], ("refused", "refused")):
                    expect(
                        "CONC-SAFE-1",
                        isinstance(outcome.error, Full),
                        outcome.describe() + " on a full queue, expected queue.Full",
                    )
            got = _at_once(peer, bounded, get, timeout=_waiting_get_timeout(get))
            for outcome in got:
                expect(
                    "CONC-SAFE-1",
                    outcome.ok and outcome.value in items,
                    outcome.describe() + f" with {items} put, expected one of them intact",
                )
            expect(
                "CONC-CONSUMERS-1",
                {o.value for o in got} == set(items),
                f"the two gets returned {[o.value for o in got]}, expected {list(items)}",
            )
            if timed:
                for outcome in _at_once(peer, bounded, timed[0], timeout=SHORT_TIMEOUT):
                    expect(
                        "CONC-SAFE-1",
                        isinstance(outcome.error, Empty),
                        outcome.describe() + " on an empty queue, expected queue.Empty",
                    )
                    within("CONC-SAFE-1", outcome, 0, SHORT_TIMEOUT + timing.TIMEOUT_LATE)
    finally:
        dispose(bounded)


@pytest.mark.spec("CONC-CONSUMERS-1")
@pytest.mark.uses(Primitive.QUEUE)
def test_two_consumers_at_once_get_each_item_once(ipc_adapter):
    """The test process and a peer get at the same time, in rounds, until six items are out: each item is got
    by exactly one of them, once."""
    items = [f"item {n}" for n in range(6)]
    queue = _queue(ipc_adapter)
    form = waiting_get(ipc_adapter)
    try:
        for item in items:
            returned("CONC-CONSUMERS-1", _in_test(queue, QueueCall.PUT, item))
        got = []
        with Peer(ipc_adapter, queue) as peer:
            for _ in range(len(items) // 2):
                got += _at_once(peer, queue, form, timeout=_waiting_get_timeout(form))
        values = [outcome.value for outcome in got if outcome.ok]
        expect(
            "CONC-CONSUMERS-1",
            len(values) == len(got) and Counter(values) == Counter(items),
            "; ".join(outcome.describe() for outcome in got) + f"; expected each of {items} once",
        )
    finally:
        dispose(queue)


@pytest.mark.spec("CONC-COUNT-1")
@pytest.mark.uses(Primitive.QUEUE)
def test_counts_are_true_with_nothing_in_flight(ipc_adapter):
    """With no put or get in flight, ``qsize()`` of ``queue(2)`` is the number of items held, ``full()`` says
    whether that is 2, and ``empty()`` says False only with an item held."""
    queries = [
        q
        for q, feature in (
            ("qsize", Feature.QUEUE_QSIZE),
            ("full", Feature.QUEUE_EMPTY_FULL),
            ("empty", Feature.QUEUE_EMPTY_FULL),
        )
        if ipc_adapter.has(feature)
    ]
    if not queries:
        pytest.skip(f"adapter {ipc_adapter.name!r} offers neither qsize() nor full() and empty()")
    bounded = _queue(ipc_adapter, 2)
    get = waiting_get(ipc_adapter)
    try:

        def check(held: int) -> None:
            for query in queries:
                with continuing():
                    answer = call(
                        f"{query}() with {held} item(s) held", getattr(bounded, query), deadline=timing.IMMEDIATE
                    )
                    right = {
                        "qsize": answer.value == held,
                        "full": answer.value == (held == 2),
                        "empty": answer.value is True or held >= 1,
                    }[query]
                    expect("CONC-COUNT-1", answer.ok and right, answer.describe() + f"; the queue held {held} of 2")

        check(0)
        for held in (1, 2):
            returned("QUEUE-MAXSIZE-2", _in_test(bounded, QueueCall.PUT, f"item {held}"))
            check(held)
        for held in (1, 0):
            returned("QUEUE-DELIVERY-1", _in_test(bounded, get, timeout=_waiting_get_timeout(get)))
            check(held)
    finally:
        dispose(bounded)


@pytest.mark.spec("CONC-EMPTY-1")
@pytest.mark.uses(Primitive.QUEUE)
def test_flushed_items_are_there_for_every_get_form(ipc_adapter):
    """A peer process puts three items and flushes them (close() and join_thread(), or its exit): then
    ``empty()`` is False, and each get form that may report an empty queue returns an item instead."""
    if ipc_adapter.mode is not Mode.PROCESSES:
        pytest.skip(
            f"adapter {ipc_adapter.name!r} runs its peers as {ipc_adapter.mode}: a peer's close() would close "
            "the test's queue too"
        )
    forms = calls(
        ipc_adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT
    )
    if not forms:
        pytest.skip(f"adapter {ipc_adapter.name!r} offers no get that may report an empty queue")
    items = [f"item {n}" for n in range(3)]
    queue = _queue(ipc_adapter)
    try:
        with Peer(ipc_adapter, queue) as producer:
            for item in items:
                returned("CONC-EMPTY-1", producer.run("put", item))
            if ipc_adapter.has(Feature.QUEUE_CLOSE) and ipc_adapter.has(Feature.QUEUE_FEEDER):
                returned("QUEUE-FLUSH-1", producer.run("close"))
                returned("QUEUE-FLUSH-1", producer.run("join_thread"))
            else:
                producer.exit()
                expect(
                    "QUEUE-FLUSH-2",
                    producer.exited(timing.OPERATION_DEADLINE),
                    "the producer of 3 small items did not exit",
                )
            if ipc_adapter.has(Feature.QUEUE_EMPTY_FULL):
                empty = call("empty() with 3 flushed items", queue.empty, deadline=timing.IMMEDIATE)
                expect("CONC-EMPTY-1", empty.ok and empty.value is False, empty.describe() + ", expected False")
            for n, item in enumerate(items):
                form = forms[n % len(forms)]
                got = _in_test(queue, form, timeout=SHORT_TIMEOUT)
                expect(
                    "CONC-EMPTY-1",
                    got.ok and got.value == item,
                    got.describe() + f" with {len(items) - n} flushed item(s) there, expected {item!r}",
                )
    finally:
        dispose(queue)


@pytest.mark.spec("CONC-LEVEL-1")
@pytest.mark.uses(Primitive.QUEUE)
def test_exact_queue_is_exact_in_every_process(ipc_adapter):
    """At exact consistency, after the test and then a peer put into ``queue(2)``: it is full for both,
    non-blocking puts raise queue.Full, the items come out in put order whoever gets them, and then it is
    empty for both, at once."""
    bounded = _queue(ipc_adapter, 2)
    puts = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
    gets = calls(ipc_adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK)
    queries = [q for q in ("full", "empty") if ipc_adapter.has(Feature.QUEUE_EMPTY_FULL)]
    try:
        with Peer(ipc_adapter, bounded) as peer:

            def run(who: str, form: QueueCall, item=None) -> Outcome:
                if who == "peer":
                    return _in_peer(peer, form, item).result(_deadline(form, None))
                return _in_test(bounded, form, item)

            def ask(who: str, query: str, expected: bool) -> None:
                with continuing():
                    answer = (
                        peer.run(query, deadline=timing.IMMEDIATE)
                        if who == "peer"
                        else call(f"test {query}()", getattr(bounded, query), deadline=timing.IMMEDIATE)
                    )
                    expect(
                        "CONC-LEVEL-1",
                        answer.ok and answer.value is expected,
                        answer.describe() + f", expected {expected}",
                    )

            for who in ("test", "peer"):
                returned("CONC-LEVEL-1", run(who, QueueCall.PUT, f"put by the {who}"))
            for who in ("test", "peer"):
                for query in queries:
                    ask(who, query, query == "full")
                if puts:
                    with continuing():
                        raised("CONC-LEVEL-1", run(who, puts[0], "refused"), Full)
            if gets:
                for who, item in (("peer", "put by the test"), ("test", "put by the peer")):
                    got = run(who, gets[0])
                    expect(
                        "CONC-LEVEL-1", got.ok and got.value == item, got.describe() + f", expected {item!r}, put first"
                    )
                for who in ("test", "peer"):
                    for query in queries:
                        ask(who, query, query == "empty")
                    with continuing():
                        raised("CONC-LEVEL-1", run(who, gets[0]), Empty)
    finally:
        dispose(bounded)


@pytest.mark.spec("CONC-CANCEL-1", "QUEUE-CANCEL-2")
@pytest.mark.uses(Primitive.QUEUE)
def test_items_of_a_cancelled_producer_arrive_once_in_order_if_at_all(ipc_adapter):
    """A peer process puts four small items, calls cancel_join_thread() and exits: it exits, and the items
    that arrive (maybe none) arrive once, intact and in put order."""
    items = [(n, bytes([n]) * 64) for n in range(4)]
    queue = _queue(ipc_adapter)
    # A get that answers at once, or soon: what is not there now will not come.
    drain = calls(
        ipc_adapter,
        QueueCall.GET_NOWAIT,
        QueueCall.GET_NOBLOCK,
        QueueCall.GET_ZERO,
        QueueCall.GET_BLOCK_TIMEOUT,
        QueueCall.GET_TIMEOUT,
    )
    if not drain:
        pytest.skip(f"adapter {ipc_adapter.name!r} offers no get that gives up")
    try:
        with Peer(ipc_adapter, queue) as producer:
            for item in items:
                returned("CONC-CANCEL-1", producer.run("put", item))
            returned("CONC-CANCEL-1", producer.run("cancel_join_thread"))
            producer.exit()
            expect(
                "QUEUE-CANCEL-2",
                producer.exited(timing.OPERATION_DEADLINE),
                "the producer did not exit after cancel_join_thread()",
            )
        # The producer is gone: whatever it wrote is in the queue now, and nothing more will come.
        arrived = []
        while len(arrived) <= len(items):
            outcome = _in_test(queue, drain[0], timeout=SHORT_TIMEOUT)
            if isinstance(outcome.error, Empty):
                break
            arrived.append(outcome)
        values = [o.value for o in arrived if o.ok]
        in_order = [item for item in items if item in values] == values
        expect(
            "CONC-CANCEL-1",
            len(values) == len(arrived) and in_order and len(set(map(repr, values))) == len(values),
            f"after the producer exited: {'; '.join(o.describe() for o in arrived) or 'nothing arrived'}, "
            f"expected a part of {[n for n, _ in items]} in order, each once",
        )
    finally:
        dispose(queue)


def _peer_end(adapter, conn, other):
    """A peer holding ``conn`` (a pipe end) and not ``other``."""
    return Peer(adapter, conn, close_in_child=[other])


@pytest.mark.spec("CONC-PIPE-1")
@pytest.mark.uses(Primitive.PIPE)
def test_two_processes_use_the_two_ends_at_once(ipc_adapter):
    """A peer sends a message larger than the OS buffer (it waits for room) while the test process sends to
    it and then reads: both messages arrive whole, and every call returns."""
    mine, theirs = ipc_adapter.pipe(True)
    large = "send_bytes" in offered(ipc_adapter, "send_bytes")
    big = bytes(range(256)) * 1100  # over the 256 KiB a socket pair buffers
    try:
        with _peer_end(ipc_adapter, theirs, mine) as peer:
            peer.ping()
            sending = peer.submit("send_bytes" if large else "send", big)
            returned("CONC-PIPE-1", call("test send('to the peer') while the peer sends", mine.send, "to the peer"))
            got = call(
                f"test {'recv_bytes' if large else 'recv'}() of the peer's message",
                mine.recv_bytes if large else mine.recv,
            )
            expect(
                "CONC-PIPE-1",
                got.ok and got.value == big,
                got.describe() + f", expected the peer's {len(big)}-byte message whole",
            )
            returned("CONC-PIPE-1", sending.result())
            received = peer.run("recv")
            expect(
                "CONC-PIPE-1",
                received.ok and received.value == "to the peer",
                received.describe() + ", expected 'to the peer'",
            )
    finally:
        dispose((mine, theirs))


@pytest.mark.spec("CONC-PIPE-2")
@pytest.mark.uses(Primitive.PIPE)
def test_end_of_file_waits_for_every_process_holding_the_other_end(ipc_adapter):
    """The test process and a second peer hold the sending end; a peer's recv() on the other end goes on
    waiting when the test closes its copy, and raises EOFError once the second peer closes its own; so does
    every recv() after it, at once."""
    receiving, sending = ipc_adapter.pipe(True)
    try:
        with _peer_end(ipc_adapter, receiving, sending) as reader, _peer_end(ipc_adapter, sending, receiving) as holder:
            dispose(receiving)
            returned("CONC-PIPE-2", call("test send('first')", sending.send, "first"))
            got = reader.run("recv")
            expect("CONC-PIPE-2", got.ok and got.value == "first", got.describe() + ", expected 'first'")
            holder.ping()
            waiting = reader.submit("recv")
            returned("CONC-PIPE-2", call("test close() of its copy of the sending end", sending.close))
            if waiting.ready(timing.STILL_BLOCKED):
                expect(
                    "CONC-PIPE-2",
                    False,
                    f"{waiting.result().describe()} while another process still held the sending end, expected "
                    "it to wait",
                )
            returned("CONC-PIPE-2", holder.run("close"))
            raised("CONC-PIPE-2", waiting.result(), EOFError)
            raised("CONC-PIPE-2", reader.run("recv", deadline=timing.IMMEDIATE), EOFError)
    finally:
        dispose((receiving, sending))


@pytest.mark.spec("CONC-PIPE-3")
@pytest.mark.uses(Primitive.PIPE)
def test_broken_pipe_waits_for_every_process_holding_the_other_end(ipc_adapter):
    """The test process and a peer hold one end: once the test closes its copy, sends to that end still go
    through to the peer; once the peer closes its own, every send raises BrokenPipeError."""
    sending, receiving = ipc_adapter.pipe(True)
    try:
        with _peer_end(ipc_adapter, receiving, sending) as holder:
            returned("CONC-PIPE-3", call("test close() of its copy of the receiving end", receiving.close))
            returned("CONC-PIPE-3", call("test send('still held')", sending.send, "still held"))
            got = holder.run("recv")
            expect("CONC-PIPE-3", got.ok and got.value == "still held", got.describe() + ", expected 'still held'")
            returned("CONC-PIPE-3", holder.run("close"))
            for method, data in [
                (m, "x" if m == "send" else b"x") for m in offered(ipc_adapter, "send", "send_bytes")
            ] * 2:
                with continuing():
                    raised(
                        "CONC-PIPE-3",
                        call(
                            f"test {method}({data!r}) with every copy of the other end closed",
                            getattr(sending, method),
                            data,
                        ),
                        BrokenPipeError,
                    )
    finally:
        dispose((sending, receiving))


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
