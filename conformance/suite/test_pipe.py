"""Pipe and Connection (spec section ``pipe``).

The first tests are fixed cases the spec singles out, each a few calls on a
pipe whose two ends the test process holds (messages small enough never
to block): the directions of a one-way pipe and of a two-way one, order
and whole messages, objects and unpicklable ones, ``poll``'s exact and
immediate answer, the empty message, ``send_bytes`` slices and their
refusal, ``recv_bytes_into`` offsets, short buffers and bad offsets,
``maxlength`` and the unreadable end it leaves, the end of the stream (also
after a close with data unread), a send to a closed end, a closed end's
refusals.
They run first and take milliseconds, so a fault in one of these cases
fails at once.  ``test_pipe_machine`` then runs the state machine of
:mod:`conformance.machines.pipe` on a duplex and a simplex pipe: random
sequences over both ends, one of them in a peer process.  The last tests
cover what a machine does poorly: waits that must block until another
process acts, durations, the ``Pipe()`` default and the context-manager
protocol.
"""

import pickle
import threading
from multiprocessing import BufferTooShort

import pytest

from conformance.adapter import Mode
from conformance.evidence import continuing
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.harness.peer import Peer
from conformance.machines.base import run
from conformance.machines.pipe import DuplexPipe, SimplexPipe, offered
from conformance.primitives import Feature, Primitive
from conformance.shape import check_api
from conformance.verdict import expect, raised, returned, within

pytestmark = pytest.mark.uses(Primitive.PIPE)

#: A poll timeout far longer than any wait here, to tell "returned when
#: woken" from "returned at the end of its timeout".
LONG_TIMEOUT = 20 * timing.OPERATION_DEADLINE

#: The timeout of ``test_poll_timeout_duration``: long enough that waiting
#: it out (PIPE-POLL-3) is measurable, short enough to cost little.
POLL_TIMEOUT = 0.05

#: A message larger than any OS pipe or socket-pair buffer (64 KiB on Linux).
LARGE = 4 * 65536 + 7

DUPLEX = pytest.mark.parametrize(
    "duplex", [True, pytest.param(False, marks=pytest.mark.uses(Feature.PIPE_SIMPLEX))], ids=["duplex", "simplex"]
)

#: ``send_bytes(BUFFER, *args)`` and the bytes it sends (PIPE-BYTES-4): an
#: offset alone, offset and size, and the edges (an offset at the end, a
#: size of zero).
BUFFER = b"0123456789"
SLICES = (
    ((3,), BUFFER[3:]),
    ((3, 4), BUFFER[3:7]),
    ((0, 10), BUFFER),
    ((10,), b""),
    ((4, 0), b""),
)
#: ``send_bytes(BUFFER, *args)`` out of range (PIPE-BYTES-5): a negative or
#: too large offset, a negative size, a size running past the end.
BAD_SLICES = ((-1,), (11,), (3, -1), (3, 8), (10, 1))


@pytest.fixture
def ends(ipc_adapter, duplex):
    """``(conn1, conn2)`` of a new pipe, two-way or one-way as the test's ``duplex`` parameter says; closed after the
    test."""
    pair = ipc_adapter.pipe(duplex)
    yield pair
    dispose(pair)


def _receiving_calls(adapter):
    """(method, args) of every call that reads from an end the adapter's pipe offers: the receives and ``poll``."""
    arguments = {"recv": (), "recv_bytes": (), "recv_bytes_into": (bytearray(8),), "poll": ()}
    return [(method, arguments[method]) for method in offered(adapter, *arguments)]


def _sending_calls(adapter):
    """(method, args) of every call that sends the adapter's pipe offers."""
    return [(method, ("x",) if method == "send" else (b"x",)) for method in offered(adapter, "send", "send_bytes")]


def _receive(clause, receiver, expected, what="conn1.recv_bytes()"):
    """``receiver.recv_bytes()`` must return ``expected``, per ``clause``."""
    got = call(what, receiver.recv_bytes)
    expect(clause, got.ok and got.value == expected, got.describe() + f", expected {expected!r}")


def _receive_object(clause, receiver, expected, what="conn1.recv()"):
    """``receiver.recv()`` must return ``expected``, per ``clause``."""
    got = call(what, receiver.recv)
    expect(clause, got.ok and got.value == expected, got.describe() + f", expected {expected!r}")


