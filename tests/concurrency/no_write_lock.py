"""A Queue whose feeder threads write without the write lock: violates SHARE-SAFE-2 / CONC-SAFE-1.

CPython's feeder takes ``_wlock`` around each frame it writes (POSIX), so
frames from different producer processes never interleave.  Without it,
two producers writing items larger than ``PIPE_BUF`` (4096 bytes, the
largest atomic pipe write) at once can interleave their bytes: a consumer
then gets a torn or foreign object, fails to unpickle, or blocks on a
length header that is not one.
"""

from tests.concurrency._base import ForkQueue, NoLock, adapter


class QueueWithoutWriteLock(ForkQueue):
    def __init__(self, maxsize=0):
        super().__init__(maxsize)
        self._wlock = NoLock()


ADAPTER = adapter(__name__, QueueWithoutWriteLock)
