"""The history checker: is a recorded concurrent history allowed at the queue's consistency level?

Input: every :class:`~conformance.harness.workers.Record` of one scenario
execution (the prefix in the test process, the workers, the final drain),
which workers flushed or exited normally, and the level the adapter claims.
Items are unique, so every check is a polynomial pass over the records, and
each violation comes with the few records that witness it:

* **status** (CONC-SAFE-1): each call returned or raised only what it may,
  and a timed call returned within its timeout plus ``TIMEOUT_LATE``;
* **fresh, intact** (SHARE-SAFE-2, QUEUE-DELIVERY-1): every item got is an
  intact item some put offered, got after that put began, and not one whose
  put raised ``Full``;
* **once** (CONC-CONSUMERS-1): no item is got twice;
* **not lost** (QUEUE-FLUSH-1/2, QUEUE-DELIVERY-1): every accepted item is
  got by the end of the drain, except those of a producer that called
  ``cancel_join_thread()`` (CONC-CANCEL-1);
* **order** (QUEUE-FIFO-1, CONC-ORDER-1): for two items of one producer,
  the later is never got by a get that returned before the get of the
  earlier began, nor earlier by the same consumer; at exact consistency
  the same for any two items whose puts did not overlap (QUEUE-FIFO-2,
  SQ-SHARED-1);
* **counting** (CONC-COUNT-1, QUEUE-MAXSIZE-1/2, QUEUE-PUT-2): ``qsize()``,
  ``full()``, ``empty()`` False and ``Full`` must match an occupancy
  possible during the call.  With ``A_ret(t)`` the puts accepted by ``t``,
  ``A_inv(t)`` the puts begun by ``t`` (not refused), ``R_inv(t)``/``R_ret(t)``
  the successful gets begun/returned by ``t``, the occupancy during
  ``[t0, t1]`` lies in ``[A_ret(t0) - R_inv(t1), A_inv(t1) - R_ret(t0)]``;
* **emptiness** (CONC-EMPTY-1, QUEUE-VISIBLE-2, SQ-EMPTY-1): a call that
  reports an empty queue is wrong when ``available(t0) - R_inv(t1) >= 1``,
  where ``available`` counts the accepted items (exact level) or the
  accepted items of producers whose flush returned before ``t0`` (eventual
  level, which also excuses non-blocking gets that overlap another get).

Interesting but allowed outcomes are returned as event labels, and the
strongest level the history is consistent with as ``observed``.
"""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from conformance.harness import timing
from conformance.harness.workers import Record

EXACT, EVENTUAL = "exact", "eventual"
DRAIN = "drain"

#: Exceptions each operation may raise (by the worker's name for them).
_ALLOWED = {
    "put_nowait": ("Full",),
    "get_nowait": ("Empty",),
}


@dataclass
class History:
    """One execution's records and what the checker needs to know about its processes."""

    kind: str
    maxsize: Optional[int]
    level: str
    records: List[Record]
    #: Workers that exited normally (their flush point is their exit).
    exited: Set[str] = field(default_factory=set)
    #: Workers that called cancel_join_thread(): their items may be lost.
    cancelled: Set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return "\n".join(f"  {r}" for r in sorted(self.records, key=lambda r: r.t_inv))


@dataclass
class Violation:
    clause: str
    message: str
    witness: Tuple[Record, ...] = ()

    def __str__(self) -> str:
        lines = [self.message] + [f"    {r}" for r in sorted(self.witness, key=lambda r: r.t_inv)]
        return "\n".join(lines)


@dataclass
class Verdict:
    violations: List[Violation]
    events: Set[str]
    observed: str


def _is_put(r: Record) -> bool:
    return r.op.name in ("put", "put_nowait")


def _is_get(r: Record) -> bool:
    return r.op.name in ("get", "get_nowait")


def _got(r: Record) -> bool:
    return _is_get(r) and r.status == "ok"


def _key(r: Record):
    return r.value if _got(r) and not (isinstance(r.value, tuple) and r.value[:1] == ("corrupt",)) else None


class _Counts:
    """Occupancy bounds from put/get intervals (see the module docstring)."""

    def __init__(self, records: Sequence[Record]):
        self.accepted = sorted(r.t_ret for r in records if _is_put(r) and r.status == "ok")
        self.begun = sorted(r.t_inv for r in records if _is_put(r) and r.status in ("ok", "hung"))
        gets = [r for r in records if _is_get(r) and r.status in ("ok", "hung")]
        self.gets_begun = sorted(r.t_inv for r in gets)
        self.gets_returned = sorted(r.t_ret for r in gets if r.status == "ok")

    @staticmethod
    def _before(times: List[int], t: int) -> int:
        return bisect_left(times, t)

    def low(self, t0: int, t1: int) -> int:
        return self._before(self.accepted, t0) - self._before(self.gets_begun, t1)

    def high(self, t0: int, t1: int) -> int:
        return self._before(self.begun, t1) - self._before(self.gets_returned, t0)


