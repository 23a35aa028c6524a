"""A Queue whose non-blocking and timed ``get`` signal "empty" with IndexError.

The docs require ``queue.Empty`` when ``get(block=False)``, ``get_nowait()``
or ``get(timeout=t)`` finds no item; this queue raises ``IndexError`` (what
popping an empty list raises) instead.  Everything else is the stdlib
Queue.  Violates QUEUE-GET-3 (``get_nowait``, ``get(False)``), QUEUE-GET-2
(``get(True, timeout)``) and QUEUE-TIMEOUT-1 (``get(True, 0)``).
"""

import queue
from multiprocessing.queues import Queue

from tests.faults import CONTEXT, fault_adapter


class IndexErrorQueue(Queue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize, ctx=CONTEXT)

    def get(self, block=True, timeout=None):
        try:
            return super().get(block, timeout)
        except queue.Empty:
            raise IndexError("get from an empty queue") from None


ADAPTER = fault_adapter(__name__, queue=IndexErrorQueue)
