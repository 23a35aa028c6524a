"""dask: distributed.Queue signals an empty or full queue with TimeoutError, not queue.Empty/queue.Full.

Clause SHARE-EXC-1 (required): a queue signals timeouts with the ``queue``
module's exceptions: ``get`` on an empty queue raises ``queue.Empty`` and
``put`` on a full one raises ``queue.Full``.  ``distributed.Queue.get`` and
``put`` raise the builtin ``TimeoutError`` (an ``OSError``) when their
timeout expires, so ``except queue.Empty`` lets it through.  The scheduler
also logs each expired wait as an ERROR with a traceback.

Run: python findings/dask_timeout_exceptions.py            (distributed: exits 1)
     python findings/dask_timeout_exceptions.py --stdlib   (multiprocessing: exits 0)
"""

import queue
import sys

STDLIB = "--stdlib" in sys.argv


def check(empty_queue, full_queue):
    """What a bounded get on an empty queue and a bounded put on a full one raise."""
    outcomes = []
    for what, call, expected in (
        ("get(timeout=0.5) on an empty queue", lambda: empty_queue.get(timeout=0.5), queue.Empty),
        ("put(x, timeout=0.5) on a full queue", lambda: full_queue.put("x", timeout=0.5), queue.Full),
    ):
        try:
            call()
            outcomes.append(f"{what} returned")
        except expected:
            pass
        except Exception as exc:
            outcomes.append(
                f"{what} raised {type(exc).__module__}.{type(exc).__qualname__}, not queue.{expected.__name__}"
            )
    return outcomes


def main() -> int:
    if STDLIB:
        import multiprocessing

        full = multiprocessing.Queue(1)
        full.put("first")
        problems = check(multiprocessing.Queue(), full)
        name = "multiprocessing"
    else:
        import distributed

        with distributed.LocalCluster(processes=False, n_workers=1, dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                full = distributed.Queue(client=client, maxsize=1)
                full.put("first")
                problems = check(distributed.Queue(client=client), full)
        name = "distributed"
    if problems:
        print(f"DEVIATION ({name}): " + "; ".join(problems))
        return 1
    print(f"conforms ({name}): queue.Empty and queue.Full")
    return 0


if __name__ == "__main__":
    sys.exit(main())
