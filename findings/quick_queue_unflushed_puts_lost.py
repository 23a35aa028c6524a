"""quick-queue: items put by a process that exits without end()/put_remain() are lost; a put is never visible on its
own.

Clauses SHARE-EXIT-1 and QUEUE-VISIBLE-1 (required / unreliable): items
put by a process that exits normally are delivered, and a put becomes
visible after a short delay.  ``QQueue.put`` appends to a per-process list
and sends it only once it holds more than ``size_bucket_list`` items (11
for a bounded queue, 1001 for an unbounded one); the rest waits for
``end()`` or ``put_remain()``, which the ``multiprocessing.Queue`` API has
no counterpart for.  A producer that puts a few items and returns loses
them without an error, and even in one process a put item is never got.

Run: python findings/quick_queue_unflushed_puts_lost.py            (quick-queue: exits 1)
     python findings/quick_queue_unflushed_puts_lost.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import queue
import sys

STDLIB = "--stdlib" in sys.argv


def make():
    if STDLIB:
        return multiprocessing.Queue()
    from quick_queue import QQueue

    return QQueue()


def producer(q):
    for n in range(3):
        q.put(n)


def main() -> int:
    name = "multiprocessing" if STDLIB else "quick-queue"
    q = make()
    worker = multiprocessing.Process(target=producer, args=(q,))
    worker.start()
    worker.join(10)
    if worker.is_alive():
        worker.kill()
        worker.join()
        print(f"DEVIATION ({name}): the producer did not exit (killed)")
        return 1
    got = []
    try:
        while len(got) < 3:
            got.append(q.get(timeout=3))
    except queue.Empty:
        pass
    q.put("same process")
    try:
        same = q.get(timeout=3)
    except queue.Empty:
        same = None
    problems = []
    if got != [0, 1, 2]:
        problems.append(f"the exited producer's 3 puts delivered {got}")
    if same != "same process":
        problems.append("an item put in this process was not got within 3s")
    if problems:
        print(f"DEVIATION ({name}): " + "; ".join(problems))
        return 1
    print(f"conforms ({name}): all items delivered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
