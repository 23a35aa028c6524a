"""quick-queue: maxsize and qsize() count buckets, not items; put_nowait() on a full queue does not raise Full.

Clauses QUEUE-MAXSIZE-1 (required) and QUEUE-QSIZE-1 (unreliable): a queue
holding ``maxsize`` items makes ``put_nowait`` raise ``queue.Full``, and
``qsize()`` settles on the number of items.  ``QQueue(maxsize)`` bounds the
number of *buckets* (lists of up to 11 items) and ``qsize()`` counts
buckets, so ``QQueue(2)`` accepts dozens of items and reports a size of
about a tenth of them.  ``QQueue()`` is also bounded, at 1000 buckets,
where the stdlib's ``Queue()`` is unbounded.

Run: python findings/quick_queue_maxsize_counts_buckets.py            (quick-queue: exits 1)
     python findings/quick_queue_maxsize_counts_buckets.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import queue
import sys

STDLIB = "--stdlib" in sys.argv
MAXSIZE = 2


def main() -> int:
    name = "multiprocessing" if STDLIB else "quick-queue"
    if STDLIB:
        q = multiprocessing.Queue(MAXSIZE)
    else:
        from quick_queue import QQueue

        q = QQueue(MAXSIZE)
    accepted = 0
    try:
        for n in range(30):
            q.put_nowait(n)
            accepted += 1
    except queue.Full:
        pass
    size = q.qsize()
    while True:  # drain, so no feeder thread waits at exit
        try:
            q.get(timeout=1)
        except queue.Empty:
            break
    if accepted != MAXSIZE or size != MAXSIZE:
        print(
            f"DEVIATION ({name}): a queue with maxsize={MAXSIZE} accepted {accepted} put_nowait() calls "
            f"and then reported qsize() == {size}"
        )
        return 1
    print(f"conforms ({name}): put_nowait raised Full after {MAXSIZE} items and qsize() was {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
