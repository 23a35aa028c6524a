"""A JoinableQueue whose ``join()`` waits for an empty queue, not for task_done(): violates JQ-JOIN-2.

A common misreading of ``join()``: it returns as soon as no item is
waiting in the queue, even though items that were got are still
unfinished (``task_done()`` not yet called for them).
"""

from multiprocessing.queues import JoinableQueue

from tests.faults import CONTEXT, fault_adapter


class JoinableQueueJoiningOnEmpty(JoinableQueue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize, ctx=CONTEXT)

    def join(self):
        if not self._closed and self.empty():
            return
        super().join()


ADAPTER = fault_adapter(__name__, joinable_queue=JoinableQueueJoiningOnEmpty)
