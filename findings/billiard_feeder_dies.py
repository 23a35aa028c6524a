"""billiard: one unpicklable item kills the Queue's feeder thread; every later put is silently lost.

Clause QUEUE-FEEDER-1 (implementation-defined; CPython since 3.7, bpo-30414):
an object that cannot be pickled is dropped by the feeder thread, which
keeps running, so later items are still delivered.  billiard's ``_feed``
catches the pickling error outside its loop, so the thread ends and the
queue accepts puts it never delivers.

Run: python findings/billiard_feeder_dies.py            (billiard: exits 1)
     python findings/billiard_feeder_dies.py --stdlib   (multiprocessing: exits 0)
"""

import queue
import sys

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import billiard as mp


def main() -> int:
    q = mp.get_context().Queue()
    q.put(lambda: None)  # cannot be pickled: the feeder thread reports it on stderr
    q.put("after")
    try:
        got = q.get(timeout=5)
    except queue.Empty:
        print(f"DEVIATION ({mp.__name__}): 'after' was never delivered; the feeder thread died on the unpicklable item")
        return 1
    print(f"conforms ({mp.__name__}): got {got!r} after the unpicklable item was dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
