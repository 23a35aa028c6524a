"""A ``queue.Queue`` of two lists whose ``qsize()`` adds their lengths without the mutex: violates CONC-LEVEL-1.

The items are kept as two lists, a front one that gets pop from and a back
one that puts append to; a get that finds the front empty moves the back
list over (the classic two-stack queue), in two steps: it takes the back
list, then makes it the front once reversed.  Every put and get runs under
the mutex, so none of them sees a move half done.  ``qsize()`` reads the
front's length and then the back's without the mutex, and can: with two
items held and one got, it counts neither the items on their way to the
front nor those already there, and says 0 while an item was held at every
instant of the call (CONC-LEVEL-1).  The thread is preempted where a real
one may be (a pause of a millisecond, as an interpreter switch or a page
fault takes): between the two reads, and in the move, where the reversal
of a long list runs.
"""

import time
from queue import Queue

from tests.concurrency.threads import adapter

#: How long a thread is off the processor at those two points (seconds).
PREEMPTED = 0.001


class QueueOfTwoLists(Queue):
    def _init(self, maxsize):
        self.front: list = []  # oldest last
        self.back: list = []  # newest last

    def _qsize(self):
        return len(self.front) + len(self.back)

    def _put(self, item):
        self.back.append(item)

    def _get(self):
        if not self.front:
            moving, self.back = self.back, []
            time.sleep(PREEMPTED)
            moving.reverse()
            self.front = moving
        return self.front.pop()

    def qsize(self):
        front = len(self.front)
        time.sleep(PREEMPTED)
        return front + len(self.back)


ADAPTER = adapter(__name__, QueueOfTwoLists)
