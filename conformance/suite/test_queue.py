"""Queue: the spec section ``conformance/spec/queue.py``, checked by focused tests and the queue machine.

The focused tests pin single behaviours in a fixed order and take a
fraction of a second each; they run first, so a run stopped at its first
failure (``-x``) reports them without waiting for the machine, which runs
last.
"""

from queue import Empty, Full

import pytest

from conformance.adapter import Capability, Consistency
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines import base
from conformance.machines.queue import QueueMachine
from conformance.verdict import expect, raised, returned, within

QUEUE_MACHINE_CLAUSES = (
    "QUEUE-FIFO-1", "QUEUE-FIFO-2", "QUEUE-DELIVERY-1", "QUEUE-MAXSIZE-1", "QUEUE-MAXSIZE-2", "QUEUE-MAXSIZE-3",
    "QUEUE-PUT-1", "QUEUE-PUT-2", "QUEUE-PUT-3", "QUEUE-GET-1", "QUEUE-GET-2", "QUEUE-GET-3", "QUEUE-TIMEOUT-1",
    "QUEUE-VISIBLE-1", "QUEUE-VISIBLE-2", "QUEUE-QSIZE-1", "QUEUE-EMPTY-1", "QUEUE-FULL-1", "QUEUE-CLOSE-1",
    "QUEUE-CLOSE-2", "QUEUE-CLOSE-3", "QUEUE-CLOSE-4", "QUEUE-CLOSE-5", "QUEUE-FLUSH-1", "QUEUE-FLUSH-2",
    "QUEUE-CANCEL-1", "QUEUE-JOINTHREAD-1", "QUEUE-LARGE-1", "MGR-PROXY-1", "MGR-EXCEPTION-1", "MGR-TIMEOUT-1",
)


@pytest.fixture
def queue(ipc_adapter):
    """A fresh unbounded queue, disposed after the test."""
    made = ipc_adapter.queue(0)
    yield made
    dispose(made)


#: The timeout the focused timeout tests wait out (the machine draws others).
TIMEOUT = 0.1
#: A timeout that block=False must ignore: obeying it would show.
IGNORED = 3.0


def no_wait_timeouts(adapter):
    """Timeouts that mean no wait (QUEUE-TIMEOUT-1); a proxy's queue.Queue rejects a negative one (MGR-TIMEOUT-1)."""
    return (0,) if adapter.has(Capability.PROXY) else (0, -1)


@pytest.mark.spec("QUEUE-GET-2", "QUEUE-GET-3", "QUEUE-TIMEOUT-1")
@pytest.mark.requires(Capability.QUEUE, Capability.TIMEOUTS)
def test_get_timeout_is_honoured_and_ignored_without_block(ipc_adapter, queue):
    """On an empty queue: no wait for ``block=False`` or a zero timeout, about ``timeout`` for a positive one.

    The calls that must answer at once are abandoned after IMMEDIATE, not
    after the timeout they should have ignored.
    """
    ignored = call(f"get(False, {IGNORED})", queue.get, False, IGNORED, deadline=timing.IMMEDIATE)
    raised("QUEUE-GET-3", ignored, Empty)
    within("QUEUE-GET-3", ignored, 0, timing.IMMEDIATE)
    for value in no_wait_timeouts(ipc_adapter):
        no_wait = call(f"get(True, {value})", queue.get, True, value, deadline=timing.IMMEDIATE)
        raised("QUEUE-TIMEOUT-1", no_wait, Empty)
        within("QUEUE-TIMEOUT-1", no_wait, 0, timing.IMMEDIATE)
    waited = call(f"get(True, {TIMEOUT})", queue.get, True, TIMEOUT, deadline=TIMEOUT + timing.TIMEOUT_LATE)
    raised("QUEUE-GET-2", waited, Empty)
    within("QUEUE-GET-2", waited, TIMEOUT - timing.TIMEOUT_EARLY, TIMEOUT + timing.TIMEOUT_LATE)


