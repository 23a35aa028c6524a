"""A ``queue.Queue`` whose ``get`` looks at the oldest item and takes it in two steps: violates CONC-CONSUMERS-1.

``get`` waits as the standard one does, reads the oldest item under the
lock, lets the lock go, and takes it off in a second locked step, where it
removes whatever is oldest then.  Two consumers can both read the same item
before either removes it: one item is got twice (CONC-CONSUMERS-1), and
another is removed without anyone getting it (QUEUE-DELIVERY-1).
"""

import time
from queue import Empty, Queue

from tests.concurrency.threads import adapter


class QueueWithTwoStepGet(Queue):
    def get(self, block=True, timeout=None):
        with self.not_empty:
            if not block and not self._qsize():
                raise Empty
            deadline = None if timeout is None else time.monotonic() + max(timeout, 0)
            while not self._qsize():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise Empty
                self.not_empty.wait(left)
            item = self.queue[0]
        time.sleep(0)  # the GIL is let go between looking and taking (see tests/concurrency/threads.py)
        with self.not_empty:
            if self._qsize():
                self.queue.popleft()
            self.not_full.notify()
        return item


ADAPTER = adapter(__name__, QueueWithTwoStepGet)
