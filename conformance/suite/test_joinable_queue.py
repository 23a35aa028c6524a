"""JoinableQueue: the spec section ``conformance/spec/joinable_queue.py``.

The queue machine runs on a JoinableQueue (every Queue clause holds for it,
and each one checked there is a check of JQ-QUEUE-1) with the task
accounting rules switched on.  Focused tests first pin what the accounting
adds to a Queue: a task per put, task_done() before a get, too many
task_done() calls, join() with every task done, with the only item got but
not marked done, and after close().
"""

from queue import Empty, Full

import pytest

from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines import base
from conformance.machines.queue import JOINABLE_CLAUSES, JoinableQueueMachine, api_clause
from conformance.primitives import Primitive, QueueCall, calls, waiting_get
from conformance.shape import check_api
from conformance.verdict import expect, raised, returned, within


@pytest.mark.spec("JQ-API-1")
def test_joinable_queue_offers_the_documented_methods(ipc_adapter):
    check_api(ipc_adapter, Primitive.JOINABLE_QUEUE, "JQ-API-1")


@pytest.mark.spec("JQ-JOIN-2")
def test_join_waits_for_task_done_not_for_an_empty_queue(ipc_adapter):
    """join() counts tasks, not queued items: with the only item got but not marked done, it blocks."""
    queue = returned(
        api_clause(ipc_adapter, Primitive.JOINABLE_QUEUE), call("joinable_queue()", ipc_adapter.joinable_queue)
    )
    try:
        with Peer(ipc_adapter, queue) as joiner:
            returned("JQ-JOIN-2", call("put('task')", queue.put, "task"))
            form = waiting_get(ipc_adapter)
            wait = timing.VISIBILITY_DEADLINE
            args, kwargs = form.arguments(timeout=wait if form is not QueueCall.GET else None)
            got = call(form.describe(timeout=wait), queue.get, *args, deadline=wait + timing.TIMEOUT_LATE, **kwargs)
            expect("JQ-JOIN-2", got.ok and got.value == "task", got.describe() + ", expected 'task'")
            joining = joiner.submit("join")
            if joining.ready(timing.STILL_BLOCKED):
                expect(
                    "JQ-JOIN-2",
                    False,
                    f"{joining.result().describe()} with the only item got but task_done() not called, expected "
                    "it to block",
                )
            returned("JQ-JOIN-2", call("task_done()", queue.task_done))
            joined = joining.result(timing.OPERATION_DEADLINE)
            expect("JQ-JOIN-2", joined.ok, f"{joined.describe()} after task_done() was called for the only item")
    finally:
        dispose(queue)


def make_joinable(adapter, *maxsize):
    shown = ", ".join(map(str, maxsize))
    return returned(
        api_clause(adapter, Primitive.JOINABLE_QUEUE),
        call(f"joinable_queue({shown})", adapter.joinable_queue, *maxsize),
    )


def get_item(adapter, queue, expected, clause):
    """A get that waits for an item (the waiting form the adapter offers); it must return ``expected``, per
    ``clause``."""
    form = waiting_get(adapter)
    wait = timing.VISIBILITY_DEADLINE
    args, kwargs = form.arguments(timeout=wait if form is not QueueCall.GET else None)
    got = call(
        form.describe(timeout=wait), getattr(queue, form.method), *args, deadline=wait + timing.TIMEOUT_LATE, **kwargs
    )
    expect(clause, got.ok and got.value == expected, got.describe() + f", expected {expected!r}")


def join_at_once(queue, clause, situation):
    joined = call(f"join() {situation}", queue.join, deadline=timing.IMMEDIATE)
    returned(clause, joined)
    within(clause, joined, 0, timing.IMMEDIATE)


