"""The primitives under test, as types: what each one offers and how its operations are called.

A :class:`Primitive` is a descriptor: the :class:`~conformance.adapter.Adapter`
field that gives its factory, the methods without which it cannot be tested
at all, the :class:`Feature` groups of documented API an implementation may
lack, and whether it publishes synchronously (exact consistency) whatever
the adapter declares.  A :class:`QueueCall` is one documented way of
calling ``put`` or ``get``: its arguments, whether it may wait, the feature
it needs and the clauses that govern its answer.

Adding a primitive means a member here, its model (``conformance/models``),
its machine (``conformance/machines``) and its spec section; the plugin,
the harness and the report take it from this descriptor.
"""

import enum
from typing import Any, Callable, Optional


class Feature(enum.Enum):
    """A documented part of one primitive's API, which an adapter may declare its implementation lacks.

    ``methods`` are looked up on an instance when the adapter is validated
    (argument forms have none to look up).  A feature the docs make
    optional (``optional``) may be absent from a conforming implementation;
    any other absence is a deviation the primitive's API clause grades.
    """

    QUEUE_BLOCK = ("the block argument of put() and get()", (), False)
    QUEUE_TIMEOUT = ("the timeout argument of put() and get()", (), False)
    QUEUE_NOWAIT = ("put_nowait() and get_nowait()", ("put_nowait", "get_nowait"), False)
    QUEUE_EMPTY_FULL = ("empty() and full()", ("empty", "full"), False)
    QUEUE_QSIZE = ("qsize()", ("qsize",), True)
    QUEUE_CLOSE = ("Queue.close()", ("close",), False)
    QUEUE_FEEDER = ("join_thread() and cancel_join_thread()", ("join_thread", "cancel_join_thread"), False)
    TASKS = ("task_done() and join()", ("task_done", "join"), False)
    SIMPLE_QUEUE_CLOSE = ("SimpleQueue.close()", ("close",), False)
    PIPE_BYTES = ("send_bytes() and recv_bytes()", ("send_bytes", "recv_bytes"), False)
    PIPE_INTO = ("recv_bytes_into()", ("recv_bytes_into",), False)
    PIPE_POLL = ("poll()", ("poll",), False)
    PIPE_SIMPLEX = ("Pipe(duplex=False)", (), False)

    def __init__(self, label: str, methods: tuple[str, ...], optional: bool):
        self.label = label
        self.methods = methods
        self.optional = optional

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"Feature.{self.name}"


_QUEUE_FEATURES = (
    Feature.QUEUE_BLOCK,
    Feature.QUEUE_TIMEOUT,
    Feature.QUEUE_NOWAIT,
    Feature.QUEUE_EMPTY_FULL,
    Feature.QUEUE_QSIZE,
    Feature.QUEUE_CLOSE,
    Feature.QUEUE_FEEDER,
)


class Primitive(enum.Enum):
    """One kind of object under test.

    ``attribute`` names the adapter's factory; ``basic`` the methods it
    cannot be tested without; ``features`` what else its API documents;
    ``synchronous`` whether it is always checked at exact consistency (it
    writes before ``put``/``send`` returns) rather than at the level the
    adapter declares for its queues.
    """

    QUEUE = ("queue", "Queue", ("put", "get"), _QUEUE_FEATURES, False)
    JOINABLE_QUEUE = ("joinable_queue", "JoinableQueue", ("put", "get"), _QUEUE_FEATURES + (Feature.TASKS,), False)
    SIMPLE_QUEUE = ("simple_queue", "SimpleQueue", ("put", "get", "empty"), (Feature.SIMPLE_QUEUE_CLOSE,), True)
    PIPE = (
        "pipe",
        "Pipe",
        ("send", "recv", "close"),
        (Feature.PIPE_BYTES, Feature.PIPE_INTO, Feature.PIPE_POLL, Feature.PIPE_SIMPLEX),
        True,
    )

    def __init__(
        self, attribute: str, title: str, basic: tuple[str, ...], features: tuple[Feature, ...], synchronous: bool
    ):
        self.attribute = attribute
        self.title = title
        self.basic = basic
        self.features = features
        self.synchronous = synchronous

    def __str__(self) -> str:
        return self.title

    def __repr__(self) -> str:
        return f"Primitive.{self.name}"

    @property
    def is_queue(self) -> bool:
        """A Queue or JoinableQueue: bounded, with the feeder-thread API."""
        return self in (Primitive.QUEUE, Primitive.JOINABLE_QUEUE)

    def factory(self, adapter) -> Optional[Callable[..., Any]]:
        return getattr(adapter, self.attribute)

    def make(self, adapter, *args: Any) -> Any:
        """A new instance from ``adapter``: ``queue(maxsize)``, ``simple_queue()``, ``pipe(duplex)``; no argument,
        the default."""
        return self.factory(adapter)(*args)

    def inspected(self, made: Any) -> Any:
        """The object whose methods the API documents: a pipe's first end, else the instance itself."""
        return made[0] if self is Primitive.PIPE else made


