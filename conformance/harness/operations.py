"""The operations a worker runs on a shared primitive, and the records of what they did.

A *script* is a tuple of :class:`Op`; running one (:func:`perform`) gives
a :class:`Record` per operation: which worker, which operation, what it
returned or raised, and ``time.monotonic_ns()`` at invocation and return
(CLOCK_MONOTONIC is system-wide on Linux, so times compare across
processes).  Items are unique ``(producer, sequence number)`` keys with a
payload that spells the key, so a torn or mixed item shows.

This module is imported by every worker, under any start method: it
depends on the standard library and light modules of the suite only.
"""

import enum
import queue as queue_module
from typing import Any, NamedTuple, Optional

from conformance.harness.deadline import CallKind, qualified_name, short
from conformance.primitives import QueueCall

#: Who put an item and its number in that producer's sequence: unique per scenario.
Key = tuple[str, int]

#: The names of a pipe's ends in scenarios: ``Pipe()`` returns ``(a, b)``.
ENDS = ("a", "b")


class Action(str, enum.Enum):
    """What an operation does: a call on the primitive, or a harness operation between workers."""

    PUT = "put"
    PUT_NOWAIT = "put_nowait"
    GET = "get"
    GET_NOWAIT = "get_nowait"
    QSIZE = "qsize"
    EMPTY = "empty"
    FULL = "full"
    #: ``close()`` then ``join_thread()``.
    FLUSH = "flush"
    #: ``cancel_join_thread()``.
    CANCEL = "cancel"
    #: Set a signal another worker waits for (the harness's own, never the implementation's).
    SIGNAL = "signal"
    #: Wait for a signal, up to the operation's timeout.
    WAIT = "wait"
    SEND = "send"
    RECV = "recv"
    POLL = "poll"
    CLOSE = "close"
    #: A ``recv()`` the scenario expects to raise EOFError (the checker decides whether it had to).
    EXPECT_EOF = "expect_eof"
    #: A ``send()`` the scenario expects to raise BrokenPipeError.
    EXPECT_BROKEN = "expect_broken"

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Action.{self.name}"

    @property
    def puts(self) -> bool:
        return self in (Action.PUT, Action.PUT_NOWAIT)

    @property
    def gets(self) -> bool:
        return self in (Action.GET, Action.GET_NOWAIT)


class Status(str, enum.Enum):
    """How an operation ended."""

    OK = "ok"
    RAISED = "raise"
    #: It did not return by its deadline; the record's return time is when the harness gave up.
    HUNG = "hung"

    def __str__(self) -> str:
        return self.value


class Op(NamedTuple):
    """One operation of a script.

    ``key`` identifies the item a put carries (or the signal of a
    signal/wait), ``size`` its payload length, ``timeout`` the timeout a
    timed form passes (and a wait's patience); ``form`` is the documented
    call form of a put or get (None: the basic ``put(obj)``/``get()``);
    ``end`` is the pipe end a pipe operation uses.
    """

    name: Action
    key: Any = None
    size: int = 0
    timeout: Optional[float] = None
    end: Optional[str] = None
    form: Optional[QueueCall] = None

    def __str__(self) -> str:
        prefix = "" if self.end is None else f"{self.end}."
        if self.name in (Action.PUT, Action.PUT_NOWAIT, Action.SEND, Action.EXPECT_BROKEN):
            args = [f"{self.key[0]}#{self.key[1]}/{_size(self.size)}"]
        elif self.name in (Action.SIGNAL, Action.WAIT):
            args = [f"e{self.key}"]
        else:
            args = []
        if self.timeout is not None:
            args.append(f"timeout={self.timeout:g}")
        return f"{prefix}{self.name}({', '.join(args)})"


def _size(n: int) -> str:
    return f"{n // 1024}KiB" if n >= 4096 else f"{n}B"


class Record(NamedTuple):
    """What one operation did.

    ``value`` is what it returned (for a get, the key of the item, or
    ``("corrupt", description)`` for an object that is not an intact item)
    or, when it raised, the exception: ``Empty``, ``Full``, or
    ``"module.Type: message"``.
    """

    process: str
    index: int
    op: Op
    status: Status
    value: Any
    t_inv: int
    t_ret: int

    def __str__(self) -> str:
        if self.status is Status.OK:
            shown = "" if self.value is None else f" -> {_show(self.value)}"
        elif self.status is Status.RAISED:
            shown = f" raised {self.value}"
        else:
            shown = " did not return"
        return f"{self.process}: {self.op}{shown} [{self.t_inv / 1e6:.3f}..{self.t_ret / 1e6:.3f} ms]"