@pytest.mark.spec("JQ-QUEUE-1")
def test_joinable_queue_is_a_queue(ipc_adapter):
    """A JoinableQueue behaves as a Queue: ``joinable_queue(2)`` gives back its items in put order, refuses a put
    when full, and a get that answers at once raises queue.Empty once it is drained."""
    queue = make_joinable(ipc_adapter, 2)
    try:
        for item in ("first", "second"):
            returned("JQ-QUEUE-1", call(f"put({item!r})", queue.put, item))
        refuse = calls(ipc_adapter, QueueCall.PUT_NOWAIT, QueueCall.PUT_NOBLOCK)
        if refuse:
            with continuing():
                args, kwargs = refuse[0].arguments("third")
                raised(
                    "JQ-QUEUE-1",
                    call(
                        refuse[0].describe("third"),
                        getattr(queue, refuse[0].method),
                        *args,
                        deadline=timing.IMMEDIATE,
                        **kwargs,
                    ),
                    Full,
                )
        for item in ("first", "second"):
            get_item(ipc_adapter, queue, item, "JQ-QUEUE-1")
        nowait = calls(ipc_adapter, QueueCall.GET_NOWAIT, QueueCall.GET_NOBLOCK)
        if nowait:
            args, kwargs = nowait[0].arguments()
            raised(
                "JQ-QUEUE-1",
                call(
                    nowait[0].describe(), getattr(queue, nowait[0].method), *args, deadline=timing.IMMEDIATE, **kwargs
                ),
                Empty,
            )
    finally:
        dispose(queue)


@pytest.mark.spec("JQ-TASKDONE-1", "JQ-TASKDONE-2", "JQ-JOIN-1")
def test_each_put_is_one_task(ipc_adapter):
    """join() returns at once and task_done() raises ValueError with nothing put; two puts make two tasks: two
    task_done() calls return, join() then returns at once, and a third task_done() raises ValueError.

    The gets are there to use the items as a consumer would; the accounting does not depend on them
    (JQ-TASKDONE-3), so a get that deviates does not stop the checks of the accounting."""
    queue = make_joinable(ipc_adapter)
    try:
        join_at_once(queue, "JQ-JOIN-1", "with nothing put")
        raised("JQ-TASKDONE-2", call("task_done() with nothing put", queue.task_done), ValueError)
        for item in ("first", "second"):
            returned("JQ-TASKDONE-1", call(f"put({item!r})", queue.put, item))
        with continuing():
            for item in ("first", "second"):
                get_item(ipc_adapter, queue, item, "JQ-QUEUE-1")
        for n in (1, 2):
            returned("JQ-TASKDONE-1", call(f"task_done() {n} of 2", queue.task_done))
        join_at_once(queue, "JQ-JOIN-1", "once both tasks were marked done")
        raised("JQ-TASKDONE-2", call("task_done() a third time", queue.task_done), ValueError)
    finally:
        dispose(queue)


@pytest.mark.spec("JQ-TASKDONE-3")
def test_task_done_counts_puts_not_gets(ipc_adapter):
    """task_done() for an item put but not yet got returns."""
    queue = make_joinable(ipc_adapter)
    try:
        returned("JQ-TASKDONE-1", call("put('task')", queue.put, "task"))
        returned("JQ-TASKDONE-3", call("task_done() before any get", queue.task_done))
        get_item(ipc_adapter, queue, "task", "JQ-QUEUE-1")
        join_at_once(queue, "JQ-JOIN-1", "with the only task marked done")
    finally:
        dispose(queue)


@pytest.mark.spec("JQ-CLOSE-1")
def test_close_keeps_the_task_accounting(ipc_adapter):
    """After close(), task_done() still counts the items put (got or not), join() returns at once once they are
    done, and one task_done() too many raises ValueError."""
    queue = make_joinable(ipc_adapter)
    try:
        for item in ("got", "never got"):
            returned("JQ-TASKDONE-1", call(f"put({item!r})", queue.put, item))
        with continuing():  # the accounting counts items put, got or not
            get_item(ipc_adapter, queue, "got", "JQ-QUEUE-1")
        returned("JQ-CLOSE-1", call("close()", queue.close))
        for n in (1, 2):
            returned("JQ-CLOSE-1", call(f"task_done() {n} of 2 after close()", queue.task_done))
        join_at_once(queue, "JQ-CLOSE-1", "after close(), with both tasks marked done")
        raised("JQ-CLOSE-1", call("task_done() a third time after close()", queue.task_done), ValueError)
    finally:
        dispose(queue)


@pytest.mark.spec(*JOINABLE_CLAUSES, any=True)
@pytest.mark.uses(Primitive.JOINABLE_QUEUE)
def test_joinable_queue_machine(ipc_adapter):
    base.run(JoinableQueueMachine, ipc_adapter)
