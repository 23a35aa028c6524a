"""A Queue that ignores ``maxsize``: violates QUEUE-MAXSIZE-1 and the other full-queue clauses.

The bound is stored but the queue is built unbounded, so ``put_nowait`` on
a queue holding ``maxsize`` items succeeds instead of raising
``queue.Full`` (and ``full()`` is never True, QUEUE-FULL-1).
So does every other call the docs define on a full queue: a blocking
``put`` returns instead of waiting (QUEUE-PUT-1), a timed one instead of
raising Full (QUEUE-PUT-2), as do ``put(obj, False, timeout)``
(QUEUE-PUT-3) and ``put(obj, True, 0)`` (QUEUE-TIMEOUT-1).
"""

from multiprocessing.queues import Queue

from tests.faults import CONTEXT, fault_adapter


class UnboundedQueue(Queue):
    def __init__(self, maxsize=0):
        super().__init__(0, ctx=CONTEXT)


ADAPTER = fault_adapter(__name__, queue=UnboundedQueue)