def _show(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
        return f"{value[0]}#{value[1]}"
    return short(value)


def payload(key: Key, size: int) -> bytes:
    """The payload of item ``key``: ``size`` bytes that spell the key, so a torn or mixed item shows."""
    stamp = f"{key[0]}#{key[1]};".encode()
    return (stamp * (size // len(stamp) + 1))[:size]


def item(key: Key, size: int) -> tuple[str, int, bytes]:
    return (key[0], key[1], payload(key, size))


def received(obj: Any) -> Any:
    """The key of ``obj`` if it is an intact item, else ``("corrupt", description)``."""
    if (
        isinstance(obj, tuple)
        and len(obj) == 3
        and isinstance(obj[0], str)
        and isinstance(obj[1], int)
        and isinstance(obj[2], bytes)
        and obj[2] == payload((obj[0], obj[1]), len(obj[2]))
    ):
        return (obj[0], obj[1])
    return ("corrupt", short(obj))


class StandIn:
    """What a process worker's call returned that the standard pickle cannot carry back to the test process.

    An implementation that pickles with more than the standard pickle
    (dill, cloudpickle) can deliver such an object, and the call returned
    it all the same.  The stand-in keeps what the checks compare: the
    object's type, its repr and its public methods (a model that matches
    an object by its interface, such as any lock, compares those).  It
    equals nothing but itself, so it is never taken for an item that was
    put, nor two of them for one item got twice.
    """

    __slots__ = ("type_name", "text", "methods")

    def __init__(self, type_name: str, text: str, methods: frozenset[str]):
        self.type_name = type_name
        self.text = text
        self.methods = methods

    @classmethod
    def of(cls, obj: Any) -> "StandIn":
        kind = qualified_name(type(obj))
        try:
            text = short(obj)
        except Exception:  # the implementation's __repr__ may raise anything
            text = f"<{kind} object>"
        return cls(kind, text, frozenset(_methods(obj)))

    def __repr__(self) -> str:
        return f"{self.text} (a {self.type_name} the harness's pickle cannot carry back)"


def _methods(obj: Any) -> list[str]:
    """The names of ``obj``'s public methods (an attribute that cannot be read is none)."""
    found = []
    try:
        names = dir(obj)
    except Exception:  # the implementation's __dir__ may raise anything
        return found
    for name in names:
        if name.startswith("_"):
            continue
        try:
            if callable(getattr(obj, name)):
                found.append(name)
        except Exception:  # a property of the implementation may raise anything
            continue
    return found


def exception_name(exc: BaseException) -> str:
    """How a record names an exception: the queue module's signals by their short names, any other with its module."""
    if isinstance(exc, queue_module.Empty):
        return "Empty"
    if isinstance(exc, queue_module.Full):
        return "Full"
    return f"{qualified_name(type(exc))}: {short(exc)}"


def call_of(op: Op) -> QueueCall:
    """The call form a queue put or get uses: the op's own, else the basic one for its action."""
    if op.form is not None:
        return op.form
    return {
        Action.PUT: QueueCall.PUT,
        Action.PUT_NOWAIT: QueueCall.PUT_NOWAIT,
        Action.GET: QueueCall.GET,
        Action.GET_NOWAIT: QueueCall.GET_NOWAIT,
    }[op.name]


class Invocation(NamedTuple):
    """What :func:`prepare` makes of an operation: the method to call (and await, for a coroutine), its arguments
    and how to read its result."""

    method: Any
    args: tuple[Any, ...]
    kwargs: dict
    reads_item: bool


def prepare(resource: Any, op: Op, coroutines: bool = False) -> Optional[Invocation]:
    """The call ``op`` makes on ``resource`` (on a pipe: on its end), or None for a harness operation.

    With ``coroutines``, the call is the primitive's ``coro_<method>``
    where it has one (the coroutine API of aioprocessing and its kind).
    """
    target = resource[ENDS.index(op.end)] if op.end is not None else resource
    name, args, kwargs, reads = op.name, (), {}, False
    if op.name.puts:
        form = call_of(op)
        (args, kwargs), name = form.arguments(item(op.key, op.size), op.timeout), form.method
    elif op.name.gets:
        form = call_of(op)
        (args, kwargs), name, reads = form.arguments(timeout=op.timeout), form.method, True
    elif op.name in (Action.SEND, Action.EXPECT_BROKEN):
        name, args = "send", (item(op.key, op.size),)
    elif op.name in (Action.RECV, Action.EXPECT_EOF):
        name, reads = "recv", True
    elif op.name is Action.POLL:
        args = () if op.timeout is None else (op.timeout,)
    elif op.name is Action.CANCEL:
        name = "cancel_join_thread"
    elif op.name in (Action.FLUSH, Action.SIGNAL, Action.WAIT):
        return None
    method = getattr(target, f"coro_{name}", None) if coroutines else None
    return Invocation(method or getattr(target, str(name)), args, kwargs, reads)


#: Operations that return once another process has read, sent or closed (or, for a flush, read what it put).
AWAITING_OTHERS = (Action.FLUSH, Action.SEND, Action.RECV, Action.EXPECT_EOF, Action.EXPECT_BROKEN, Action.CLOSE)


def deadline_of(op: Op) -> float:
    """Seconds ``op`` may take before it counts as hung.

    A queue call returns at once or after its timeout, so it gets its
    timeout plus :data:`timing.TIMEOUT_LATE` (a read of a torn frame blocks
    for ever: this is what bounds it); a flush, and a pipe's ``send``,
    ``recv``, ``close`` and probes (which return once the other process has
    read, sent or closed) :data:`timing.OPERATION_DEADLINE`; a ``wait``
    twice that, so when a signaller hangs, the signaller's operation is
    reported first.
    """
    from conformance.harness import timing

    if op.name is Action.WAIT:
        return 2 * timing.OPERATION_DEADLINE
    if op.name in AWAITING_OTHERS:
        return timing.OPERATION_DEADLINE
    return (op.timeout or 0.0) + timing.TIMEOUT_LATE


def kind_of(op: Op) -> Optional[CallKind]:
    """What ``op`` is, for recognising its hang while shrinking (:func:`~conformance.harness.deadline.patience`):
    an operation that returns at once or after its timeout is waited for that plus :data:`timing.SHRINK_WAIT` once
    one like it has hung in the failure; None for one whose time depends on other workers."""
    from conformance.harness import timing

    if op.name is Action.WAIT or op.name in AWAITING_OTHERS:
        return None
    return CallKind(op.form or op.name, (op.timeout or 0.0) + timing.SHRINK_WAIT)


#: Operations that may wait for another worker to act: the crew drains for workers that are all in one of these.
WAITS_FOR_OTHERS = (Action.FLUSH, Action.WAIT)
