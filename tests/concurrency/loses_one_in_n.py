"""A Queue that silently drops one put in N per process: violates QUEUE-DELIVERY-1 / QUEUE-FLUSH-1/2.

Every ``N``-th ``put`` in a process returns normally and takes its slot
(``qsize`` counts it) but never reaches the feeder thread, so the item is
never delivered.
"""

from tests.concurrency._base import ForkQueue, adapter

N = 3


class QueueThatLosesOneInN(ForkQueue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize)
        self._puts = 0

    def _after_fork(self):
        super()._after_fork()
        self._puts = 0

    def put(self, obj, block=True, timeout=None):
        self._puts += 1
        if self._puts % N:
            return super().put(obj, block, timeout)
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        if not self._sem.acquire(block, timeout):
            import queue

            raise queue.Full


ADAPTER = adapter(__name__, QueueThatLosesOneInN)
