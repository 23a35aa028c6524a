"""A Queue whose ``get(block=False, timeout)`` waits the timeout: violates QUEUE-GET-3.

The docs: with ``block`` False the timeout is ignored and ``get`` raises
``queue.Empty`` at once.  This queue lets a given timeout win over
``block=False`` and waits it out on an empty queue.
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWhoseNoBlockWaits(ForkQueue):
    def get(self, block=True, timeout=None):
        return super().get(block or timeout is not None, timeout)


ADAPTER = fault_adapter(__name__, queue=QueueWhoseNoBlockWaits)
