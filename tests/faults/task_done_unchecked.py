"""A JoinableQueue whose ``task_done()`` never complains: violates JQ-TASKDONE-2.

``task_done()`` decrements the unfinished-task count only if it is
positive and otherwise returns quietly, instead of raising ``ValueError``
when called more times than items were put.
"""

from multiprocessing.queues import JoinableQueue

from tests.faults import CONTEXT, fault_adapter


class LenientJoinableQueue(JoinableQueue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize, ctx=CONTEXT)

    def task_done(self):
        with self._cond:
            if self._unfinished_tasks.acquire(False) and self._unfinished_tasks._semlock._is_zero():
                self._cond.notify_all()


ADAPTER = fault_adapter(__name__, joinable_queue=LenientJoinableQueue)
