"""faster-fifo: Queue.join_thread() before close() returns, where the stdlib raises AssertionError.

Clause QUEUE-JOINTHREAD-1 (implementation-defined): ``join_thread()`` may
only be called after ``close()``; CPython enforces it with
``assert self._closed`` (AssertionError; nothing under ``python -O``).
faster-fifo has no feeder thread and its ``join_thread()`` does nothing,
so the misuse goes unnoticed.  Cosmetic.

Run: python findings/faster_fifo_join_thread_not_closed.py            (faster-fifo: exits 1)
     python findings/faster_fifo_join_thread_not_closed.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import faster_fifo as impl


def main() -> int:
    q = impl.Queue()
    try:
        q.join_thread()
    except AssertionError:
        print(f"conforms ({impl.__name__}): join_thread() before close() raised AssertionError")
        return 0
    finally:
        q.close()
    if not __debug__:
        print(f"conforms ({impl.__name__}): under -O join_thread() before close() does not check")
        return 0
    print(f"DEVIATION ({impl.__name__}): join_thread() before close() returned")
    return 1


if __name__ == "__main__":
    sys.exit(main())
