"""aioprocessing: in a forked child, coro_* operations on an inherited object hang forever.

Clause SHARE-INHERIT-1 (required): a queue passed to the context's Process
is usable in the child.  Each aioprocessing object keeps a
``ThreadPoolExecutor``; once the parent has awaited one of its coroutines,
the executor has an idle worker thread.  A child forked afterwards
inherits the executor but not the thread, and the executor, counting the
idle (vanished) worker, starts none: every ``coro_put``/``coro_get`` in the
child waits forever.  (Under spawn the object is unpickled with a fresh
executor.)  The blocking API works in the same child; the stdlib run uses
it, as the stdlib has no coroutine API.

Run: python findings/aioprocessing_fork_executor.py            (aioprocessing: exits 1)
     python findings/aioprocessing_fork_executor.py --stdlib   (multiprocessing, blocking put: exits 0)
"""

import asyncio
import multiprocessing
import queue
import sys
import time

STDLIB = "--stdlib" in sys.argv


def child(q):
    if STDLIB:
        q.put("from child")
    else:
        asyncio.run(_coro_put(q, "from child"))


async def _coro_put(q, item):
    await q.coro_put(item)  # coro_put() needs a running loop when called: it is not itself a coroutine function


async def parent(q):
    if STDLIB:
        q.put("warm")
        q.get()
    else:
        await q.coro_put("warm")  # the executor now has an idle worker thread
        await q.coro_get()


def main() -> int:
    context = multiprocessing.get_context("fork")
    if STDLIB:
        q = context.Queue()
    else:
        import aioprocessing

        q = aioprocessing.AioQueue(context=context)
    asyncio.run(parent(q))
    # The worker thread counts itself idle only after the awaited call has returned: give it the moment,
    # or a fork in between finds no idle worker, starts a new thread and the child works.
    time.sleep(0.5)
    worker = context.Process(target=child, args=(q,))
    worker.start()
    worker.join(5)
    hung = worker.is_alive()
    if hung:
        worker.kill()
        worker.join()
    try:
        got = q.get(timeout=1)
    except queue.Empty:
        got = None
    name = "multiprocessing" if STDLIB else "aioprocessing"
    if hung or got != "from child":
        print(f"DEVIATION ({name}): the forked child's put {'hung (killed after 5s)' if hung else 'was lost'}")
        return 1
    print(f"conforms ({name}): the forked child's put arrived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
