"""Queue: the spec section ``conformance/spec/queue.py``, checked by focused tests and the queue machine.

The focused tests pin single behaviours in a fixed order and take a
fraction of a second each; they run first, so a run stopped at its first
failure (``-x``) reports them without waiting for the machine, which runs
last.  Each calls ``put``/``get`` in a form the adapter offers
(:class:`~conformance.primitives.QueueCall`), and each independent part
sits in its own ``continuing()`` block, so a known deviation in one part
does not keep the others from being checked.
"""

import sys
from functools import partial
from queue import Empty, Full

import pytest

from conformance.adapter import Mode, Trait
from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call, eventually
from conformance.harness.peer import Peer
from conformance.machines import base
from conformance.machines.queue import CLAUSES as QUEUE_MACHINE_CLAUSES
from conformance.machines.queue import HELD_GETS, PIPE_BUFFER, QueueMachine, api_clause
from conformance.primitives import Feature, Primitive, QueueCall, Wait, calls, waiting_get
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
    return adapter.limits.largest(size)


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


@pytest.mark.spec("QUEUE-TIMEOUT-1", "QUEUE-DELIVERY-1")
def test_get_with_a_no_wait_timeout_returns_an_item_that_is_there(ipc_adapter, queue):
    """A zero or negative timeout means no wait, not no item: once the item put is there, such a get returns it.

    Right after ``put`` the item may not show yet (QUEUE-VISIBLE-1), so the
    form is asked until it returns, for at most the visibility deadline (a
    get that raises takes nothing).  If it never does, a get that waits
    tells whether the item was there all along (the form ignores it) or
    was lost, and takes it, so the next form starts from an empty queue.
    """
    for form in no_wait_forms(ipc_adapter, QueueCall.GET_ZERO, QueueCall.GET_NEGATIVE):
        item = f"for {form.describe()}"
        returned("QUEUE-DELIVERY-1", invoke(queue, QueueCall.PUT, item))
        attempts = []

        def answered(form=form, attempts=attempts) -> bool:
            attempts.append(invoke(queue, form))
            return attempts[-1].ok or attempts[-1].hung

        settled, waited = eventually(answered)
        last = attempts[-1]
        if settled:
            # A call that hung may still take the item: the queue's contents are unknown, so the test ends here.
            returned("QUEUE-TIMEOUT-1", last)
            expect("QUEUE-DELIVERY-1", last.value == item, f"{last.describe()}, expected {item!r}")
            continue
        asked = f"{len(attempts)} calls of {form.describe()} in {waited:.2f}s raised, the last: {last.describe()}"
        there = get_within(queue, ipc_adapter, timing.IMMEDIATE)
        expect("QUEUE-DELIVERY-1", there.ok and there.value == item, f"{asked}; and then {there.describe()}")
        with continuing():
            expect("QUEUE-TIMEOUT-1", False, f"{asked}, with {item!r} there: {there.describe()}")


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
            waited = invoke(
                full, QueueCall.PUT_BLOCK_TIMEOUT, "second", TIMEOUT, deadline=TIMEOUT + timing.TIMEOUT_LATE
            )
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
        expect(
            "QUEUE-FLUSH-3",
            not producer.exited(timing.STILL_BLOCKED),
            f"the producer exited before its {len(item)}-byte item was read",
        )
        got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
        expect("QUEUE-FLUSH-3", got.ok and got.value == item, got.describe() + ", expected the producer's item")
        expect(
            "QUEUE-FLUSH-3",
            producer.exited(timing.OPERATION_DEADLINE),
            "the producer did not exit after its data was read",
        )


