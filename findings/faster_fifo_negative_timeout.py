"""faster-fifo: get()/put() with a negative timeout block instead of giving up at once.

Clause QUEUE-TIMEOUT-1: a negative timeout is treated as zero by
``multiprocessing.Queue``: ``get(True, -1)`` on an empty queue raises
``queue.Empty`` at once, ``put(obj, True, -1)`` on a full queue raises
``queue.Full`` at once.  faster-fifo's ``get(True, -1)`` and
``put(obj, True, -1)`` block: still blocked after 15 s, past even its 10 s
default timeout (the negative value is not clamped to zero).

Observed (faster-fifo 1.5.2):
    get(True, -1) on an empty queue: still blocked after 15.0s
    put(2, True, -1) on a full queue: still blocked after 15.0s

Run: python findings/faster_fifo_negative_timeout.py            (faster-fifo: exits 1, about 30 s)
     python findings/faster_fifo_negative_timeout.py --stdlib   (multiprocessing: exits 0)
"""

import queue
import sys
import threading
import time

if "--stdlib" in sys.argv:
    import multiprocessing as impl

    def make(maxsize=0):
        return impl.Queue(maxsize)
else:
    import faster_fifo as impl

    def make(maxsize=0):
        return impl.Queue(maxsize=maxsize) if maxsize else impl.Queue()


def attempt(label, call, patience=15.0):
    """Run ``call`` in a daemon thread; what it did within ``patience`` seconds."""
    box = []

    def run():
        try:
            call()
            box.append("returned")
        except queue.Empty:
            box.append("raised queue.Empty")
        except queue.Full:
            box.append("raised queue.Full")
        except Exception as exc:  # noqa: BLE001 - report whatever it is
            box.append(f"raised {exc!r}")

    start = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(patience)
    elapsed = time.monotonic() - start
    print(f"{label}: {box[0] if box else 'still blocked'} after {elapsed:.1f}s")
    return bool(box) and elapsed < 1.0


def main() -> int:
    empty = make()
    full = make(1)
    full.put(1)
    time.sleep(0.1)  # the stdlib's feeder thread publishes the item
    ok = attempt("get(True, -1) on an empty queue", lambda: empty.get(True, -1))
    ok = attempt("put(2, True, -1) on a full queue", lambda: full.put(2, True, -1)) and ok
    if ok:
        print(f"conforms ({impl.__name__}): a negative timeout gives up at once")
        return 0
    print(f"DEVIATION ({impl.__name__}): a negative timeout blocks instead of raising Empty/Full at once")
    return 1


if __name__ == "__main__":
    sys.exit(main())
