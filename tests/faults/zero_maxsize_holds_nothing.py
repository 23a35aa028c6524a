"""A Queue made with a maxsize of zero or less holds nothing: violates QUEUE-MAXSIZE-3.

The docs make such a queue unbounded; this one (as faster-fifo's
``maxsize=0``) refuses every put with ``queue.Full``, whatever the item's
size.  A queue made without a maxsize is the reference's.
"""

from multiprocessing.queues import Queue
from queue import Full

from tests.faults import CONTEXT, fault_adapter


class HoldsNothingQueue(Queue):
    def __init__(self, *maxsize):
        super().__init__(*maxsize, ctx=CONTEXT)
        self._holds_nothing = bool(maxsize) and maxsize[0] <= 0

    def put(self, obj, block=True, timeout=None):
        if self._holds_nothing:
            raise Full
        super().put(obj, block, timeout)


ADAPTER = fault_adapter(__name__, queue=HoldsNothingQueue)
