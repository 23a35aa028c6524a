"""distributed: after Queue.close(), put() and get() go on working instead of raising ValueError.

Clauses QUEUE-CLOSE-1 and QUEUE-CLOSE-2 (required): after ``close()``,
``put``/``get`` in the same process raise ``ValueError``.
``distributed.Queue.close()`` sends the scheduler an asynchronous release
and keeps no state: a put right after ``close()`` is accepted and gets
return the items put before and after it; once the scheduler has handled
the release, the queue and its items are gone and every operation raises
``KeyError('queue-...')`` (logged by the scheduler as an ERROR).  Nothing
raises ``ValueError``.

Observed (distributed 2026.8.0):
    put('after close') returned None
    get() returned 'before close'
    get() returned 'after close'

Run: python findings/dask_close_ignored.py            (distributed: exits 1)
     python findings/dask_close_ignored.py --stdlib   (multiprocessing: exits 0)
"""

import logging
import sys

STDLIB = "--stdlib" in sys.argv


def steps(q, timeout) -> int:
    q.put("before close")
    q.close()
    deviated = False
    for name, call in (
        ("put('after close')", lambda: q.put("after close", timeout=timeout)),
        ("get()", lambda: q.get(timeout=timeout)),
        ("get()", lambda: q.get(timeout=timeout)),
    ):
        try:
            print(f"{name} returned {call()!r}")
            deviated = True
        except ValueError as exc:
            print(f"{name} raised {exc!r}")
        except Exception as exc:  # noqa: BLE001 - report whatever it is
            print(f"{name} raised {exc!r}")
            deviated = True
    return 1 if deviated else 0


def main() -> int:
    if STDLIB:
        import multiprocessing

        status = steps(multiprocessing.Queue(), 2)
        name = "multiprocessing"
    else:
        import distributed

        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        with (
            distributed.LocalCluster(processes=False, n_workers=1, dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            status = steps(distributed.Queue(client=client), 2)
        name = "distributed"
    if status:
        print(f"DEVIATION ({name}): put()/get() after close() do not raise ValueError")
    else:
        print(f"conforms ({name}): put()/get() after close() raise ValueError")
    return status


if __name__ == "__main__":
    sys.exit(main())