def _poll(clause, conn, expected, what="conn1.poll()"):
    """``conn.poll()`` must answer ``expected``, per ``clause``."""
    polled = call(what, conn.poll)
    expect(clause, polled.ok and polled.value is expected, polled.describe() + f", expected {expected}")


# -- fixed cases, both ends in the test process ---------------------------------


@pytest.mark.spec("PIPE-API-1")
def test_pipe_offers_the_documented_methods(ipc_adapter):
    check_api(ipc_adapter, Primitive.PIPE, "PIPE-API-1")


@pytest.mark.spec("PIPE-SIMPLEX-1", "PIPE-SIMPLEX-2", "PIPE-SIMPLEX-3")
def test_simplex_pipe_directions(ipc_adapter):
    """``Pipe(duplex=False)`` returns ``(conn1, conn2)``: what conn2 sends conn1 receives,
    and conn1 refuses to send, conn2 to receive or poll (OSError)."""
    first, second = ipc_adapter.pipe(False)
    try:
        with continuing():
            returned("PIPE-SIMPLEX-1", call("conn2.send('one way')", second.send, "one way"))
            _receive_object("PIPE-SIMPLEX-1", first, "one way")
        for method, args in _sending_calls(ipc_adapter):
            with continuing():
                raised("PIPE-SIMPLEX-2", call(f"conn1.{method}({args[0]!r})", getattr(first, method), *args), OSError)
        for method, args in _receiving_calls(ipc_adapter):
            with continuing():
                raised("PIPE-SIMPLEX-3", call(f"conn2.{method}()", getattr(second, method), *args), OSError)
    finally:
        dispose((first, second))


@pytest.mark.spec("PIPE-POLL-6", "PIPE-POLL-7")
@DUPLEX
def test_poll_answers_exactly(ends):
    """``poll()`` is False with nothing sent, True once a send has returned (and again when
    asked again), and False once the message has been received."""
    first, second = ends
    _poll("PIPE-POLL-6", first, False, "conn1.poll() with nothing sent")
    returned("PIPE-POLL-6", call("conn2.send('x')", second.send, "x"))
    _poll("PIPE-POLL-6", first, True, "conn1.poll() after conn2.send('x') returned")
    _poll("PIPE-POLL-7", first, True, "conn1.poll() asked again")
    _receive_object("PIPE-POLL-7", first, "x")
    _poll("PIPE-POLL-6", first, False, "conn1.poll() after the message was received")


@pytest.mark.spec("PIPE-BYTES-2")
@DUPLEX
def test_empty_message_is_a_message(ipc_adapter, ends):
    """``send_bytes(b'')`` sends a message: the other end's ``poll()`` is True, ``recv_bytes()``
    returns b'' and ``recv_bytes_into`` a count of 0, each in its place among other messages."""
    first, second = ends
    returned("PIPE-BYTES-2", call("conn2.send_bytes(b'')", second.send_bytes, b""))
    if ipc_adapter.has(Feature.PIPE_POLL):
        _poll("PIPE-BYTES-2", first, True, "conn1.poll() after conn2.send_bytes(b'')")
    _receive("PIPE-BYTES-2", first, b"")
    if ipc_adapter.has(Feature.PIPE_INTO):
        for data in (b"", b"after"):
            returned("PIPE-BYTES-2", call(f"conn2.send_bytes({data!r})", second.send_bytes, data))
        into = call("conn1.recv_bytes_into(bytearray(8))", first.recv_bytes_into, bytearray(8))
        expect("PIPE-BYTES-2", into.ok and into.value == 0, into.describe() + ", expected 0")
        _receive("PIPE-BYTES-2", first, b"after")


