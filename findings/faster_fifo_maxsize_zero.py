"""faster-fifo: Queue(maxsize=0) holds nothing (put raises Full); a negative maxsize raises OverflowError.

Clause QUEUE-MAXSIZE-3 (implementation-defined): a maxsize of zero or less
makes the queue unbounded, as for ``queue.Queue``.  faster-fifo's ``maxsize`` is a hard
item count: 0 makes every put fail with ``queue.Full`` (after the 10 s
default timeout when blocking) and -1 fails in the constructor.  Code that
writes the stdlib's explicit "unbounded" ``Queue(0)`` cannot put anything.

Run: python findings/faster_fifo_maxsize_zero.py            (faster-fifo: exits 1)
     python findings/faster_fifo_maxsize_zero.py --stdlib   (multiprocessing: exits 0)
"""

import queue
import sys

if "--stdlib" in sys.argv:
    import multiprocessing

    def make(maxsize):
        return multiprocessing.Queue(maxsize)

    name = "multiprocessing"
else:
    import faster_fifo

    def make(maxsize):
        return faster_fifo.Queue(maxsize=maxsize)

    name = "faster-fifo"


def main() -> int:
    problems = []
    for maxsize in (0, -1):
        try:
            q = make(maxsize)
            q.put_nowait("item")
            q.close()
        except queue.Full:
            problems.append(f"maxsize={maxsize}: put_nowait on an empty queue raised Full")
        except Exception as exc:
            problems.append(f"maxsize={maxsize}: {exc!r}")
    if problems:
        print(f"DEVIATION ({name}): " + "; ".join(problems))
        return 1
    print(f"conforms ({name}): maxsize 0 and -1 make unbounded queues")
    return 0


if __name__ == "__main__":
    sys.exit(main())
