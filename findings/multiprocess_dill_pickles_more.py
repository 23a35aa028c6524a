"""multiprocess: objects that pickle cannot serialise (lambdas, locks) are sent, with dill.

Clauses QUEUE-FEEDER-1, SQ-PICKLE-1, PIPE-OBJECT-2 (implementation-defined):
with the stdlib an unpicklable object makes ``SimpleQueue.put``/
``Connection.send`` raise and is dropped by a ``Queue``'s feeder thread.
multiprocess serialises with dill by design, so a lambda arrives as a copy
and a ``threading.Lock`` arrives as a new, unrelated lock: the receiver
gets an object the stdlib would have refused, and locking it synchronises
nothing.  Cosmetic (intended), but not a drop-in behaviour.

Run: python findings/multiprocess_dill_pickles_more.py            (multiprocess: exits 1)
     python findings/multiprocess_dill_pickles_more.py --stdlib   (multiprocessing: exits 0)
"""

import sys
import threading

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import multiprocess as mp


def main() -> int:
    q = mp.get_context().SimpleQueue()
    try:
        q.put(threading.Lock())
    except Exception as exc:
        print(f"conforms ({mp.__name__}): SimpleQueue.put(threading.Lock()) raised {type(exc).__name__}")
        return 0
    got = q.get()
    print(f"DEVIATION ({mp.__name__}): SimpleQueue.put(threading.Lock()) was accepted; get() returned {got!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
