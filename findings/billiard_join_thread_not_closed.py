"""billiard: Queue.join_thread() before close() raises ValueError, not AssertionError.

Clause QUEUE-JOINTHREAD-1 (implementation-defined): join_thread() may only
be called after close(); CPython enforces it with ``assert self._closed``
(AssertionError, absent under ``python -O``).  billiard raises
``ValueError('Queue ... not closed')``, so code catching AssertionError (or
relying on -O) behaves differently.  Cosmetic.

Run: python findings/billiard_join_thread_not_closed.py            (billiard: exits 1)
     python findings/billiard_join_thread_not_closed.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import billiard as mp


def main() -> int:
    q = mp.get_context().Queue()
    try:
        q.join_thread()
    except AssertionError:
        print(f"conforms ({mp.__name__}): join_thread() before close() raised AssertionError")
        return 0
    except Exception as exc:
        print(f"DEVIATION ({mp.__name__}): join_thread() before close() raised {exc!r}, not AssertionError")
        return 1
    if not __debug__:
        print(f"conforms ({mp.__name__}): under -O join_thread() before close() does not check")
        return 0
    print(f"DEVIATION ({mp.__name__}): join_thread() before close() returned")
    return 1


if __name__ == "__main__":
    sys.exit(main())