@pytest.mark.spec("QUEUE-PUT-2", "QUEUE-PUT-3", "QUEUE-TIMEOUT-1")
@pytest.mark.requires(Capability.QUEUE, Capability.TIMEOUTS)
def test_put_timeout_is_honoured_and_ignored_without_block(ipc_adapter):
    """On a full queue: no wait for ``block=False`` or a zero timeout, about ``timeout`` for a positive one."""
    full = ipc_adapter.queue(1)
    try:
        returned("QUEUE-PUT-1", call("put('first')", full.put, "first", deadline=timing.IMMEDIATE))
        ignored = call(f"put('second', False, {IGNORED})", full.put, "second", False, IGNORED, deadline=timing.IMMEDIATE)
        raised("QUEUE-PUT-3", ignored, Full)
        within("QUEUE-PUT-3", ignored, 0, timing.IMMEDIATE)
        for value in no_wait_timeouts(ipc_adapter):
            no_wait = call(f"put('second', True, {value})", full.put, "second", True, value, deadline=timing.IMMEDIATE)
            raised("QUEUE-TIMEOUT-1", no_wait, Full)
            within("QUEUE-TIMEOUT-1", no_wait, 0, timing.IMMEDIATE)
        waited = call(f"put('second', True, {TIMEOUT})", full.put, "second", True, TIMEOUT, deadline=TIMEOUT + timing.TIMEOUT_LATE)
        raised("QUEUE-PUT-2", waited, Full)
        within("QUEUE-PUT-2", waited, TIMEOUT - timing.TIMEOUT_EARLY, TIMEOUT + timing.TIMEOUT_LATE)
    finally:
        dispose(full)


@pytest.mark.spec("QUEUE-GET-1")
@pytest.mark.requires(Capability.QUEUE, Capability.INHERITANCE)
def test_get_blocks_until_another_process_puts(ipc_adapter, queue):
    """A get() with no timeout, already blocked on an empty queue, is woken by another process's put."""
    with Peer(ipc_adapter, queue) as peer:
        # A first command proves the peer is running, so "still blocked" below means blocked in get().
        returned("QUEUE-EMPTY-1", peer.run("empty"))
        getting = peer.submit("get")
        if getting.ready(timing.STILL_BLOCKED):
            expect("QUEUE-GET-1", False, f"{getting.result().describe()} on an empty queue, before any put")
        returned("QUEUE-PUT-1", call("put('item')", queue.put, "item", deadline=timing.IMMEDIATE))
        got = getting.result(timing.VISIBILITY_DEADLINE)
        expect("QUEUE-GET-1", got.ok and got.value == "item", f"{got.describe()} after the test put 'item'")


@pytest.mark.spec("QUEUE-FIFO-1", "CONC-ORDER-1")
@pytest.mark.requires(Capability.QUEUE, Capability.INHERITANCE, Capability.TIMEOUTS)
def test_consumers_in_two_processes_take_turns_in_put_order(ipc_adapter, queue):
    """One process's items, got in turns by a peer process and the test process, come out in the order put.

    Each get begins after the one before returned, so each must return the
    oldest item no get has taken: a later one skips an item (QUEUE-FIFO-1),
    an earlier one comes after a newer item was already out (CONC-ORDER-1).
    """
    items = [f"item {n}" for n in range(4)]
    for item in items:
        returned("QUEUE-PUT-1", call(f"put({item!r})", queue.put, item, deadline=timing.IMMEDIATE))
    wait = timing.VISIBILITY_DEADLINE
    with Peer(ipc_adapter, queue) as peer:
        for turn, expected in enumerate(items):
            if turn % 2 == 0:
                got = peer.run("get", True, wait, deadline=wait + timing.TIMEOUT_LATE)
                who = "the peer's"
            else:
                got = call(f"get(True, {wait:g})", queue.get, True, wait, deadline=wait + timing.TIMEOUT_LATE)
                who = "the test's"
            seen = f"{who} get {turn + 1}: {got.describe()}, expected {expected!r}"
            taken = items.index(got.value) if got.ok and got.value in items else None
            expect("CONC-ORDER-1", taken is None or taken >= turn, seen + " (an item older than one already got)")
            expect("QUEUE-FIFO-1", taken == turn, seen)


@pytest.mark.spec("QUEUE-FLUSH-2", "QUEUE-LARGE-1")
@pytest.mark.requires(Capability.QUEUE, Capability.INHERITANCE)
@pytest.mark.consistency(Consistency.EVENTUAL)
def test_exiting_producer_waits_until_its_data_is_read(ipc_adapter, queue):
    """A producer's exit flushes: with more data than the pipe holds, it waits for a reader."""
    item = bytes(range(256)) * 4096  # 1 MiB, far more than the pipe buffer
    with Peer(ipc_adapter, queue) as producer:
        returned("QUEUE-LARGE-1", producer.run("put", item))
        producer.exit()
        expect("QUEUE-FLUSH-2", not producer.exited(timing.STILL_BLOCKED), "the producer exited before its 1 MiB item was read")
        got = call("get(True, VISIBILITY_DEADLINE)", queue.get, True, timing.VISIBILITY_DEADLINE, deadline=timing.VISIBILITY_DEADLINE + timing.TIMEOUT_LATE)
        expect("QUEUE-FLUSH-2", got.ok and got.value == item, got.describe() + ", expected the producer's 1 MiB item")
        expect("QUEUE-FLUSH-2", producer.exited(timing.OPERATION_DEADLINE), "the producer did not exit after its data was read")


