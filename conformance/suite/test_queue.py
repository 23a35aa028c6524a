"""Queue: the spec section ``conformance/spec/queue.py``, checked by focused tests and the queue machine.

The focused tests pin single behaviours in a fixed order and take a
fraction of a second each; they run first, so a run stopped at its first
failure (``-x``) reports them without waiting for the machine, which runs
last.  Each calls ``put``/``get`` in a form the adapter offers
(:class:`~conformance.primitives.QueueCall`), and each independent part
sits in its own ``continuing()`` block, so a known deviation in one part
does not keep the others from being checked.
"""

from queue import Empty, Full

import pytest

from conformance.adapter import Trait
from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines import base
from conformance.machines.queue import CLAUSES as QUEUE_MACHINE_CLAUSES
from conformance.machines.queue import QueueMachine, api_clause
from conformance.primitives import Primitive, QueueCall, waiting_get
from conformance.shape import check_api
from conformance.verdict import expect, raised, returned, within


def make_queue(adapter, *maxsize):
    """A new queue (``queue()``: the documented default, unbounded); failing to make one breaks the API clause."""
    shown = ", ".join(map(str, maxsize))
    return returned(api_clause(adapter, Primitive.QUEUE), call(f"queue({shown})", adapter.queue, *maxsize))


@pytest.fixture
def queue(ipc_adapter):
    """A fresh unbounded queue, disposed after the test."""
    made = make_queue(ipc_adapter)
    yield made
    dispose(made)


def invoke(queue, form: QueueCall, item=None, timeout=None, deadline=timing.IMMEDIATE):
    args, kwargs = form.arguments(item, timeout)
    return call(form.describe(item, timeout), getattr(queue, form.method), *args, deadline=deadline, **kwargs)


def get_within(queue, adapter, wait: float):
    """A get that waits up to ``wait`` seconds for an item, in the waiting form the adapter offers."""
    form = waiting_get(adapter)
    return invoke(queue, form, timeout=wait if form is not QueueCall.GET else None, deadline=wait + timing.TIMEOUT_LATE)


def largest(adapter, size: int = 1 << 20) -> int:
    """``size`` bytes, or the most the adapter declares its queues take in one item."""
    return min(size, adapter.limits.item_bytes or size)


#: The timeout the focused timeout tests wait out (the machine draws others).
TIMEOUT = 0.1
#: A timeout that block=False must ignore: obeying it would show.
IGNORED = 3.0


@pytest.mark.spec("QUEUE-API-1")
def test_queue_offers_the_documented_methods(ipc_adapter):
    check_api(ipc_adapter, Primitive.QUEUE, "QUEUE-API-1")


def no_wait_forms(adapter, zero: QueueCall, negative: QueueCall):
    """Timeouts that mean no wait (QUEUE-TIMEOUT-1); a proxy's queue.Queue rejects a negative one (MGR-TIMEOUT-1)."""
    return (zero,) if adapter.is_(Trait.PROXY) else (zero, negative)


@pytest.mark.spec("QUEUE-GET-2", "QUEUE-GET-3", "QUEUE-TIMEOUT-1")
def test_get_timeout_is_honoured_and_ignored_without_block(ipc_adapter, queue):
    """On an empty queue: no wait for ``block=False`` or a zero timeout, about ``timeout`` for a positive one.

    The calls that must answer at once are abandoned after IMMEDIATE, not
    after the timeout they should have ignored.
    """
    with continuing():
        ignored = invoke(queue, QueueCall.GET_NOBLOCK_TIMEOUT, timeout=IGNORED)
        raised("QUEUE-GET-3", ignored, Empty)
        within("QUEUE-GET-3", ignored, 0, timing.IMMEDIATE)
    for form in no_wait_forms(ipc_adapter, QueueCall.GET_ZERO, QueueCall.GET_NEGATIVE):
        with continuing():
            no_wait = invoke(queue, form)
            raised("QUEUE-TIMEOUT-1", no_wait, Empty)
            within("QUEUE-TIMEOUT-1", no_wait, 0, timing.IMMEDIATE)
    with continuing():
        waited = invoke(queue, QueueCall.GET_BLOCK_TIMEOUT, timeout=TIMEOUT, deadline=TIMEOUT + timing.TIMEOUT_LATE)
        raised("QUEUE-GET-2", waited, Empty)
        within("QUEUE-GET-2", waited, TIMEOUT - timing.TIMEOUT_EARLY, TIMEOUT + timing.TIMEOUT_LATE)


