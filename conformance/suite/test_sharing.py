"""Sharing between threads and processes: inheritance, pickling, order, exceptions, contexts.

Mirrors :mod:`conformance.spec.sharing`.  Each test runs once per queue
primitive (Queue, JoinableQueue, SimpleQueue) the adapter offers, or on a
pipe.  Producer children are started by the adapter's launcher and handed
the queue its way (for ``multiprocessing``, as a ``Process`` argument:
inheritance), and the test process drains everything they put before
joining them: a child that has put items cannot exit before they are
flushed.
"""

import multiprocessing
import pickle
import queue as queue_module
import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import profiles, verdict
from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.launchers import start_with
from conformance.harness.peer import Peer, reap, reap_worker
from conformance.models.simple_queue import Item
from conformance.primitives import Feature, Primitive, QueueCall, calls


def _kinds(*primitives):
    return [pytest.param(p, marks=pytest.mark.uses(p), id=p.attribute) for p in primitives]


#: Queue primitives with maxsize and non-blocking calls.
BOUNDED_KINDS = _kinds(Primitive.QUEUE, Primitive.JOINABLE_QUEUE)
QUEUE_KINDS = _kinds(Primitive.QUEUE, Primitive.JOINABLE_QUEUE, Primitive.SIMPLE_QUEUE)


@contextmanager
def opened(adapter, primitive: Primitive, *maxsize: int):
    """A fresh queue, released afterwards.

    A queue with ``close()`` is closed and its feeder joined, as the docs
    advise; the tests drain what they put, so ``join_thread()`` returns at
    once.  If it does not, the queue is disposed instead, so the process
    can still exit.
    """
    queue = primitive.make(adapter, *maxsize)
    try:
        yield queue
    finally:
        if primitive.is_queue and adapter.has(Feature.QUEUE_CLOSE) and adapter.has(Feature.QUEUE_FEEDER):
            call("close()", queue.close)
            if not call("join_thread()", queue.join_thread).ok:
                dispose(queue)
        else:
            dispose(queue)


@contextmanager
def children(adapter, *argument_lists, target):
    """Start one worker per ``(resources, args)`` (``target(*resources, *args)``); reap them all afterwards."""
    started = []
    try:
        for resources, args in argument_lists:
            started.append(start_with(adapter.launcher, target, resources, args, "ipc-conformance child"))
        yield started
    finally:
        for child in started:
            reap_worker(child)


# --- child process bodies (module level, so spawn and forkserver can import them) ---


def put_each(queue, items) -> None:
    """Put ``items`` in order, then return (and exit, flushing whatever the queue buffers)."""
    for item in items:
        queue.put(item)


def lend_connection(carrier, connection) -> None:
    """Send ``connection`` over ``carrier``; stay until the receiver says it is done.

    The sending process serves the descriptor to the receiver (CPython's
    resource sharer), so it must outlive the transfer.
    """
    carrier.send(connection)
    carrier.recv()


def hold(resource) -> None:
    """A child body that only receives ``resource``; used where starting the child must fail."""


# --- inheritance ---------------------------------------------------------------------


@pytest.mark.spec("SHARE-INHERIT-1")
@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_queue_passed_to_a_process_is_shared(ipc_adapter, kind):
    with opened(ipc_adapter, kind) as queue, Peer(ipc_adapter, queue) as peer:
        verdict.returned("SHARE-INHERIT-1", call("put('from the test')", queue.put, "from the test"))
        got = verdict.returned("SHARE-INHERIT-1", peer.run("get"))
        verdict.expect("SHARE-INHERIT-1", got == "from the test", f"peer get() returned {got!r}")
        verdict.returned("SHARE-INHERIT-1", peer.run("put", "from the peer"))
        got = verdict.returned("SHARE-INHERIT-1", call("get()", queue.get))
        verdict.expect("SHARE-INHERIT-1", got == "from the peer", f"get() returned {got!r}")


@pytest.mark.spec("SHARE-INHERIT-1")
@pytest.mark.uses(Primitive.PIPE)
def test_connection_passed_to_a_process_is_shared(ipc_adapter):
    near, far = ipc_adapter.pipe(True)
    try:
        with Peer(ipc_adapter, far, close_in_child=[near]) as peer:
            verdict.returned("SHARE-INHERIT-1", call("send('from the test')", near.send, "from the test"))
            got = verdict.returned("SHARE-INHERIT-1", peer.run("recv"))
            verdict.expect("SHARE-INHERIT-1", got == "from the test", f"peer recv() returned {got!r}")
            verdict.returned("SHARE-INHERIT-1", peer.run("send", "from the peer"))
            got = verdict.returned("SHARE-INHERIT-1", call("recv()", near.recv))
            verdict.expect("SHARE-INHERIT-1", got == "from the peer", f"recv() returned {got!r}")
    finally:
        dispose((near, far))


