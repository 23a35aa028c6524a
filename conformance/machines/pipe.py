"""The Pipe/Connection state machine: one end in the test process, one in a peer.

Each example creates ``adapter.pipe(duplex)``, keeps one end (drawn: the
first or the second) in the test process and hands the other to a
:class:`~conformance.harness.peer.Peer`.  Rules send, receive, poll and close
on either side ("test" or "peer"), and every outcome is graded against
:class:`~conformance.models.pipe.PipeModel` through :mod:`conformance.verdict`:

* ``send``/``send_bytes`` of unique payloads (so loss, duplication and
  reordering are visible) of tiny, page-sized and larger-than-pipe-buffer
  sizes, with ``offset``/``size`` slicing;
* ``recv``, ``recv_bytes`` (with a ``maxlength`` that is long enough or too
  short) and ``recv_bytes_into`` (with offsets, or a buffer too short),
  each after a ``poll()`` that must say True (PIPE-POLL-6, PIPE-EOF-3), so
  a lost message or a missing end of file fails at once instead of after
  the receive's deadline;
* ``poll`` with no timeout, zero, negative and small positive timeouts;
* ``close`` of either end, after which the model predicts the end-of-stream,
  broken-pipe and use-after-close outcomes;
* ``refused``: calls an end cannot make (the wrong direction of a simplex
  pipe, a closed end, an end made unreadable by a too-long message);
* ``bad_argument``: out-of-range ``send_bytes`` slices, unpicklable objects,
  bad ``recv_bytes_into`` offsets and negative ``maxlength``.

The choices a rule draws (which side, which call) are computed from the
model and from the features the adapter offers (:func:`drawn_from`), never
from what the implementation answered, so examples replay and shrink.  A
pipe whose adapter declares it lacks ``send_bytes``/``recv_bytes``,
``recv_bytes_into`` or ``poll`` is explored with the calls it has.  Rules never block: a receive is drawn only for
an end that the model says has a message or has reached the end of the
stream, and a send whose message would not fit beside the unread ones in
the OS buffer (:meth:`PipeModel.fits`) is made while the receiver reads (the
peer's receive is submitted before the test sends; the test receives while
the peer's send is pending).  Every call into the implementation in the
test process goes through :func:`conformance.harness.deadline.call`.
"""

import hashlib
import itertools
import pickle
import threading
from multiprocessing import BufferTooShort
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, Optional

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance.adapter import Mode
from conformance.evidence import Deviated
from conformance.harness import timing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import Outcome, call, short
from conformance.machines.base import ConformanceMachine, step
from conformance.models.pipe import FIRST, SECOND, Message, PipeModel, Prediction
from conformance.primitives import Feature
from conformance.verdict import expect, raised, returned, within

SIDES = ("test", "peer")

#: Message sizes: tiny (including empty), around a 4 KiB page, and past the
#: 64 KiB OS pipe buffer.
SIZES = st.one_of(st.integers(0, 40), st.integers(4_000, 4_200), st.integers(65_530, 100_000))

#: Picklable values for ``send()``: nested containers of scalars.  NaN is
#: left out because it is unequal to itself.
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.binary(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)

#: How ``send_bytes`` is called: ``send_bytes(m)``, ``send_bytes(prefix + m,
#: offset)`` or ``send_bytes(prefix + m + suffix, offset, size)``.
SLICINGS = ("whole", "offset", "offset+size")

#: Byte the test process pre-fills ``recv_bytes_into`` buffers with, so
#: writes outside the message show (the peer's buffers start as zeros).
FILL = 0xA5

#: No-argument ``poll()``, as distinct from ``poll(0)``.
NO_ARGUMENT = "no argument"

#: Timeouts the poll rule uses: none, zero, negative (acts as zero) and
#: positive ones short enough that a step which waits stays cheap.
POLL_TIMEOUTS = (NO_ARGUMENT, 0, -1, -0.25, 0.01, 0.05)


def payload(message_id: int, size: int) -> bytes:
    """``size`` pseudo-random bytes determined by ``message_id``: unique messages, any length."""
    return hashlib.shake_128(b"message %d" % message_id).digest(size)


def _same(got: Any, sent: Any) -> bool:
    """Whether ``got`` is what was sent: the same bytes, or an equal object of identical repr (types kept)."""
    if isinstance(sent, bytes):
        return isinstance(got, (bytes, bytearray)) and bytes(got) == sent
    return got == sent and repr(got) == repr(sent)


def _pickled(obj: Any) -> bytes:
    """``obj`` as the stdlib's ``send()`` puts it on the wire."""
    return bytes(ForkingPickler.dumps(obj))


