"""A ``queue.Queue`` that keeps one FIFO per producer thread and serves the one written last: violates CONC-LEVEL-1.

``put`` appends to the calling thread's own deque (sharding by producer to
keep producers apart) and ``get`` takes the oldest item of the deque that
was written to most recently.  Everything runs under the queue's mutex, so
nothing is lost, duplicated or torn, and each producer's items come out in
its order (QUEUE-FIFO-1 and CONC-ORDER-1 hold).  Across producers the order
is wrong: when one thread's ``put(a)`` returns before another's ``put(b)``
begins and both items wait in the queue, ``b`` comes out first, which no
instant-by-instant run of a FIFO queue gives (CONC-LEVEL-1).
"""

import threading
from collections import deque
from queue import Queue

from tests.concurrency.threads import adapter


class QueueWithProducerShards(Queue):
    def _init(self, maxsize):
        self.shards: dict[int, deque] = {}
        #: Producer threads, least recently written to first.
        self.writers: list[int] = []

    def _qsize(self):
        return sum(len(shard) for shard in self.shards.values())

    def _put(self, item):
        writer = threading.get_ident()
        self.shards.setdefault(writer, deque()).append(item)
        if writer in self.writers:
            self.writers.remove(writer)
        self.writers.append(writer)

    def _get(self):
        for writer in reversed(self.writers):
            if self.shards[writer]:
                return self.shards[writer].popleft()
        raise IndexError("get from an empty queue")  # Queue.get calls _get only when _qsize() > 0


ADAPTER = adapter(__name__, QueueWithProducerShards)