@pytest.mark.spec("SHARE-CONN-1")
def test_connection_received_over_a_connection_works(ipc_adapter):
    carrier, carrier_for_child = ipc_adapter.pipe(True)
    near, far = ipc_adapter.pipe(True)
    received = None
    try:
        # The child sends the far end back over the carrier, so the end the test receives is a transferred copy.
        with children(ipc_adapter, ((carrier_for_child, far), ()), target=lend_connection):
            dispose(far)
            received = verdict.returned("SHARE-CONN-1", call("recv() of a Connection", carrier.recv))
            verdict.returned("SHARE-CONN-1", call("send('ping')", near.send, "ping"))
            got = verdict.returned("SHARE-CONN-1", call("recv() on the received end", received.recv))
            verdict.expect("SHARE-CONN-1", got == "ping", f"the received end got {got!r}, expected 'ping'")
            verdict.returned("SHARE-CONN-1", call("send('pong') on the received end", received.send, "pong"))
            got = verdict.returned("SHARE-CONN-1", call("recv()", near.recv))
            verdict.expect("SHARE-CONN-1", got == "pong", f"the original end got {got!r}, expected 'pong'")
            verdict.returned("SHARE-CONN-1", call("send('done')", carrier.send, "done"))
    finally:
        dispose((carrier, carrier_for_child, near, far, received))


# --- pickling, contexts ----------------------------------------------------------------


@pytest.mark.spec("SHARE-PICKLE-1")
@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_queue_refuses_pickling_outside_process_start(ipc_adapter, kind):
    with opened(ipc_adapter, kind) as queue:
        error = verdict.raised("SHARE-PICKLE-1", call("pickle.dumps(queue)", pickle.dumps, queue), RuntimeError)
        verdict.expect(
            "SHARE-PICKLE-1",
            "should only be shared between processes through inheritance" in str(error),
            f"RuntimeError({str(error)!r}) does not say the queue is shared through inheritance only",
        )


@pytest.mark.spec("SHARE-CONTEXT-2")
def test_fork_context_queue_is_refused_by_a_spawn_process(ipc_adapter):
    if ipc_adapter.start_method != "fork":
        pytest.skip(f"adapter {ipc_adapter.name!r} does not create its queues in the fork context")
    queue = ipc_adapter.simple_queue()
    child = multiprocessing.get_context("spawn").Process(target=hold, args=(queue,), daemon=True)
    try:
        outcome = call("spawn-context Process(args=(fork-context queue,)).start()", child.start)
        verdict.raised("SHARE-CONTEXT-2", outcome, RuntimeError)
    finally:
        if child.pid is not None:  # started after all: reap it
            reap(child)
        dispose(queue)


# --- order and safety with several producers --------------------------------------------

SIZES = st.one_of(st.integers(0, 64), st.integers(3584, 4608), st.integers(64 * 1024 + 1, 128 * 1024))


def producer_items(producer: int, count: int, size: int):
    """``count`` unique items of ``size`` bytes tagged with their producer: (producer, seq, Item)."""
    return [(producer, seq, Item.make(producer * 1000 + seq, size)) for seq in range(count)]


