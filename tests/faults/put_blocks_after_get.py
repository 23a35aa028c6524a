"""A bounded Queue whose plain ``get()`` never frees the slot: violates QUEUE-MAXSIZE-2 / QUEUE-PUT-1.

``get()`` with no timeout reads an item without releasing the bounded
semaphore (the other paths release it).  Each such get leaks a slot, so a
bounded queue soon refuses ``put_nowait`` while it has room, and a
blocking ``put`` after a ``get`` blocks forever.  ``qsize()`` counts the
leaked slots (QUEUE-QSIZE-1) and ``full()`` says True while there is room
(QUEUE-FULL-1).
"""

from multiprocessing.reduction import ForkingPickler

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueThatLeaksSlots(ForkQueue):
    def get(self, block=True, timeout=None):
        if self._closed or not (block and timeout is None):
            return super().get(block, timeout)
        with self._rlock:
            res = self._recv_bytes()
        return ForkingPickler.loads(res)


ADAPTER = fault_adapter(__name__, queue=QueueThatLeaksSlots)
