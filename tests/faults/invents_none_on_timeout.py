"""A Queue whose timed ``get`` returns None instead of raising Empty: violates QUEUE-GET-2 / QUEUE-DELIVERY-1 /
QUEUE-TIMEOUT-1.

``get(True, timeout)`` that finds no item within ``timeout`` returns
``None`` (the ``dict.get`` convention) instead of raising ``queue.Empty``:
the caller gets an item nobody put.  With a timeout of zero, which must
act as no wait and raise ``Empty`` at once, it returns None as well
(QUEUE-TIMEOUT-1).  ``get_nowait()`` and ``get(False)`` still raise ``Empty``.
"""

from queue import Empty

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueThatInventsNone(ForkQueue):
    def get(self, block=True, timeout=None):
        try:
            return super().get(block, timeout)
        except Empty:
            if block and timeout is not None:
                return None
            raise


ADAPTER = fault_adapter(__name__, queue=QueueThatInventsNone)