@pytest.mark.spec("QUEUE-LARGE-1")
def test_large_items_are_delivered_and_put_does_not_wait(ipc_adapter, queue):
    """Items over the pipe buffer, and past any limit the adapter declares (one item, or the bytes held at once),
    are accepted at once and got intact."""
    limit = ipc_adapter.limits.item_bytes
    sizes = [70_000, 1 << 20] + ([limit + 1] if limit is not None else [])
    for size in sizes:
        with continuing():
            item = bytes([size % 251]) * size
            accepted = invoke(queue, QueueCall.PUT, item)
            returned("QUEUE-LARGE-1", accepted)
            within("QUEUE-LARGE-1", accepted, 0, timing.IMMEDIATE)
            got = invoke(queue, QueueCall.GET, deadline=timing.VISIBILITY_DEADLINE)
            expect(
                "QUEUE-LARGE-1",
                got.ok and got.value == item,
                got.describe() + f", expected the {size}-byte item intact",
            )
    held, size = ipc_adapter.limits.held_bytes, largest(ipc_adapter)
    if held is None or size <= PIPE_BUFFER:
        return  # no bytes limit declared, or only items the pipe buffer takes, which QUEUE-LARGE-1 is not about
    # Large items, no reader, more bytes than the declared limit: put_nowait shows a refusal at once.
    put = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT)[0]
    items = [bytes([n % 251]) * size for n in range(held // size + 1)]
    with continuing():
        for item in items:
            accepted = invoke(queue, put, item)
            returned("QUEUE-LARGE-1", accepted)
            within("QUEUE-LARGE-1", accepted, 0, timing.IMMEDIATE)
        for item in items:
            got = invoke(queue, QueueCall.GET, deadline=timing.VISIBILITY_DEADLINE)
            expect(
                "QUEUE-LARGE-1",
                got.ok and got.value == item,
                got.describe() + f", expected the {size}-byte items intact, in order",
            )


@pytest.mark.spec("QUEUE-CANCEL-2")
def test_cancel_join_thread_lets_a_producer_exit_with_unread_data(ipc_adapter, queue):
    with Peer(ipc_adapter, queue) as producer:
        returned("QUEUE-CANCEL-2", producer.run("put", bytes(largest(ipc_adapter))))
        returned("QUEUE-CANCEL-2", producer.run("cancel_join_thread"))
        producer.exit()
        expect(
            "QUEUE-CANCEL-2",
            producer.exited(timing.OPERATION_DEADLINE),
            "the producer did not exit although it had called cancel_join_thread()",
        )


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
    if ipc_adapter.mode is not Mode.PROCESSES:
        pytest.skip(
            f"adapter {ipc_adapter.name!r} runs its peers as {ipc_adapter.mode}: the test's close() would close "
            "the peer's queue too"
        )
    unpicklable = lambda: None  # noqa: E731 - lambdas cannot be pickled
    with Peer(ipc_adapter, queue) as reader:
        returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, unpicklable))
        returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, "after"))
        returned("QUEUE-FLUSH-1", call("close()", queue.close))
        returned("QUEUE-FLUSH-1", call("join_thread()", queue.join_thread))
        got = reader.run("get_nowait")
        expect(
            "QUEUE-FEEDER-1",
            got.ok and got.value == "after",
            got.describe()
            + ", expected 'after' (the lambda dropped, the feeder gone on) once join_thread() had returned",
        )


@pytest.mark.spec("QUEUE-FEEDER-1")
def test_unpicklable_item_is_dropped_by_the_feeder_not_put(ipc_adapter, queue):
    """The same without close() or a second process: 'after' must arrive within the visibility deadline."""
    unpicklable = lambda: None  # noqa: E731 - lambdas cannot be pickled
    returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, unpicklable))
    returned("QUEUE-FEEDER-1", invoke(queue, QueueCall.PUT, "after"))
    got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
    expect(
        "QUEUE-FEEDER-1", got.ok and got.value == "after", got.describe() + ", expected 'after' (the lambda dropped)"
    )


def nowait_get(adapter):
    """The form of ``get`` that answers at once the adapter offers (None: it offers none)."""
    forms = calls(adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK, QueueCall.GET_ZERO)
    return forms[0] if forms else None


def settles(clause: str, what: str, ask, expected) -> None:
    """``ask()`` (an Outcome) must come to answer ``expected`` within the visibility deadline, per ``clause``."""
    answers = []

    def answered() -> bool:
        answers.append(ask())
        return answers[-1].hung or answers[-1].ok and answers[-1].value == expected

    settled, waited = eventually(answered)
    last = answers[-1]
    expect(
        clause,
        settled and last.ok and last.value == expected,
        f"{last.describe()} ({what}), still not {expected!r} after {waited:.2f}s",
    )


