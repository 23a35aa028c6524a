"""A Queue whose feeder writes each burst of buffered items newest first: violates QUEUE-FIFO-1 / SHARE-ORDER-1 /
QUEUE-FEEDER-1.

The feeder thread takes items from the wrong end of its buffer (``pop``
where CPython has ``popleft``).  An item put while the feeder is idle is
written at once, so single puts look right; items put faster than the
feeder writes them (a burst: a producer putting in a loop) come out in
reverse order.  The close sentinel is also taken before the items
buffered ahead of it, so a burst followed by ``close()`` or by the
producer's exit is lost (QUEUE-FLUSH-1, QUEUE-FLUSH-2; SHARE-SAFE-2 when
several producers put at once), an item put after an unpicklable one among
them: later items are then not delivered (QUEUE-FEEDER-1).
"""

import collections

from tests.concurrency._base import ForkQueue
from tests.faults import fault_adapter


class Stack(collections.deque):
    """The feeder's buffer, taken from the wrong end."""

    def popleft(self):
        return self.pop()


class QueueThatReversesBursts(ForkQueue):
    def _reset(self, after_fork=False):
        super()._reset(after_fork)
        self._buffer = Stack()


ADAPTER = fault_adapter(__name__, queue=QueueThatReversesBursts)
