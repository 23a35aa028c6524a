"""quick-queue: put() after close() is accepted (the item is then lost) instead of raising ValueError.

Clause QUEUE-CLOSE-1 (required): after ``close()``, ``put()`` and
``put_nowait()`` in the same process raise ``ValueError``.  ``QQueue.put``
appends to its unsent bucket and checks nothing; the error surfaces, if at
all, only when a full bucket is sent, and the items are lost.

Run: python findings/quick_queue_put_after_close.py            (quick-queue: exits 1)
     python findings/quick_queue_put_after_close.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import sys

STDLIB = "--stdlib" in sys.argv


def main() -> int:
    name = "multiprocessing" if STDLIB else "quick-queue"
    if STDLIB:
        q = multiprocessing.Queue()
    else:
        from quick_queue import QQueue

        q = QQueue()
    q.close()
    try:
        q.put("after close")
    except ValueError:
        print(f"conforms ({name}): put() after close() raised ValueError")
        return 0
    print(f"DEVIATION ({name}): put() after close() returned; the item can never be delivered")
    return 1


if __name__ == "__main__":
    sys.exit(main())
