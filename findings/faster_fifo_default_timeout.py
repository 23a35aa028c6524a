"""faster-fifo: get() with no arguments gives up after 10 seconds and raises queue.Empty.

Clause QUEUE-GET-1 (required): ``get()`` with the defaults (block=True,
timeout=None) blocks until an item is available.  faster-fifo's default
timeout is ``DEFAULT_TIMEOUT = 10.0``, so an idle consumer's ``get()``
raises ``Empty`` after 10 s (and ``put()`` on a full queue raises ``Full``):
a ``while True: q.get()`` worker dies on the first quiet spell.  Takes
about 12 seconds; the stdlib's get() is still blocked then (a daemon thread).

Run: python findings/faster_fifo_default_timeout.py            (faster-fifo: exits 1)
     python findings/faster_fifo_default_timeout.py --stdlib   (multiprocessing: exits 0)
"""

import sys
import threading

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import faster_fifo as impl

WAIT = 12.0  # longer than faster-fifo's 10 s default timeout


def main() -> int:
    q = impl.Queue()
    outcome = []
    consumer = threading.Thread(target=lambda: outcome.append(_get(q)), daemon=True)
    consumer.start()
    consumer.join(WAIT)
    if consumer.is_alive():
        print(f"conforms ({impl.__name__}): get() on an empty queue still blocks after {WAIT:.0f}s")
        return 0
    print(f"DEVIATION ({impl.__name__}): get() with no arguments ended on its own: {outcome[0]}")
    return 1


def _get(q):
    try:
        return f"returned {q.get()!r}"
    except Exception as exc:
        return f"raised {type(exc).__module__}.{type(exc).__qualname__}"


if __name__ == "__main__":
    sys.exit(main())
