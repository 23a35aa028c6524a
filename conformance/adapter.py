"""The adapter protocol: how an implementation plugs into the suite.

An adapter is a plain, frozen :class:`Adapter` value.  It names the
implementation, gives a factory for each primitive it offers, declares the
parts of each primitive's documented API the implementation lacks, how soon
its queues publish a ``put``, any limits on what its queues hold, and how
the suite runs the workers and peers that share a primitive (the
launcher)::

    import multiprocessing
    from conformance import Adapter, Consistency, Feature
    from conformance.harness.launchers import Processes

    ADAPTER = Adapter(
        name="mine-spawn",
        implementation="mylib",
        version=mylib.__version__,
        queue=mylib.Queue,
        pipe=mylib.Pipe,
        lacks={Feature.QUEUE_QSIZE: "mylib counts nothing"},
        consistency=Consistency.EVENTUAL,
        launcher=Processes(mylib.get_context("spawn")),
    )

A primitive the adapter gives no factory for is not offered: its clauses
are not applicable.  A feature it lacks is declared with the reason; the
clauses needing it are then not applicable, and when the docs require the
feature, the primitive's API clause records the absence as a deviation.
Everything declared is checked by :func:`conformance.registry.validate`
before any test runs.
"""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from conformance.primitives import Feature, Primitive


class Consistency(str, enum.Enum):
    """How soon a ``put`` becomes visible to ``get_nowait``/``empty``.

    The declared rung of the consistency ladder for Queue and
    JoinableQueue; SimpleQueue and Pipe write synchronously and are always
    checked as exact (:attr:`Primitive.synchronous`).
    """

    #: Every operation takes effect between its call and its return: right
    #: after ``put`` returns, ``get_nowait`` succeeds and ``empty()`` is False.
    EXACT = "exact"
    #: ``put`` is accepted at once (``qsize``/``full``/``Full`` are exact) but
    #: published asynchronously, per-producer FIFO, within a deadline: the
    #: stdlib ``Queue`` with its feeder thread.
    EVENTUAL = "eventual"

    def __str__(self) -> str:
        return self.value


class Mode(enum.Enum):
    """How the suite's workers and peers run beside the test process (given by the adapter's launcher)."""

    #: Operating-system processes: the primitive crosses a process boundary.
    PROCESSES = "processes"
    #: Threads of the test process sharing the primitive.
    THREADS = "threads"
    #: asyncio tasks of one event loop, awaiting the primitive's coroutines.
    TASKS = "asyncio tasks"

    def __str__(self) -> str:
        return self.value


class Trait(enum.Enum):
    """A documented variant of the contract, rather than a part of the API."""

    #: Queues are proxies of ``queue.Queue`` objects held by a server process
    #: (``SyncManager``): ``queue.Queue``'s rules, no close(), no feeder thread.
    PROXY = "proxy"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Limits:
    """What an implementation's queues cannot hold, by design.

    The suite keeps every other check within these limits, and the clause
    about sizes (QUEUE-LARGE-1) checks beyond them.
    """

    #: The largest item a put accepts, in payload bytes (None: no limit).
    item_bytes: Optional[int] = None
    #: The most payload bytes a queue holds at once (None: no limit).
    held_bytes: Optional[int] = None

    def largest(self, size: int) -> int:
        """``size``, or the largest item a put accepts if that is smaller."""
        return size if self.item_bytes is None else min(size, self.item_bytes)

    def holds(self, size: int) -> bool:
        """Whether a queue holds ``size`` payload bytes at once."""
        return self.held_bytes is None or size <= self.held_bytes

    def describe(self) -> str:
        parts = []
        if self.item_bytes is not None:
            parts.append(f"items up to {self.item_bytes} bytes")
        if self.held_bytes is not None:
            parts.append(f"at most {self.held_bytes} bytes held")
        return ", ".join(parts) or "none"


class AdapterError(Exception):
    """An adapter cannot be found, loaded or trusted; the message says how to fix it."""


#: What ``lacks=`` takes: features with the reason each is absent, or just the features.
Lacks = Union[Mapping[Feature, str], Iterable[Feature]]


