"""JoinableQueue: the spec section ``conformance/spec/joinable_queue.py``.

The queue machine runs on a JoinableQueue (every Queue clause holds for it)
with the task accounting rules switched on.  A focused test first pins the
one state the accounting adds to a Queue: every item got, none marked done.
"""

import pytest

from conformance.adapter import Capability
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines import base
from conformance.machines.queue import JoinableQueueMachine
from conformance.suite.test_queue import QUEUE_MACHINE_CLAUSES
from conformance.verdict import expect, returned

JOINABLE_CLAUSES = ("JQ-QUEUE-1", "JQ-TASKDONE-1", "JQ-TASKDONE-2", "JQ-TASKDONE-3", "JQ-JOIN-1", "JQ-JOIN-2", "JQ-CLOSE-1")


@pytest.mark.spec("JQ-JOIN-2")
@pytest.mark.requires(Capability.JOINABLE_QUEUE, Capability.TASK_DONE, Capability.INHERITANCE)
def test_join_waits_for_task_done_not_for_an_empty_queue(ipc_adapter):
    """join() counts tasks, not queued items: with the only item got but not marked done, it blocks."""
    queue = ipc_adapter.joinable_queue()
    try:
        with Peer(ipc_adapter, queue) as joiner:
            returned("JQ-TASKDONE-1", call("put('task')", queue.put, "task"))
            got = call("get(True, VISIBILITY_DEADLINE)", queue.get, True, timing.VISIBILITY_DEADLINE, deadline=timing.VISIBILITY_DEADLINE + timing.TIMEOUT_LATE)
            expect("JQ-QUEUE-1", got.ok and got.value == "task", got.describe() + ", expected 'task'")
            joining = joiner.submit("join")
            if joining.ready(timing.STILL_BLOCKED):
                expect("JQ-JOIN-2", False, f"{joining.result().describe()} with the only item got but task_done() not called, expected it to block")
            returned("JQ-TASKDONE-1", call("task_done()", queue.task_done))
            joined = joining.result(timing.OPERATION_DEADLINE)
            expect("JQ-JOIN-2", joined.ok, f"{joined.describe()} after task_done() was called for the only item")
    finally:
        dispose(queue)


@pytest.mark.spec(*JOINABLE_CLAUSES, *QUEUE_MACHINE_CLAUSES)
@pytest.mark.requires(Capability.JOINABLE_QUEUE)
def test_joinable_queue_machine(ipc_adapter):
    base.run(JoinableQueueMachine, ipc_adapter)
