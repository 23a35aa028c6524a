"""A ``queue.Queue`` whose blocking ``get`` can sleep through a put until its timeout: violates CONC-LEVEL-1.

``get`` looks for an item under the mutex and, finding none, lets the
mutex go before it waits for the put's notification, and then waits
without looking again; a ``put`` made in between notifies no one.  The
thread is preempted there (a pause of a millisecond, as an interpreter
switch or a page fault takes), so a put made at about the same time falls
in between.  The get then waits its whole timeout and, trusting
``Condition.wait()``'s False (timed out), raises Empty while the item has
been in the queue since that put returned.  A get(timeout) that raises
Empty took effect after its timeout elapsed, when the queue held the item:
no instant-by-instant run explains it (CONC-LEVEL-1).  Nothing is lost:
the item is there for the next get.
"""

import time
from queue import Empty, Queue

from tests.concurrency.threads import adapter

#: How long the thread is off the processor between looking and waiting (seconds): a put made then is lost.
PREEMPTED = 0.001


class QueueWithLostWakeup(Queue):
    def get(self, block=True, timeout=None):
        with self.mutex:
            if self._qsize():
                item = self._get()
                self.not_full.notify()
                return item
            if not block:
                raise Empty
        time.sleep(PREEMPTED)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.not_empty:
            # Waits without looking again: a put made since the look above has notified no one.
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                if not self.not_empty.wait(left):
                    raise Empty  # timed out: the queue is taken to be empty without a look
                if self._qsize():
                    break  # (woken with nothing there: another consumer was first; wait on)
            item = self._get()
            self.not_full.notify()
            return item


ADAPTER = adapter(__name__, QueueWithLostWakeup)
