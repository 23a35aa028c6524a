"""billiard: RawArray/Array/RawValue/Value do not accept the typecodes 'q' and 'Q'.

No clause (the catalogue covers queues and pipes); found because the
suite's worker crew keeps its progress slots in ``context.RawArray('q')``.
The stdlib's ``sharedctypes`` accepts every ``array`` typecode, including
``'q'``/``'Q'`` (64-bit integers); billiard's typecode table stops at
``'l'``/``'L'``, so ``RawArray('q', n)`` raises ``TypeError: this type has
no size``.  Cosmetic (``ctypes.c_longlong`` works).

Run: python findings/billiard_rawarray_typecodes.py            (billiard: exits 1)
     python findings/billiard_rawarray_typecodes.py --stdlib   (multiprocessing: exits 0)
"""

import sys

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import billiard as mp


def main() -> int:
    refused = []
    for typecode in ("q", "Q"):
        try:
            mp.get_context().RawArray(typecode, 2)
        except TypeError as exc:
            refused.append(f"RawArray({typecode!r}, 2) raised {exc!r}")
    if refused:
        print(f"DEVIATION ({mp.__name__}): " + "; ".join(refused))
        return 1
    print(f"conforms ({mp.__name__}): RawArray accepts 'q' and 'Q'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