def _lacks(adapter_name: str, lacks: Lacks) -> Mapping[Feature, str]:
    pairs = lacks.items() if isinstance(lacks, Mapping) else ((f, "declared absent by the adapter") for f in lacks)
    declared = {}
    for feature, reason in pairs:
        if not isinstance(feature, Feature):
            raise AdapterError(
                f"adapter {adapter_name!r} declares it lacks {feature!r}, which is not a Feature; "
                f"use one of {', '.join('Feature.' + f.name for f in Feature)}"
            )
        declared[feature] = str(reason)
    return declared


@dataclass(frozen=True)
class Adapter:
    """One implementation under test, as the suite sees it.

    ``launcher`` runs the workers and peers that share a primitive with the
    test process (:mod:`conformance.harness.launchers`); without one, the
    processes of ``context`` (a ``multiprocessing`` context, or an object
    offering ``Process``) run them.  The harness coordinates them with its
    own channels, never with the implementation's primitives.
    """

    name: str
    implementation: str
    version: str
    context: Any = None
    start_method: Optional[str] = None
    queue: Optional[Callable[..., Any]] = None
    joinable_queue: Optional[Callable[..., Any]] = None
    simple_queue: Optional[Callable[[], Any]] = None
    pipe: Optional[Callable[..., tuple[Any, Any]]] = None
    lacks: Lacks = field(default_factory=dict)
    consistency: Consistency = Consistency.EVENTUAL
    launcher: Any = None
    traits: Iterable[Trait] = field(default_factory=frozenset)
    limits: Limits = field(default_factory=Limits)
    #: Called once when the test session ends (for example to stop a manager).
    shutdown: Optional[Callable[[], None]] = None
    #: The implementation's known deviations: the path of its expectations
    #: file (see :mod:`conformance.expectations`), used unless the run
    #: passes ``--ipc-expectations``.  Build it from ``__file__`` so it
    #: does not depend on the working directory.
    expectations: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "lacks", _lacks(self.name, self.lacks))
        try:
            object.__setattr__(self, "consistency", Consistency(self.consistency))
        except ValueError:
            raise AdapterError(
                f"adapter {self.name!r} declares consistency {self.consistency!r}; "
                f"use one of {[c.value for c in Consistency]}"
            ) from None
        traits = frozenset(self.traits)
        unknown = [t for t in traits if not isinstance(t, Trait)]
        if unknown:
            raise AdapterError(
                f"adapter {self.name!r} declares traits {unknown!r}; "
                f"use Trait members ({', '.join(t.name for t in Trait)})"
            )
        object.__setattr__(self, "traits", traits)
        if self.launcher is None:
            if not hasattr(self.context, "Process"):
                raise AdapterError(
                    f"adapter {self.name!r} gives neither a launcher nor a context with Process; pass "
                    "launcher=Processes(context), Threads() or Tasks() (conformance.harness.launchers)"
                )
            from conformance.harness.launchers import Processes

            object.__setattr__(self, "launcher", Processes(self.context))
        if self.start_method is None:
            object.__setattr__(self, "start_method", getattr(self.launcher, "start_method", None))

    # -- what the implementation offers -------------------------------------------------

    @property
    def primitives(self) -> tuple[Primitive, ...]:
        return tuple(p for p in Primitive if p.factory(self) is not None)

    def offers(self, primitive: Primitive) -> bool:
        return primitive.factory(self) is not None

    def has(self, feature: Feature) -> bool:
        """Whether some offered primitive documents ``feature`` and the adapter does not declare it absent."""
        return feature not in self.lacks and any(feature in p.features for p in self.primitives)

    def is_(self, trait: Trait) -> bool:
        return trait in self.traits

    @property
    def mode(self) -> "Mode":
        return self.launcher.mode

    @property
    def exact(self) -> bool:
        """Whether queue visibility is declared exact rather than eventual."""
        return self.consistency is Consistency.EXACT

    def consistency_of(self, primitive: Primitive) -> Consistency:
        """The level ``primitive`` is checked at: exact when it publishes synchronously, else the declared one."""
        return Consistency.EXACT if primitive.synchronous else self.consistency

    @property
    def features(self) -> frozenset[Feature]:
        return frozenset(f for p in self.primitives for f in p.features if f not in self.lacks)