#: One process's items: small and larger than the pipe buffer, of assorted types, each unique.
def assorted_items(adapter):
    return [
        (0, None),
        (1, "one"),
        (2, bytes(largest(adapter, 70_000))),
        (3, ("three", 3.0)),
        (4, [b"four"]),
        (5, {"five": 5}),
    ]


@pytest.mark.spec("QUEUE-FIFO-1", "QUEUE-DELIVERY-1")
def test_items_come_out_once_in_put_order(ipc_adapter, queue):
    """Items one process put come out in that order, each equal to what was put and once: after the last,
    a get that answers at once finds nothing."""
    items = assorted_items(ipc_adapter)
    for item in items:
        returned("QUEUE-DELIVERY-1", invoke(queue, QueueCall.PUT, item, deadline=timing.OPERATION_DEADLINE))
    taken = set()
    for turn, _expected in enumerate(items):
        got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
        returned("QUEUE-DELIVERY-1", got)
        position = next((n for n, item in enumerate(items) if item == got.value), None)
        seen = f"get {turn + 1}: {got.describe()}, expected item {turn}"
        expect(
            "QUEUE-DELIVERY-1",
            position is not None and position not in taken,
            seen + (" (got twice)" if position in taken else " (never put)"),
        )
        expect("QUEUE-FIFO-1", position == turn, seen)
        taken.add(position)
    form = nowait_get(ipc_adapter)
    if form is not None:
        # Only that no item comes back is this clause's; how the refusal is raised is the form's own clause.
        after = invoke(queue, form)
        expect("QUEUE-DELIVERY-1", not after.ok, f"{after.describe()}, expected no item: all {len(items)} were taken")


@pytest.mark.spec("QUEUE-MAXSIZE-1", "QUEUE-MAXSIZE-2")
def test_full_queue_refuses_non_blocking_puts_until_a_get(ipc_adapter):
    """``queue(2)`` takes two non-blocking puts, refuses a third with queue.Full in every non-blocking form,
    takes one again as soon as a get has returned, then refuses again."""
    puts = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
    if not puts:
        pytest.skip(f"adapter {ipc_adapter.name!r} offers neither put_nowait() nor put(block=False)")
    full = make_queue(ipc_adapter, 2)
    try:
        for item in ("first", "second"):
            returned("QUEUE-MAXSIZE-2", invoke(full, puts[0], item))
        for form in puts:
            with continuing():
                refused = invoke(full, form, "refused")
                raised("QUEUE-MAXSIZE-1", refused, Full)
                within("QUEUE-MAXSIZE-1", refused, 0, timing.IMMEDIATE)
        got = get_within(full, ipc_adapter, timing.VISIBILITY_DEADLINE)
        expect("QUEUE-MAXSIZE-2", got.ok and got.value == "first", got.describe() + ", expected 'first'")
        returned("QUEUE-MAXSIZE-2", invoke(full, puts[0], "third"))
        raised("QUEUE-MAXSIZE-1", invoke(full, puts[-1], "refused again"), Full)
    finally:
        dispose(full)


#: The forms of get that wait for an item: whether one returns the item is theirs alone, not the feeder thread's.
WAITING_GETS = tuple(form for form in HELD_GETS if form.wait is not Wait.NEVER)


@pytest.mark.spec("QUEUE-MAXSIZE-2")
def test_every_get_form_frees_a_slot(ipc_adapter):
    """``queue(1)`` takes a non-blocking put again as soon as a get has returned its only item, in each form of
    get that waits for it (plain ``get()`` among them: the machine seldom draws it on a bounded queue)."""
    puts = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
    if not puts:
        pytest.skip(f"adapter {ipc_adapter.name!r} offers neither put_nowait() nor put(block=False)")
    single = make_queue(ipc_adapter, 1)
    try:
        returned("QUEUE-MAXSIZE-2", invoke(single, puts[0], 0))
        wait = timing.VISIBILITY_DEADLINE
        for number, form in enumerate(calls(ipc_adapter, *WAITING_GETS)):
            got = invoke(single, form, timeout=wait, deadline=wait + timing.TIMEOUT_LATE)
            expect("QUEUE-MAXSIZE-2", got.ok and got.value == number, got.describe() + f", expected {number}")
            put = invoke(single, puts[0], number + 1)
            expect("QUEUE-MAXSIZE-2", put.ok, f"{put.describe()}, after {got.what} returned the only item")
    finally:
        dispose(single)


