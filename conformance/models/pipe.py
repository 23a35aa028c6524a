"""A pure model of ``Pipe(duplex)``: two ends, one FIFO of messages per direction.

The model is what the spec predicts, computed from the operations the test
asked for and nothing else.  Each operation method applies its effect and
returns a :class:`Prediction`: the value the implementation must return, or
the exception it must raise, together with the clause that justifies it::

    model = PipeModel(duplex=False)
    model.send(SECOND, Message.of_bytes(1, b"x"))   # Prediction("PIPE-SIMPLEX-1", value=None)
    model.poll(FIRST)                               # Prediction("PIPE-POLL-6", value=True)
    model.receive(FIRST)                            # Prediction("PIPE-FIFO-1", value=<message 1>)
    model.send(FIRST, ...)                          # Prediction("PIPE-SIMPLEX-2", error=OSError)

Ends are numbered as ``Pipe()`` returns them: ``FIRST`` (receive-only in a
simplex pipe) and ``SECOND`` (send-only).  A receive that would block (the
end is readable, nothing is buffered for it and the other end is open) has
no prediction; callers ask :meth:`PipeModel.would_block` first.
"""

import pickle
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Optional, Union

FIRST, SECOND = 0, 1

ExceptionTypes = Union[type[BaseException], tuple[type[BaseException], ...]]

#: Bytes of messages the model lets pile up in one direction with nobody
#: reading.  No POSIX pipe or socket-pair buffer the suite targets holds less
#: (Linux pipes hold 64 KiB, macOS socket pairs 8 KiB), so such sends never
#: block; a send that would exceed it needs a receiver reading at the same
#: time (:meth:`PipeModel.fits`).
UNREAD_BYTES_BOUND = 8 * 1024

#: Framing allowance per message when estimating its size in the OS buffer
#: (CPython uses a 4-byte length header; this leaves room for other framings).
FRAMING_ALLOWANCE = 64


@dataclass(frozen=True)
class Message:
    """One message: sent with ``send`` (``kind == "object"``) or ``send_bytes`` (``"bytes"``)."""

    id: int
    kind: str
    value: Any
    #: Estimated bytes the message occupies in the OS buffer while unread.
    footprint: int
    #: How it was sent, for failure messages (for example ``send_bytes(buf, 3, 10)``).
    how: str = ""

    @classmethod
    def of_object(cls, id: int, obj: Any, how: str = "send(obj)") -> "Message":
        return cls(id, "object", obj, len(pickle.dumps(obj)) + FRAMING_ALLOWANCE, how)

    @classmethod
    def of_bytes(cls, id: int, data: bytes, how: str = "send_bytes(buf)") -> "Message":
        return cls(id, "bytes", bytes(data), len(data) + FRAMING_ALLOWANCE, how)

    @property
    def is_bytes(self) -> bool:
        return self.kind == "bytes"

    def __repr__(self) -> str:
        if self.is_bytes:
            return f"<message #{self.id}: {len(self.value)} bytes via {self.how}>"
        return f"<message #{self.id}: object via {self.how}>"


@dataclass(frozen=True)
class Prediction:
    """What an operation must do: return ``value`` or raise ``error``, per ``clause``."""

    clause: str
    value: Any = None
    error: Optional[ExceptionTypes] = None

    @property
    def raises(self) -> bool:
        return self.error is not None


@dataclass
class EndState:
    """One end of the pipe as the spec sees it."""

    readable: bool
    writable: bool
    closed: bool = False
    #: A too-long ``recv_bytes(maxlength)`` left the rest of a message unread
    #: and made the end unreadable (PIPE-MAXLEN-2).
    desynchronised: bool = False
    #: A receive on this end has already reported the end of the stream.
    saw_end: bool = False
    #: The other end closed with data to it unread: the first receive after
    #: the drain may raise ConnectionResetError (PIPE-EOF-5).
    reset_pending: bool = False


