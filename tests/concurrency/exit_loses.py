"""A Queue whose producers lose their buffered items when they exit: violates QUEUE-FLUSH-2 / SHARE-EXIT-1.

The docs: a process that has put items "will not terminate until all
buffered items have been flushed to the pipe" (unless it called
``cancel_join_thread()``).  Here every process that starts a feeder also
registers an exit finalizer that runs before the feeder is joined and
empties the buffer, so what a producer put just before exiting normally
is lost; ``close()`` + ``join_thread()`` before exit still flushes.
"""

from multiprocessing import util

from tests.concurrency._base import ForkQueue, adapter


def _drop_buffered(buffer, notempty):
    with notempty:
        buffer.clear()


class QueueThatLosesAtExit(ForkQueue):
    def _start_thread(self):
        super()._start_thread()
        # Exit finalizers run by priority, highest first; the feeder's own close
        # (priority 10) and join (-5) come after this one.
        util.Finalize(self, _drop_buffered, [self._buffer, self._notempty], exitpriority=20)


ADAPTER = adapter(__name__, QueueThatLosesAtExit)
