"""A ``queue.Queue`` of two lists whose ``qsize()`` reads their lengths at different times: violates CONC-LEVEL-1.

The items are kept as two lists, a front one that gets pop from and a back
one that puts append to; a get that finds the front empty moves the whole
back list to the front first (the classic two-stack queue).  Every put and
get runs under the mutex; ``qsize()`` adds the front's length, read first,
to the back's, read after, without it, and the thread is preempted between
the two reads (a pause of a millisecond, as an interpreter switch or a
page fault takes).  When a get moves the lists between the two reads,
``qsize()`` counts neither: with two items held and one got, it says 0
while an item was held at every instant of the call (CONC-LEVEL-1).
"""

import time
from queue import Queue

from tests.concurrency.threads import adapter

#: How long the thread is off the processor between the two reads (seconds).
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
            self.back.reverse()
            self.front, self.back = self.back, []
        return self.front.pop()

    def qsize(self):
        front = len(self.front)
        time.sleep(PREEMPTED)
        return front + len(self.back)


ADAPTER = adapter(__name__, QueueOfTwoLists)
