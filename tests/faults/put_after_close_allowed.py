"""A Queue whose ``close()`` only stops the feeder: violates QUEUE-CLOSE-1 / QUEUE-CLOSE-2.

``close()`` tells the feeder thread to finish but never marks the queue
closed, so ``put`` after ``close()`` returns normally (the item is
buffered and never written) instead of raising ``ValueError``, and
``get`` after ``close()`` blocks or answers instead of raising it.
(``join_thread`` checks that the feeder was told to stop, which
``close()`` did.)
"""

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class QueueUsableAfterClose(ForkQueue):
    def close(self):
        self._stopping = True
        close, self._close = self._close, None
        if close:
            close()

    def join_thread(self):
        assert getattr(self, "_stopping", False), "Queue not closed"
        if self._jointhread:
            self._jointhread()


ADAPTER = fault_adapter(__name__, queue=QueueUsableAfterClose)
