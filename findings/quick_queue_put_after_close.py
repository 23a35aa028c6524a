"""quick-queue: put() after close() is accepted (the item is then lost) instead of raising ValueError.

Clause QUEUE-CLOSE-1 (required): after ``close()``, ``put()`` and
``put_nowait()`` in the same process raise ``ValueError``.  ``QQueue.put``
appends to its unsent bucket and checks nothing; the error surfaces, if at
all, only when a full bucket is sent, and the items are lost.  On a
``QJoinableQueue`` it surfaces in ``join()`` (clause JQ-JOIN-1: join()
returns at once when every item put has been marked done): join() sends the
bucket first, so after such a put it raises ``ValueError('Queue ... is
closed')``, where the stdlib's put raised and its join() returns.

Observed (quick-queue 1.0.7):
    QQueue: put() after close() returned
    QJoinableQueue: put() after close() returned; join() then raised ValueError('Queue <...> is closed')

Run: python findings/quick_queue_put_after_close.py            (quick-queue: exits 1)
     python findings/quick_queue_put_after_close.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import sys

STDLIB = "--stdlib" in sys.argv


def main() -> int:
    name = "multiprocessing" if STDLIB else "quick-queue"
    if STDLIB:
        q, jq = multiprocessing.Queue(), multiprocessing.JoinableQueue()
    else:
        from quick_queue import QJoinableQueue, QQueue

        q, jq = QQueue(), QJoinableQueue()
    deviated = False
    q.close()
    try:
        q.put("after close")
        print("Queue: put() after close() returned")
        deviated = True
    except ValueError:
        print("Queue: put() after close() raised ValueError")
    jq.close()
    jq.join_thread()
    try:
        jq.put("after close")
        joined = "put() after close() returned"
        deviated = True
    except ValueError:
        joined = "put() after close() raised ValueError"
    try:
        jq.join()
        print(f"JoinableQueue: {joined}; join() then returned")
    except ValueError as exc:
        print(f"JoinableQueue: {joined}; join() then raised {exc!r}")
        deviated = True
    if deviated:
        print(
            f"DEVIATION ({name}): put() after close() is accepted (the item can never be delivered); join() then raises"
        )
        return 1
    print(f"conforms ({name}): put() after close() raised ValueError and join() returned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
