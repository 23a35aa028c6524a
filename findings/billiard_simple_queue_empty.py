"""billiard: SimpleQueue.empty() raises AttributeError.

Clause SQ-EMPTY-1 (and SQ-GET-1, whose peer polls with empty()):
``empty()`` returns whether the queue is empty.  billiard's ``SimpleQueue``
never sets the ``_poll`` attribute its ``empty()`` uses, neither in
``__init__`` nor when unpickled in a child (the same bug CPython fixed for
``__setstate__`` in bpo-30301).

Run: python findings/billiard_simple_queue_empty.py            (billiard: exits 1)
     python findings/billiard_simple_queue_empty.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import billiard as mp


def main() -> int:
    q = mp.get_context().SimpleQueue()
    try:
        before = q.empty()
        q.put(1)
        after = q.empty()
    except AttributeError as exc:
        print(f"DEVIATION ({mp.__name__}): SimpleQueue.empty() raised {exc!r}")
        return 1
    if (before, after) != (True, False):
        print(f"DEVIATION ({mp.__name__}): empty() said {before} before and {after} after a put")
        return 1
    print(f"conforms ({mp.__name__}): empty() is True, then False after a put")
    return 0


if __name__ == "__main__":
    sys.exit(main())