@pytest.mark.spec("QUEUE-PUT-2", "QUEUE-PUT-3", "QUEUE-TIMEOUT-1")
def test_put_timeout_is_honoured_and_ignored_without_block(ipc_adapter):
    """On a full queue: no wait for ``block=False`` or a zero timeout, about ``timeout`` for a positive one."""
    full = make_queue(ipc_adapter, 1)
    try:
        returned("QUEUE-MAXSIZE-2", invoke(full, QueueCall.PUT, "first"))
        with continuing():
            ignored = invoke(full, QueueCall.PUT_NOBLOCK_TIMEOUT, "second", IGNORED)
            raised("QUEUE-PUT-3", ignored, Full)
            within("QUEUE-PUT-3", ignored, 0, timing.IMMEDIATE)
        for form in no_wait_forms(ipc_adapter, QueueCall.PUT_ZERO, QueueCall.PUT_NEGATIVE):
            with continuing():
                no_wait = invoke(full, form, "second")
                raised("QUEUE-TIMEOUT-1", no_wait, Full)
                within("QUEUE-TIMEOUT-1", no_wait, 0, timing.IMMEDIATE)
        with continuing():
            waited = invoke(full, QueueCall.PUT_BLOCK_TIMEOUT, "second", TIMEOUT, deadline=TIMEOUT + timing.TIMEOUT_LATE)
            raised("QUEUE-PUT-2", waited, Full)
            within("QUEUE-PUT-2", waited, TIMEOUT - timing.TIMEOUT_EARLY, TIMEOUT + timing.TIMEOUT_LATE)
    finally:
        dispose(full)


@pytest.mark.spec("QUEUE-GET-1")
def test_get_blocks_until_another_process_puts(ipc_adapter, queue):
    """A get() with no timeout, already blocked on an empty queue, is woken by another worker's put."""
    with Peer(ipc_adapter, queue) as peer:
        # The peer answers the harness first, so "still blocked" below means blocked in get().
        peer.ping()
        getting = peer.submit("get")
        if getting.ready(timing.STILL_BLOCKED):
            expect("QUEUE-GET-1", False, f"{getting.result().describe()} on an empty queue, before any put")
        returned("QUEUE-GET-1", invoke(queue, QueueCall.PUT, "item"))
        got = getting.result(timing.VISIBILITY_DEADLINE)
        expect("QUEUE-GET-1", got.ok and got.value == "item", f"{got.describe()} after the test put 'item'")


@pytest.mark.spec("QUEUE-FIFO-1", "CONC-ORDER-1")
def test_consumers_in_two_processes_take_turns_in_put_order(ipc_adapter, queue):
    """One process's items, got in turns by a peer and the test process, come out in the order put.

    Each get begins after the one before returned, so each must return the
    oldest item no get has taken: a later one skips an item (QUEUE-FIFO-1),
    an earlier one comes after a newer item was already out (CONC-ORDER-1).
    """
    items = [f"item {n}" for n in range(4)]
    for item in items:
        returned("QUEUE-FIFO-1", invoke(queue, QueueCall.PUT, item))
    wait = timing.VISIBILITY_DEADLINE
    form = waiting_get(ipc_adapter)
    timeout = wait if form is not QueueCall.GET else None
    with Peer(ipc_adapter, queue) as peer:
        for turn, expected in enumerate(items):
            args, kwargs = form.arguments(timeout=timeout)
            if turn % 2 == 0:
                got = peer.run(form.method, *args, deadline=wait + timing.TIMEOUT_LATE, **kwargs)
                who = "the peer's"
            else:
                got = invoke(queue, form, timeout=timeout, deadline=wait + timing.TIMEOUT_LATE)
                who = "the test's"
            seen = f"{who} get {turn + 1}: {got.describe()}, expected {expected!r}"
            taken = items.index(got.value) if got.ok and got.value in items else None
            expect("CONC-ORDER-1", taken is None or taken >= turn, seen + " (an item older than one already got)")
            expect("QUEUE-FIFO-1", taken == turn, seen)


