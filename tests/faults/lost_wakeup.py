"""A Queue whose blocking ``get`` sleeps on a local condition and misses wake-ups: violates QUEUE-GET-1.

``get()`` with no timeout, finding nothing to read, waits on a
process-local condition that ``put`` notifies, instead of blocking on the
pipe.  The notification comes when the item is buffered, before the
feeder thread has written it, and never comes for a put by another
process: the getter re-checks too early, or is never woken, and sleeps
forever (QUEUE-GET-1; a lost item to the caller, QUEUE-VISIBLE-1).
"""

import threading

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueWithLostWakeups(ForkQueue):
    def _reset(self, after_fork=False):
        super()._reset(after_fork)
        self._arrived = threading.Condition()

    def put(self, obj, block=True, timeout=None):
        super().put(obj, block, timeout)
        with self._arrived:
            self._arrived.notify_all()

    def get(self, block=True, timeout=None):
        if block and timeout is None and not self._closed:
            with self._arrived:
                while not self._poll():
                    self._arrived.wait()
        return super().get(block, timeout)


ADAPTER = fault_adapter(__name__, queue=QueueWithLostWakeups)
