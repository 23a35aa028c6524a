"""ray: get(True, 0) on a non-empty Queue raises Empty, and put(x, True, 0) on a non-full one raises Full.

Clauses QUEUE-TIMEOUT-1 (a zero timeout acts as no wait) and
QUEUE-VISIBLE-2 (on a queue whose put is visible once it returns, the item
can be got at once): ``multiprocessing.Queue.get(True, 0)`` returns an item
that is there, and ``put(x, True, 0)`` puts into a queue that has room.
``ray.util.queue.Queue`` runs both in its actor as
``asyncio.wait_for(self.queue.get(), 0)``, and ``wait_for`` with a timeout
of 0 or less cancels the coroutine before it has run a step (on purpose:
CPython's asyncio/tasks.py, the special case for ``timeout <= 0``, through
3.13), so the get raises ``Empty`` with the item still queued and the put
raises ``Full`` without putting.

Observed (ray 2.60.0, Python 3.11.7 and 3.12.1):
    get(True, 0) with 1 item queued raised ray.exceptions.RayTaskError(Empty); 1 item still queued
    put('x', True, 0) into an empty Queue(2) raised ray.exceptions.RayTaskError(Full); 0 items queued

Run: python findings/ray_timeout_zero.py            (ray: exits 1)
     python findings/ray_timeout_zero.py --stdlib   (multiprocessing: exits 0)
"""

import os
import queue
import sys
import tempfile
import time

STDLIB = "--stdlib" in sys.argv


def visible(q) -> None:
    """Wait (at most 5 s) until the item put is visible: the stdlib's feeder thread publishes it after put returns."""
    give_up = time.monotonic() + 5
    while q.empty() and time.monotonic() < give_up:
        time.sleep(0.01)


def steps(make) -> int:
    deviated = False
    holding = make(0)
    holding.put("item")
    visible(holding)
    try:
        print(f"get(True, 0) with 1 item queued returned {holding.get(True, 0)!r}")
    except queue.Empty as exc:
        print(
            f"get(True, 0) with 1 item queued raised {type(exc).__module__}.{type(exc).__qualname__}; "
            f"{holding.qsize()} item still queued"
        )
        deviated = True
    roomy = make(2)
    try:
        roomy.put("x", True, 0)
        visible(roomy)
        print(f"put('x', True, 0) into an empty Queue(2) returned; {roomy.qsize()} item queued")
    except queue.Full as exc:
        print(
            f"put('x', True, 0) into an empty Queue(2) raised {type(exc).__module__}.{type(exc).__qualname__}; "
            f"{roomy.qsize()} items queued"
        )
        deviated = True
    return 1 if deviated else 0


def main() -> int:
    if STDLIB:
        import multiprocessing

        status = steps(multiprocessing.Queue)
        name = "multiprocessing"
    else:
        # A local instance on loopback only, reporting no usage statistics (read when ray is imported).
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        import ray
        import ray.util.queue

        with tempfile.TemporaryDirectory(prefix="ray-finding-") as directory:
            ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, _temp_dir=directory)
            try:
                status = steps(ray.util.queue.Queue)
            finally:
                ray.shutdown()
        name = "ray"
    if status:
        print(f"DEVIATION ({name}): a zero timeout does not get an item that is there, or put into room there is")
    else:
        print(f"conforms ({name}): get(True, 0) returns an item that is there, put(x, True, 0) puts into room")
    return status


if __name__ == "__main__":
    sys.exit(main())
