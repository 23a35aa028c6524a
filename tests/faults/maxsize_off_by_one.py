"""A Queue that holds one item more than ``maxsize``: violates QUEUE-MAXSIZE-1 and the other full-queue clauses.

The classic ``<=`` for ``<``: the slot count is ``maxsize + 1``, so
``put_nowait`` succeeds on a queue already holding ``maxsize`` items, and
``full()`` answers one item late (QUEUE-FULL-1).  So does every other
call the docs define on a full queue: a blocking ``put`` returns instead
of waiting (QUEUE-PUT-1), a timed one instead of raising Full
(QUEUE-PUT-2), as do ``put(obj, False, timeout)`` (QUEUE-PUT-3) and
``put(obj, True, 0)`` (QUEUE-TIMEOUT-1).
"""

from multiprocessing.queues import Queue

from tests.faults import CONTEXT, fault_adapter


class OffByOneQueue(Queue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize + 1 if maxsize > 0 else maxsize, ctx=CONTEXT)


ADAPTER = fault_adapter(__name__, queue=OffByOneQueue)
