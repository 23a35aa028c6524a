"""ray: get()/put() with a negative timeout raise ValueError instead of Empty/Full at once.

Clause QUEUE-TIMEOUT-1: ``multiprocessing.Queue`` treats a negative
timeout as zero: ``get(True, -1)`` on an empty queue raises ``queue.Empty``
at once and ``put(obj, True, -1)`` on a full queue raises ``queue.Full`` at
once.  ``ray.util.queue.Queue.get`` and ``put`` raise
``ValueError("'timeout' must be a non-negative number")``, the rule of
``queue.Queue`` (its docstrings say so: "Raises: ValueError: if timeout is
negative"), so ``except queue.Empty`` lets it through.

Observed (ray 2.60.0):
    get(True, -1) on an empty queue raised ValueError("'timeout' must be a non-negative number")
    put('x', True, -1) on a full queue raised ValueError("'timeout' must be a non-negative number")

Run: python findings/ray_negative_timeout.py            (ray: exits 1)
     python findings/ray_negative_timeout.py --stdlib   (multiprocessing: exits 0)
"""

import os
import queue
import sys
import tempfile
import time

STDLIB = "--stdlib" in sys.argv


def steps(make) -> int:
    empty = make(0)
    full = make(1)
    full.put(1)
    give_up = time.monotonic() + 5
    while full.empty() and time.monotonic() < give_up:  # the stdlib's feeder thread publishes the item
        time.sleep(0.01)
    deviated = False
    for what, call, expected in (
        ("get(True, -1) on an empty queue", lambda: empty.get(True, -1), queue.Empty),
        ("put('x', True, -1) on a full queue", lambda: full.put("x", True, -1), queue.Full),
    ):
        try:
            call()
            print(f"{what} returned")
            deviated = True
        except expected:
            print(f"{what} raised queue.{expected.__name__}")
        except Exception as exc:  # noqa: BLE001 - report whatever it is
            print(f"{what} raised {exc!r}")
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
        print(f"DEVIATION ({name}): a negative timeout raises ValueError, not queue.Empty/queue.Full")
    else:
        print(f"conforms ({name}): a negative timeout gives up at once with queue.Empty/queue.Full")
    return status


if __name__ == "__main__":
    sys.exit(main())
