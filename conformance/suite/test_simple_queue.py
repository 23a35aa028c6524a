"""SimpleQueue: the state machine, and focused tests for what it cannot reach.

Mirrors :mod:`conformance.spec.simple_queue`.  The machine covers FIFO
order, exact ``empty()``, sharing with a peer process, large items and use
after ``close()``; the focused tests pin single behaviours in a fixed
order: exact ``empty()`` and FIFO order in one process, blocking ``get``,
blocking ``put``, argument and pickling errors, the snapshot ``put``
takes, and ``close()``.
"""

import threading

import pytest

from conformance import verdict
from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines.base import run
from conformance.machines.simple_queue import CLAUSES, PICKLING_ERRORS, SimpleQueueMachine
from conformance.models.simple_queue import Item
from conformance.primitives import Primitive
from conformance.shape import check_api

pytestmark = pytest.mark.uses(Primitive.SIMPLE_QUEUE)


@pytest.fixture
def simple_queue(ipc_adapter):
    queue = ipc_adapter.simple_queue()
    yield queue
    dispose(queue)


@pytest.mark.spec("SQ-API-2")
def test_simple_queue_offers_the_documented_methods(ipc_adapter):
    check_api(ipc_adapter, Primitive.SIMPLE_QUEUE, "SQ-API-2")


@pytest.mark.spec("SQ-EMPTY-1")
def test_empty_is_exact(simple_queue):
    """``empty()`` is True on a new queue, False as soon as a put has returned and while an item is left, and
    True again once the last one was got."""

    def empty_is(expected, situation):
        with continuing():
            answer = verdict.returned(
                "SQ-EMPTY-1", call(f"empty() {situation}", simple_queue.empty, deadline=timing.IMMEDIATE)
            )
            verdict.expect(
                "SQ-EMPTY-1", answer is expected, f"empty() {situation} returned {answer!r}, expected {expected}"
            )

    empty_is(True, "on a new queue")
    for serial in range(2):
        item = Item.make(serial, 16)
        verdict.returned("SQ-PUT-1", call(f"put({item!r})", simple_queue.put, item))
        empty_is(False, f"right after put({item!r}) returned")
    verdict.returned("SQ-GET-1", call("get()", simple_queue.get))
    empty_is(False, "with one of two items got")
    verdict.returned("SQ-GET-1", call("get()", simple_queue.get))
    empty_is(True, "once both items were got")


@pytest.mark.spec("SQ-FIFO-1", "SQ-ITEM-1")
def test_items_come_out_in_put_order(simple_queue):
    """Items put by the test process, tiny to page-sized, are got back by it intact and in put order."""
    items = [Item.make(serial, size) for serial, size in enumerate((0, 4096, 100, 1))]
    for item in items:
        verdict.returned("SQ-PUT-1", call(f"put({item!r})", simple_queue.put, item))
    for turn, item in enumerate(items):
        got = verdict.returned("SQ-GET-1", call("get()", simple_queue.get))
        verdict.expect("SQ-ITEM-1", got in items, f"get {turn + 1} returned {got!r}, which is no item put intact")
        verdict.expect("SQ-FIFO-1", got == item, f"get {turn + 1} returned {got!r}, expected {item!r}")


@pytest.mark.spec(*CLAUSES, any=True)
def test_simple_queue_machine(ipc_adapter):
    run(SimpleQueueMachine, ipc_adapter)


@pytest.mark.spec("SQ-GET-1")
def test_get_blocks_until_another_process_puts(ipc_adapter, simple_queue):
    item = Item.make(1, 100)
    with Peer(ipc_adapter, simple_queue) as peer:
        # The peer answers the harness first, so "still blocked" below means blocked in get().
        peer.ping()
        getting = peer.submit("get")
        if getting.ready(timing.STILL_BLOCKED):
            verdict.expect("SQ-GET-1", False, f"{getting.result().describe()} on an empty queue, before any put")
        verdict.returned("SQ-PUT-1", call(f"put({item!r})", simple_queue.put, item))
        got = verdict.returned("SQ-GET-1", getting.result())
        verdict.expect("SQ-GET-1", got == item, f"{getting.what} returned {got!r}, expected {item!r}")


