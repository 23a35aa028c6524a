"""multiprocess: recv_bytes_into() raises its own BufferTooShort, which multiprocessing.BufferTooShort does not catch.

Clause PIPE-INTO-3 (required): if the message does not fit in the buffer,
``recv_bytes_into()`` raises ``multiprocessing.BufferTooShort`` carrying the
whole message.  multiprocess raises ``multiprocess.context.BufferTooShort``,
a separate class (its own ``ProcessError`` hierarchy), so code written
against ``multiprocessing`` that is handed a multiprocess connection misses
it.  The same holds for its ``ProcessError``, ``TimeoutError`` and
``AuthenticationError``.

Run: python findings/multiprocess_buffer_too_short_type.py            (multiprocess: exits 1)
     python findings/multiprocess_buffer_too_short_type.py --stdlib   (multiprocessing: exits 0)
"""

import multiprocessing
import sys

if "--stdlib" in sys.argv:
    import multiprocessing as mp
else:
    import multiprocess as mp


def main() -> int:
    reader, writer = mp.Pipe(duplex=False)
    writer.send_bytes(b"0123456789")
    try:
        reader.recv_bytes_into(bytearray(5))
    except multiprocessing.BufferTooShort as exc:
        print(f"conforms ({mp.__name__}): multiprocessing.BufferTooShort with the message {exc.args[0]!r}")
        return 0
    except Exception as exc:
        print(
            f"DEVIATION ({mp.__name__}): raised {type(exc).__module__}.{type(exc).__qualname__}{exc.args!r}, "
            "which is not a multiprocessing.BufferTooShort"
        )
        return 1
    finally:
        reader.close()
        writer.close()
    print(f"DEVIATION ({mp.__name__}): recv_bytes_into() of a too-long message returned")
    return 1


if __name__ == "__main__":
    sys.exit(main())