@pytest.mark.spec("SHARE-ORDER-1", "SHARE-SAFE-2")
@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_each_producer_process_order_is_kept(ipc_adapter, kind):
    # Two producer processes per example: a handful of examples covers counts and sizes.
    @settings(profiles.current(), max_examples=max(2, profiles.current().max_examples // 5))
    @given(counts=st.tuples(st.integers(1, 20), st.integers(1, 20)), size=SIZES)
    def two_producers(counts, size):
        batches = [producer_items(producer, count, size) for producer, count in enumerate(counts)]
        with opened(ipc_adapter, kind) as queue:
            with children(ipc_adapter, *(((queue,), (batch,)) for batch in batches), target=put_each):
                # Drained before the children are joined: they cannot exit while items are unflushed.
                got = []
                with continuing():  # a get that never returns ends the drain; the items got are still judged
                    for _ in range(sum(counts)):
                        got.append(verdict.returned("SHARE-SAFE-2", call("get()", queue.get)))
        for producer, batch in enumerate(batches):
            # Order among the items that arrived, each counted once (a duplicate breaks SHARE-SAFE-2, below).
            seen = list(dict.fromkeys(item for item in got if item[0] == producer))
            arrived = set(seen)
            if len(seen) >= 2:
                verdict.expect(
                    "SHARE-ORDER-1",
                    seen == [item for item in batch if item in arrived],
                    f"producer {producer}'s items came out as seq {[seq for _, seq, _ in seen]}",
                )
        expected = [item for batch in batches for item in batch]
        verdict.expect(
            "SHARE-SAFE-2",
            Counter(got) == Counter(expected),
            f"got {len(got)} items; missing {list((Counter(expected) - Counter(got)).elements())}, "
            f"unexpected {list((Counter(got) - Counter(expected)).elements())}",
        )

    two_producers()


@pytest.mark.spec("SHARE-EXIT-1")
@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_items_outlive_the_process_that_put_them(ipc_adapter, kind):
    items = producer_items(0, 5, 64)  # small, so the flush fits in any pipe and the child can exit
    with opened(ipc_adapter, kind) as queue:
        with children(ipc_adapter, ((queue,), (items,)), target=put_each) as (child,):
            child.join(timing.OPERATION_DEADLINE)
            verdict.expect(
                "SHARE-EXIT-1",
                child.exitcode == 0,
                f"the producer, having put {len(items)} small items, had exit code {child.exitcode} "
                f"after {timing.OPERATION_DEADLINE}s (None: still running)",
            )
        got = [verdict.returned("SHARE-EXIT-1", call("get() after the producer exited", queue.get)) for _ in items]
    verdict.expect("SHARE-EXIT-1", got == items, f"got {got}, expected {items}")


@pytest.mark.spec("SHARE-SAFE-1")
@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_threads_putting_at_once_lose_nothing(ipc_adapter, kind):
    threads, per_thread = 3, 20
    expected = [(thread, seq) for thread in range(threads) for seq in range(per_thread)]
    with opened(ipc_adapter, kind) as queue:
        start = threading.Barrier(threads, timeout=timing.OPERATION_DEADLINE)

        def put_all(thread):
            start.wait()
            for seq in range(per_thread):
                queue.put((thread, seq))

        outcomes = {}

        def run_producer(thread):
            outcomes[thread] = call(f"thread {thread}: {per_thread} puts", put_all, thread)

        workers = [threading.Thread(target=run_producer, args=(thread,)) for thread in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timing.OPERATION_DEADLINE + timing.JOIN_GRACE)  # call() itself returns by its deadline
        for thread in range(threads):
            verdict.returned("SHARE-SAFE-1", outcomes[thread])
        got = [verdict.returned("SHARE-SAFE-1", call("get()", queue.get)) for _ in expected]
    verdict.expect(
        "SHARE-SAFE-1",
        sorted(got) == expected,
        f"got {len(got)} items; missing {sorted(set(expected) - set(got))}, duplicated "
        f"{[item for item, n in Counter(got).items() if n > 1]}",
    )


# --- exceptions ----------------------------------------------------------------------------


@pytest.mark.spec("SHARE-EXC-1")
@pytest.mark.parametrize("kind", BOUNDED_KINDS)
def test_timeouts_raise_the_queue_module_exceptions(ipc_adapter, kind):
    """An empty queue's non-blocking or timed get raises queue.Empty, a full one's put queue.Full (whichever
    such form the adapter offers)."""
    get = calls(ipc_adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK, QueueCall.GET_TIMEOUT)
    put = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK, QueueCall.PUT_TIMEOUT)
    with opened(ipc_adapter, kind, 1) as queue:
        if get:
            with continuing():
                outcome = call(f"{get[0].describe(timeout=0.01)} on an empty queue", get[0].invoke, queue, timeout=0.01)
                verdict.raised("SHARE-EXC-1", outcome, queue_module.Empty)
        verdict.returned("SHARE-EXC-1", call("put(1)", queue.put, 1))
        if put:
            with continuing():
                outcome = call(f"{put[0].describe(2, 0.01)} on a full queue", put[0].invoke, queue, 2, 0.01)
                verdict.raised("SHARE-EXC-1", outcome, queue_module.Full)
        verdict.returned("SHARE-EXC-1", call("get()", queue.get))  # drained, so the feeder can finish
