"""A pure model of a multiprocessing queue, for the queue state machine.

The model tracks what the test *asked for* and what was *accepted*: which
items each producer put, in order, which are still held, the capacity, the
unfinished-task count and whether this process closed the queue.  Counts
(``held``, ``full``, ``unfinished``) never depend on racing answers, so the
machine's preconditions built on them are deterministic.

Which item a ``get`` may return depends on the consistency level: under
``eventual`` only each producer's order is promised, so any producer's
oldest held item is acceptable; under ``exact`` puts are totally ordered and
only the globally oldest item is.

After a tolerated deviation in which accepted items did not show up, the
machine may *abandon* them: they leave the model's order for a limbo from
which they may still come out, late and in any order, or never.
"""

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Item:
    """A unique, comparable queue item: who put it, its sequence number and a payload."""

    producer: str
    seq: int
    payload: bytes = b""

    def __repr__(self) -> str:
        return f"Item({self.producer}#{self.seq}, {len(self.payload)}B)"


@dataclass
class QueueModel:
    """What a conforming queue holds, as seen by a sequential test."""

    maxsize: Optional[int]  # None means unbounded
    exact: bool
    closed: bool = False
    unfinished: int = 0
    _by_producer: dict[Hashable, deque[tuple[int, Item]]] = field(default_factory=dict)
    _order: int = 0
    #: Payload sizes of every item each producer put, in order.
    _put_sizes: dict[Hashable, list[int]] = field(default_factory=dict)
    #: Abandoned items: accepted, never shown in time, and maybe still to come.
    limbo: set[Item] = field(default_factory=set)

    @property
    def held(self) -> int:
        return sum(len(q) for q in self._by_producer.values())

    @property
    def empty(self) -> bool:
        return self.held == 0

    @property
    def full(self) -> bool:
        return self.maxsize is not None and self.held >= self.maxsize

    def held_bytes(self, producer: Hashable) -> int:
        """At most how many payload bytes of ``producer``'s items are not yet got.

        Which producer's item a get returns is racy at eventual consistency,
        so the items of one producer still held are not known; but they
        come out in order, so they are at most its last ``held`` items.
        This bound depends only on what the test asked for, as a
        precondition must.
        """
        sizes = self._put_sizes.get(producer, [])
        return sum(sizes[len(sizes) - min(self.held, len(sizes)) :])

    def put(self, item: Item) -> None:
        self._by_producer.setdefault(item.producer, deque()).append((self._order, item))
        self._put_sizes.setdefault(item.producer, []).append(len(item.payload))
        self._order += 1
        self.unfinished += 1

    def acceptable(self) -> list[Item]:
        """The items a get may return now, oldest first."""
        heads = [q[0] for q in self._by_producer.values() if q]
        if self.exact:
            heads = [min(heads, key=lambda entry: entry[0])] if heads else []
        return [item for _, item in sorted(heads, key=lambda entry: entry[0])]

    def take(self, item: Item) -> bool:
        """Remove ``item`` if a get may return it now (an abandoned one may come at any time); False if it may not."""
        if item in self.limbo:
            self.limbo.discard(item)
            return True
        if item not in self.acceptable():
            return False
        self._by_producer[item.producer].popleft()
        return True

    def abandon(self) -> None:
        """Move every held item to the limbo: no get has to return them any more, but one may."""
        for entries in self._by_producer.values():
            self.limbo.update(item for _, item in entries)
            entries.clear()

    def discard(self, item: Item) -> None:
        """Remove ``item`` wherever it is held (to resynchronise after a violation)."""
        for entries in self._by_producer.values():
            for entry in entries:
                if entry[1] == item:
                    entries.remove(entry)
                    return

    def remaining(self) -> list[Item]:
        return [item for _, item in sorted(e for q in self._by_producer.values() for e in q)]

    def explain(self, got: object) -> str:
        """Why ``got`` is not an acceptable answer, for a failure message."""
        if not isinstance(got, Item):
            return f"got {got!r}, which no producer put (expected one of {self.acceptable()})"
        held = [item for q in self._by_producer.values() for _, item in q]
        if got not in held:
            return f"got {got!r}, which was already got or never put (expected one of {self.acceptable()})"
        return f"got {got!r} before older items; expected one of {self.acceptable()}"
