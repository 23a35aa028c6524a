"""billiard: Queue.get() with a zero or negative timeout raises Empty even with an item there.

Clause QUEUE-TIMEOUT-1 (implementation-defined): ``multiprocessing.Queue``
treats a timeout of zero or less as no wait, so ``get(True, 0)`` returns an
item that is there, as ``get_nowait()`` does.  billiard's ``get`` computes
``deadline - time.monotonic()`` after taking the read lock and raises Empty
when that is below zero, without looking at the pipe: with ``timeout=0``
(or negative) it is always below zero, so such a get never returns an item.
CPython 2.7 had the same check; CPython 3 dropped it (bpo-30595).

Observed (billiard 4.3.2):
    get(True, 0) with an item there: raised queue.Empty (get(True, 0.5) then returned it)
    get(True, -1) with an item there: raised queue.Empty (get(True, 0.5) then returned it)

Run: python findings/billiard_get_zero_timeout.py            (billiard: exits 1)
     python findings/billiard_get_zero_timeout.py --stdlib   (multiprocessing: exits 0)
"""

import queue
import sys
import time

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import billiard as mp

#: How long the feeder thread gets to publish the item put: far more than it needs.
SETTLE = 1.0


def attempt(q, timeout) -> bool:
    """Put an item, wait until a waiting get could see it, and ask for it with ``get(True, timeout)``."""
    item = f"item for get(True, {timeout})"
    q.put(item)
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        try:
            got = q.get(True, timeout)
        except queue.Empty:
            continue
        print(f"get(True, {timeout}) with an item there: returned {got!r}")
        return got == item
    there = q.get(True, 0.5)
    print(
        print(
            f"get(True, {timeout}) with an item there: raised queue.Empty for {SETTLE}s "
            f"(get(True, 0.5) then returned {there!r})"
        )
    )
    return False


def main() -> int:
    q = mp.get_context().Queue()
    ok = attempt(q, 0)
    ok = attempt(q, -1) and ok
    q.close()
    q.join_thread()
    if ok:
        print(f"conforms ({mp.__name__}): a zero or negative timeout returns an item that is there")
        return 0
    print(f"DEVIATION ({mp.__name__}): a zero or negative timeout never returns an item")
    return 1


if __name__ == "__main__":
    sys.exit(main())
