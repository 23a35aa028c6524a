"""A bounded Queue that keeps one slot for itself, raising Full early: violates QUEUE-MAXSIZE-2.

Its constructor takes one slot of the bound "for the close sentinel" and
never gives it back, so the queue is full one item early: ``put_nowait``
raises ``queue.Full`` while it holds ``maxsize - 1`` items (a ``Queue(1)``
accepts nothing), a blocking ``put`` waits (QUEUE-PUT-1), and
``qsize()``/``full()`` count the phantom slot (QUEUE-QSIZE-1,
QUEUE-FULL-1).
"""

from multiprocessing.queues import Queue

from tests.faults import CONTEXT, fault_adapter


class QueueWithAReservedSlot(Queue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize, ctx=CONTEXT)
        if maxsize > 0:
            self._sem.acquire()


ADAPTER = fault_adapter(__name__, queue=QueueWithAReservedSlot)
