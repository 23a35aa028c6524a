"""A ``queue.Queue`` whose ``put`` appends by copying the items outside the lock: violates QUEUE-DELIVERY-1.

``put`` copies the items, appends its own to the copy and installs the
copy, reading and writing the queue's contents in two steps.  Two producers
putting at once both copy the same contents and the second to install its
copy drops the first's item: it was accepted (``put`` returned) and never
comes out (QUEUE-DELIVERY-1).  Alone, a producer loses nothing.
"""

import time
from collections import deque
from queue import Queue

from tests.concurrency.threads import adapter


class QueueThatLosesConcurrentPuts(Queue):
    def put(self, item, block=True, timeout=None):
        with self.not_full:
            snapshot = list(self.queue)
        time.sleep(0)  # the GIL is let go between reading and writing back (see tests/concurrency/threads.py)
        with self.not_full:
            self.queue = deque(snapshot + [item])
            self.unfinished_tasks += 1
            self.not_empty.notify()


ADAPTER = adapter(__name__, QueueThatLosesConcurrentPuts)