#: How many items ``test_queue_without_a_positive_maxsize_is_unbounded`` puts: more than any small bound.
UNBOUNDED_PUTS = 40


@pytest.mark.spec("QUEUE-MAXSIZE-3")
@pytest.mark.parametrize("maxsize", [(), (0,), (-1,)], ids=["none", "zero", "negative"])
def test_queue_without_a_positive_maxsize_is_unbounded(ipc_adapter, maxsize):
    """``queue()``, ``queue(0)`` and ``queue(-1)`` take item after item without raising queue.Full."""
    shown = ", ".join(map(str, maxsize))
    unbounded = returned("QUEUE-MAXSIZE-3", call(f"queue({shown})", ipc_adapter.queue, *maxsize))
    try:
        form = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK, QueueCall.PUT)[0]
        for n in range(UNBOUNDED_PUTS):
            returned("QUEUE-MAXSIZE-3", invoke(unbounded, form, n))
    finally:
        dispose(unbounded)


@pytest.mark.spec("QUEUE-PUT-1")
def test_put_blocks_until_another_process_gets(ipc_adapter):
    """A put() with no timeout, already blocked on a full queue, returns once another worker's get frees the slot."""
    full = make_queue(ipc_adapter, 1)
    try:
        returned("QUEUE-PUT-1", invoke(full, QueueCall.PUT, "first"))
        with Peer(ipc_adapter, full) as peer:
            # The peer answers the harness first, so "still blocked" below means blocked in put().
            peer.ping()
            putting = peer.submit("put", "second")
            if putting.ready(timing.STILL_BLOCKED):
                expect("QUEUE-PUT-1", False, f"{putting.result().describe()} on a full queue, before any get")
            got = get_within(full, ipc_adapter, timing.VISIBILITY_DEADLINE)
            expect("QUEUE-PUT-1", got.ok and got.value == "first", got.describe() + ", expected 'first'")
            put = putting.result(timing.OPERATION_DEADLINE)
            expect("QUEUE-PUT-1", put.ok, f"{put.describe()} after the test got the only item")
            got = get_within(full, ipc_adapter, timing.VISIBILITY_DEADLINE)
            expect("QUEUE-PUT-1", got.ok and got.value == "second", got.describe() + ", expected the peer's 'second'")
    finally:
        dispose(full)


@pytest.mark.spec("QUEUE-CLOSE-1", "QUEUE-CLOSE-2")
def test_closed_queue_refuses_put_and_get(ipc_adapter, queue):
    """After close(), every put form raises ValueError, and every get form raises it at once."""
    returned("QUEUE-DELIVERY-1", invoke(queue, QueueCall.PUT, "before close"))
    got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
    expect("QUEUE-DELIVERY-1", got.ok and got.value == "before close", got.describe() + ", expected 'before close'")
    returned("QUEUE-CLOSE-1", call("close()", queue.close))
    for form in calls(ipc_adapter, QueueCall.PUT, QueueCall.PUT_NOWAIT):
        with continuing():
            raised("QUEUE-CLOSE-1", invoke(queue, form, "after close", deadline=timing.OPERATION_DEADLINE), ValueError)
    for form in calls(ipc_adapter, QueueCall.GET, QueueCall.GET_NOWAIT):
        with continuing():
            refused = invoke(queue, form)
            raised("QUEUE-CLOSE-2", refused, ValueError)
            within("QUEUE-CLOSE-2", refused, 0, timing.IMMEDIATE)


@pytest.mark.spec("QUEUE-CLOSE-4")
def test_close_may_be_called_again(queue):
    returned("QUEUE-CLOSE-4", invoke(queue, QueueCall.PUT, "unread"))
    returned("QUEUE-CLOSE-4", call("close()", queue.close))
    returned("QUEUE-CLOSE-4", call("close() again", queue.close))


