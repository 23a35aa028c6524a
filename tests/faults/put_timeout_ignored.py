"""A Queue whose blocking ``put`` ignores its timeout: violates QUEUE-PUT-2 / QUEUE-TIMEOUT-1.

``put(obj, True, timeout)`` on a full queue drops the timeout and waits
for a free slot however long it takes, instead of raising ``queue.Full``
after about ``timeout`` seconds (a zero timeout too, QUEUE-TIMEOUT-1).
Non-blocking puts are unaffected.
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWithoutPutTimeout(ForkQueue):
    def put(self, obj, block=True, timeout=None):
        return super().put(obj, block, None if block else timeout)


ADAPTER = fault_adapter(__name__, queue=QueueWithoutPutTimeout)
