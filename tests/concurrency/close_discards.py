"""A Queue whose close() throws away what the feeder thread has not written yet: violates QUEUE-FLUSH-1.

The docs: after ``close()`` "the background thread will quit once it has
flushed all buffered data to the pipe", and ``join_thread()`` "makes sure
that all data in the buffer has been flushed".  Here ``close()`` first
empties the process's buffer, so a producer that puts, then closes and
joins, loses whatever was still buffered (often all of it: the feeder
writes asynchronously).
"""

from tests.concurrency._base import ForkQueue, adapter


class QueueWhoseCloseDiscards(ForkQueue):
    def close(self):
        with self._notempty:
            self._buffer.clear()
        super().close()


ADAPTER = adapter(__name__, QueueWhoseCloseDiscards)