@pytest.mark.spec("PIPE-BYTES-4", "PIPE-BYTES-5")
@DUPLEX
def test_send_bytes_slices(ends):
    """``send_bytes(buf, offset[, size])`` sends ``buf[offset:offset + size]``; out-of-range
    bounds raise ValueError and send nothing, so the next message sent is the next received."""
    first, second = ends
    for args, expected in SLICES:
        what = f"conn2.send_bytes({BUFFER!r}, {', '.join(map(str, args))})"
        returned("PIPE-BYTES-4", call(what, second.send_bytes, BUFFER, *args))
        _receive("PIPE-BYTES-4", first, expected, f"conn1.recv_bytes() after {what}")
    for args in BAD_SLICES:
        what = f"conn2.send_bytes({BUFFER!r}, {', '.join(map(str, args))})"
        raised("PIPE-BYTES-5", call(what, second.send_bytes, BUFFER, *args), ValueError)
        returned("PIPE-BYTES-5", call("conn2.send_bytes(b'next')", second.send_bytes, b"next"))
        _receive("PIPE-BYTES-5", first, b"next", f"conn1.recv_bytes() after {what} and send_bytes(b'next')")


@pytest.mark.spec("PIPE-MAXLEN-1", "PIPE-MAXLEN-3", "PIPE-MAXLEN-4")
@DUPLEX
def test_recv_bytes_maxlength(ends):
    """``recv_bytes(maxlength)``: a negative maxlength raises ValueError and consumes nothing,
    a message exactly maxlength long is returned, a longer one raises OSError."""
    first, second = ends
    for _ in range(2):
        returned("PIPE-MAXLEN-3", call("conn2.send_bytes(b'12345678')", second.send_bytes, b"12345678"))
    raised("PIPE-MAXLEN-4", call("conn1.recv_bytes(-1)", first.recv_bytes, -1), ValueError)
    got = call("conn1.recv_bytes(8)", first.recv_bytes, 8)
    expect("PIPE-MAXLEN-3", got.ok and got.value == b"12345678", got.describe() + ", expected b'12345678'")
    raised("PIPE-MAXLEN-1", call("conn1.recv_bytes(7) of an 8-byte message", first.recv_bytes, 7), OSError)


@pytest.mark.spec("PIPE-EOF-1", "PIPE-EOF-2", "PIPE-EOF-3", any=True)
@DUPLEX
def test_end_of_stream(ipc_adapter, ends):
    """After conn2 closes, conn1 still receives what it sent, in order; then ``poll()`` is True
    and every receive raises EOFError."""
    first, second = ends
    returned("PIPE-EOF-1", call("conn2.send('first')", second.send, "first"))
    returned("PIPE-EOF-1", call("conn2.send('second')", second.send, "second"))
    returned("PIPE-EOF-1", call("conn2.close()", second.close))
    for expected in ("first", "second"):
        got = call("conn1.recv() after conn2 closed", first.recv)
        expect("PIPE-EOF-1", got.ok and got.value == expected, got.describe() + f", expected {expected!r}")
    if ipc_adapter.has(Feature.PIPE_POLL):
        with continuing():
            _poll("PIPE-EOF-3", first, True, "conn1.poll() with conn2 closed and nothing left")
    raised("PIPE-EOF-1", call("conn1.recv() with conn2 closed and nothing left", first.recv), EOFError)
    for method, args in _receiving_calls(ipc_adapter):
        if method != "poll":
            with continuing():
                raised("PIPE-EOF-2", call(f"conn1.{method}() again", getattr(first, method), *args), EOFError)


@pytest.mark.spec("PIPE-EOF-4")
@DUPLEX
def test_send_to_closed_end_raises_broken_pipe(ipc_adapter, ends):
    """Once conn1 is closed, ``send_bytes()`` and ``send()`` on conn2 raise BrokenPipeError."""
    first, second = ends
    returned("PIPE-EOF-4", call("conn1.close()", first.close))
    for method, args in _sending_calls(ipc_adapter):
        with continuing():
            raised(
                "PIPE-EOF-4",
                call(f"conn2.{method}({args[0]!r}) with conn1 closed", getattr(second, method), *args),
                BrokenPipeError,
            )


@pytest.mark.spec("PIPE-CLOSE-1", "PIPE-CLOSE-2")
@pytest.mark.parametrize("end", [0, 1], ids=["first", "second"])
@DUPLEX
def test_closed_end_refuses(ipc_adapter, duplex, end):
    """``close()`` twice returns; afterwards every send, receive and poll on the end raises OSError."""
    pair = ipc_adapter.pipe(duplex)
    conn = pair[end]
    try:
        returned("PIPE-CLOSE-1", call("close()", conn.close))
        returned("PIPE-CLOSE-2", call("close() again", conn.close))
        for method, args in _sending_calls(ipc_adapter) + _receiving_calls(ipc_adapter):
            with continuing():
                raised("PIPE-CLOSE-1", call(f"{method}() after close()", getattr(conn, method), *args), OSError)
    finally:
        dispose(pair)


