"""A Queue that delivers the first item each process puts twice: violates QUEUE-DELIVERY-1 / QUEUE-PUT-1.

A defensive retry: when ``put`` had to start the feeder thread, it
buffers the item again, "in case the new thread missed it" (taking a
second slot if one is free, so ``qsize`` counts both).  The thread did not
miss it, so the first item every process puts comes out twice.  The
second copy takes a slot the caller never filled, so on a bounded queue a
later put that has a free slot by the caller's count blocks (QUEUE-PUT-1).
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueThatRepeatsFirstPut(ForkQueue):
    def put(self, obj, block=True, timeout=None):
        starting = self._thread is None
        super().put(obj, block, timeout)
        if starting and self._sem.acquire(False):
            with self._notempty:
                self._buffer.append(obj)
                self._notempty.notify()


ADAPTER = fault_adapter(__name__, queue=QueueThatRepeatsFirstPut)
