"""loky: Process.close() raises AttributeError for every loky process.

No clause (the catalogue covers queues and pipes, not ``Process``); found
because the harness closes every peer it reaps.  ``Process.close()`` is
documented since 3.7 to release a finished process's resources.  loky's ``Popen`` (start method
``loky``) has no ``close()``, so ``BaseProcess.close()`` fails with
``AttributeError: 'Popen' object has no attribute 'close'`` after the
process has exited and been joined.

Run: python findings/loky_process_close.py            (loky: exits 1)
     python findings/loky_process_close.py --stdlib   (multiprocessing spawn: exits 0)
"""

import multiprocessing
import sys

STDLIB = "--stdlib" in sys.argv


def main() -> int:
    if STDLIB:
        context = multiprocessing.get_context("spawn")
    else:
        from loky.backend import get_context

        context = get_context("loky")
    name = "multiprocessing" if STDLIB else "loky"
    process = context.Process(target=print, args=("child ran",))
    process.start()
    process.join(30)
    try:
        process.close()
    except AttributeError as exc:
        print(f"DEVIATION ({name}): close() of a joined process raised {exc!r}")
        return 1
    print(f"conforms ({name}): close() of a joined process returned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