@pytest.mark.spec("PIPE-DUPLEX-1")
def test_pipe_default_is_duplex(ipc_adapter):
    """``Pipe()`` without arguments: each end sends to, and receives from, the other.

    The adapter's pipe factory is called without arguments, as ``Pipe()`` is.
    """
    first, second = ipc_adapter.pipe()
    try:
        for name, sender, receiver in (("first", first, second), ("second", second, first)):
            data = f"from the {name} end"
            with continuing():
                returned("PIPE-DUPLEX-1", call(f"{name} end send({data!r})", sender.send, data))
                received = call("other end recv()", receiver.recv)
                expect(
                    "PIPE-DUPLEX-1",
                    received.ok and received.value == data,
                    received.describe() + f", expected {data!r}",
                )
    finally:
        dispose((first, second))


@pytest.mark.spec("PIPE-POLL-5")
@pytest.mark.parametrize("timeout", [-1, -0.5, -1e-9])
@DUPLEX
def test_negative_poll_timeout_acts_as_zero(ends, timeout):
    """``poll(negative)`` returns at once: False with nothing to receive, True with a message waiting."""
    first, second = ends
    for expected in (False, True):
        if expected:
            returned("PIPE-POLL-5", call("send('x')", second.send, "x"))
        outcome = call(f"poll({timeout})", first.poll, timeout)
        expect("PIPE-POLL-5", outcome.ok and outcome.value is expected, outcome.describe() + f", expected {expected}")
        within("PIPE-POLL-5", outcome, 0.0, timing.IMMEDIATE)


def _unpicklable_error(obj):
    """The exception type ``pickle.dumps(obj)`` raises (what PIPE-OBJECT-2 requires of ``send(obj)``)."""
    try:
        pickle.dumps(obj)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        return type(exc)
    raise TypeError(f"{obj!r} pickles; an unpicklable object is needed")


@pytest.mark.spec("PIPE-DUPLEX-2", "PIPE-DIRECTION-1")
def test_duplex_ends_exchange_both_ways(ipc_adapter):
    """``Pipe(True)``: each end receives what the other sent, never its own messages, and traffic in one
    direction neither consumes nor reorders the other's (the sends interleave, the receives come out of step)."""
    first, second = ipc_adapter.pipe(True)
    try:
        sends = (("first", first, "first 1"), ("second", second, "second 1"), ("first", first, "first 2"))
        for name, sender, data in sends:
            returned("PIPE-DUPLEX-2", call(f"{name} end send({data!r})", sender.send, data))
        for name, receiver, expected in (
            ("second", second, "first 1"),
            ("first", first, "second 1"),
            ("second", second, "first 2"),
        ):
            got = call(f"{name} end recv()", receiver.recv)
            returned("PIPE-DUPLEX-2", got)
            expect(
                "PIPE-DIRECTION-1",
                got.value == expected,
                got.describe() + f", expected {expected!r} from the other end",
            )
        if ipc_adapter.has(Feature.PIPE_POLL):
            for name, conn in (("first", first), ("second", second)):
                with continuing():
                    _poll(
                        "PIPE-DIRECTION-1",
                        conn,
                        False,
                        f"{name} end poll() once it has received all the other end sent",
                    )
    finally:
        dispose((first, second))


@pytest.mark.spec("PIPE-FIFO-1")
@DUPLEX
def test_messages_arrive_in_order_once(ipc_adapter, ends):
    """Messages sent one after another, objects and byte messages mixed, are received in that order,
    each once: after the last one there is nothing left to receive."""
    first, second = ends
    methods = offered(ipc_adapter, "send", "send_bytes")
    sent = []
    for n in range(6):
        method = methods[n % len(methods)]
        data = f"message {n}" if method == "send" else b"message %d" % n
        returned("PIPE-FIFO-1", call(f"conn2.{method}({data!r})", getattr(second, method), data))
        sent.append((method, data))
    for method, data in sent:
        receive = "recv" if method == "send" else "recv_bytes"
        got = call(f"conn1.{receive}()", getattr(first, receive))
        expect(
            "PIPE-FIFO-1", got.ok and got.value == data, got.describe() + f", expected {data!r}, the next message sent"
        )
    if ipc_adapter.has(Feature.PIPE_POLL):
        _poll("PIPE-FIFO-1", first, False, "conn1.poll() once every message sent was received")


