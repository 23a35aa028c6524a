"""Clauses for ``Pipe()`` and the ``Connection`` objects it returns.

Sources: the "Pipes and Queues", "Exchanging objects between processes" and
"Connection Objects" sections of the multiprocessing documentation (the
spec), and, for behaviour the docs leave open, CPython's
``multiprocessing/connection.py`` as observed on 3.8-3.13.
"""

from conformance.primitives import Feature, Primitive
from conformance.spec.clause import Clause, Strength

TITLE = "Pipe and Connection"

REQUIRED = Strength.REQUIRED
IMPL = Strength.IMPLEMENTATION_DEFINED

_CONNECTION = "Dmp 'Connection Objects' (3.8-3.13)"
_PIPE = "Dmp 'Pipes and Queues', multiprocessing.Pipe (3.8-3.13)"

CLAUSES = (
    Clause(
        "PIPE-API-1",
        "Pipe([duplex]) returns two Connection objects, each offering send(), recv(), send_bytes(), "
        "recv_bytes(), recv_bytes_into(), poll() and close().",
        _PIPE + "; " + _CONNECTION + ": the methods of Connection objects",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    # -- duplex and simplex -------------------------------------------------
    Clause(
        "PIPE-DUPLEX-1",
        "Pipe() called without arguments returns a duplex pair: each end can both send and receive.",
        _PIPE + ": 'If duplex is True (the default) then the pipe is bidirectional'",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-DUPLEX-2",
        "In a duplex pipe (duplex=True) each end sends to, and receives from, the other end.",
        _PIPE,
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-DIRECTION-1",
        "A message sent on one end is received at the other end, never at the end that sent it; "
        "the two directions of a duplex pipe are independent streams, so traffic in one direction "
        "neither consumes nor reorders the other.",
        _CONNECTION + ": send() sends 'to the other end of the connection'; recv() returns 'an object "
        "sent from the other end'",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-FIFO-1",
        "Messages sent in one direction are received in the order they were sent, each exactly once: "
        "none is lost, duplicated or reordered.",
        _CONNECTION + ": connections 'can be thought of as message oriented connected sockets', "
        "an ordered, reliable channel; 'Pipes and Queues': the ends are 'connected by a pipe'",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-SIMPLEX-1",
        "Pipe(duplex=False) returns (conn1, conn2) where conn1 can only receive and conn2 can only "
        "send; what conn2 sends, conn1 receives.",
        _PIPE + ": 'conn1 can only be used for receiving messages and conn2 can only be used for sending messages'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_SIMPLEX),
    ),
    Clause(
        "PIPE-SIMPLEX-2",
        "send() and send_bytes() on the receive-only end of a simplex pipe raise OSError.",
        "CPython 3.11 connection.py _ConnectionBase._check_writable ('connection is read-only'); "
        "observed 3.8-3.13; the docs say only that the end 'can only be used for receiving'",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_SIMPLEX),
    ),
    Clause(
        "PIPE-SIMPLEX-3",
        "recv(), recv_bytes(), recv_bytes_into() and poll() on the send-only end of a simplex pipe raise OSError.",
        "CPython 3.11 connection.py _ConnectionBase._check_readable ('connection is write-only'); "
        "observed 3.8-3.13; the docs say only that the end 'can only be used for sending'",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_SIMPLEX),
    ),
    # -- objects ------------------------------------------------------------
    Clause(
        "PIPE-OBJECT-1",
        "recv() returns an object equal to the picklable object passed to send() at the other end.",
        _CONNECTION + ": send(obj) 'The object must be picklable'; recv() 'Return an object sent from "
        "the other end of the connection using send()'",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-OBJECT-2",
        "send() of an object that cannot be pickled raises the exception pickle.dumps() raises for it "
        "and sends nothing: the other end has nothing new to receive and the connection stays usable.",
        "CPython 3.11 connection.py _ConnectionBase.send pickles before writing; observed 3.8-3.13; "
        "the docs say only 'The object must be picklable'",
        IMPL,
        needs=(Primitive.PIPE,),
    ),
    # -- byte messages ------------------------------------------------------
    Clause(
        "PIPE-BYTES-1",
        "Each recv_bytes() returns exactly one complete message as passed to send_bytes(): message "
        "boundaries are preserved, messages are never merged or split.",
        _CONNECTION + ": send_bytes sends 'as a complete message'; recv_bytes returns 'a complete "
        "message of byte data'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-BYTES-2",
        "A zero-length message is a message: after send_bytes(b'') the other end's poll() is True "
        "and its receive returns b'' (or a count of 0 from recv_bytes_into).",
        _CONNECTION + ": send_bytes sends any bytes-like object 'as a complete message' "
        "(CPython test _TestPoll.test_empty_string)",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-BYTES-3",
        "A message is delivered intact whatever its size relative to the OS pipe buffer (64 KiB on "
        "Linux): tiny, page-sized and larger-than-buffer messages arrive whole when the receiver "
        "reads while the sender sends.",
        _CONNECTION + ": 'a complete message' with no size limit below the ~32 MiB note",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-BYTES-4",
        "send_bytes(buf, offset, size) sends the bytes buf[offset:offset + size] as one message; "
        "with offset alone it sends buf[offset:].",
        _CONNECTION + ": 'If offset is given then data is read from that position in buffer. If size "
        "is given then that many bytes will be read from buffer'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-BYTES-5",
        "send_bytes() raises ValueError and sends nothing when offset is negative, offset exceeds the "
        "buffer length, size is negative, or offset + size exceeds the buffer length.",
        "CPython 3.11 connection.py _ConnectionBase.send_bytes; observed 3.8-3.13 "
        "(CPython test _TestConnection.test_sendbytes)",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-BYTES-6",
        "Very large messages (approximately 32 MiB or more, depending on the OS) may make send() or "
        "send_bytes() raise ValueError.",
        _CONNECTION + ": send() and send_bytes() 'Very large pickles/buffers ... may raise a ValueError'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
        untestable="'may' permits both outcomes, so no observation can violate it; CPython on Linux "
        "sends 64 MiB without error (8-byte length header for large messages, bpo-17560, 3.8+)",
    ),
    # -- recv_bytes(maxlength) ----------------------------------------------
    Clause(
        "PIPE-MAXLEN-1",
        "recv_bytes(maxlength) raises OSError when the next message is longer than maxlength.",
        _CONNECTION + ": 'If maxlength is specified and the message is longer than maxlength then OSError is raised'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-MAXLEN-2",
        "After that OSError the end can no longer receive: recv(), recv_bytes(), recv_bytes_into() "
        "and poll() on it raise OSError. A duplex end can still send.",
        _CONNECTION + ": 'the connection will no longer be readable'; what a read then does, and that "
        "a duplex end stays writable, is CPython 3.11 connection.py _bad_message_length; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-MAXLEN-3",
        "recv_bytes(maxlength) returns a message that is not longer than maxlength, including one "
        "exactly maxlength bytes long.",
        _CONNECTION + ": the error is for a message 'longer than maxlength'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    Clause(
        "PIPE-MAXLEN-4",
        "recv_bytes() with a negative maxlength raises ValueError and consumes nothing.",
        "CPython 3.11 connection.py _ConnectionBase.recv_bytes ('negative maxlength'); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_BYTES),
    ),
    # -- recv_bytes_into ----------------------------------------------------
    Clause(
        "PIPE-INTO-1",
        "recv_bytes_into(buf, offset) writes one complete message into buf starting at byte offset "
        "and returns the message length in bytes.",
        _CONNECTION + ": 'Read into buffer a complete message ... and return the number of bytes in "
        "the message'; 'the message will be written into the buffer from that position'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_INTO),
    ),
    Clause(
        "PIPE-INTO-2",
        "recv_bytes_into() leaves the bytes of buf outside the message's span unchanged.",
        "CPython 3.11 connection.py _ConnectionBase.recv_bytes_into writes only "
        "buf[offset:offset + size]; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_INTO),
    ),
    Clause(
        "PIPE-INTO-3",
        "If the message does not fit in buf from offset, recv_bytes_into() raises BufferTooShort "
        "whose args[0] is the complete message.",
        _CONNECTION + ": 'If the buffer is too short then a BufferTooShort exception is raised and the "
        "complete message is available as e.args[0]'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_INTO),
    ),
    Clause(
        "PIPE-INTO-4",
        "The message reported by BufferTooShort has been consumed: the next receive returns the message after it.",
        "CPython 3.11 connection.py _ConnectionBase.recv_bytes_into reads before checking the size; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_INTO),
    ),
    Clause(
        "PIPE-INTO-5",
        "recv_bytes_into() raises ValueError and consumes nothing when offset is negative or larger than the buffer.",
        _CONNECTION + ": 'Offset must be a non-negative integer less than the length of buffer'; the "
        "ValueError is CPython 3.11 connection.py recv_bytes_into ('negative offset', 'offset too "
        "large'); observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_INTO),
    ),
    # -- poll ---------------------------------------------------------------
    Clause(
        "PIPE-POLL-1",
        "poll() without an argument returns at once.",
        _CONNECTION + ": 'If timeout is not specified then it will return immediately'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-POLL-2",
        "poll(timeout) blocks at most about timeout seconds: it returns True as soon as something "
        "can be received, and otherwise returns by the end of the timeout.",
        _CONNECTION + ": 'If timeout is a number then this specifies the maximum time in seconds to block'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-POLL-3",
        "poll(timeout) on an end with nothing to receive waits the whole timeout before returning False.",
        "CPython 3.11 connection.py Connection._poll (wait() with the timeout); observed 3.8-3.13; the "
        "docs give only the maximum",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-POLL-4",
        "poll(None) blocks until there is something to receive (or the other end closes), then returns True.",
        _CONNECTION + ": 'If timeout is None then an infinite timeout is used'",
        REQUIRED,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-POLL-5",
        "A negative poll timeout acts as zero: poll(-t) returns at once with the current answer.",
        "CPython 3.11 connection.py wait(); observed 3.8-3.13 (CPython test "
        "_TestConnection.test_connection asserts poll(-1) is False at once); the docs state it for "
        "multiprocessing.connection.wait only",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-POLL-6",
        "poll() answers exactly: True as soon as a send at the other end has returned, and False "
        "once every message sent has been received (while the other end is open).",
        _CONNECTION + ": poll() 'Return whether there is any data available to be read'; that send() "
        "has written when it returns is CPython's synchronous _send_bytes; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-POLL-7",
        "poll() never consumes or splits a message: polling again gives the same answer and the next "
        "receive returns the next whole message.",
        "CPython 3.11 connection.py Connection._poll only waits for readability; CPython test "
        "_TestPoll.test_boundaries; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    # -- close --------------------------------------------------------------
    Clause(
        "PIPE-CLOSE-1",
        "close() closes the end: afterwards send(), send_bytes(), recv(), recv_bytes(), "
        "recv_bytes_into() and poll() on it raise OSError.",
        _CONNECTION + ": close() 'Close the connection'; the OSError ('handle is closed') is CPython "
        "3.11 connection.py _check_closed; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-CLOSE-2",
        "close() on an end that is already closed returns normally.",
        "CPython 3.11 connection.py _ConnectionBase.close; observed 3.8-3.13",
        IMPL,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-CLOSE-3",
        "A connection is a context manager: __enter__() returns the connection and __exit__() closes "
        "it, also when the with-block raises.",
        _CONNECTION + ": 'Connection objects now support the context management protocol ... "
        "__enter__() returns the connection object, and __exit__() calls close()' (3.3)",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-CLOSE-4",
        "close() is called automatically when the connection is garbage collected.",
        _CONNECTION + ": close() 'This is called automatically when the connection is garbage collected'",
        REQUIRED,
        needs=(Primitive.PIPE,),
        untestable="when an object is garbage collected is up to the interpreter (immediate under "
        "CPython reference counting, deferred elsewhere), so no deadline for the close can be derived",
    ),
    # -- the other end closed -----------------------------------------------
    Clause(
        "PIPE-EOF-1",
        "After the other end closes, the messages it sent before closing are still received, in "
        "order; once none is left, recv(), recv_bytes() and recv_bytes_into() raise EOFError "
        "(PIPE-EOF-5 covers an end that was closed with messages to it unread).",
        _CONNECTION + ": receives raise 'EOFError if there is nothing left to receive and the other end was closed'",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-EOF-2",
        "Once a receive has reported the end of the stream, every later receive raises EOFError.",
        _CONNECTION + ": the EOFError condition ('nothing left to receive and the other end was closed') persists",
        REQUIRED,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-EOF-3",
        "poll() returns True once the other end is closed, even with nothing left to receive.",
        "CPython 3.11 connection.py Connection._poll (end of file is readable); observed 3.8-3.13; "
        "Dmp 'Listeners and Clients' says the same of wait(): ready 'when ... the other end has "
        "been closed'",
        IMPL,
        needs=(Primitive.PIPE, Feature.PIPE_POLL),
    ),
    Clause(
        "PIPE-EOF-4",
        "send() and send_bytes() raise BrokenPipeError once the other end is closed (POSIX).",
        "CPython 3.11 connection.py Connection._send (EPIPE from write with SIGPIPE ignored); observed "
        "3.8-3.13 on Linux for duplex and simplex pipes; the docs are silent",
        IMPL,
        needs=(Primitive.PIPE,),
    ),
    Clause(
        "PIPE-EOF-5",
        "If the other end of a duplex pipe was closed while messages sent to it were still unread, "
        "the first receive after the remaining messages have been drained may raise "
        "ConnectionResetError instead of EOFError; every later receive raises EOFError.",
        "observed CPython 3.8-3.13 on Linux: the socketpair behind a duplex pipe reports ECONNRESET "
        "once (AF_UNIX reset on close with unread data); the docs promise EOFError, so this narrows "
        "PIPE-EOF-1 to the reference's behaviour",
        IMPL,
        needs=(Primitive.PIPE,),
    ),
    # -- documented hazards the suite records but cannot check ---------------
    Clause(
        "PIPE-SHARED-1",
        "Data in a pipe may become corrupted if two processes or threads read from, or write to, "
        "the same end at the same time.",
        "Dmp 'Exchanging objects between processes', Pipes (3.8-3.13)",
        REQUIRED,
        needs=(Primitive.PIPE,),
        untestable="the docs allow any outcome ('may become corrupted'), so nothing can be asserted; "
        "the suite never uses one end from two processes or threads at once",
    ),
    Clause(
        "PIPE-KILL-1",
        "If a process is killed while it reads from or writes to a pipe, the data in the pipe is "
        "likely to become corrupted.",
        _CONNECTION + ", warning",
        REQUIRED,
        needs=(Primitive.PIPE,),
        untestable="'likely to become corrupted' allows any outcome, so there is nothing to assert",
    ),
    Clause(
        "PIPE-WINDOWS-1",
        "On Windows, concurrent send_bytes() calls on the same end raise ValueError('concurrent "
        "send_bytes() calls are not supported').",
        "CPython 3.11 connection.py PipeConnection._send_bytes (gh-107219)",
        IMPL,
        needs=(Primitive.PIPE,),
        since=(3, 11),
        untestable="Windows only (named-pipe PipeConnection), and it concerns concurrent use of one "
        "end, which PIPE-SHARED-1 leaves undefined",
    ),
)
