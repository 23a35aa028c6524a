"""billiard: a started Process keeps its target and args, so a queue passed to a child keeps its pipe open.

Clause CONC-HYGIENE-1 (required): once the primitives are closed and
released, no file descriptor stays open.  CPython's ``Process.start()``
drops ``_target``, ``_args`` and ``_kwargs`` in the parent (bpo-30775, 3.7);
billiard's does not, so every ``Process`` object keeps the objects it was
started with alive: a queue the parent closed, joined and dropped still
holds its pipe's write end while the ``Process`` object exists.  Resource
retention; cosmetic unless many such processes are kept.

Run: python findings/billiard_process_keeps_args.py            (billiard: exits 1)
     python findings/billiard_process_keeps_args.py --stdlib   (multiprocessing: exits 0)
"""

import gc
import os
import sys

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import billiard as mp


def child(q):
    q.put("item")


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def main() -> int:
    context = mp.get_context("fork")
    before = open_fds()
    q = context.Queue()
    process = context.Process(target=child, args=(q,))
    process.start()
    q.get(timeout=10)
    process.join(10)
    q.close()
    q.join_thread()
    del q
    process.close()  # releases the process's own sentinel; the Process object itself is kept
    gc.collect()
    kept = open_fds() - before
    still_has_args = hasattr(process, "_args")
    if kept:
        print(
            f"DEVIATION ({mp.__name__}): {kept} descriptor(s) of the dropped queue stay open while the "
            f"Process object lives (it still holds its args: {still_has_args})"
        )
        return 1
    print(f"conforms ({mp.__name__}): the dropped queue's descriptors were closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
