"""A Queue whose get() does not take the read lock: violates CONC-CONSUMERS-1 / SHARE-SAFE-2.

CPython's ``get`` holds ``_rlock`` while it polls and reads one frame, so
two consumers never read parts of the same frame.  Here the lock is one
that every caller acquires at once: concurrent consumers can both see one
item ready, and read a frame's header and body apart (a torn item, a
duplicate, a hang on a split frame).
"""

from tests.concurrency._base import ForkQueue, NoLock, adapter


class QueueWithoutReadLock(ForkQueue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize)
        self._rlock = NoLock()


ADAPTER = adapter(__name__, QueueWithoutReadLock)