@pytest.mark.spec("QUEUE-CANCEL-2")
@pytest.mark.requires(Capability.QUEUE, Capability.INHERITANCE, Capability.CLOSE)
def test_cancel_join_thread_lets_a_producer_exit_with_unread_data(ipc_adapter, queue):
    with Peer(ipc_adapter, queue) as producer:
        returned("QUEUE-CANCEL-2", producer.run("put", bytes(1 << 20)))
        returned("QUEUE-CANCEL-2", producer.run("cancel_join_thread"))
        producer.exit()
        expect("QUEUE-CANCEL-2", producer.exited(timing.OPERATION_DEADLINE), "the producer did not exit although it had called cancel_join_thread()")


@pytest.mark.spec("QUEUE-CANCEL-1")
@pytest.mark.requires(Capability.QUEUE, Capability.INHERITANCE, Capability.CLOSE)
def test_cancel_join_thread_lets_join_thread_return_with_unread_data(ipc_adapter, queue):
    with Peer(ipc_adapter, queue) as reader:
        returned("QUEUE-CANCEL-1", call("put(<1 MiB>)", queue.put, bytes(1 << 20)))
        returned("QUEUE-CANCEL-1", call("cancel_join_thread()", queue.cancel_join_thread))
        returned("QUEUE-CANCEL-1", call("close()", queue.close))
        joined = call("join_thread()", queue.join_thread)
        returned("QUEUE-CANCEL-1", joined)
        within("QUEUE-CANCEL-1", joined, 0, timing.IMMEDIATE)
        # Unblock the feeder thread, which may still be writing; the data may be lost.
        reader.run("get", True, timing.STILL_BLOCKED)


@pytest.mark.spec("QUEUE-FEEDER-1", "QUEUE-FLUSH-1")
@pytest.mark.requires(Capability.QUEUE, Capability.INHERITANCE, Capability.CLOSE)
@pytest.mark.consistency(Consistency.EVENTUAL)
def test_feeder_goes_on_after_an_unpicklable_item_until_flushed(ipc_adapter, queue):
    """After close() and join_thread() the feeder has written all it could (QUEUE-FLUSH-1): the item after the
    unpicklable one is in the pipe at once, for another process's get_nowait, with no visibility wait."""
    unpicklable = lambda: None  # noqa: E731 - lambdas cannot be pickled
    with Peer(ipc_adapter, queue) as reader:
        returned("QUEUE-FEEDER-1", call("put(<lambda>)", queue.put, unpicklable))
        returned("QUEUE-FEEDER-1", call("put('after')", queue.put, "after"))
        returned("QUEUE-FLUSH-1", call("close()", queue.close))
        returned("QUEUE-FLUSH-1", call("join_thread()", queue.join_thread))
        got = reader.run("get_nowait")
        expect("QUEUE-FEEDER-1", got.ok and got.value == "after", got.describe() + ", expected 'after' (the lambda dropped, the feeder gone on) once join_thread() had returned")


@pytest.mark.spec("QUEUE-FEEDER-1")
@pytest.mark.requires(Capability.QUEUE)
@pytest.mark.consistency(Consistency.EVENTUAL)
def test_unpicklable_item_is_dropped_by_the_feeder_not_put(queue):
    """The same without close() or a second process (any adapter): 'after' must arrive within the visibility deadline."""
    unpicklable = lambda: None  # noqa: E731 - lambdas cannot be pickled
    returned("QUEUE-FEEDER-1", call("put(<lambda>)", queue.put, unpicklable))
    returned("QUEUE-FEEDER-1", call("put('after')", queue.put, "after"))
    got = call("get(True, VISIBILITY_DEADLINE)", queue.get, True, timing.VISIBILITY_DEADLINE, deadline=timing.VISIBILITY_DEADLINE + timing.TIMEOUT_LATE)
    expect("QUEUE-FEEDER-1", got.ok and got.value == "after", got.describe() + ", expected 'after' (the lambda dropped)")


@pytest.mark.spec(*QUEUE_MACHINE_CLAUSES)
@pytest.mark.requires(Capability.QUEUE)
def test_queue_machine(ipc_adapter):
    base.run(QueueMachine, ipc_adapter)