def primitive_of(feature: Feature) -> tuple[Primitive, ...]:
    """The primitives whose API documents ``feature``."""
    return tuple(p for p in Primitive if feature in p.features)


# -- the call forms of put and get ------------------------------------------------------------


class Wait(enum.Enum):
    """What a call may wait for when it cannot complete at once."""

    #: Never: it answers at once (``block=False``, ``*_nowait``, a zero or negative timeout).
    NEVER = "answers at once"
    #: At most its timeout, then it raises Full or Empty.
    TIMEOUT = "waits at most its timeout"
    #: As long as it takes (no timeout).
    FOREVER = "waits without limit"


class TimeoutArgument(enum.Enum):
    """The timeout a call form passes."""

    NONE = "none"
    #: One the call must ignore (with ``block=False``).
    IGNORED = "ignored"
    #: A short positive one the call must honour.
    SHORT = "short"
    ZERO = "zero"
    NEGATIVE = "negative"


class QueueCall(enum.Enum):
    """A documented way of calling ``put``/``get`` on a Queue.

    ``feature`` is what the form needs (None: the basic call); ``refusal``
    is the clause that governs a Full or Empty answer of this form, and
    ``wait`` how long it may take to give it.
    """

    PUT = ("put", "put({item})", None, None, Wait.FOREVER, TimeoutArgument.NONE, None)
    PUT_NOWAIT = (
        "put_nowait",
        "put_nowait({item})",
        None,
        Feature.QUEUE_NOWAIT,
        Wait.NEVER,
        TimeoutArgument.NONE,
        "QUEUE-MAXSIZE-1",
    )
    PUT_NOBLOCK = (
        "put",
        "put({item}, False)",
        False,
        Feature.QUEUE_BLOCK,
        Wait.NEVER,
        TimeoutArgument.NONE,
        "QUEUE-MAXSIZE-1",
    )
    PUT_NOBLOCK_TIMEOUT = (
        "put",
        "put({item}, False, {timeout})",
        False,
        Feature.QUEUE_BLOCK,
        Wait.NEVER,
        TimeoutArgument.IGNORED,
        "QUEUE-PUT-3",
    )
    PUT_BLOCK = ("put", "put({item}, True)", True, Feature.QUEUE_BLOCK, Wait.FOREVER, TimeoutArgument.NONE, None)
    PUT_BLOCK_TIMEOUT = (
        "put",
        "put({item}, True, {timeout})",
        True,
        Feature.QUEUE_BLOCK,
        Wait.TIMEOUT,
        TimeoutArgument.SHORT,
        "QUEUE-PUT-2",
    )
    PUT_TIMEOUT = (
        "put",
        "put({item}, timeout={timeout})",
        None,
        Feature.QUEUE_TIMEOUT,
        Wait.TIMEOUT,
        TimeoutArgument.SHORT,
        "QUEUE-PUT-2",
    )
    PUT_ZERO = (
        "put",
        "put({item}, True, 0)",
        True,
        Feature.QUEUE_BLOCK,
        Wait.NEVER,
        TimeoutArgument.ZERO,
        "QUEUE-TIMEOUT-1",
    )
    PUT_NEGATIVE = (
        "put",
        "put({item}, True, -1)",
        True,
        Feature.QUEUE_BLOCK,
        Wait.NEVER,
        TimeoutArgument.NEGATIVE,
        "QUEUE-TIMEOUT-1",
    )
    GET = ("get", "get()", None, None, Wait.FOREVER, TimeoutArgument.NONE, None)
    GET_NOWAIT = (
        "get_nowait",
        "get_nowait()",
        None,
        Feature.QUEUE_NOWAIT,
        Wait.NEVER,
        TimeoutArgument.NONE,
        "QUEUE-GET-3",
    )
    GET_NOBLOCK = ("get", "get(False)", False, Feature.QUEUE_BLOCK, Wait.NEVER, TimeoutArgument.NONE, "QUEUE-GET-3")
    GET_NOBLOCK_TIMEOUT = (
        "get",
        "get(False, {timeout})",
        False,
        Feature.QUEUE_BLOCK,
        Wait.NEVER,
        TimeoutArgument.IGNORED,
        "QUEUE-GET-3",
    )
    GET_BLOCK_TIMEOUT = (
        "get",
        "get(True, {timeout})",
        True,
        Feature.QUEUE_BLOCK,
        Wait.TIMEOUT,
        TimeoutArgument.SHORT,
        "QUEUE-GET-2",
    )
    GET_TIMEOUT = (
        "get",
        "get(timeout={timeout})",
        None,
        Feature.QUEUE_TIMEOUT,
        Wait.TIMEOUT,
        TimeoutArgument.SHORT,
        "QUEUE-GET-2",
    )
    GET_ZERO = ("get", "get(True, 0)", True, Feature.QUEUE_BLOCK, Wait.NEVER, TimeoutArgument.ZERO, "QUEUE-TIMEOUT-1")
    GET_NEGATIVE = (
        "get",
        "get(True, -1)",
        True,
        Feature.QUEUE_BLOCK,
        Wait.NEVER,
        TimeoutArgument.NEGATIVE,
        "QUEUE-TIMEOUT-1",
    )

    def __init__(self, method, shape, block, feature, wait, timeout, refusal):
        self.method = method
        self.shape = shape
        self.block = block
        self.feature = feature
        self.wait = wait
        self.timeout = timeout
        self.refusal = refusal

    def __repr__(self) -> str:
        return f"QueueCall.{self.name}"

    @property
    def puts(self) -> bool:
        return self.method.startswith("put")

    def value_of_timeout(self, drawn: Optional[float]) -> Optional[float]:
        """The timeout this form passes, given the one drawn for it (used by SHORT and IGNORED)."""
        return {
            TimeoutArgument.NONE: None,
            TimeoutArgument.IGNORED: drawn,
            TimeoutArgument.SHORT: drawn,
            TimeoutArgument.ZERO: 0,
            TimeoutArgument.NEGATIVE: -1,
        }[self.timeout]

    def arguments(self, item: Any = None, timeout: Optional[float] = None) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` of this form for ``item`` (puts) and the drawn ``timeout``."""
        args: tuple[Any, ...] = (item,) if self.puts else ()
        value = self.value_of_timeout(timeout)
        if self.block is not None:
            args += (self.block,) if value is None else (self.block, value)
            return args, {}
        return args, ({} if value is None else {"timeout": value})

    def describe(self, item: Any = None, timeout: Optional[float] = None) -> str:
        return self.shape.format(item=item, timeout=self.value_of_timeout(timeout))

    def invoke(self, queue: Any, item: Any = None, timeout: Optional[float] = None) -> Any:
        args, kwargs = self.arguments(item, timeout)
        return getattr(queue, self.method)(*args, **kwargs)

    def available_to(self, adapter) -> bool:
        return self.feature is None or adapter.has(self.feature)


def calls(adapter, *forms: QueueCall) -> tuple[QueueCall, ...]:
    """The forms among ``forms`` the adapter's queues offer, in order (never empty: the caller lists a basic one)."""
    return tuple(form for form in forms if form.available_to(adapter))


def waiting_get(adapter) -> QueueCall:
    """The form of ``get`` that waits for an item with a timeout, or without one where no timeout form is offered."""
    return calls(adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET)[0]
