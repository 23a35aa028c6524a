"""JoinableQueue: the spec section ``conformance/spec/joinable_queue.py``.

The queue machine runs on a JoinableQueue (every Queue clause holds for it)
with the task accounting rules switched on.
"""

import pytest

from conformance.adapter import Capability
from conformance.machines import base
from conformance.machines.queue import JoinableQueueMachine
from conformance.suite.test_queue import QUEUE_MACHINE_CLAUSES

JOINABLE_CLAUSES = ("JQ-QUEUE-1", "JQ-TASKDONE-1", "JQ-TASKDONE-2", "JQ-TASKDONE-3", "JQ-JOIN-1", "JQ-JOIN-2", "JQ-CLOSE-1")


@pytest.mark.spec(*JOINABLE_CLAUSES, *QUEUE_MACHINE_CLAUSES)
@pytest.mark.requires(Capability.JOINABLE_QUEUE)
def test_joinable_queue_machine(ipc_adapter):
    base.run(JoinableQueueMachine, ipc_adapter)