@pytest.mark.spec("QUEUE-FLUSH-3")
def test_exiting_producer_waits_until_its_data_is_read(ipc_adapter, queue):
    """A producer's exit flushes: with more data than the pipe holds, it waits for a reader."""
    item = bytes(range(256)) * (largest(ipc_adapter) // 256)  # far more than the pipe buffer
    with Peer(ipc_adapter, queue) as producer:
        returned("QUEUE-FLUSH-3", producer.run("put", item))
        producer.exit()
        expect("QUEUE-FLUSH-3", not producer.exited(timing.STILL_BLOCKED), f"the producer exited before its {len(item)}-byte item was read")
        got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
        expect("QUEUE-FLUSH-3", got.ok and got.value == item, got.describe() + ", expected the producer's item")
        expect("QUEUE-FLUSH-3", producer.exited(timing.OPERATION_DEADLINE), "the producer did not exit after its data was read")


@pytest.mark.spec("QUEUE-LARGE-1")
def test_large_items_are_delivered_and_put_does_not_wait(ipc_adapter, queue):
    """Items over the pipe buffer, and past any limit the adapter declares, are accepted at once and got intact."""
    limit = ipc_adapter.limits.item_bytes
    sizes = [70_000, 1 << 20] + ([limit + 1] if limit is not None else [])
    for size in sizes:
        with continuing():
            item = bytes([size % 251]) * size
            accepted = invoke(queue, QueueCall.PUT, item)
            returned("QUEUE-LARGE-1", accepted)
            within("QUEUE-LARGE-1", accepted, 0, timing.IMMEDIATE)
            got = invoke(queue, QueueCall.GET, deadline=timing.VISIBILITY_DEADLINE)
            expect("QUEUE-LARGE-1", got.ok and got.value == item, got.describe() + f", expected the {size}-byte item intact")


@pytest.mark.spec("QUEUE-CANCEL-2")
def test_cancel_join_thread_lets_a_producer_exit_with_unread_data(ipc_adapter, queue):
    with Peer(ipc_adapter, queue) as producer:
        returned("QUEUE-CANCEL-2", producer.run("put", bytes(largest(ipc_adapter))))
        returned("QUEUE-CANCEL-2", producer.run("cancel_join_thread"))
        producer.exit()
        expect("QUEUE-CANCEL-2", producer.exited(timing.OPERATION_DEADLINE), "the producer did not exit although it had called cancel_join_thread()")


@pytest.mark.spec("QUEUE-CANCEL-1")
def test_cancel_join_thread_lets_join_thread_return_with_unread_data(ipc_adapter, queue):
    with Peer(ipc_adapter, queue) as reader:
        returned("QUEUE-CANCEL-1", invoke(queue, QueueCall.PUT, bytes(largest(ipc_adapter))))
        returned("QUEUE-CANCEL-1", call("cancel_join_thread()", queue.cancel_join_thread))
        returned("QUEUE-CANCEL-1", call("close()", queue.close))
        joined = call("join_thread()", queue.join_thread)
        returned("QUEUE-CANCEL-1", joined)
        within("QUEUE-CANCEL-1", joined, 0, timing.IMMEDIATE)
        # Unblock the feeder thread, which may still be writing; the data may be lost.
        reader.run("get", deadline=timing.STILL_BLOCKED)


@pytest.mark.spec("QUEUE-FEEDER-1", "QUEUE-FLUSH-1")
def test_feeder_goes_on_after_an_unpicklable_item_until_flushed(ipc_adapter, queue):
    """After close() and join_thread() the feeder has written all it could (QUEUE-FLUSH-1): the item after the
    unpicklable one is in the pipe at once, for another process's get_nowait, with no visibility wait."""
    unpicklable = lambda: None  # noqa: E731 - lambdas cannot be pickled
    with Peer(ipc_adapter, queue) as reader:
        returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, unpicklable))
        returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, "after"))
        returned("QUEUE-FLUSH-1", call("close()", queue.close))
        returned("QUEUE-FLUSH-1", call("join_thread()", queue.join_thread))
        got = reader.run("get_nowait")
        expect("QUEUE-FEEDER-1", got.ok and got.value == "after", got.describe() + ", expected 'after' (the lambda dropped, the feeder gone on) once join_thread() had returned")


@pytest.mark.spec("QUEUE-FEEDER-1")
def test_unpicklable_item_is_dropped_by_the_feeder_not_put(ipc_adapter, queue):
    """The same without close() or a second process: 'after' must arrive within the visibility deadline."""
    unpicklable = lambda: None  # noqa: E731 - lambdas cannot be pickled
    returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, unpicklable))
    returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, "after"))
    got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
    expect("QUEUE-FEEDER-1", got.ok and got.value == "after", got.describe() + ", expected 'after' (the lambda dropped)")


@pytest.mark.spec(*QUEUE_MACHINE_CLAUSES, any=True)
@pytest.mark.uses(Primitive.QUEUE)
def test_queue_machine(ipc_adapter):
    base.run(QueueMachine, ipc_adapter)
