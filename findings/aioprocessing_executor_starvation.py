"""aioprocessing: cpu_count() blocked coroutine calls on one object starve the call that would unblock them.

Clauses QUEUE-GET-1 and SQ-PIPE-1 (required): a blocked ``get()`` returns
once another producer puts an item, and a put never waits for gets; a
SimpleQueue ``put()`` of an item larger than the pipe returns once a reader
takes it.  Each aioprocessing object runs its coroutines in its own
``ThreadPoolExecutor`` of ``cpu_count()`` threads, and a blocked call holds
its thread:

* ``cpu_count()`` ``coro_get()`` calls waiting on an empty Queue hold every
  thread, and a ``coro_put()`` on the same object waits in the executor's
  queue behind them;
* ``cpu_count()`` ``coro_put()`` calls of 100 KiB items into a SimpleQueue
  (more than the 64 KiB a Linux pipe holds) hold every thread while they
  wait for a reader, and the ``coro_get()`` that would read waits behind
  them (the suite's SimpleQueue scenarios meet it as CONC-SAFE-1 on a
  machine with two CPUs).

Consumers and producers in one event loop deadlock.  With the stdlib,
callers blocked in ``get()`` or ``put()`` (threads here) do not stop the
other call.

Run: python findings/aioprocessing_executor_starvation.py            (aioprocessing: exits 1)
     python findings/aioprocessing_executor_starvation.py --stdlib   (multiprocessing with threads: exits 0)
"""

import asyncio
import multiprocessing
import sys
import threading

STDLIB = "--stdlib" in sys.argv
BLOCKED = multiprocessing.cpu_count()  # aioprocessing's pool_workers default
#: More than an OS pipe holds: a SimpleQueue put of it returns only once a get reads it.
LARGE = b"x" * (100 * 1024)
#: How long the call that should unblock the others may take.
PATIENCE = 3.0


async def queue_with_aioprocessing() -> bool:
    """Whether a coro_put() starved behind BLOCKED coro_get() calls on an empty Queue."""
    import aioprocessing

    q = aioprocessing.AioQueue()
    consumers = [asyncio.ensure_future(q.coro_get()) for _ in range(BLOCKED)]
    await asyncio.sleep(0.2)  # let every consumer reach its get() in an executor thread
    try:
        await asyncio.wait_for(q.coro_put("item"), PATIENCE)
        starved = False
    except asyncio.TimeoutError:
        starved = True
    for _ in range(BLOCKED + 1):
        q.put("release")  # the blocking API, so the script can end
    await asyncio.gather(*consumers)
    return starved


async def simple_queue_with_aioprocessing() -> bool:
    """Whether a coro_get() starved behind BLOCKED coro_put() calls of large items into a SimpleQueue."""
    import aioprocessing

    q = aioprocessing.AioSimpleQueue()
    producers = [asyncio.ensure_future(q.coro_put(LARGE)) for _ in range(BLOCKED)]
    await asyncio.sleep(0.2)  # let every producer reach its put() in an executor thread
    try:
        await asyncio.wait_for(q.coro_get(), PATIENCE)
        starved, left = False, BLOCKED - 1
    except asyncio.TimeoutError:
        starved, left = True, BLOCKED
    for _ in range(left):
        q.get()  # the blocking API, so the producers finish and the script can end
    await asyncio.gather(*producers)
    return starved


def _starved(blocked_call, unblocking_call, release) -> bool:
    """Whether ``unblocking_call`` in a thread did not finish while BLOCKED threads were in ``blocked_call``."""
    blocked = [threading.Thread(target=blocked_call, daemon=True) for _ in range(BLOCKED)]
    for thread in blocked:
        thread.start()
    done = threading.Event()
    threading.Thread(target=lambda: (unblocking_call(), done.set()), daemon=True).start()
    starved = not done.wait(PATIENCE)
    release()
    for thread in blocked:
        thread.join(5.0)
    return starved


def queue_with_stdlib() -> bool:
    q = multiprocessing.Queue()
    # With "item", one for each consumer.
    return _starved(q.get, lambda: q.put("item"), lambda: [q.put("release") for _ in range(BLOCKED - 1)])


def simple_queue_with_stdlib() -> bool:
    q = multiprocessing.SimpleQueue()
    # With the get, one for each producer.
    return _starved(lambda: q.put(LARGE), q.get, lambda: [q.get() for _ in range(BLOCKED - 1)])


def main() -> int:
    name = "multiprocessing" if STDLIB else "aioprocessing"
    if STDLIB:
        queue, simple = queue_with_stdlib(), simple_queue_with_stdlib()
    else:
        queue, simple = asyncio.run(queue_with_aioprocessing()), asyncio.run(simple_queue_with_aioprocessing())
    if queue:
        print(f"DEVIATION ({name}): with {BLOCKED} gets waiting on an empty Queue, a put did not complete within 3s")
    if simple:
        print(
            f"DEVIATION ({name}): with {BLOCKED} puts of 100 KiB waiting for a reader of a SimpleQueue, "
            "a get did not complete within 3s"
        )
    if queue or simple:
        return 1
    print(f"conforms ({name}): a put completed while {BLOCKED} gets waited, and a get while {BLOCKED} puts waited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
