"""loky: the loky context's RawArray, Value and Barrier cannot be passed to a loky Process.

Clause SHARE-INHERIT-1 (required) in its general form: objects made by a
context can be passed as arguments to that context's ``Process``.  The
loky context inherits ``RawArray``/``Array``/``Value``/``Barrier`` from the
stdlib, whose shared memory lives in an mmap arena that only the stdlib's
``ForkingPickler`` knows how to send; loky pickles process arguments with
its own (cloudpickle-based) reducer, so ``Process.start()`` fails with
``TypeError: cannot pickle 'mmap.mmap' object``.  (The suite's concurrent
scenarios need a Barrier and a RawArray, so they cannot run on loky.)

Run: python findings/loky_context_shared_memory.py            (loky: exits 1)
     python findings/loky_context_shared_memory.py --stdlib   (multiprocessing spawn: exits 0)
"""

import multiprocessing
import sys

STDLIB = "--stdlib" in sys.argv


def child(array):
    array[0] = 42


def main() -> int:
    if STDLIB:
        context = multiprocessing.get_context("spawn")
    else:
        from loky.backend import get_context

        context = get_context("loky")
    name = "multiprocessing" if STDLIB else "loky"
    array = context.RawArray("i", 1)
    process = context.Process(target=child, args=(array,))
    try:
        process.start()
    except Exception as exc:
        print(f"DEVIATION ({name}): Process.start() with the context's RawArray raised {exc!r}")
        return 1
    process.join(30)
    if process.is_alive():
        process.kill()
        process.join()
    if array[0] != 42:
        print(f"DEVIATION ({name}): the child's write to the RawArray was not seen (exit code {process.exitcode})")
        return 1
    print(f"conforms ({name}): the child wrote to the context's RawArray")
    return 0


if __name__ == "__main__":
    sys.exit(main())
