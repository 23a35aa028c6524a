"""billiard: SimpleQueue.put()/get() after close() raise AttributeError, not OSError.

Clauses SQ-CLOSED-3 and SQ-CLOSED-4 (Python 3.9+): after
``SimpleQueue.close()``, ``put()`` and ``get()`` raise ``OSError`` (the
closed connection's "handle is closed").  billiard's ``close()`` sets its
reader and writer to None, so ``put()`` raises
``AttributeError: 'NoneType' object has no attribute 'send_bytes'`` and
``get()`` ``AttributeError: 'NoneType' object has no attribute
'recv_bytes'``: ``except OSError`` misses both.

Observed (billiard 4.3.2):
    put() after close() raised AttributeError("'NoneType' object has no attribute 'send_bytes'")
    get() after close() raised AttributeError("'NoneType' object has no attribute 'recv_bytes'")

Run: python findings/billiard_simple_queue_closed.py            (billiard: exits 1)
     python findings/billiard_simple_queue_closed.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import billiard as impl


def main() -> int:
    q = impl.SimpleQueue()
    q.close()
    deviated = False
    for name, call in (("put()", lambda: q.put(1)), ("get()", q.get)):
        try:
            call()
            print(f"{name} after close() returned")
            deviated = True
        except OSError as exc:
            print(f"{name} after close() raised {exc!r}")
        except Exception as exc:  # noqa: BLE001 - the deviation
            print(f"{name} after close() raised {exc!r}")
            deviated = True
    if deviated:
        print(f"DEVIATION ({impl.__name__}): put()/get() after close() do not raise OSError")
        return 1
    print(f"conforms ({impl.__name__}): put()/get() after close() raise OSError")
    return 0


if __name__ == "__main__":
    sys.exit(main())