def _missing(outcome: Outcome) -> bool:
    """Whether a receive of a message the model says is waiting found nothing.

    It hung, or reported the end of the stream: the message was lost
    (PIPE-FIFO-1, or PIPE-EOF-1 once its sender has closed), whichever
    receive call looked for it.
    """
    return outcome.hung or isinstance(outcome.error, EOFError)


def _receive_method(message: Message) -> str:
    """The receive matching how ``message`` was sent."""
    return "recv" if message.kind == "object" else "recv_bytes"


def _pickling_error(obj: Any) -> type:
    """The exception type ``pickle.dumps(obj)`` raises."""
    try:
        pickle.dumps(obj)
    except Exception as exc:
        return type(exc)
    raise TypeError(f"{obj!r} pickles; an unpicklable object is needed")


def _receive_into(conn, size: int, offset: int) -> tuple[int, bytes]:
    """``recv_bytes_into`` with a fresh ``FILL``-ed buffer; returns (count, buffer)."""
    buffer = bytearray([FILL]) * size
    count = conn.recv_bytes_into(buffer, offset)
    return count, bytes(buffer)


# -- what a rule may act on: choices computed from the model -------------------


def _can_send(model: PipeModel, end: int) -> bool:
    """``end`` is open and writable, and nothing it sends piles up unread forever.

    The other end may be closed: the send is then refused with a broken pipe.
    """
    state = model.ends[end]
    return not state.closed and state.writable and not model.stalled_towards(end)


def _delivering(model: PipeModel, end: int) -> bool:
    """A valid send from ``end`` would be accepted."""
    return model.delivers(end) and not model.stalled_towards(end)


def _receivable(kind: str) -> Callable[[PipeModel, int], bool]:
    """``end`` can receive without blocking: a message of ``kind`` waits, or the stream has ended."""

    def predicate(model: PipeModel, end: int) -> bool:
        head = model.head(end)
        return model.can_receive(end) and not model.would_block(end) and (head is None or head.kind == kind)

    return predicate


def _waiting_bytes(min_length: int) -> Callable[[PipeModel, int], bool]:
    """``end`` is readable and its next message is a byte message of at least ``min_length`` bytes."""

    def predicate(model: PipeModel, end: int) -> bool:
        head = model.head(end) if model.can_receive(end) else None
        return head is not None and head.is_bytes and len(head.value) >= min_length

    return predicate


def _waiting_any(model: PipeModel, end: int) -> bool:
    return model.can_receive(end) and model.head(end) is not None


def _readable(model: PipeModel, end: int) -> bool:
    return model.can_receive(end)


def sides(predicate: Callable[[PipeModel, int], bool], *needs: Feature) -> Callable[["PipeMachine"], list[str]]:
    """The sides (``"test"``, ``"peer"``) whose end satisfies ``predicate`` in the machine's model; none if the
    adapter lacks one of ``needs``."""

    def chosen(machine: "PipeMachine") -> list[str]:
        if not all(machine.adapter.has(feature) for feature in needs):
            return []
        return [side for side in SIDES if predicate(machine.model, machine.end_of[side])]

    return chosen


#: Calls with a bad argument, by what they need: a send that would be
#: accepted, or a message waiting to be received (and the feature they use).
BAD_ARGUMENTS = {
    "send_bytes(buf, -n)": (_delivering, Feature.PIPE_BYTES),
    "send_bytes(buf, len(buf) + n)": (_delivering, Feature.PIPE_BYTES),
    "send_bytes(buf, len(buf) // 2, -n)": (_delivering, Feature.PIPE_BYTES),
    "send_bytes(buf, len(buf) // 2, len(buf) - len(buf) // 2 + n)": (_delivering, Feature.PIPE_BYTES),
    "send(threading.Lock())": (_delivering, None),
    "recv_bytes_into(buf, -n)": (_waiting_any, Feature.PIPE_INTO),
    "recv_bytes_into(buf, len(buf) + n)": (_waiting_any, Feature.PIPE_INTO),
    "recv_bytes(-n)": (_waiting_any, Feature.PIPE_BYTES),
}

#: The feature each method of a Connection needs (send, recv and close need none).
METHOD_FEATURES = {
    "send_bytes": Feature.PIPE_BYTES,
    "recv_bytes": Feature.PIPE_BYTES,
    "recv_bytes_into": Feature.PIPE_INTO,
    "poll": Feature.PIPE_POLL,
}


def offered(adapter, *methods: str) -> list[str]:
    """The methods among ``methods`` the adapter's pipe offers."""
    return [m for m in methods if m not in METHOD_FEATURES or adapter.has(METHOD_FEATURES[m])]