@pytest.mark.spec("PIPE-BYTES-1")
@DUPLEX
def test_recv_bytes_returns_one_whole_message(ends):
    """Byte messages sent back to back, of different lengths, each come out of ``recv_bytes()`` whole:
    never merged with the next one, never split."""
    first, second = ends
    messages = (b"ab", b"cde", b"f" * 4097, b"g", bytes(range(256)) * 20)
    for data in messages:
        returned("PIPE-BYTES-1", call(f"conn2.send_bytes(<{len(data)} bytes>)", second.send_bytes, data))
    for data in messages:
        got = call("conn1.recv_bytes()", first.recv_bytes)
        expect(
            "PIPE-BYTES-1",
            got.ok and got.value == data,
            got.describe() + f", expected the {len(data)}-byte message sent",
        )


#: Picklable objects of the kinds ``send()`` takes, each equal to itself (no NaN).
OBJECTS = (
    None,
    True,
    0,
    -(2**70),
    1.5,
    "text",
    "",
    b"bytes",
    bytearray(b"array"),
    (1, ("nested",)),
    [1, [2, 3]],
    {"key": [1, 2], 3: None},
    {1, 2},
    frozenset({"f"}),
    complex(1, -2),
    range(3),
)


@pytest.mark.spec("PIPE-OBJECT-1")
@DUPLEX
def test_objects_round_trip(ends):
    """``recv()`` returns an object equal to each picklable object sent, of the same type."""
    first, second = ends
    for obj in OBJECTS:
        with continuing():
            returned("PIPE-OBJECT-1", call(f"conn2.send({obj!r})", second.send, obj))
            got = call("conn1.recv()", first.recv)
            expect(
                "PIPE-OBJECT-1",
                got.ok and got.value == obj and type(got.value) is type(obj),
                got.describe() + f", expected {obj!r} ({type(obj).__name__})",
            )


@pytest.mark.spec("PIPE-OBJECT-2")
@DUPLEX
def test_unpicklable_send_sends_nothing(ipc_adapter, ends):
    """``send()`` of an unpicklable object raises what ``pickle.dumps`` raises for it and sends nothing:
    the other end has nothing to receive, and the next message sent is the next received."""
    first, second = ends
    lock = threading.Lock()
    raised("PIPE-OBJECT-2", call("conn2.send(threading.Lock())", second.send, lock), _unpicklable_error(lock))
    if ipc_adapter.has(Feature.PIPE_POLL):
        with continuing():
            _poll("PIPE-OBJECT-2", first, False, "conn1.poll() after the failed send")
    returned("PIPE-OBJECT-2", call("conn2.send('after')", second.send, "after"))
    _receive_object("PIPE-OBJECT-2", first, "after", "conn1.recv() after the failed send and send('after')")


@pytest.mark.spec("PIPE-POLL-1")
@DUPLEX
def test_poll_without_argument_returns_at_once(ends):
    """``poll()`` answers at once, with nothing to receive and with a message waiting."""
    first, second = ends
    for expected in (False, True):
        if expected:
            returned("PIPE-POLL-1", call("conn2.send('x')", second.send, "x"))
        outcome = call("conn1.poll()", first.poll, deadline=timing.IMMEDIATE)
        within("PIPE-POLL-1", outcome, 0.0, timing.IMMEDIATE)
        expect("PIPE-POLL-1", outcome.ok, outcome.describe() + ", expected it to return an answer")


#: The byte ``recv_bytes_into`` tests pre-fill buffers with, so a write outside the message shows.
FILL = 0xA5


