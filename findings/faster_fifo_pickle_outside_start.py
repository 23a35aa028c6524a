"""faster-fifo: pickling a Queue outside process start raises TypeError (mmap), not the stdlib's RuntimeError.

Clause SHARE-PICKLE-1 (implementation-defined): a queue pickles only while
a child process is being started; at any other time ``pickle.dumps``
raises ``RuntimeError('Queue objects should only be shared between
processes through inheritance')``.  faster-fifo's queue has no such check:
``pickle.dumps`` fails on its shared-memory ``mmap`` with ``TypeError``, a
message that does not say how to share the queue.  Cosmetic.

Run: python findings/faster_fifo_pickle_outside_start.py            (faster-fifo: exits 1)
     python findings/faster_fifo_pickle_outside_start.py --stdlib   (multiprocessing: exits 0)
"""

import pickle
import sys

if "--stdlib" in sys.argv:
    import multiprocessing as impl
else:
    import faster_fifo as impl


def main() -> int:
    q = impl.Queue()
    try:
        pickle.dumps(q)
    except RuntimeError as exc:
        print(f"conforms ({impl.__name__}): pickle.dumps raised RuntimeError: {exc}")
        return 0
    except Exception as exc:
        print(f"DEVIATION ({impl.__name__}): pickle.dumps raised {exc!r}, not RuntimeError")
        return 1
    finally:
        q.close()
    print(f"DEVIATION ({impl.__name__}): pickle.dumps of a queue outside process start succeeded")
    return 1


if __name__ == "__main__":
    sys.exit(main())
