"""A Queue whose timed ``get`` does not wait: violates QUEUE-GET-2 / QUEUE-VISIBLE-1.

``get(True, timeout)`` checks once and raises ``queue.Empty`` at once
instead of waiting up to ``timeout`` seconds for an item (as if
``block`` were False).  Code that waits with a timeout for an item still
in another process's feeder thread then misses it.
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWithoutGetWait(ForkQueue):
    def get(self, block=True, timeout=None):
        if block and timeout is not None:
            block = False
        return super().get(block, timeout)


ADAPTER = fault_adapter(__name__, queue=QueueWithoutGetWait)