@pytest.mark.spec("QUEUE-CLOSE-5")
def test_empty_on_a_closed_queue_answers_or_raises_oserror(queue):
    returned("QUEUE-CLOSE-4", call("close()", queue.close))
    outcome = call("empty() after close()", queue.empty, deadline=timing.IMMEDIATE)
    answered = isinstance(outcome.value, bool) if outcome.ok else isinstance(outcome.error, OSError)
    expect("QUEUE-CLOSE-5", not outcome.hung and answered, outcome.describe() + ", expected a bool or OSError")


@pytest.mark.spec("QUEUE-CLOSE-3")
def test_close_in_another_process_leaves_this_one_working(ipc_adapter, queue):
    """A peer process closes the queue; the test process still puts and gets."""
    with Peer(ipc_adapter, queue) as peer:
        returned("QUEUE-CLOSE-3", peer.run("close"))
        returned("QUEUE-CLOSE-3", invoke(queue, QueueCall.PUT, "after the peer closed"))
        got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
        expect(
            "QUEUE-CLOSE-3",
            got.ok and got.value == "after the peer closed",
            got.describe() + ", expected the item put after the peer's close()",
        )


@pytest.mark.spec("QUEUE-JOINTHREAD-1")
def test_join_thread_before_close_raises_assertion_error(queue):
    if sys.flags.optimize:
        pytest.skip("python -O removes the assert with which CPython enforces QUEUE-JOINTHREAD-1")
    returned("QUEUE-JOINTHREAD-1", invoke(queue, QueueCall.PUT, "item"))
    raised(
        "QUEUE-JOINTHREAD-1",
        call("join_thread() before close()", queue.join_thread, deadline=timing.IMMEDIATE),
        AssertionError,
    )


@pytest.mark.parametrize(
    "query, clause",
    [
        pytest.param(q, c, marks=pytest.mark.spec(c), id=q)
        for q, c in (("empty", "QUEUE-EMPTY-1"), ("full", "QUEUE-FULL-1"), ("qsize", "QUEUE-QSIZE-1"))
    ],
)
def test_query_settles_on_the_truth(ipc_adapter, query, clause):
    """With no operation in flight, ``empty()``, ``full()`` or ``qsize()`` of ``queue(2)`` comes to the
    true answer (maybe after a lag) as it fills and empties."""
    bounded = make_queue(ipc_adapter, 2)
    try:
        method = getattr(bounded, query)

        def check(held: int) -> None:
            expected = {"empty": held == 0, "full": held == 2, "qsize": held}[query]
            settles(
                clause,
                f"{held} item(s) held, nothing in flight",
                lambda: call(f"{query}()", method, deadline=timing.IMMEDIATE),
                expected,
            )

        check(0)
        for held, item in enumerate(("first", "second"), 1):
            returned("QUEUE-MAXSIZE-2", invoke(bounded, QueueCall.PUT, item))
            check(held)
        for held, item in ((1, "first"), (0, "second")):
            got = get_within(bounded, ipc_adapter, timing.VISIBILITY_DEADLINE)
            expect("QUEUE-DELIVERY-1", got.ok and got.value == item, got.describe() + f", expected {item!r}")
            check(held)
    finally:
        dispose(bounded)


@pytest.mark.spec("QUEUE-VISIBLE-1")
def test_item_put_becomes_visible_in_every_process(ipc_adapter, queue):
    """An item put shows, after at most a short delay, to ``empty()`` and to a get that answers at once, in
    the test process and in a peer."""
    form = nowait_get(ipc_adapter)
    if form is None:
        pytest.skip(f"adapter {ipc_adapter.name!r} offers no get that answers at once")
    args, kwargs = form.arguments()
    with Peer(ipc_adapter, queue) as peer:

        def ask(who, method, *arguments, **keywords):
            if who == "peer":
                return peer.run(method, *arguments, deadline=timing.IMMEDIATE, **keywords)
            return call(f"{method}()", getattr(queue, method), *arguments, deadline=timing.IMMEDIATE, **keywords)

        for who in ("test", "peer"):
            item = f"seen by the {who}"
            returned("QUEUE-VISIBLE-1", invoke(queue, QueueCall.PUT, item))
            if ipc_adapter.has(Feature.QUEUE_EMPTY_FULL):
                settles(
                    "QUEUE-VISIBLE-1", f"{who} empty() after put({item!r}) returned", partial(ask, who, "empty"), False
                )
            attempts = []

            def got(who=who, attempts=attempts) -> bool:
                attempts.append(ask(who, form.method, *args, **kwargs))
                return not isinstance(attempts[-1].error, Empty)

            settled, waited = eventually(got)
            last = attempts[-1]
            expect(
                "QUEUE-VISIBLE-1",
                settled and last.ok and last.value == item,
                f"{last.describe()} by the {who}, {waited:.2f}s after put({item!r}) returned",
            )