class _Checker:
    def __init__(self, history: History):
        self.h = history
        self.records = history.records
        self.exact = history.level == EXACT
        self.simple = history.kind == "simple_queue"
        self.violations: List[Violation] = []
        self.events: Set[str] = set()
        self.eventual_seen = False
        self.puts: Dict[object, Record] = {}
        for r in self.records:
            if _is_put(r):
                self.puts[r.op.key] = r
        self.gets: Dict[object, List[Record]] = defaultdict(list)
        for r in self.records:
            key = _key(r)
            if key is not None:
                self.gets[key].append(r)
        self.counts = _Counts(self.records)

    def fail(self, clause: str, message: str, *witness: Record) -> None:
        self.violations.append(Violation(clause, message, tuple(witness)))

    # -- clause names that depend on the primitive ------------------------------------

    def _delivery(self) -> str:
        return "SQ-SHARED-1" if self.simple else "QUEUE-DELIVERY-1"

    def _global_fifo(self) -> str:
        return "SQ-SHARED-1" if self.simple else "QUEUE-FIFO-2"

    # -- the checks --------------------------------------------------------------------

    def status(self) -> None:
        for r in self.records:
            if r.status == "hung":
                self.fail("CONC-SAFE-1", f"{r.process}: {r.op} never returned", r)
                continue
            if r.status != "raise":
                if r.op.timeout is not None and r.op.name != "wait":
                    self._timely(r)
                continue
            allowed = _ALLOWED.get(r.op.name, ())
            if r.op.timeout is not None and r.op.name in ("get", "put"):
                allowed = ("Empty",) if r.op.name == "get" else ("Full",)
            if r.value not in allowed:
                self.fail("CONC-SAFE-1", f"{r.process}: {r.op} raised {r.value}", r)
            elif r.op.timeout is not None:
                self._timely(r)

    def _timely(self, r: Record) -> None:
        took = (r.t_ret - r.t_inv) / 1e9
        if took > r.op.timeout + timing.TIMEOUT_LATE:
            self.fail("CONC-SAFE-1", f"{r.process}: {r.op} took {took:.3f}s", r)

    def fresh_and_once(self) -> None:
        for r in self.records:
            if _got(r) and _key(r) is None:
                self.fail("SHARE-SAFE-2", f"{r.process}: {r.op} returned an item that is not intact: {r.value[1]}", r)
        for key, gets in self.gets.items():
            put = self.puts.get(key)
            if put is None:
                self.fail("SHARE-SAFE-2", f"item {key} was got but never put by anyone", *gets)
                continue
            if put.status == "raise":
                self.fail(self._delivery(), f"item {key} was got although its put raised {put.value}", put, *gets)
            early = [g for g in gets if g.t_ret < put.t_inv]
            if early:
                self.fail(self._delivery(), f"item {key} was got before its put began", put, *early)
            if len(gets) > 1:
                clause = "CONC-CONSUMERS-1" if len({g.process for g in gets}) > 1 else self._delivery()
                self.fail(clause, f"item {key} was got {len(gets)} times", put, *gets)

    def not_lost(self) -> None:
        flushed = self._flush_times()
        for key, put in self.puts.items():
            if put.status != "ok" or key in self.gets or put.process in self.h.cancelled:
                continue
            if self.simple:
                clause = self._delivery()
            elif put.process in flushed:
                clause = "QUEUE-FLUSH-1"
            elif put.process in self.h.exited:
                clause = "QUEUE-FLUSH-2"
            else:
                clause = "QUEUE-DELIVERY-1"
            self.fail(clause, f"item {key} was accepted but never got, not even by the final drain", put)

    def order(self) -> None:
        by_producer: Dict[str, List[Record]] = defaultdict(list)
        for r in sorted(self.puts.values(), key=lambda r: (r.process, r.index)):
            if r.status == "ok":
                by_producer[r.process].append(r)
        for puts in by_producer.values():
            for i, first in enumerate(puts):
                for later in puts[i + 1:]:
                    self._ordered(first, later, per_producer=True)
        accepted = [r for r in self.puts.values() if r.status == "ok"]
        for x in accepted:
            for y in accepted:
                if x.process != y.process and x.t_ret < y.t_inv:
                    self._ordered(x, y, per_producer=False)

    def _ordered(self, first: Record, later: Record, per_producer: bool) -> None:
        """``first``'s item must not come out after ``later``'s."""
        a, b = self.gets.get(first.op.key), self.gets.get(later.op.key)
        if not a or not b:
            return
        ga, gb = a[0], b[0]
        same_consumer = ga.process == gb.process and gb.index < ga.index
        realtime = gb.t_ret < ga.t_inv
        if not (same_consumer or realtime):
            return
        how = "by the same consumer" if same_consumer else "by a get that returned before the other began"
        if per_producer:
            if self.simple:
                clause = "SQ-SHARED-1"
            else:
                clause = "QUEUE-FIFO-1" if same_consumer else "CONC-ORDER-1"
            self.fail(clause, f"{later.op.key} was got before {first.op.key}, which {first.process} put first ({how})",
                      first, later, ga, gb)
        elif self.exact:
            self.fail(self._global_fifo(), f"{later.op.key} was got before {first.op.key}, whose put returned before "
                      f"{later.op.key}'s began ({how})", first, later, ga, gb)
        else:
            self.events.add("cross-producer inversion")
            self.eventual_seen = True

    def counting(self) -> None:
        m = self.h.maxsize
        for r in self.records:
            if r.status == "hung" or r.process == DRAIN and r.op.name != "qsize":
                continue
            low = max(0, self.counts.low(r.t_inv, r.t_ret))
            high = self.counts.high(r.t_inv, r.t_ret)
            name = r.op.name
            if name == "qsize" and r.status == "ok" and not low <= r.value <= high:
                self.fail("CONC-COUNT-1", f"{r.process}: qsize() returned {r.value}; the queue held between {low} and "
                          f"{high} items during the call", r)
            elif name == "full" and r.status == "ok":
                could_be_full = m is not None and high >= m
                could_be_room = m is None or low < m
                if (r.value and not could_be_full) or (not r.value and not could_be_room):
                    self.fail("CONC-COUNT-1", f"{r.process}: full() returned {r.value}; the queue held between {low} "
                              f"and {high} items during the call (maxsize {m})", r)
            elif name == "empty" and r.status == "ok" and r.value is False and high < 1:
                self.fail("CONC-COUNT-1", f"{r.process}: empty() returned False; no item could have been in the queue", r)
            elif name in ("put", "put_nowait") and not self.simple:
                timed = name == "put" and r.op.timeout is not None
                if r.status == "raise" and r.value == "Full":
                    if m is None or high < m:
                        self.fail("QUEUE-PUT-2" if timed else "QUEUE-MAXSIZE-2",
                                  f"{r.process}: {r.op} raised Full; the queue held at most {high} items during the "
                                  f"call (maxsize {m})", r)
                    elif any(g.process != r.process and g.t_inv < r.t_ret and r.t_inv < g.t_ret
                             for g in self.records if _is_get(g)):
                        self.events.add("Full under contention")
                elif r.status == "ok" and m is not None and low >= m:
                    self.fail("QUEUE-PUT-2" if timed else "QUEUE-MAXSIZE-1",
                              f"{r.process}: {r.op} succeeded while the queue held at least {low} items throughout "
                              f"(maxsize {m})", r)

    def emptiness(self) -> None:
        flushed = self._flush_times()
        accepted = [p for p in self.puts.values() if p.status == "ok"]
        for r in self.records:
            if r.process == DRAIN or r.status == "hung":
                continue
            says_empty = (r.op.name in ("get", "get_nowait") and r.status == "raise" and r.value == "Empty") or (
                r.op.name == "empty" and r.status == "ok" and r.value is True
            )
            if not says_empty:
                continue
            taken = self.counts._before(self.counts.gets_begun, r.t_ret)
            present = sum(p.t_ret < r.t_inv for p in accepted) - taken
            if self.exact:
                if present >= 1:
                    clause = "SQ-EMPTY-1" if self.simple else "QUEUE-VISIBLE-2"
                    self.fail(clause, f"{r.process}: {r.op} reported an empty queue while at least {present} accepted "
                              "item(s) were there throughout", r)
                continue
            overlapped = r.op.name != "empty" and any(
                g is not r and _is_get(g) and g.t_inv < r.t_ret and r.t_inv < g.t_ret for g in self.records
            )
            if overlapped:
                continue
            ready = sum(p.process in flushed and flushed[p.process] < r.t_inv for p in accepted) - taken
            if ready >= 1:
                self.fail("CONC-EMPTY-1", f"{r.process}: {r.op} reported an empty queue while at least {ready} "
                          "flushed item(s) were there throughout", r)
            elif present >= 1:
                self.events.add("spurious Empty right after a put")
                self.eventual_seen = True

    def interesting(self) -> None:
        for key, gets in self.gets.items():
            put = self.puts.get(key)
            if put is not None and gets[0].op.timeout is not None and put.t_inv > gets[0].t_inv:
                self.events.add("blocked get woken by a put")
        big = [p for p in self.puts.values() if p.op.size > 4096]
        if any(x.process != y.process and x.t_inv < y.t_ret and y.t_inv < x.t_ret for x in big for y in big):
            self.events.add("concurrent puts of items over PIPE_BUF")

    def _flush_times(self) -> Dict[str, int]:
        return {r.process: r.t_ret for r in self.records if r.op.name == "flush" and r.status == "ok"}

    def run(self, final: bool) -> Verdict:
        self.status()
        self.fresh_and_once()
        if final:
            self.not_lost()
        self.order()
        self.counting()
        self.emptiness()
        self.interesting()
        return Verdict(self.violations, self.events, EVENTUAL if self.eventual_seen else EXACT)


def check(history: History, final: bool = True) -> Verdict:
    """Check ``history`` at its claimed level; see the module docstring for what is checked.

    ``final`` says the history ends with a complete drain; before that
    (at a quiescent point of a longer run) items not yet got are not lost.
    """
    return _Checker(history).run(final)


def describe(violations: Iterable[Violation]) -> str:
    return "\n".join(str(v) for v in violations)
