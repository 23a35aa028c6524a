"""aioprocessing: cpu_count() pending coro_get() calls starve coro_put() on the same queue: a deadlock.

Clause QUEUE-GET-1 (required): a blocked ``get()`` returns once another
producer puts an item; a put never waits for gets.  Each aioprocessing
object runs its coroutines in its own ``ThreadPoolExecutor`` of
``cpu_count()`` threads.  When that many ``coro_get()`` calls wait on an
empty queue, they hold every thread, and a ``coro_put()`` on the same
object waits in the executor's queue behind them: consumers and producer
in one event loop deadlock.  With the stdlib, consumers blocked in
``get()`` (threads here) do not stop a ``put()``.

Run: python findings/aioprocessing_executor_starvation.py            (aioprocessing: exits 1)
     python findings/aioprocessing_executor_starvation.py --stdlib   (multiprocessing with threads: exits 0)
"""

import asyncio
import multiprocessing
import sys
import threading

STDLIB = "--stdlib" in sys.argv
CONSUMERS = multiprocessing.cpu_count()  # aioprocessing's pool_workers default


async def with_aioprocessing() -> bool:
    import aioprocessing

    q = aioprocessing.AioQueue()
    consumers = [asyncio.ensure_future(q.coro_get()) for _ in range(CONSUMERS)]
    await asyncio.sleep(0.2)  # let every consumer reach its get() in an executor thread
    try:
        await asyncio.wait_for(q.coro_put("item"), 3.0)
        starved = False
    except asyncio.TimeoutError:
        starved = True
    for _ in range(CONSUMERS + 1):
        q.put("release")  # the blocking API, so the script can end
    await asyncio.gather(*consumers)
    return starved


def with_stdlib() -> bool:
    q = multiprocessing.Queue()
    consumers = [threading.Thread(target=q.get, daemon=True) for _ in range(CONSUMERS)]
    for consumer in consumers:
        consumer.start()
    done = threading.Event()
    threading.Thread(target=lambda: (q.put("item"), done.set()), daemon=True).start()
    starved = not done.wait(3.0)
    for _ in range(CONSUMERS - 1):  # with "item", one for each consumer
        q.put("release")
    for consumer in consumers:
        consumer.join(5.0)
    return starved


def main() -> int:
    name = "multiprocessing" if STDLIB else "aioprocessing"
    starved = with_stdlib() if STDLIB else asyncio.run(with_aioprocessing())
    if starved:
        print(f"DEVIATION ({name}): with {CONSUMERS} gets waiting on an empty queue, a put did not complete within 3s")
        return 1
    print(f"conforms ({name}): the put completed while {CONSUMERS} gets waited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