@pytest.mark.spec("PIPE-INTO-1", "PIPE-INTO-2")
@pytest.mark.uses(Feature.PIPE_BYTES)
@DUPLEX
def test_recv_bytes_into_writes_the_message_at_the_offset(ends):
    """``recv_bytes_into(buf, offset)`` returns the message length and writes it at ``offset``: with no
    offset, a middle one, and one where the message ends at the buffer's end; the other bytes stay as they were."""
    first, second = ends
    for offset, message, size in ((None, b"head", 12), (3, b"hello", 12), (7, b"tail!", 12)):
        with continuing():
            returned("PIPE-INTO-1", call(f"conn2.send_bytes({message!r})", second.send_bytes, message))
            buffer = bytearray([FILL]) * size
            args = () if offset is None else (offset,)
            shown = f"conn1.recv_bytes_into(bytearray({size}){'' if offset is None else f', {offset}'})"
            count = returned("PIPE-INTO-1", call(shown, first.recv_bytes_into, buffer, *args))
            start = offset or 0
            expect("PIPE-INTO-1", count == len(message), f"{shown} returned {count!r}, expected {len(message)}")
            written = bytes(buffer[start : start + len(message)])
            expect("PIPE-INTO-1", written == message, f"{shown} wrote {written!r} at {start}, expected {message!r}")
            outside = bytes(buffer[:start] + buffer[start + len(message) :])
            expect(
                "PIPE-INTO-2",
                outside == bytes([FILL]) * len(outside),
                f"{shown} changed bytes outside buf[{start}:{start + len(message)}]: {bytes(buffer)!r}",
            )


@pytest.mark.spec("PIPE-INTO-3", "PIPE-INTO-4")
@pytest.mark.uses(Feature.PIPE_BYTES)
@DUPLEX
def test_buffer_too_short_carries_the_message_and_consumes_it(ends):
    """A message that does not fit from the offset raises BufferTooShort with the whole message in
    ``args[0]``, and is consumed: the next receive returns the message after it."""
    first, second = ends
    for offset, message, size in ((0, b"too long", 4), (4, b"abcdef", 8)):
        with continuing():
            for data in (message, b"next"):
                returned("PIPE-INTO-3", call(f"conn2.send_bytes({data!r})", second.send_bytes, data))
            shown = f"conn1.recv_bytes_into(bytearray({size}), {offset}) of {message!r}"
            error = raised("PIPE-INTO-3", call(shown, first.recv_bytes_into, bytearray(size), offset), BufferTooShort)
            carried = error.args[0] if error.args else None
            expect("PIPE-INTO-3", carried == message, f"BufferTooShort.args[0] is {carried!r}, expected {message!r}")
            _receive("PIPE-INTO-4", first, b"next", "conn1.recv_bytes() after the BufferTooShort")


@pytest.mark.spec("PIPE-INTO-5")
@pytest.mark.uses(Feature.PIPE_BYTES)
@DUPLEX
def test_recv_bytes_into_refuses_a_bad_offset(ends):
    """A negative offset, or one past the end of the buffer, raises ValueError and consumes nothing."""
    first, second = ends
    returned("PIPE-INTO-5", call("conn2.send_bytes(b'kept')", second.send_bytes, b"kept"))
    for offset in (-1, 9):
        with continuing():
            raised(
                "PIPE-INTO-5",
                call(f"conn1.recv_bytes_into(bytearray(8), {offset})", first.recv_bytes_into, bytearray(8), offset),
                ValueError,
            )
    _receive("PIPE-INTO-5", first, b"kept", "conn1.recv_bytes() after the refused recv_bytes_into() calls")


@pytest.mark.spec("PIPE-MAXLEN-1", "PIPE-MAXLEN-2")
@DUPLEX
def test_too_long_message_leaves_the_end_unreadable(ipc_adapter, duplex, ends):
    """After ``recv_bytes(maxlength)`` refused a longer message, every receive and ``poll`` on that end
    raises OSError, also with another message waiting; a duplex end still sends."""
    first, second = ends
    for data in (b"12345678", b"next"):
        returned("PIPE-MAXLEN-2", call(f"conn2.send_bytes({data!r})", second.send_bytes, data))
    raised("PIPE-MAXLEN-1", call("conn1.recv_bytes(4) of an 8-byte message", first.recv_bytes, 4), OSError)
    for method, args in _receiving_calls(ipc_adapter):
        with continuing():
            what = f"conn1.{method}() after the too-long message"
            raised("PIPE-MAXLEN-2", call(what, getattr(first, method), *args, deadline=timing.IMMEDIATE), OSError)
    if duplex:
        returned("PIPE-MAXLEN-2", call("conn1.send('still')", first.send, "still"))
        _receive_object("PIPE-MAXLEN-2", second, "still", "conn2.recv()")


