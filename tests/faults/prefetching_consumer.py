"""A Queue whose ``get`` reads one item ahead into a private cache: violates CONC-ORDER-1 / QUEUE-VISIBLE-1 /
QUEUE-FLUSH-1.

To save a lock round trip, each ``get`` also reads the next item if one
is ready and keeps it in a process-local cache for the next ``get`` of the
same process.  A cached item is invisible to every other consumer:
another process's ``get`` returns a newer item first (CONC-ORDER-1; the
producer's order is broken, QUEUE-FIFO-1) or
finds the queue empty (QUEUE-VISIBLE-1, QUEUE-EMPTY-1), even after its
producer flushed it with close() and join_thread() (QUEUE-FLUSH-1), and the
item is lost if its process exits (QUEUE-DELIVERY-1).  With a single consumer
process the queue behaves like the reference.
"""

import collections
from multiprocessing.reduction import ForkingPickler

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class PrefetchingQueue(ForkQueue):
    def _reset(self, after_fork=False):
        super()._reset(after_fork)
        self._cache = collections.deque()

    def get(self, block=True, timeout=None):
        if self._cache and not self._closed:
            self._sem.release()
            return self._cache.popleft()
        item = super().get(block, timeout)
        if self._rlock.acquire(False):
            try:
                if self._poll():
                    # The slot is released when the cached item is handed out.
                    self._cache.append(ForkingPickler.loads(self._recv_bytes()))
            finally:
                self._rlock.release()
        return item


ADAPTER = fault_adapter(__name__, queue=PrefetchingQueue)
