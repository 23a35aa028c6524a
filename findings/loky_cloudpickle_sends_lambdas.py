"""loky: its Queue sends a lambda (cloudpickle) that the stdlib's feeder thread would drop.

Clause QUEUE-FEEDER-1 (implementation-defined): an object that cannot be
pickled is dropped by the feeder thread and later items are delivered.
loky's ``Queue`` serialises with cloudpickle by design, so the lambda
arrives as a working copy instead of being dropped.  Cosmetic (intended):
a consumer written for the stdlib never sees such an item.

Run: python findings/loky_cloudpickle_sends_lambdas.py            (loky: exits 1)
     python findings/loky_cloudpickle_sends_lambdas.py --stdlib   (multiprocessing spawn: exits 0)
"""

import multiprocessing
import queue
import sys

STDLIB = "--stdlib" in sys.argv


def main() -> int:
    if STDLIB:
        context = multiprocessing.get_context("spawn")
    else:
        from loky.backend import get_context

        context = get_context("loky")
    name = "multiprocessing" if STDLIB else "loky"
    q = context.Queue()
    q.put(lambda: "sent")  # the stdlib's feeder thread reports the pickling error on stderr and drops it
    q.put("after")
    try:
        first = q.get(timeout=5)
    except queue.Empty:
        print(f"DEVIATION ({name}): nothing arrived")
        return 1
    if first == "after":
        print(f"conforms ({name}): the lambda was dropped and 'after' arrived")
        return 0
    q.get(timeout=5)
    print(f"DEVIATION ({name}): the lambda was sent: get() returned {first!r}, which returns {first()!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
