"""aioprocessing: a coro_get() cancelled by a timeout still takes the next item (lost), and blocks interpreter exit.

Clause QUEUE-DELIVERY-1 (required): every item put is got exactly once.
``coro_get()`` runs ``Queue.get()`` in a thread of the queue's executor;
cancelling the coroutine (``asyncio.wait_for`` timing out, a task being
cancelled) does not stop that ``get()``.  It takes the next item put, which
no caller ever receives, and while it waits the interpreter cannot exit (it
joins executor threads at exit).  The stdlib's way to bound a get,
``get(timeout=...)``, leaves nothing behind.  Upstream: maintainer's answer
in https://github.com/dano/aioprocessing/issues/21 (closed): the worker
thread cannot be cancelled; use a sentinel.

Run: python findings/aioprocessing_cancelled_get.py            (aioprocessing: exits 1)
     python findings/aioprocessing_cancelled_get.py --stdlib   (multiprocessing: exits 0)
"""

import asyncio
import queue
import subprocess
import sys

STDLIB = "--stdlib" in sys.argv

# The same steps as a child program, to see whether it exits: a bounded get on an empty queue, then return.
EXIT_PROGRAM = """
import asyncio, queue, sys
if sys.argv[1] == "stdlib":
    import multiprocessing
    try:
        multiprocessing.Queue().get(timeout=0.2)
    except queue.Empty:
        pass
else:
    import aioprocessing
    async def main():
        try:
            await asyncio.wait_for(aioprocessing.AioQueue().coro_get(), 0.2)
        except asyncio.TimeoutError:
            pass
    asyncio.run(main())
"""


async def bounded_get(q, timeout):
    """A get that gives up after ``timeout`` seconds, the way each API offers it."""
    if STDLIB:
        return q.get(timeout=timeout)
    try:
        return await asyncio.wait_for(q.coro_get(), timeout)
    except asyncio.TimeoutError:
        raise queue.Empty from None


async def lost_item() -> str:
    if STDLIB:
        import multiprocessing

        q = multiprocessing.Queue()
    else:
        import aioprocessing

        q = aioprocessing.AioQueue()
    try:
        await bounded_get(q, 0.2)  # times out: nothing was put
    except queue.Empty:
        pass
    q.put("item")
    try:
        got = await bounded_get(q, 3.0)
    except queue.Empty:
        q.put("release")  # lets the second abandoned get() return, so this script can exit
        return "the item put after a timed-out get was never delivered"
    return f"ok: {got!r}"


def exit_hangs() -> str:
    child = subprocess.Popen([sys.executable, "-c", EXIT_PROGRAM, "stdlib" if STDLIB else "aio"])
    try:
        child.wait(timeout=10)
        return f"ok: exit code {child.returncode}"
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return "a program whose bounded get timed out did not exit within 10s (killed)"


def main() -> int:
    name = "multiprocessing" if STDLIB else "aioprocessing"
    problems = [p for p in (asyncio.run(lost_item()), exit_hangs()) if not p.startswith("ok")]
    if problems:
        print(f"DEVIATION ({name}): " + "; ".join(problems))
        return 1
    print(f"conforms ({name}): the item after a timed-out get was delivered and the program exited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