@pytest.mark.spec("PIPE-EOF-5")
def test_end_closed_with_unread_messages(ipc_adapter):
    """conn2 closes with a message to it unread: conn1 still receives what conn2 sent before closing;
    then its first receive raises EOFError or ConnectionResetError, and every later one EOFError."""
    first, second = ipc_adapter.pipe(True)
    try:
        returned("PIPE-EOF-5", call("conn2.send('before close')", second.send, "before close"))
        returned("PIPE-EOF-5", call("conn1.send('unread')", first.send, "unread"))
        returned("PIPE-EOF-5", call("conn2.close()", second.close))
        _receive_object("PIPE-EOF-5", first, "before close", "conn1.recv() after conn2 closed")
        raised("PIPE-EOF-5", call("conn1.recv() with nothing left", first.recv), (EOFError, ConnectionResetError))
        for method, args in _receiving_calls(ipc_adapter) * 2:
            if method != "poll":
                with continuing():
                    raised("PIPE-EOF-5", call(f"conn1.{method}() again", getattr(first, method), *args), EOFError)
    finally:
        dispose((first, second))


def _peer_holding_first(adapter, duplex):
    """A pipe whose first (receiving) end a peer holds; returns (peer, the test's second end, the ends to
    close after the peer stopped).

    A peer process has its own copy of the first end, so the test closes
    its own at once (else closing the second end could never reach the
    peer as end of file); a peer thread or task uses the very object, which
    the test closes only once the peer has stopped.
    """
    first, second = adapter.pipe(duplex)
    try:
        peer = Peer(adapter, first, close_in_child=[second])
    except BaseException:
        dispose((first, second))
        raise
    if adapter.mode is Mode.PROCESSES:
        dispose(first)
        return peer, second, (second,)
    return peer, second, (second, first)


@pytest.mark.spec("PIPE-POLL-2", "PIPE-POLL-3")
@DUPLEX
def test_poll_timeout_duration(ipc_adapter, duplex):
    """``poll(timeout)`` with nothing to receive returns False after about ``timeout`` seconds.

    The call is abandoned as hung once it has outlived the longest wait
    PIPE-POLL-2 allows, instead of after the general operation deadline.
    """
    timeout = POLL_TIMEOUT
    longest = timeout + timing.TIMEOUT_LATE
    first, second = ipc_adapter.pipe(duplex)
    try:
        outcome = call(f"poll({timeout})", first.poll, timeout, deadline=longest)
        within("PIPE-POLL-2", outcome, 0.0, longest)
        expect("PIPE-POLL-2", outcome.ok and outcome.value is False, outcome.describe() + ", expected False")
        expect(
            "PIPE-POLL-3",
            outcome.elapsed >= timeout - timing.TIMEOUT_EARLY,
            outcome.describe() + f", expected it to wait at least {timeout - timing.TIMEOUT_EARLY:.3f}s",
        )
    finally:
        dispose((first, second))


