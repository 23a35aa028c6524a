"""JoinableQueue: the spec section ``conformance/spec/joinable_queue.py``.

The queue machine runs on a JoinableQueue (every Queue clause holds for it,
and each one checked there is a check of JQ-QUEUE-1) with the task
accounting rules switched on.  A focused test first pins the one state the
accounting adds to a Queue: every item got, none marked done.
"""

import pytest

from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines import base
from conformance.machines.queue import JOINABLE_CLAUSES, JoinableQueueMachine, api_clause
from conformance.primitives import Primitive, QueueCall, waiting_get
from conformance.shape import check_api
from conformance.verdict import expect, returned


@pytest.mark.spec("JQ-API-1")
def test_joinable_queue_offers_the_documented_methods(ipc_adapter):
    check_api(ipc_adapter, Primitive.JOINABLE_QUEUE, "JQ-API-1")


@pytest.mark.spec("JQ-JOIN-2")
def test_join_waits_for_task_done_not_for_an_empty_queue(ipc_adapter):
    """join() counts tasks, not queued items: with the only item got but not marked done, it blocks."""
    queue = returned(api_clause(ipc_adapter, Primitive.JOINABLE_QUEUE), call("joinable_queue()", ipc_adapter.joinable_queue))
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
                expect("JQ-JOIN-2", False, f"{joining.result().describe()} with the only item got but task_done() not called, expected it to block")
            returned("JQ-JOIN-2", call("task_done()", queue.task_done))
            joined = joining.result(timing.OPERATION_DEADLINE)
            expect("JQ-JOIN-2", joined.ok, f"{joined.describe()} after task_done() was called for the only item")
    finally:
        dispose(queue)


@pytest.mark.spec(*JOINABLE_CLAUSES, any=True)
@pytest.mark.uses(Primitive.JOINABLE_QUEUE)
def test_joinable_queue_machine(ipc_adapter):
    base.run(JoinableQueueMachine, ipc_adapter)
