"""A pure model of a SimpleQueue, for the SimpleQueue state machine.

A SimpleQueue writes each item to its pipe before ``put`` returns, so the
model is a plain FIFO of the items whose ``put`` has returned, in any
process, and every answer of the implementation is compared with it
exactly.  (The machine checks a closed queue within a single step and then
replaces it, so the model has no closed state.)
"""

from collections import deque
from dataclasses import dataclass
from typing import Optional

from conformance.harness.operations import StandIn

#: Bytes a pickled :class:`Item` adds to its payload on the wire, with the
#: pipe's length header; generous, so pipe-capacity budgets stay safe.
WIRE_OVERHEAD = 128

_PATTERN = bytes(range(256))


@dataclass(frozen=True)
class Item:
    """A unique queue item: a serial number and a payload derived from it.

    The payload is a rotation of ``0..255`` starting at ``serial``, so a
    truncated, shifted or swapped payload compares unequal.
    """

    serial: int
    payload: bytes

    @classmethod
    def make(cls, serial: int, size: int) -> "Item":
        start = serial % 256
        repeats = (start + size) // 256 + 1
        return cls(serial, (_PATTERN * repeats)[start : start + size])

    @property
    def wire_size(self) -> int:
        """An upper bound on the bytes this item occupies in the pipe."""
        return len(self.payload) + WIRE_OVERHEAD

    def __repr__(self) -> str:
        return f"Item(#{self.serial}, {len(self.payload)}B)"


#: The methods that make an object a lock to the model.
LOCK_METHODS = frozenset({"acquire", "release"})


class AnyLock:
    """What the model holds for an unpicklable lock a put took after all: any lock that comes out matches it (also
    one a peer got, which reaches the test process as a stand-in with the lock's methods)."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StandIn):
            return LOCK_METHODS <= other.methods
        return isinstance(other, AnyLock) or all(callable(getattr(other, name, None)) for name in LOCK_METHODS)

    def __hash__(self) -> int:
        return 0

    @property
    def wire_size(self) -> int:
        return WIRE_OVERHEAD

    def __repr__(self) -> str:
        return "AnyLock()"


class SimpleQueueModel:
    """The items a conforming SimpleQueue holds, oldest first."""

    def __init__(self) -> None:
        self.items: deque[Item] = deque()

    @property
    def empty(self) -> bool:
        return not self.items

    @property
    def oldest(self) -> Optional[Item]:
        return self.items[0] if self.items else None

    @property
    def wire_size(self) -> int:
        """Bytes the held items occupy in the pipe (an upper bound)."""
        return sum(item.wire_size for item in self.items)

    def put(self, item: Item) -> None:
        self.items.append(item)

    def get(self) -> Item:
        return self.items.popleft()

    def explain(self, got: object) -> str:
        """How ``got`` differs from the item a get must return now, for a failure message."""
        expected = self.oldest
        if isinstance(got, Item) and isinstance(expected, Item) and got.serial == expected.serial:
            return f"got {got!r} with a payload that differs from the one put; expected {expected!r}"
        held = list(self.items)
        if got in held:
            return f"got {got!r}, which is not the oldest item; expected {expected!r} (held, oldest first: {held})"
        return f"got {got!r}, which is not in the queue; expected {expected!r}"

    def is_corruption(self, got: object) -> bool:
        """Whether ``got`` is the expected item with a damaged payload (not an ordering fault)."""
        expected = self.oldest
        return (
            isinstance(got, Item) and isinstance(expected, Item) and got.serial == expected.serial and got != expected
        )