@dataclass
class PipeModel:
    """Two ends and, per direction, the FIFO of sent-but-unreceived messages."""

    duplex: bool
    ends: tuple[EndState, EndState] = field(init=False)
    #: ``inbox[i]``: messages sent towards end ``i`` and not yet received.
    inbox: tuple[deque[Message], deque[Message]] = field(init=False)

    def __post_init__(self):
        # Simplex: the first end only receives, the second only sends (PIPE-SIMPLEX-1).
        self.ends = (EndState(readable=True, writable=self.duplex), EndState(readable=self.duplex, writable=True))
        self.inbox = (deque(), deque())

    # -- queries ---------------------------------------------------------------

    @staticmethod
    def other(end: int) -> int:
        return 1 - end

    def pending(self, end: int) -> list[Message]:
        """Messages waiting for ``end``, oldest first."""
        return list(self.inbox[end])

    def head(self, end: int) -> Optional[Message]:
        return self.inbox[end][0] if self.inbox[end] else None

    def can_receive(self, end: int) -> bool:
        """Whether ``end`` is open and readable."""
        state = self.ends[end]
        return not state.closed and state.readable

    def would_block(self, end: int) -> bool:
        """Whether a receive on ``end`` would wait for the other end (no prediction then)."""
        return self.can_receive(end) and not self.inbox[end] and not self.ends[self.other(end)].closed

    def delivers(self, end: int) -> bool:
        """Whether a send from ``end`` is predicted to be accepted."""
        state, peer = self.ends[end], self.ends[self.other(end)]
        return not state.closed and state.writable and not peer.closed

    def stalled_towards(self, end: int) -> bool:
        """Whether sends from ``end`` would pile up unread forever.

        True when the receiving end is open but can never read again (it
        lost its message framing to a too-long ``recv_bytes``).  Callers do
        not send then: a send could fill the buffer and block, and what
        happens to a simplex receive-only end after that error (CPython
        closes it) is not modelled.
        """
        receiver = self.ends[self.other(end)]
        return self.delivers(end) and receiver.desynchronised

    def fits(self, end: int, message: Message) -> bool:
        """Whether ``message`` sent from ``end`` fits beside the unread messages it joins."""
        unread = sum(m.footprint for m in self.inbox[self.other(end)])
        return unread + message.footprint <= UNREAD_BYTES_BOUND

    # -- operations ------------------------------------------------------------

    def send(self, end: int, message: Message) -> Prediction:
        """``send``/``send_bytes`` of ``message`` on ``end``."""
        state, peer = self.ends[end], self.ends[self.other(end)]
        if state.closed:
            return Prediction("PIPE-CLOSE-1", error=OSError)
        if not state.writable:
            return Prediction("PIPE-SIMPLEX-2", error=OSError)
        if peer.closed:
            return Prediction("PIPE-EOF-4", error=BrokenPipeError)
        assert not peer.desynchronised, "callers do not send towards a desynchronised end"
        self.inbox[self.other(end)].append(message)
        if state.desynchronised:
            return Prediction("PIPE-MAXLEN-2")
        return Prediction("PIPE-DUPLEX-2" if self.duplex else "PIPE-SIMPLEX-1")

    def _unreadable(self, end: int) -> Optional[Prediction]:
        state = self.ends[end]
        if state.closed:
            return Prediction("PIPE-CLOSE-1", error=OSError)
        if state.desynchronised:
            return Prediction("PIPE-MAXLEN-2", error=OSError)
        if not state.readable:
            return Prediction("PIPE-SIMPLEX-3", error=OSError)
        return None

    def _end_of_stream(self, end: int) -> Prediction:
        state = self.ends[end]
        if state.reset_pending:
            state.reset_pending = False
            state.saw_end = True
            return Prediction("PIPE-EOF-5", error=(EOFError, ConnectionResetError))
        if state.saw_end:
            return Prediction("PIPE-EOF-2", error=EOFError)
        state.saw_end = True
        return Prediction("PIPE-EOF-1", error=EOFError)

    def receive(self, end: int) -> Prediction:
        """``recv``/``recv_bytes``/``recv_bytes_into`` on ``end`` with room for the message.

        The predicted value is the :class:`Message` that must arrive.
        """
        refused = self._unreadable(end)
        if refused:
            return refused
        if self.inbox[end]:
            # Once the other end has closed, a message it sent is owed by PIPE-EOF-1.
            clause = "PIPE-EOF-1" if self.ends[self.other(end)].closed else "PIPE-FIFO-1"
            return Prediction(clause, value=self.inbox[end].popleft())
        assert self.ends[self.other(end)].closed, "would block: callers check would_block() first"
        return self._end_of_stream(end)

    def receive_too_long(self, end: int) -> Prediction:
        """``recv_bytes(maxlength)`` on ``end`` whose next message is longer than maxlength."""
        refused = self._unreadable(end)
        if refused:
            return refused
        head = self.inbox[end].popleft()
        assert head.is_bytes and head.value, "callers pick a non-empty byte message"
        # Its length header is consumed, its body is not: the end stays
        # unreadable, and the unread body counts as unread data on close.
        state = self.ends[end]
        state.readable = False
        state.desynchronised = True
        return Prediction("PIPE-MAXLEN-1", error=OSError)

    def receive_too_short(self, end: int) -> Prediction:
        """``recv_bytes_into`` on ``end`` with a buffer too short for the next message.

        The message is consumed (PIPE-INTO-4); the predicted value is it.
        """
        refused = self._unreadable(end)
        if refused:
            return refused
        return Prediction("PIPE-INTO-3", value=self.inbox[end].popleft())

    def poll(self, end: int) -> Prediction:
        """``poll()`` (any timeout) on ``end`` when it does not block."""
        refused = self._unreadable(end)
        if refused:
            return refused
        waiting = self.inbox[end]
        if waiting:
            empty_only = all(m.is_bytes and not m.value for m in waiting)
            return Prediction("PIPE-BYTES-2" if empty_only else "PIPE-POLL-6", value=True)
        if self.ends[self.other(end)].closed:
            return Prediction("PIPE-EOF-3", value=True)
        return Prediction("PIPE-POLL-6", value=False)

    def close(self, end: int) -> Prediction:
        """``close()`` on ``end``."""
        state, peer = self.ends[end], self.ends[self.other(end)]
        if state.closed:
            return Prediction("PIPE-CLOSE-2")
        state.closed = True
        # A duplex pipe is a socket pair: closing it with data unread resets
        # the other end once (PIPE-EOF-5).  Unread messages are discarded.
        if self.duplex and (self.inbox[end] or state.desynchronised):
            peer.reset_pending = True
        self.inbox[end].clear()
        return Prediction("PIPE-CLOSE-1")
