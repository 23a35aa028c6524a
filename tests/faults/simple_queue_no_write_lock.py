"""A SimpleQueue whose ``put`` takes no write lock: violates SHARE-SAFE-2 / CONC-SAFE-1 / SQ-SHARED-1.

CPython's ``SimpleQueue.put`` writes each pickled item under ``_wlock``
(POSIX).  This one takes the Windows path (no lock), so two processes
putting items larger than ``PIPE_BUF`` at once can interleave their bytes
in the pipe: a consumer gets a torn item, fails to unpickle, or blocks on a
length that is not one.  Only concurrent large puts show it.
"""

from multiprocessing.queues import SimpleQueue

from tests.faults import CONTEXT, fault_adapter


class SimpleQueueWithoutWriteLock(SimpleQueue):
    def __init__(self):
        super().__init__(ctx=CONTEXT)
        self._wlock = None


ADAPTER = fault_adapter(__name__, simple_queue=SimpleQueueWithoutWriteLock)
