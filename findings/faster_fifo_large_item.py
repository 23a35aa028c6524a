"""faster-fifo: an item larger than the buffer (1 MB by default) can never be put; put raises Full on an empty queue.

Clause QUEUE-LARGE-1 (implementation-defined; the docs set no item size
limit): the stdlib's ``put`` accepts an item of any size and its feeder
writes it while a reader drains the pipe.  faster-fifo stores whole
messages in a fixed circular buffer (``max_size_bytes``, 1,000,000 bytes by
default), so a 1 MiB item raises ``queue.Full`` even on an empty queue, at
once with ``block=False`` and after the timeout otherwise: the item is
never delivered.

Run: python findings/faster_fifo_large_item.py            (faster-fifo: exits 1)
     python findings/faster_fifo_large_item.py --stdlib   (multiprocessing: exits 0)
"""

import queue
import sys

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import faster_fifo as impl

ITEM = b"x" * (1 << 20)


def main() -> int:
    q = impl.Queue()
    try:
        q.put(ITEM, True, 1.0)
    except queue.Full:
        print(f"DEVIATION ({impl.__name__}): put() of a 1 MiB item into an empty unbounded queue raised Full")
        return 1
    got = q.get(True, 5.0)
    q.close()
    print(f"conforms ({impl.__name__}): the 1 MiB item was put and got back ({len(got)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
