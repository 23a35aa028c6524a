"""faster-fifo: put(obj, True, None) and get(True, None) raise TypeError.

Clauses QUEUE-PUT-1 and QUEUE-GET-1 (required): "If optional args block is
True and timeout is None (the default), block if necessary".  faster-fifo
converts ``timeout`` to a C float, so the documented ``timeout=None`` form
raises ``TypeError: must be real number, not NoneType`` and nothing is put.

Run: python findings/faster_fifo_timeout_none.py            (faster-fifo: exits 1)
     python findings/faster_fifo_timeout_none.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import faster_fifo as impl


def main() -> int:
    q = impl.Queue()
    try:
        q.put("item", True, None)
        got = q.get(True, None)
    except TypeError as exc:
        print(f"DEVIATION ({impl.__name__}): the timeout=None form raised {exc!r}")
        return 1
    finally:
        q.close()
    print(f"conforms ({impl.__name__}): put/get with timeout=None returned {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
