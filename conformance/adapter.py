"""The adapter protocol: how an implementation plugs into the suite.

An adapter is a plain, frozen :class:`Adapter` value.  It names the
implementation, gives a factory for each primitive it offers, the context
whose ``Process`` and ``Pipe`` the harness uses to start peer processes, the
capabilities it claims and the consistency level of its queues::

    import multiprocessing
    from conformance.adapter import Adapter, Capability, Consistency

    ctx = multiprocessing.get_context("spawn")
    ADAPTER = Adapter(
        name="mine-spawn",
        implementation="mylib",
        version=mylib.__version__,
        start_method="spawn",
        context=ctx,
        queue=mylib.Queue,
        pipe=mylib.Pipe,
        capabilities={Capability.QSIZE, Capability.TIMEOUTS, Capability.CLOSE, Capability.INHERITANCE},
        consistency=Consistency.EVENTUAL,
    )

A primitive the adapter offers no factory for is a declared absence: its
tests are skipped with a reason naming it.  Everything the adapter claims is
verified by :func:`conformance.registry.validate` before any test runs.
"""

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, FrozenSet, Iterable, Optional, Tuple


class Capability(str, enum.Enum):
    """Named things an implementation may or may not offer.

    The four primitives are capabilities too; they are derived from which
    factories the adapter gives, never declared by hand.
    """

    #: ``queue(maxsize)`` returns a ``multiprocessing.Queue``-like object.
    QUEUE = "queue"
    #: ``joinable_queue(maxsize)`` returns a ``JoinableQueue``-like object.
    JOINABLE_QUEUE = "joinable_queue"
    #: ``simple_queue()`` returns a ``SimpleQueue``-like object.
    SIMPLE_QUEUE = "simple_queue"
    #: ``pipe(duplex)`` returns a pair of ``Connection``-like ends.
    PIPE = "pipe"
    #: ``qsize()`` is implemented (it may raise NotImplementedError on macOS).
    QSIZE = "qsize"
    #: ``put``/``get`` take ``block`` and ``timeout`` arguments.
    TIMEOUTS = "timeouts"
    #: Queues have ``close()``, ``join_thread()`` and ``cancel_join_thread()``.
    CLOSE = "close"
    #: Joinable queues have ``task_done()`` and ``join()``.
    TASK_DONE = "task_done"
    #: ``SimpleQueue.close()`` exists (3.9+ in CPython).
    SIMPLE_QUEUE_CLOSE = "simple_queue_close"
    #: Primitives can be handed to a child started by ``context.Process``.
    INHERITANCE = "inheritance"
    #: Peers are threads, not processes (``queue.Queue``, ``multiprocessing.dummy``).
    THREAD_ONLY = "thread_only"
    #: Queues are proxies of ``queue.Queue`` objects held by a server process
    #: (``SyncManager``): ``queue.Queue``'s argument rules, no feeder thread.
    PROXY = "proxy"

    def __str__(self) -> str:
        return self.value


#: Capabilities that follow from the factories an adapter gives.
PRIMITIVES: Tuple[Capability, ...] = (
    Capability.QUEUE,
    Capability.JOINABLE_QUEUE,
    Capability.SIMPLE_QUEUE,
    Capability.PIPE,
)

#: The methods every instance of a primitive must have.
PRIMITIVE_METHODS = {
    Capability.QUEUE: ("put", "get", "put_nowait", "get_nowait", "empty", "full"),
    Capability.JOINABLE_QUEUE: ("put", "get", "put_nowait", "get_nowait", "empty", "full"),
    Capability.SIMPLE_QUEUE: ("put", "get", "empty"),
    Capability.PIPE: ("send", "recv", "send_bytes", "recv_bytes", "recv_bytes_into", "poll", "close"),
}

