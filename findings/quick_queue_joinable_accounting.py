"""quick-queue: QJoinableQueue counts tasks only when a bucket is sent: task_done() raises, join() in a spawned child
crashes.

Clauses JQ-TASKDONE-3 (implementation-defined) and JQ-JOIN-2 (required):
``task_done()`` counts against puts, so it succeeds for an item put but not
yet got, and ``join()`` works in any process sharing the queue.  In
quick-queue an item becomes an unfinished task only when its bucket is
sent, so ``task_done()`` after a ``put`` raises ``ValueError: task_done()
called too many times``; and a child started with spawn gets a queue
without its bucket attributes, so ``join()`` there (which first sends the
bucket) raises ``AttributeError: ... 'bucket_list'``.

Run: python findings/quick_queue_joinable_accounting.py            (quick-queue: exits 1)
     python findings/quick_queue_joinable_accounting.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import queue
import sys

STDLIB = "--stdlib" in sys.argv


def joiner(q, answers):
    try:
        q.join()
        answers.put("join() returned")
    except Exception as exc:
        answers.put(f"join() raised {exc!r}")


def make(context):
    if STDLIB:
        return context.JoinableQueue()
    from quick_queue import QJoinableQueue

    return QJoinableQueue(ctx=context)


def main() -> int:
    name = "multiprocessing" if STDLIB else "quick-queue"
    context = multiprocessing.get_context("spawn")
    problems = []
    q = make(context)
    q.put("work")
    try:
        q.task_done()
    except ValueError as exc:
        problems.append(f"task_done() after a put raised {exc!r}")
    answers, idle = context.Queue(), make(context)  # kept referenced until the child is done
    child = context.Process(target=joiner, args=(idle, answers))
    child.start()
    try:
        answer = answers.get(timeout=30)
    except queue.Empty:
        answer = "join() did not return"
    child.join(10)
    if child.is_alive():
        child.kill()
        child.join()
    if answer != "join() returned":
        problems.append(f"in a spawned child, {answer} on an idle queue")
    if problems:
        print(f"DEVIATION ({name}): " + "; ".join(problems))
        return 1
    print(f"conforms ({name}): task_done() counted the put and join() returned in the child")
    return 0


if __name__ == "__main__":
    sys.exit(main())
