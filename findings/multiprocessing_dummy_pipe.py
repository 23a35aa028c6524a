"""multiprocessing.dummy: Pipe() is two queue.Queue objects; close() does nothing, duplex and byte-slicing are ignored.

Clauses PIPE-EOF-1, PIPE-EOF-3, PIPE-EOF-4, PIPE-CLOSE-1, PIPE-SIMPLEX-2,
PIPE-BYTES-4, PIPE-MAXLEN-1, PIPE-MAXLEN-4, PIPE-POLL-4 (required):
``multiprocessing.dummy`` "replicates the API of multiprocessing", but its
``Connection`` (multiprocessing/dummy/connection.py) binds ``send`` and
``send_bytes`` to ``queue.Queue.put``, ``recv`` and ``recv_bytes`` to
``queue.Queue.get``, and its ``close()`` is ``pass``.  So ``send_bytes(buf,
3)`` sends all of ``buf``; ``recv_bytes(4)`` of an 8-byte message and
``recv_bytes(-1)`` return the message; ``Pipe(False)``'s receiving end can
send; ``poll(None)`` raises ``TypeError``; an unpicklable object is sent
(nothing is pickled); and after ``close()`` both ends still work: a recv
with the other end closed blocks for ever instead of raising ``EOFError``,
``poll()`` says False, a send succeeds instead of raising
``BrokenPipeError``.  A thread blocked in such a ``recv()`` cannot be
stopped.

Observed (CPython 3.11.7):
    send_bytes(b'0123456789', 3) -> recv_bytes() returned b'0123456789'
    recv_bytes(4) of an 8-byte message returned b'12345678'
    Pipe(False): the receiving end's send() was accepted
    poll(None) while the other end sends 0.2 s later raised
        TypeError("'<=' not supported between instances of 'NoneType' and 'float'")
    send() with the other end closed returned None
    recv() with the other end closed: still blocked after 2 s; poll() returned False

Run: python findings/multiprocessing_dummy_pipe.py            (multiprocessing.dummy: exits 1)
     python findings/multiprocessing_dummy_pipe.py --stdlib   (multiprocessing: exits 0)
"""

import sys
import threading

if "--stdlib" in sys.argv:
    import multiprocessing as impl

    NAME = "multiprocessing"
else:
    import multiprocessing.dummy as impl

    NAME = "multiprocessing.dummy"


def outcome(call):
    try:
        return f"returned {call()!r}"
    except Exception as exc:  # noqa: BLE001 - report whatever it is
        return f"raised {exc!r}"


def main() -> int:
    deviations = []
    a, b = impl.Pipe(False)  # a receives, b sends
    b.send_bytes(b"0123456789", 3)
    got = a.recv_bytes()
    print(f"send_bytes(b'0123456789', 3) -> recv_bytes() returned {got!r}")
    if got != b"3456789":
        deviations.append("send_bytes ignores the offset")
    said = outcome(lambda: a.send("x"))
    print(f"Pipe(False): the receiving end's send() {said}")
    if said.startswith("returned"):
        deviations.append("Pipe(False) is duplex")
    a, b = impl.Pipe()
    b.send_bytes(b"12345678")
    said = outcome(lambda: a.recv_bytes(4))
    print(f"recv_bytes(4) of an 8-byte message {said}")
    if said.startswith("returned"):
        deviations.append("recv_bytes(maxlength) ignores maxlength")
    a, b = impl.Pipe()
    threading.Timer(0.2, b.send, ("later",)).start()
    said = outcome(lambda: a.poll(None))
    print(f"poll(None) while the other end sends 0.2 s later {said}")
    if not said.startswith("returned True"):
        deviations.append("poll(None) does not wait")
    a, b = impl.Pipe()
    a.close()
    said = outcome(lambda: b.send("after the other end closed"))
    print(f"send() with the other end closed {said}")
    if said.startswith("returned"):
        deviations.append("send() to a closed end succeeds")
    c, d = impl.Pipe()
    d.close()
    box = []
    thread = threading.Thread(target=lambda: box.append(outcome(c.recv)), daemon=True)
    thread.start()
    thread.join(2)
    polled = outcome(c.poll)
    print(f"recv() with the other end closed: {box[0] if box else 'still blocked after 2 s'}; poll() {polled}")
    if not box:
        deviations.append("recv() with the other end closed blocks instead of raising EOFError")
    if deviations:
        print(f"DEVIATION ({NAME}): " + "; ".join(deviations))
        return 1
    print(
        f"conforms ({NAME}): slices, simplex, maxlength, poll(None), broken pipe and end of file behave as documented"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