@pytest.mark.spec("SQ-SHARED-1")
def test_items_put_by_another_process_arrive_in_order(ipc_adapter, simple_queue):
    items = [Item.make(serial, 4096) for serial in range(3)]
    with Peer(ipc_adapter, simple_queue) as peer:
        for item in items:
            verdict.returned("SQ-SHARED-1", peer.run("put", item))
        got = [verdict.returned("SQ-SHARED-1", call("get()", simple_queue.get)) for _ in items]
    verdict.expect("SQ-SHARED-1", got == items, f"got {got}, expected the peer's puts in order {items}")


@pytest.mark.spec("SQ-PIPE-1", "SQ-ITEM-1")
def test_large_put_blocks_until_a_reader_drains_it(simple_queue):
    item = Item.make(7, 1024 * 1024)
    putting = call(f"put({item!r}) with no reader", simple_queue.put, item, deadline=timing.STILL_BLOCKED)
    with continuing():  # a put that did not block still leaves the item to get
        verdict.expect("SQ-PIPE-1", putting.hung, f"{putting.describe()}, expected it to block while nobody reads")
    # The blocked put holds only the write lock; a get in this process drains it.
    got = verdict.returned(
        "SQ-PIPE-1", call("get() while the put is blocked" if putting.hung else "get()", simple_queue.get)
    )
    verdict.expect("SQ-ITEM-1", got == item, f"get() returned {got!r}, expected {item!r} intact")


@pytest.mark.spec("SQ-API-1")
def test_get_takes_no_timeout(simple_queue):
    outcome = call("get(timeout=1) on an empty queue", simple_queue.get, timeout=1)
    verdict.raised("SQ-API-1", outcome, TypeError)


@pytest.mark.spec("SQ-PICKLE-1")
def test_unpicklable_put_raises_in_put_and_enqueues_nothing(simple_queue):
    verdict.raised("SQ-PICKLE-1", call("put(threading.Lock())", simple_queue.put, threading.Lock()), PICKLING_ERRORS)
    empty = verdict.returned("SQ-PICKLE-1", call("empty() after the failed put", simple_queue.empty))
    verdict.expect("SQ-PICKLE-1", empty is True, f"empty() returned {empty!r} after a put that raised")


@pytest.mark.spec("SQ-COPY-1")
def test_mutation_after_put_is_not_seen(simple_queue):
    value = [0]
    verdict.returned("SQ-PUT-1", call("put([0])", simple_queue.put, value))
    value.append(1)
    got = verdict.returned("SQ-GET-1", call("get()", simple_queue.get))
    verdict.expect("SQ-COPY-1", got == [0], f"get() returned {got!r} for a list that was [0] when put")


@pytest.mark.spec("SQ-CLOSE-1", "SQ-CLOSE-2")
def test_close_is_idempotent(simple_queue):
    verdict.returned("SQ-CLOSE-1", call("close()", simple_queue.close))
    verdict.returned("SQ-CLOSE-2", call("close() again", simple_queue.close))


@pytest.mark.spec("SQ-CLOSED-1", "SQ-CLOSED-2", "SQ-CLOSED-3", "SQ-CLOSED-4", any=True)
def test_use_after_close_raises_oserror(simple_queue):
    # A queue that was used, so a lazily opened implementation has something to release.
    verdict.returned("SQ-PUT-1", call("put(1)", simple_queue.put, 1))
    verdict.returned("SQ-GET-1", call("get()", simple_queue.get))
    verdict.returned("SQ-CLOSE-1", call("close()", simple_queue.close))
    empty = call("empty() after close()", simple_queue.empty)
    for clause_id in ("SQ-CLOSED-1", "SQ-CLOSED-2"):  # the one for this Python version grades
        with continuing():
            verdict.raised(clause_id, empty, OSError)
    with continuing():
        verdict.raised("SQ-CLOSED-3", call("put(2) after close()", simple_queue.put, 2), OSError)
    verdict.raised("SQ-CLOSED-4", call("get() after close()", simple_queue.get, deadline=timing.IMMEDIATE), OSError)