@pytest.mark.spec("PIPE-BYTES-3", "PIPE-OBJECT-1", any=True)
@DUPLEX
def test_large_message_arrives_whole(ipc_adapter, duplex):
    """A message larger than the OS pipe buffer, sent while the other end receives, arrives whole:
    ``send_bytes`` of LARGE bytes and ``send`` of an object carrying as many.

    A peer process holds the receiving end and starts each receive before
    the test sends, so the send never waits for a reader.
    """
    data = bytes(range(256)) * (LARGE // 256) + b"tail"
    peer, mine, owned = _peer_holding_first(ipc_adapter, duplex)
    try:
        cases = (("send_bytes", "recv_bytes", data, "PIPE-BYTES-3"), ("send", "recv", ("large", data), "PIPE-OBJECT-1"))
        for method, receive, sent, clause in cases:
            if method not in offered(ipc_adapter, method):
                continue
            receiving = peer.submit(receive)
            returned(clause, call(f"test {method}(<{len(data)} bytes>)", getattr(mine, method), sent))
            got = receiving.result()
            expect(
                clause,
                got.ok and got.value == sent,
                got.describe() + f", expected what {method} sent ({len(data)} bytes)",
            )
    finally:
        peer.stop()
        dispose(owned)


@pytest.mark.parametrize(
    "machine",
    [
        pytest.param(DuplexPipe, id="duplex", marks=pytest.mark.spec(*DuplexPipe.CLAUSES, any=True)),
        pytest.param(
            SimplexPipe,
            id="simplex",
            marks=[pytest.mark.spec(*SimplexPipe.CLAUSES, any=True), pytest.mark.uses(Feature.PIPE_SIMPLEX)],
        ),
    ],
)
def test_pipe_machine(ipc_adapter, machine):
    """Random send/receive/poll/close sequences on both ends agree with the pipe model."""
    run(machine, ipc_adapter)


@pytest.mark.parametrize(
    "timeout, clause",
    [
        pytest.param(None, "PIPE-POLL-4", id="poll(None)", marks=pytest.mark.spec("PIPE-POLL-4")),
        pytest.param(LONG_TIMEOUT, "PIPE-POLL-2", id="poll(long)", marks=pytest.mark.spec("PIPE-POLL-2")),
    ],
)
@pytest.mark.parametrize("wake", ["send", "close"])
@DUPLEX
def test_poll_blocks_until_woken(ipc_adapter, duplex, wake, timeout, clause):
    """A peer's blocking ``poll`` waits until the test sends or closes, then returns True.

    The peer answers one call first, so it is idle and serving when its
    ``poll`` is submitted; the poll must still be running a moment later,
    and must return True once the test's end sends (the message then
    arrives whole) or closes (PIPE-EOF-3: end of file is readable).
    """
    peer, mine, owned = _peer_holding_first(ipc_adapter, duplex)
    try:
        returned(clause, peer.run("poll"))
        polling = peer.submit("poll", timeout)
        if polling.ready(timing.STILL_BLOCKED):
            outcome = polling.result()
            expect(clause, False, outcome.describe() + ", before the other end sent or closed anything")
        if wake == "send":
            returned(clause, call("test send('wake')", mine.send, "wake"))
        else:
            returned(clause, call("test close()", mine.close))
        outcome = polling.result()
        expect(clause, outcome.ok and outcome.value is True, outcome.describe() + f", expected True after the {wake}")
        if wake == "send":
            received = peer.run("recv")
            expect("PIPE-POLL-7", received.ok and received.value == "wake", received.describe() + ", expected 'wake'")
    finally:
        peer.stop()
        dispose(owned)


class _BodyError(Exception):
    """Raised inside a with-block to check that __exit__ closes and does not swallow it."""


@pytest.mark.spec("PIPE-CLOSE-3")
@pytest.mark.parametrize("body", ["returns", "raises"])
@pytest.mark.parametrize("end", [0, 1], ids=["first", "second"])
@DUPLEX
def test_context_manager_closes(ipc_adapter, duplex, end, body):
    """``with conn as c``: ``c`` is ``conn``, and leaving the block closes it.

    Closed means closed for real: the end itself refuses further use
    (OSError), and the other end sees it (end of file, or a broken pipe for
    a send-only other end).
    """
    pair = ipc_adapter.pipe(duplex)
    conn, other = pair[end], pair[1 - end]
    entered = []

    def use():
        with conn as value:
            entered.append(value)
            if body == "raises":
                raise _BodyError("raised in the with-block")

    try:
        outcome = call("with conn as c: ...", use)
        if body == "raises":
            raised("PIPE-CLOSE-3", outcome, _BodyError)
        else:
            returned("PIPE-CLOSE-3", outcome)
        expect("PIPE-CLOSE-3", entered == [conn], f"__enter__() returned {entered!r}, expected the connection itself")
        can_receive = duplex or end == 0
        if can_receive:
            raised("PIPE-CLOSE-3", call("recv() after the with-block", conn.recv, deadline=timing.IMMEDIATE), OSError)
        else:
            raised("PIPE-CLOSE-3", call("send('x') after the with-block", conn.send, "x"), OSError)
        if duplex or end == 1:
            seen = call("other end recv()", other.recv)
            raised("PIPE-CLOSE-3", seen, EOFError)
        else:
            seen = call("other end send('x')", other.send, "x")
            raised("PIPE-CLOSE-3", seen, BrokenPipeError)
    finally:
        dispose(pair)
