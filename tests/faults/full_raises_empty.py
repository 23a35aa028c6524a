"""A Queue that signals "full" with queue.Empty: violates QUEUE-MAXSIZE-1 / QUEUE-PUT-2 / QUEUE-PUT-3 / QUEUE-TIMEOUT-1.

A copy-paste slip: ``put`` translates its own ``Full`` into ``Empty``, so
``put_nowait()``, ``put(block=False)`` and a timed-out ``put`` on a full
queue raise ``queue.Empty`` (so do ``put(obj, False, timeout)``,
QUEUE-PUT-3, and ``put(obj, True, 0)``, QUEUE-TIMEOUT-1).  Everything
else is the stdlib Queue.
"""

from queue import Empty, Full

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWhoseFullIsEmpty(ForkQueue):
    def put(self, obj, block=True, timeout=None):
        try:
            return super().put(obj, block, timeout)
        except Full:
            raise Empty from None


ADAPTER = fault_adapter(__name__, queue=QueueWhoseFullIsEmpty)