def _bad_argument_calls(machine: "PipeMachine") -> list[tuple[str, str]]:
    """(side, call) pairs for the bad-argument rule.  An unpicklable object
    cannot even be handed to the peer, so only the test sends one."""
    return [
        (side, case)
        for case, (predicate, feature) in BAD_ARGUMENTS.items()
        for side in sides(predicate, *([feature] if feature else []))(machine)
        if side == "test" or not case.startswith("send(")
    ]


def _refused_calls(machine: "PipeMachine") -> list[tuple[str, str]]:
    """(side, method) pairs the model says must raise OSError: sends on a
    closed or receive-only end, receives and polls on a closed, send-only or
    unreadable end."""
    calls = []
    for side in SIDES:
        state = machine.model.ends[machine.end_of[side]]
        if state.closed or not state.writable:
            calls += [(side, method) for method in offered(machine.adapter, "send", "send_bytes")]
        if state.closed or not state.readable:
            calls += [
                (side, method) for method in offered(machine.adapter, "recv", "recv_bytes", "recv_bytes_into", "poll")
            ]
    return calls


def drawn_from(options: Callable[["PipeMachine"], list]) -> st.SearchStrategy:
    """One of ``options(machine)``, computed when the rule is drawn.

    The options depend only on the model, so generation depends only on
    what the test asked for; pair it with :func:`available` so the list is
    never empty.
    """
    return st.runner().flatmap(lambda machine: st.sampled_from(options(machine)))


def available(options: Callable[["PipeMachine"], list]):
    """Precondition: ``options(machine)`` is not empty."""
    return precondition(lambda machine: bool(options(machine)))