@pytest.mark.spec("QUEUE-VISIBLE-2")
def test_exact_queue_shows_each_put_at_once(ipc_adapter):
    """At exact consistency, right after each put or get returns, the queries of ``queue(2)`` answer exactly
    and a get that answers at once returns the item."""
    form = nowait_get(ipc_adapter)
    queries = [
        q
        for q, feature in (
            ("qsize", Feature.QUEUE_QSIZE),
            ("empty", Feature.QUEUE_EMPTY_FULL),
            ("full", Feature.QUEUE_EMPTY_FULL),
        )
        if ipc_adapter.has(feature)
    ]
    bounded = make_queue(ipc_adapter, 2)
    try:

        def check(held: int) -> None:
            for query in queries:
                with continuing():
                    expected = {"qsize": held, "empty": held == 0, "full": held == 2}[query]
                    answer = call(f"{query}()", getattr(bounded, query), deadline=timing.IMMEDIATE)
                    expect(
                        "QUEUE-VISIBLE-2",
                        answer.ok and answer.value == expected,
                        answer.describe() + f" with {held} item(s) held, expected {expected!r}",
                    )

        check(0)
        for held, item in enumerate(("first", "second"), 1):
            returned("QUEUE-VISIBLE-2", invoke(bounded, QueueCall.PUT, item))
            check(held)
        for held, item in ((1, "first"), (0, "second")):
            got = (
                invoke(bounded, form)
                if form is not None
                else get_within(bounded, ipc_adapter, timing.VISIBILITY_DEADLINE)
            )
            expect("QUEUE-VISIBLE-2", got.ok and got.value == item, got.describe() + f", expected {item!r} at once")
            check(held)
    finally:
        dispose(bounded)


@pytest.mark.spec("QUEUE-FIFO-2")
def test_puts_of_two_processes_come_out_in_the_order_they_returned(ipc_adapter, queue):
    """At exact consistency, the test and a peer put in turns; the items come out in the order the puts returned."""
    order = [("test", "test 1"), ("peer", "peer 1"), ("test", "test 2"), ("peer", "peer 2")]
    with Peer(ipc_adapter, queue) as peer:
        for who, item in order:
            put = peer.run("put", item) if who == "peer" else invoke(queue, QueueCall.PUT, item)
            returned("QUEUE-FIFO-2", put)
        for turn, (_, item) in enumerate(order):
            got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
            expect("QUEUE-FIFO-2", got.ok and got.value == item, f"get {turn + 1}: {got.describe()}, expected {item!r}")


@pytest.mark.spec("QUEUE-FLUSH-2")
def test_producer_that_exits_delivers_what_it_put(ipc_adapter, queue):
    """A peer process puts a few small items and exits normally: it exits, and every item comes out, in order."""
    items = [f"item {n}" for n in range(3)]
    with Peer(ipc_adapter, queue) as producer:
        for item in items:
            returned("QUEUE-FLUSH-2", producer.run("put", item))
        producer.exit()
        expect(
            "QUEUE-FLUSH-2", producer.exited(timing.OPERATION_DEADLINE), "the producer of 3 small items did not exit"
        )
        for item in items:
            got = get_within(queue, ipc_adapter, timing.VISIBILITY_DEADLINE)
            expect(
                "QUEUE-FLUSH-2",
                got.ok and got.value == item,
                got.describe() + f" after the producer exited, expected {item!r}",
            )


@pytest.mark.spec(*QUEUE_MACHINE_CLAUSES, any=True)
@pytest.mark.uses(Primitive.QUEUE)
def test_queue_machine(ipc_adapter):
    base.run(QueueMachine, ipc_adapter)
