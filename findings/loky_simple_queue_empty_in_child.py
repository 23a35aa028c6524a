"""loky: SimpleQueue.empty() raises AttributeError in a child process.

Clauses SQ-EMPTY-1 and SQ-GET-1: ``empty()`` works in every process sharing
the queue.  loky's ``SimpleQueue.__setstate__`` restores the pipe ends and
locks but not ``_poll``, the attribute ``empty()`` uses, so in the child
that received the queue ``empty()`` raises ``AttributeError`` (the bug
CPython fixed in its own ``__setstate__`` in bpo-30301, reintroduced by
loky's override).

Run: python findings/loky_simple_queue_empty_in_child.py            (loky: exits 1)
     python findings/loky_simple_queue_empty_in_child.py --stdlib   (multiprocessing spawn: exits 0)
"""

import multiprocessing
import sys

STDLIB = "--stdlib" in sys.argv


def child(q, answers):
    try:
        answers.put(f"empty() returned {q.empty()}")
    except Exception as exc:
        answers.put(f"empty() raised {exc!r}")


def main() -> int:
    if STDLIB:
        context = multiprocessing.get_context("spawn")
    else:
        from loky.backend import get_context

        context = get_context("loky")
    name = "multiprocessing" if STDLIB else "loky"
    q, answers = context.SimpleQueue(), context.SimpleQueue()
    process = context.Process(target=child, args=(q, answers))
    process.start()
    process.join(30)
    if process.is_alive():
        process.kill()
        process.join()
        print(f"DEVIATION ({name}): the child did not finish (killed)")
        return 1
    answer = answers.get()
    if "raised" in answer:
        print(f"DEVIATION ({name}): in the child, {answer}")
        return 1
    print(f"conforms ({name}): in the child, {answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
