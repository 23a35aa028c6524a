"""A Queue that hands out the newest accepted item first: violates QUEUE-FIFO-1.

``get`` takes the oldest item exactly as the stdlib does (same blocking,
timeouts, ``Empty`` and closed checks).  Then, still holding the read lock,
it reads every other accepted item (``qsize()`` counts each item whose
``put`` returned, also those a feeder thread has not written yet), returns
the newest and hands the rest back to this process's feeder thread, in
order, as if they had just been put (they keep their slots, so ``qsize``
and ``full`` stay exact).  With one item queued it behaves like the
reference; with two or more, ``get`` is LIFO.
"""

from multiprocessing.queues import Queue
from multiprocessing.reduction import ForkingPickler

from conformance.harness import timing
from tests.faults import CONTEXT, fault_adapter


class LifoQueue(Queue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize, ctx=CONTEXT)

    def get(self, block=True, timeout=None):
        oldest = super().get(block, timeout)
        later = []
        with self._rlock:
            # Accepted items all reach the pipe; the bound only guards
            # against one the feeder dropped (it could not be pickled).
            while len(later) < self.qsize() and self._poll(timing.VISIBILITY_DEADLINE):
                later.append(ForkingPickler.loads(self._recv_bytes()))
        if not later:
            return oldest
        newest = later.pop()
        # What put() does after taking a slot: queue the objects for the feeder.
        with self._notempty:
            if self._thread is None:
                self._start_thread()
            self._buffer.extend([oldest] + later)
            self._notempty.notify()
        return newest


ADAPTER = fault_adapter(__name__, queue=LifoQueue)