class PipeMachine(ConformanceMachine):
    """Drives ``adapter.pipe(duplex)``; subclasses fix ``duplex``."""

    duplex: bool = True

    def __init__(self, adapter):
        super().__init__(adapter)
        self.model = PipeModel(self.duplex)
        self.end_of = {"test": FIRST, "peer": SECOND}
        self.test_end = None
        self.peer = None
        self._ids = itertools.count(1)
        #: Every message sent so far, to name the clause a wrong delivery breaks.
        self._sent: list[tuple[str, Message]] = []
        #: Ids of messages a BufferTooShort has already handed over, per side.
        self._reported_too_short = {side: set() for side in SIDES}
        #: Sides whose last receive raised BufferTooShort: their next delivery checks PIPE-INTO-4.
        self._after_too_short = set()
        #: Ends towards which a send that must send nothing was made while
        #: messages were waiting (see :meth:`_check_nothing_sent`).
        self._failed_sends_towards = set()

    # -- set-up and teardown ---------------------------------------------------

    @initialize(test_keeps=st.sampled_from(("first", "second")))
    @step
    def open_pipe(self, test_keeps):
        """Create the pipe; the test keeps one end, a peer process holds the other."""
        ends = self.own(self.adapter.pipe(self.duplex))
        mine = FIRST if test_keeps == "first" else SECOND
        self.end_of = {"test": mine, "peer": PipeModel.other(mine)}
        self.test_end = ends[mine]
        peer_end = ends[PipeModel.other(mine)]
        # The child must not keep a copy of the test's end, or closing it
        # could never produce end-of-file or a broken pipe at the peer.
        self.peer = self.start_peer(peer_end, close_in_child=[self.test_end])
        # Likewise the parent's copy of the peer's end.  A thread or task
        # peer holds the very same object, which teardown closes.
        if self.adapter.mode is Mode.PROCESSES:
            dispose(peer_end)

    def teardown(self):
        # Closing the test's end first lets a peer still blocked in a receive
        # see end-of-file, so stopping it need not escalate to terminate().
        if self.test_end is not None:
            dispose(self.test_end)
        super().teardown()

    # -- plumbing ----------------------------------------------------------------

    @staticmethod
    def _other(side: str) -> str:
        return "peer" if side == "test" else "test"

    def _run(self, side: str, method: str, *args: Any, deadline: float = timing.OPERATION_DEADLINE) -> Outcome:
        """``method(*args)`` on ``side``'s end, abandoned as hung after ``deadline``."""
        if side == "peer":
            return self.peer.run(method, *args, deadline=deadline)
        shown = ", ".join(short(a) for a in args)
        return call(f"test {method}({shown})", getattr(self.test_end, method), *args, deadline=deadline)

    def _into(self, side: str, size: int, offset: int) -> tuple[Outcome, int]:
        """``recv_bytes_into`` into a fresh ``size``-byte buffer; returns the outcome and the fill byte."""
        if side == "peer":
            return self.peer.run("recv_bytes_into", size, offset), 0
        outcome = call(f"test recv_bytes_into(bytearray({size}), {offset})", _receive_into, self.test_end, size, offset)
        return outcome, FILL

    def _expect(self, outcome: Outcome, prediction: Prediction) -> Any:
        """Grade an outcome whose value needs no further check."""
        if prediction.raises:
            raised(prediction.clause, outcome, prediction.error)
            return None
        return returned(prediction.clause, outcome)

    def _sender_of(self, got: Any) -> Optional[tuple[str, Message]]:
        """The sent message ``got`` is, if any.

        A byte receive that meets an object message (because the message
        the model expected is missing) returns its pickle, so objects also
        match their pickled form.
        """
        for side, message in self._sent:
            if _same(got, message.value):
                return side, message
            if (
                message.kind == "object"
                and isinstance(got, (bytes, bytearray))
                and bytes(got) == _pickled(message.value)
            ):
                return side, message
        return None

    def _check_delivery(self, side: str, expected: Message, got: Any, what: str, clause: Optional[str] = None) -> None:
        """``got`` arrived at ``side`` where the model expected ``expected``.

        On a mismatch the clause named is the most specific one the
        observation breaks: the message went the wrong way (DIRECTION), is
        another message of this direction (FIFO, or INTO-4 when a
        BufferTooShort had already handed it over), or is a corrupted
        version of the expected one (BYTES/OBJECT), unless the caller
        passes the clause its step is about.
        """
        if _same(got, expected.value):
            for passed in self._delivered_clauses(side, expected):
                expect(passed, True, "")
            return
        observed = f"{what} returned {short(got)}, expected {expected!r} {short(expected.value)}"
        if clause is None:
            clause = self._misdelivery_clause(side, expected, got)
        expect(clause, False, observed)

    def _delivered_clauses(self, side: str, message: Message) -> list[str]:
        """The clauses a delivery of ``message`` as sent bears out: the ones it would have broken had it gone wrong."""
        found = ["PIPE-DIRECTION-1", "PIPE-FIFO-1"]
        if side in self._after_too_short:
            # The receive after a BufferTooShort got the next message, not the one reported.
            self._after_too_short.discard(side)
            found.append("PIPE-INTO-4")
        if not message.is_bytes:
            return found + ["PIPE-OBJECT-1"]
        found.append("PIPE-BYTES-1")
        if message.how.startswith("send_bytes(buf,"):
            found.append("PIPE-BYTES-4")
        if not message.value:
            found.append("PIPE-BYTES-2")
        if len(message.value) > 65536:
            found.append("PIPE-BYTES-3")
        return found

    def _misdelivery_clause(self, side: str, expected: Message, got: Any) -> str:
        origin = self._sender_of(got)
        if origin is not None:
            sender, message = origin
            if sender == side:
                return "PIPE-DIRECTION-1"
            if message.id in self._reported_too_short[side]:
                return "PIPE-INTO-4"
            return "PIPE-FIFO-1"
        if self.end_of[side] in self._failed_sends_towards:
            return "PIPE-BYTES-5"  # a message nobody sent, after a send that had to send nothing
        if not expected.is_bytes:
            return "PIPE-OBJECT-1"
        if not isinstance(got, bytes):
            return "PIPE-BYTES-1"
        if (
            got
            and len(got) != len(expected.value)
            and (got.startswith(expected.value) or expected.value.startswith(got))
        ):
            return "PIPE-BYTES-1"  # merged with the next message, or split (whatever slice was sent)
        if expected.how.startswith("send_bytes(buf,"):
            return "PIPE-BYTES-4"
        if not expected.value or not got:
            return "PIPE-BYTES-2"
        return "PIPE-BYTES-3"

    def _receive_next(self, side: str, clause: Optional[str] = None) -> None:
        """Receive the next message at ``side`` with the call matching how it was sent."""
        prediction = self.model.receive(self.end_of[side])
        message = prediction.value
        outcome = self._run(side, _receive_method(message))
        got = returned(prediction.clause if _missing(outcome) else clause or prediction.clause, outcome)
        self._check_delivery(side, message, got, outcome.what, clause)

    def _owed_clause(self, end: int) -> str:
        """The clause a missing message waiting for ``end`` breaks: PIPE-EOF-1 once its sender has closed."""
        return "PIPE-EOF-1" if self.model.ends[PipeModel.other(end)].closed else "PIPE-FIFO-1"

    def _poll_before_receiving(self, side: str) -> None:
        """``poll()`` at ``side``, which a receive rule is about to read from: it must say True.

        Receive rules are drawn only for an end with a message whose send
        has returned, or whose other end has closed, so the spec requires
        True (PIPE-POLL-6; PIPE-BYTES-2 when only empty messages wait;
        PIPE-EOF-3 at the end of the stream).  Asking first turns a lost
        message or a missing end of file into an immediate failure, where
        the receive would wait out the operation deadline.  Once the end
        has reported the end of the stream with nothing waiting, the poll
        was made before that report and is not repeated.
        """
        end = self.end_of[side]
        if not self.adapter.has(Feature.PIPE_POLL) or self.model.ends[end].saw_end and not self.model.pending(end):
            return
        prediction = self.model.poll(end)
        outcome = self._run(side, "poll")
        expect(
            prediction.clause,
            outcome.ok and outcome.value == prediction.value,
            outcome.describe() + f", expected {prediction.value} before receiving",
        )

    def _check_nothing_sent(self, side: str, clause: str) -> None:
        """After a send on ``side`` that must have sent nothing: the next message sent is the next received.

        With the direction empty, ``side`` sends a marker message at once
        and the receiver must get it, not a stray message (a check of
        FIFO order, not of ``poll``, so a ``poll`` fault is not reported
        under ``clause``).  With messages waiting, the stray message would
        arrive after them; the direction is remembered so that a receive
        meeting a message nobody sent names ``clause``.
        """
        receiver = self._other(side)
        end = self.end_of[receiver]
        if self.model.pending(end):
            self._failed_sends_towards.add(end)
            return
        message_id = next(self._ids)
        if self.adapter.has(Feature.PIPE_BYTES):
            marker = Message.of_bytes(message_id, payload(message_id, 8))
            self._send(side, marker, "send_bytes", (marker.value,))
        else:
            marker = Message.of_object(message_id, payload(message_id, 8))
            self._send(side, marker, "send", (marker.value,))
        self._receive_next(receiver, clause=clause)

    # -- sending ---------------------------------------------------------------

    def _send(self, side: str, message: Message, method: str, args: tuple[Any, ...]) -> None:
        end = self.end_of[side]
        if self.model.delivers(end) and not self.model.fits(end, message):
            self._send_while_receiving(side, message, method, args)
            return
        prediction = self.model.send(end, message)
        if not prediction.raises:
            self._sent.append((side, message))
        self._expect(self._run(side, method, *args), prediction)

    def _send_while_receiving(self, side: str, message: Message, method: str, args: tuple[Any, ...]) -> None:
        """Send a message too big to leave unread, with the receiver reading concurrently."""
        receiver = self._other(side)
        receiving_end = self.end_of[receiver]
        if side == "test":
            # The peer runs one call at a time: let it take what is already
            # waiting, then start its receive before the test sends.
            while self.model.pending(receiving_end):
                self._receive_next(receiver)
            prediction = self.model.send(self.end_of[side], message)
            self._sent.append((side, message))
            receive = self.peer.submit(_receive_method(message))
            self._expect(self._run(side, method, *args), prediction)
            delivered = self.model.receive(receiving_end)
            got = returned(delivered.clause, receive.result())
            self._check_delivery(receiver, message, got, receive.what)
            return
        prediction = self.model.send(self.end_of[side], message)
        self._sent.append((side, message))
        sending = self.peer.submit(method, *args)
        while self.model.pending(receiving_end):
            if sending.ready():
                # A conforming send cannot finish before its message is read,
                # so an early answer is graded now, not after a stuck receive.
                outcome = sending.result()
                if not outcome.ok:
                    self._expect(outcome, prediction)
            self._receive_next(receiver)
        self._expect(sending.result(), prediction)

    @available(sides(_can_send))
    @rule(side=drawn_from(sides(_can_send)), value=VALUES, size=SIZES)
    @step
    def send(self, side, value, size):
        """``send(obj)`` of a unique object carrying ``size`` bytes of payload."""
        message_id = next(self._ids)
        obj = (message_id, value, payload(message_id, size))
        self._send(side, Message.of_object(message_id, obj), "send", (obj,))

    @available(sides(_can_send, Feature.PIPE_BYTES))
    @rule(
        side=drawn_from(sides(_can_send, Feature.PIPE_BYTES)),
        size=SIZES,
        slicing=st.sampled_from(SLICINGS),
        margin=st.integers(1, 5),
        buffer_type=st.sampled_from(("bytes", "bytearray")),
    )
    @step
    def send_bytes(self, side, size, slicing, margin, buffer_type):
        """``send_bytes`` of a unique message, whole or sliced out of a larger buffer."""
        message_id = next(self._ids)
        data = payload(message_id, size)
        if slicing == "whole":
            buffer, args, how = data, (), "send_bytes(buf)"
        elif slicing == "offset":
            buffer, args, how = b"<" * margin + data, (margin,), f"send_bytes(buf, {margin})"
        else:
            buffer = b"<" * margin + data + b">" * margin
            args, how = (margin, size), f"send_bytes(buf, {margin}, {size})"
        if buffer_type == "bytearray":
            buffer = bytearray(buffer)
        self._send(side, Message.of_bytes(message_id, data, how), "send_bytes", (buffer,) + args)

    # -- receiving -------------------------------------------------------------

    @available(sides(_receivable("object")))
    @rule(side=drawn_from(sides(_receivable("object"))))
    @step
    def recv(self, side):
        """``recv()``: the next object, or the end of the stream."""
        self._poll_before_receiving(side)
        prediction = self.model.receive(self.end_of[side])
        outcome = self._run(side, "recv")
        if prediction.raises:
            self._expect(outcome, prediction)
            return
        got = returned(prediction.clause, outcome)
        self._check_delivery(side, prediction.value, got, outcome.what)

    @available(sides(_receivable("bytes"), Feature.PIPE_BYTES))
    @rule(
        side=drawn_from(sides(_receivable("bytes"), Feature.PIPE_BYTES)), slack=st.one_of(st.none(), st.integers(0, 3))
    )
    @step
    def recv_bytes(self, side, slack):
        """``recv_bytes()``, or ``recv_bytes(maxlength)`` with maxlength = length + slack (PIPE-MAXLEN-3)."""
        end = self.end_of[side]
        head = self.model.head(end) if self.model.can_receive(end) else None
        self._poll_before_receiving(side)
        prediction = self.model.receive(end)
        if slack is None:
            outcome = self._run(side, "recv_bytes")
        else:
            outcome = self._run(side, "recv_bytes", slack + (len(head.value) if head else 0))
        if prediction.raises:
            self._expect(outcome, prediction)
            return
        got = returned(prediction.clause if slack is None or _missing(outcome) else "PIPE-MAXLEN-3", outcome)
        self._check_delivery(side, prediction.value, got, outcome.what)

    @available(sides(_receivable("bytes"), Feature.PIPE_INTO))
    @rule(
        side=drawn_from(sides(_receivable("bytes"), Feature.PIPE_INTO)),
        offset=st.integers(0, 4),
        spare=st.integers(0, 3),
    )
    @step
    def recv_bytes_into(self, side, offset, spare):
        """``recv_bytes_into(buf, offset)`` with room for the message plus ``spare`` bytes."""
        end = self.end_of[side]
        head = self.model.head(end) if self.model.can_receive(end) else None
        length = len(head.value) if head else 0
        # The docs require offset < len(buf), so the buffer is never empty past the offset.
        size = max(offset + length + spare, offset + 1)
        self._poll_before_receiving(side)
        prediction = self.model.receive(end)
        outcome, fill = self._into(side, size, offset)
        if prediction.raises:
            self._expect(outcome, prediction)
            return
        count, buffer = returned(prediction.clause if _missing(outcome) else "PIPE-INTO-1", outcome)
        message = prediction.value
        expect(
            "PIPE-INTO-1",
            count == len(message.value),
            f"{outcome.what} returned count {count!r}, expected {len(message.value)} for {message!r}",
        )
        self._check_delivery(side, message, buffer[offset : offset + count], outcome.what)
        untouched = buffer[:offset] + buffer[offset + count :]
        expect(
            "PIPE-INTO-2",
            untouched == bytes([fill]) * len(untouched),
            f"{outcome.what} changed bytes outside buf[{offset}:{offset + count}]: {short(buffer)}",
        )

    @available(sides(_waiting_bytes(1), Feature.PIPE_BYTES))
    @rule(side=drawn_from(sides(_waiting_bytes(1), Feature.PIPE_BYTES)), shortfall=st.integers(1, 3))
    @step
    def recv_bytes_too_long(self, side, shortfall):
        """``recv_bytes(maxlength)`` with the next message longer than maxlength raises OSError."""
        end = self.end_of[side]
        maxlength = max(0, len(self.model.head(end).value) - shortfall)
        self._poll_before_receiving(side)
        owed = self._owed_clause(end)
        prediction = self.model.receive_too_long(end)
        outcome = self._run(side, "recv_bytes", maxlength)
        raised(owed if _missing(outcome) else prediction.clause, outcome, prediction.error)

    @available(sides(_waiting_bytes(2), Feature.PIPE_INTO))
    @rule(
        side=drawn_from(sides(_waiting_bytes(2), Feature.PIPE_INTO)),
        offset=st.integers(0, 4),
        shortfall=st.integers(1, 3),
    )
    @step
    def recv_bytes_into_too_short(self, side, offset, shortfall):
        """``recv_bytes_into`` with a buffer too short raises BufferTooShort carrying the message."""
        end = self.end_of[side]
        length = len(self.model.head(end).value)
        size = max(offset + 1, offset + length - shortfall)
        self._poll_before_receiving(side)
        owed = self._owed_clause(end)
        prediction = self.model.receive_too_short(end)
        message = prediction.value
        outcome, _ = self._into(side, size, offset)
        if outcome.ok:
            count, buffer = outcome.value
            got = buffer[offset : offset + count]
            if self._sender_of(got) is not None:
                # Another message, one that fits, arrived in its place.
                self._check_delivery(side, message, got, outcome.what)
        error = raised(owed if _missing(outcome) else prediction.clause, outcome, BufferTooShort)
        carried = error.args[0] if error.args else None
        # Another whole message in args[0] is a delivery fault; anything else is this clause's.
        clause = None if self._sender_of(carried) else prediction.clause
        self._check_delivery(side, message, carried, f"{outcome.what}: BufferTooShort.args[0]", clause)
        self._reported_too_short[side].add(message.id)
        self._after_too_short.add(side)

    # -- refusals and bad arguments ---------------------------------------------

    @available(_refused_calls)
    @rule(attempt=drawn_from(_refused_calls))
    @step
    def refused(self, attempt):
        """A call the end cannot make raises OSError: a send on a closed or
        receive-only end (PIPE-CLOSE-1, PIPE-SIMPLEX-2), a receive or poll on a
        closed, send-only or unreadable end (PIPE-CLOSE-1, PIPE-SIMPLEX-3,
        PIPE-MAXLEN-2)."""
        side, method = attempt
        end = self.end_of[side]
        if method in ("send", "send_bytes"):
            message_id = next(self._ids)
            data = payload(message_id, 8)
            message = Message.of_object(message_id, data) if method == "send" else Message.of_bytes(message_id, data)
            prediction = self.model.send(end, message)
            outcome = self._run(side, method, data)
        elif method == "poll":
            prediction = self.model.poll(end)
            outcome = self._run(side, "poll")
        elif method == "recv_bytes_into":
            prediction = self.model.receive(end)
            outcome, _ = self._into(side, 8, 0)
        else:
            prediction = self.model.receive(end)
            outcome = self._run(side, method)
        try:
            self._expect(outcome, prediction)
        except Deviated:
            if outcome.hung or outcome.ok:
                raise  # it did what it had to refuse: the pipe's state is unknown now
            # Refused with another exception: the refusal is adopted, the pipe is as the model says.

    @available(_bad_argument_calls)
    @rule(attempt=drawn_from(_bad_argument_calls), length=st.integers(0, 8), n=st.integers(1, 3))
    @step
    def bad_argument(self, attempt, length, n):
        """A call with an argument out of range raises and changes nothing.

        ``send_bytes`` slicing errors raise ValueError (PIPE-BYTES-5) and an
        unpicklable object raises pickle's error (PIPE-OBJECT-2), sending
        nothing; a bad ``recv_bytes_into`` offset (PIPE-INTO-5) or a negative
        ``maxlength`` (PIPE-MAXLEN-4) raises ValueError and leaves the next
        message to be received, which this rule then does.
        """
        side, case = attempt
        buffer = payload(next(self._ids), length)
        half = length // 2
        if case.startswith("send_bytes"):
            args = {
                "send_bytes(buf, -n)": (-n,),
                "send_bytes(buf, len(buf) + n)": (length + n,),
                "send_bytes(buf, len(buf) // 2, -n)": (half, -n),
                "send_bytes(buf, len(buf) // 2, len(buf) - len(buf) // 2 + n)": (half, length - half + n),
            }[case]
            raised("PIPE-BYTES-5", self._run(side, "send_bytes", buffer, *args), ValueError)
            self._check_nothing_sent(side, "PIPE-BYTES-5")
        elif case.startswith("send("):
            lock = threading.Lock()
            raised(
                "PIPE-OBJECT-2", call("test send(threading.Lock())", self.test_end.send, lock), _pickling_error(lock)
            )
            self._check_nothing_sent(side, "PIPE-OBJECT-2")
        elif case.startswith("recv_bytes_into"):
            offset = -n if case == "recv_bytes_into(buf, -n)" else length + n
            raised("PIPE-INTO-5", self._into(side, length, offset)[0], ValueError)
            self._receive_next(side, clause="PIPE-INTO-5")
        else:
            raised("PIPE-MAXLEN-4", self._run(side, "recv_bytes", -n), ValueError)
            self._receive_next(side, clause="PIPE-MAXLEN-4")

    # -- polling ---------------------------------------------------------------

    @available(sides(_readable, Feature.PIPE_POLL))
    @rule(side=drawn_from(sides(_readable, Feature.PIPE_POLL)), timeout=st.sampled_from(POLL_TIMEOUTS))
    @step
    def poll(self, side, timeout):
        """``poll`` with no argument, zero, a negative or a small positive timeout.

        The answer must be exact (PIPE-POLL-6, or the end of file, PIPE-EOF-3),
        immediate unless the timeout is positive and there is nothing to
        receive (then the whole timeout but not much more), and a True must
        hold when asked again at once (PIPE-POLL-7).
        """
        prediction = self.model.poll(self.end_of[side])
        args = () if timeout == NO_ARGUMENT else (timeout,)
        deadline = timing.OPERATION_DEADLINE
        if timeout == NO_ARGUMENT or timeout <= 0 or prediction.value:
            timing_clause = "PIPE-POLL-1" if timeout == NO_ARGUMENT else "PIPE-POLL-5" if timeout < 0 else "PIPE-POLL-2"
            longest = timing.IMMEDIATE
        else:
            timing_clause, longest = "PIPE-POLL-2", timeout + timing.TIMEOUT_LATE
            # A wait past the timeout's allowance is already a violation:
            # abandon it then, not at the operation deadline (a peer's
            # answer also crosses the control pipe: IMMEDIATE more).
            deadline = longest if side == "test" else longest + timing.IMMEDIATE
        outcome = self._run(side, "poll", *args, deadline=deadline)
        if outcome.hung:
            # It broke its timing clause; what it would have answered is unknown.
            within(timing_clause, outcome, 0.0, longest)
        expect(
            prediction.clause,
            outcome.ok and outcome.value == prediction.value,
            outcome.describe() + f", expected {prediction.value}",
        )
        within(timing_clause, outcome, 0.0, longest)
        if timing_clause == "PIPE-POLL-2" and not prediction.value:
            expect(
                "PIPE-POLL-3",
                outcome.elapsed >= timeout - timing.TIMEOUT_EARLY,
                outcome.describe() + f", expected it to wait at least {timeout - timing.TIMEOUT_EARLY:.3f}s",
            )
        if outcome.value:
            # The same call again, with something to receive, must not wait
            # and must still see it: the first one consumed nothing.
            again = self._run(side, "poll", *args)
            expect(
                "PIPE-POLL-7",
                again.ok and again.value == outcome.value,
                again.describe() + ", right after the same call returned True",
            )

    # -- closing ---------------------------------------------------------------

    @precondition(lambda self: not any(state.closed for state in self.model.ends))
    @rule(side=st.sampled_from(SIDES))
    @step
    def close(self, side):
        """``close()``, then ``close()`` again (PIPE-CLOSE-2).

        Only one end is ever closed: the other then shows the end of file or
        the broken pipe, while once both are closed every call is refused.
        """
        end = self.end_of[side]
        self._expect(self._run(side, "close"), self.model.close(end))
        self._expect(self._run(side, "close"), self.model.close(end))


