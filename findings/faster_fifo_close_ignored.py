"""faster-fifo: close() only sets a flag; put() still enqueues and get() still takes items.

Clauses QUEUE-CLOSE-1 and QUEUE-CLOSE-2 (required): after ``close()``,
``put``/``put_nowait`` and ``get``/``get_nowait`` in the same process raise
``ValueError``.  faster-fifo's ``close()`` sets ``is_closed()`` and nothing
checks it: a put after close succeeds and a get on the closed, empty queue
blocks (until the 10 s default timeout).  Code that closes a queue to stop
its producers keeps receiving.

Run: python findings/faster_fifo_close_ignored.py            (faster-fifo: exits 1)
     python findings/faster_fifo_close_ignored.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import faster_fifo as impl


def main() -> int:
    q = impl.Queue()
    q.close()
    try:
        q.put_nowait("after close")
    except ValueError:
        print(f"conforms ({impl.__name__}): put_nowait() after close() raised ValueError")
        return 0
    try:
        got = q.get_nowait()
    except ValueError:
        got = "(get_nowait raised ValueError)"
    print(f"DEVIATION ({impl.__name__}): put_nowait() after close() was accepted; get_nowait() then returned {got!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
