"""A SimpleQueue whose ``empty()`` after ``close()`` answers True: violates SQ-CLOSED-1 / SQ-CLOSED-2.

The docs (3.12+) say ``empty()`` on a SimpleQueue this process closed
raises OSError (CPython did so since 3.9).  This one answers True, "a
closed queue holds nothing".
"""

from multiprocessing.queues import SimpleQueue

from tests.faults import CONTEXT, fault_adapter


class SimpleQueueEmptyWhenClosed(SimpleQueue):
    def __init__(self):
        super().__init__(ctx=CONTEXT)

    def empty(self):
        if self._reader.closed:
            return True
        return super().empty()


ADAPTER = fault_adapter(__name__, simple_queue=SimpleQueueEmptyWhenClosed)
