"""quick-queue: under fork, a child inherits the parent's unsent bucket and sends it too: items are delivered twice.

Clause QUEUE-DELIVERY-1 (required): every item put is got exactly once.
``QQueue.put`` keeps items in a per-process list until the bucket is sent.
A child forked while that list is not empty gets a copy of it (fork copies
the object as it is; only spawn goes through pickling), so when the child
sends its own bucket (``end()``, ``put_remain()``, or 11 puts) it sends the
parent's items as well, and the parent sends them again.

Run: python findings/quick_queue_fork_duplicates.py            (quick-queue: exits 1)
     python findings/quick_queue_fork_duplicates.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import queue
import sys

STDLIB = "--stdlib" in sys.argv


def child(q):
    q.put("from child")
    if not STDLIB:
        q.end()  # what quick-queue asks a producer to do before it exits


def main() -> int:
    name = "multiprocessing" if STDLIB else "quick-queue"
    context = multiprocessing.get_context("fork")
    if STDLIB:
        q = context.Queue()
    else:
        from quick_queue import QQueue

        q = QQueue(ctx=context)
    q.put("from parent")
    producer = context.Process(target=child, args=(q,))
    producer.start()
    producer.join(10)
    if producer.is_alive():
        producer.kill()
        producer.join()
    if not STDLIB:
        q.put_remain()  # send the parent's bucket (end() would also close the queue)
    got = []
    try:
        while len(got) < 5:
            got.append(q.get(timeout=2))
    except queue.Empty:
        pass
    if sorted(got) != ["from child", "from parent"]:
        print(f"DEVIATION ({name}): two puts were delivered as {got}")
        return 1
    print(f"conforms ({name}): each item delivered once: {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