#: For each capability that promises methods: the primitives it applies to, and the methods.
CAPABILITY_METHODS = {
    Capability.QSIZE: ((Capability.QUEUE, Capability.JOINABLE_QUEUE), ("qsize",)),
    Capability.CLOSE: ((Capability.QUEUE, Capability.JOINABLE_QUEUE), ("close", "join_thread", "cancel_join_thread")),
    Capability.TASK_DONE: ((Capability.JOINABLE_QUEUE,), ("task_done", "join")),
    Capability.SIMPLE_QUEUE_CLOSE: ((Capability.SIMPLE_QUEUE,), ("close",)),
}


class Consistency(str, enum.Enum):
    """How soon a ``put`` becomes visible to ``get_nowait``/``empty``.

    This is the declared rung of the consistency ladder for ``queue`` and
    ``joinable_queue``; ``simple_queue`` and ``pipe`` write synchronously in
    the reference and are always checked as exact.
    """

    #: Every operation takes effect between its call and its return: right
    #: after ``put`` returns, ``get_nowait`` succeeds and ``empty()`` is False.
    #: SimpleQueue and the Manager queue proxy are exact.
    EXACT = "exact"
    #: ``put`` is accepted at once (``qsize``/``full``/``Full`` are exact) but
    #: published asynchronously, per-producer FIFO, within a deadline: the
    #: stdlib ``Queue`` with its feeder thread.
    EVENTUAL = "eventual"

    def __str__(self) -> str:
        return self.value


class AdapterError(Exception):
    """An adapter cannot be found, loaded or trusted; the message says how to fix it."""


def _capability(adapter_name: str, value: Any) -> Capability:
    try:
        return Capability(value)
    except ValueError:
        raise AdapterError(
            f"adapter {adapter_name!r} declares unknown capability {value!r}; "
            f"valid capabilities are {', '.join(c.value for c in Capability)}"
        ) from None


@dataclass(frozen=True)
class Adapter:
    """One implementation under test, as the suite sees it.

    ``context`` must offer ``Process`` (a ``multiprocessing.Process``-like
    class) and ``Pipe``; the harness uses them for its own control channels
    to peer processes, never as the implementation under test.
    """

    name: str
    implementation: str
    version: str
    context: Any
    start_method: Optional[str] = None
    queue: Optional[Callable[..., Any]] = None
    joinable_queue: Optional[Callable[..., Any]] = None
    simple_queue: Optional[Callable[[], Any]] = None
    pipe: Optional[Callable[..., Tuple[Any, Any]]] = None
    capabilities: Iterable[Capability] = field(default_factory=frozenset)
    consistency: Consistency = Consistency.EVENTUAL
    #: Called once when the test session ends (for example to stop a manager).
    shutdown: Optional[Callable[[], None]] = None
    #: The implementation's known deviations: the path of its expectations
    #: file (see :mod:`conformance.expectations`), used unless the run
    #: passes ``--ipc-expectations``.  Build it from ``__file__`` so it
    #: does not depend on the working directory.
    expectations: Optional[str] = None

    def __post_init__(self):
        declared = frozenset(_capability(self.name, c) for c in self.capabilities)
        if declared & set(PRIMITIVES):
            raise AdapterError(
                f"adapter {self.name!r} declares primitive capabilities "
                f"{sorted(str(c) for c in declared & set(PRIMITIVES))}; give a factory instead "
                "(queue=..., joinable_queue=..., simple_queue=..., pipe=...)"
            )
        offered = frozenset(p for p in PRIMITIVES if getattr(self, p.value) is not None)
        object.__setattr__(self, "capabilities", declared | offered)
        try:
            object.__setattr__(self, "consistency", Consistency(self.consistency))
        except ValueError:
            raise AdapterError(
                f"adapter {self.name!r} declares consistency {self.consistency!r}; "
                f"use one of {[c.value for c in Consistency]}"
            ) from None

    def has(self, *capabilities: Capability) -> bool:
        return all(Capability(c) in self.capabilities for c in capabilities)

    def missing(self, capabilities: Iterable[Capability]) -> FrozenSet[Capability]:
        return frozenset(Capability(c) for c in capabilities) - self.capabilities

    @property
    def exact(self) -> bool:
        """Whether queue visibility is declared exact rather than eventual."""
        return self.consistency is Consistency.EXACT
