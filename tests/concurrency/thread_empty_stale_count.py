"""A ``queue.Queue`` whose ``empty()`` answers from the size the calling thread saw last: violates CONC-LEVEL-1.

To spare ``empty()`` the mutex, each thread keeps the queue's size as it
saw it at its own last put or get (a thread-local count), and ``empty()``
answers from that count, 0 for a thread that has not put or got yet.  In one
thread every answer is right.  Across threads the count is stale: after
another thread's ``put`` has returned, and before any get, ``empty()``
still says True (CONC-LEVEL-1: the queue holds the item at every instant of
the call).  ``qsize()``, ``full()`` and the gets look at the items
themselves and are right.
"""

import threading
from queue import Queue

from tests.concurrency.threads import adapter


class QueueWithStaleEmpty(Queue):
    def _init(self, maxsize):
        super()._init(maxsize)
        self.seen = threading.local()

    def _put(self, item):
        super()._put(item)
        self.seen.size = len(self.queue)

    def _get(self):
        item = super()._get()
        self.seen.size = len(self.queue)
        return item

    def empty(self):
        with self.mutex:
            return getattr(self.seen, "size", 0) == 0


ADAPTER = adapter(__name__, QueueWithStaleEmpty)