#: Clauses both machines check.
_COMMON = (
    "PIPE-DIRECTION-1",
    "PIPE-FIFO-1",
    "PIPE-OBJECT-1",
    "PIPE-OBJECT-2",
    "PIPE-BYTES-1",
    "PIPE-BYTES-2",
    "PIPE-BYTES-3",
    "PIPE-BYTES-4",
    "PIPE-BYTES-5",
    "PIPE-MAXLEN-1",
    "PIPE-MAXLEN-2",
    "PIPE-MAXLEN-3",
    "PIPE-MAXLEN-4",
    "PIPE-INTO-1",
    "PIPE-INTO-2",
    "PIPE-INTO-3",
    "PIPE-INTO-4",
    "PIPE-INTO-5",
    "PIPE-POLL-1",
    "PIPE-POLL-2",
    "PIPE-POLL-3",
    "PIPE-POLL-5",
    "PIPE-POLL-6",
    "PIPE-POLL-7",
    "PIPE-CLOSE-1",
    "PIPE-CLOSE-2",
    "PIPE-EOF-1",
    "PIPE-EOF-2",
    "PIPE-EOF-3",
    "PIPE-EOF-4",
)


class DuplexPipe(PipeMachine):
    """``Pipe(duplex=True)``: both ends send and receive."""

    duplex = True
    #: The clauses this machine checks, for the test's spec marker.
    CLAUSES = ("PIPE-DUPLEX-2", "PIPE-EOF-5") + _COMMON


class SimplexPipe(PipeMachine):
    """``Pipe(duplex=False)``: the first end receives, the second sends."""

    duplex = False
    #: The clauses this machine checks, for the test's spec marker.
    CLAUSES = ("PIPE-SIMPLEX-1", "PIPE-SIMPLEX-2", "PIPE-SIMPLEX-3") + _COMMON
