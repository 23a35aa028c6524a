"""The history checker: is a recorded concurrent history allowed at the queue's consistency level?

Input: every :class:`~conformance.harness.operations.Record` of one
scenario execution (the prefix in the test process, the workers, the final
drain), which workers flushed or exited normally, the level the primitive
is checked at and the mode the workers ran in.  Items are unique, so every
check is a polynomial pass over the records; each evaluation that holds is
counted as a passing check of its clause (:attr:`Verdict.passes`), and
each violation comes with the few records that witness it:

* **status** (CONC-SAFE-1): each call returned or raised only what it may,
  and a timed call returned within its timeout plus ``TIMEOUT_LATE``; a
  call that signalled an empty or full queue with another exception than
  ``queue.Empty``/``queue.Full`` breaks its own form's clause
  (QUEUE-GET-2/3, QUEUE-MAXSIZE-1, QUEUE-PUT-2), not CONC-SAFE-1;
* **fresh, intact** (SHARE-SAFE-2, or SHARE-SAFE-1 between threads;
  QUEUE-DELIVERY-1): every item got is an intact item some put offered, got
  after that put began, and not one whose put raised ``Full``;
* **once** (CONC-CONSUMERS-1): no item is got twice;
* **not lost** (QUEUE-FLUSH-1/2, QUEUE-DELIVERY-1): every accepted item is
  got by the end of the drain, except those of a producer that called
  ``cancel_join_thread()`` (CONC-CANCEL-1);
* **order** (QUEUE-FIFO-1, CONC-ORDER-1, SQ-SHARED-1): for two items of
  one producer, the later is never got by a get that returned before the
  get of the earlier began, nor earlier by the same consumer.

What the calls observed of the queue's state is judged by level.  At
eventual consistency (a Queue whose puts a feeder thread publishes), by
the bounds below, which together with the checks above are the weaker
condition CONC-LEVEL-2 (counted as held when they all held):

* **counting** (CONC-COUNT-1, QUEUE-MAXSIZE-1/2, QUEUE-PUT-2): ``qsize()``,
  ``full()``, ``empty()`` False and ``Full`` must match an occupancy
  possible during the call.  With ``A_ret(t)`` the puts accepted by ``t``,
  ``A_inv(t)`` the puts begun by ``t`` (not refused), ``R_inv(t)``/``R_ret(t)``
  the successful gets begun/returned by ``t``, the occupancy during
  ``[t0, t1]`` lies in ``[A_ret(t0) - R_inv(t1), A_inv(t1) - R_ret(t0)]``;
* **emptiness** (CONC-EMPTY-1): a call that reports an empty queue is
  wrong when ``available(t0) - R_inv(t1) >= 1``, where ``available``
  counts the accepted items of producers whose flush returned before
  ``t0`` (non-blocking gets that overlap another get are excused); items
  of different producers may come out in either order.

At exact consistency, by linearizability (CONC-LEVEL-1, SQ-LINEAR-1 for a
SimpleQueue: :mod:`conformance.checkers.linearizability`), on a history
that passed the checks above: order across producers, counts, Full and
Empty, ``empty()``, all at once.  One clause names every such violation,
whichever observation a race happens to break, and it comes as a minimal
sub-history drawn as a timeline; a timed call that gave up before its
timeout breaks its form's clause (QUEUE-GET-2, QUEUE-PUT-2).  A
SimpleQueue's ``empty()`` that overlaps a get is left out and judged by
the interval bounds instead (SQ-EMPTY-1): it polls the pipe, which a get
of a message larger than the pipe's buffer empties between its reads.

Interesting but allowed outcomes are returned as event labels, and the
strongest level the history is consistent with as ``observed``.
"""

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Optional

from conformance.adapter import Consistency, Mode
from conformance.checkers import linearizability
from conformance.harness import timing
from conformance.harness.operations import Action, Record, Status
from conformance.primitives import Primitive

#: The process name of the test process's final drain.
DRAIN = "drain"

#: Every clause the checker judges on a Queue's histories, and on a SimpleQueue's (besides the scenario's own
#: CONC-HYGIENE-1, which the runner judges).
QUEUE_CLAUSES = (
    "CONC-SAFE-1",
    "CONC-CONSUMERS-1",
    "SHARE-SAFE-1",
    "SHARE-SAFE-2",
    "QUEUE-DELIVERY-1",
    "QUEUE-FIFO-1",
    "CONC-ORDER-1",
    "CONC-LEVEL-1",
    "CONC-LEVEL-2",
    "QUEUE-FLUSH-1",
    "QUEUE-FLUSH-2",
    "CONC-COUNT-1",
    "CONC-EMPTY-1",
    "QUEUE-MAXSIZE-1",
    "QUEUE-MAXSIZE-2",
    "QUEUE-PUT-2",
    "QUEUE-GET-2",
    "QUEUE-GET-3",
    "CONC-CANCEL-1",
)
SIMPLE_QUEUE_CLAUSES = (
    "CONC-SAFE-1",
    "CONC-CONSUMERS-1",
    "SHARE-SAFE-1",
    "SHARE-SAFE-2",
    "SQ-SHARED-1",
    "SQ-LINEAR-1",
    "SQ-EMPTY-1",
)

#: The signals each put or get may raise: a queue's Full or Empty.
_SIGNAL = {Action.PUT: "Full", Action.PUT_NOWAIT: "Full", Action.GET: "Empty", Action.GET_NOWAIT: "Empty"}


@dataclass
class History:
    """One execution's records and what the checker needs to know about its workers."""

    primitive: Primitive
    maxsize: Optional[int]
    level: Consistency
    records: list[Record]
    mode: Mode = Mode.PROCESSES
    #: Workers that exited normally (their flush point is their exit).
    exited: set[str] = field(default_factory=set)
    #: Workers that called cancel_join_thread(): their items may be lost.
    cancelled: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return "\n".join(f"  {r}" for r in sorted(self.records, key=lambda r: r.t_inv))


@dataclass
class Violation:
    clause: str
    message: str
    witness: tuple[Record, ...] = ()

    def __str__(self) -> str:
        lines = [self.message] + [f"    {r}" for r in sorted(self.witness, key=lambda r: r.t_inv)]
        return "\n".join(lines)


@dataclass
class Verdict:
    violations: list[Violation]
    events: set[str]
    observed: Consistency
    #: How many evaluations of each clause held.
    passes: Counter = field(default_factory=Counter)


def _is_put(r: Record) -> bool:
    return r.op.name.puts if isinstance(r.op.name, Action) else False


def _is_get(r: Record) -> bool:
    return r.op.name.gets if isinstance(r.op.name, Action) else False


def _got(r: Record) -> bool:
    return _is_get(r) and r.status is Status.OK


def _key(r: Record):
    return r.value if _got(r) and not (isinstance(r.value, tuple) and r.value[:1] == ("corrupt",)) else None


def _signalled(r: Record) -> bool:
    """Whether a put or get raised the queue's Full or Empty (the documented signal)."""
    return r.status is Status.RAISED and r.value == _SIGNAL.get(r.op.name)


def _timed(r: Record) -> bool:
    return r.op.timeout is not None and r.op.name in (Action.PUT, Action.GET)


def _refusal_clause(r: Record) -> str:
    """The clause that governs how ``r`` (a put or get) signals a full or empty queue."""
    if r.op.form is not None and r.op.form.refusal is not None:
        return r.op.form.refusal
    if _timed(r):
        return "QUEUE-PUT-2" if r.op.name is Action.PUT else "QUEUE-GET-2"
    return {Action.PUT_NOWAIT: "QUEUE-MAXSIZE-1", Action.GET_NOWAIT: "QUEUE-GET-3"}.get(r.op.name, "CONC-SAFE-1")


class _Counts:
    """Occupancy bounds from put/get intervals (see the module docstring)."""

    def __init__(self, records: Iterable[Record]):
        records = list(records)
        self.accepted = sorted(r.t_ret for r in records if _is_put(r) and r.status is Status.OK)
        self.begun = sorted(r.t_inv for r in records if _is_put(r) and r.status in (Status.OK, Status.HUNG))
        gets = [r for r in records if _is_get(r) and r.status in (Status.OK, Status.HUNG)]
        self.gets_begun = sorted(r.t_inv for r in gets)
        self.gets_returned = sorted(r.t_ret for r in gets if r.status is Status.OK)

    @staticmethod
    def before(times: list[int], t: int) -> int:
        return bisect_left(times, t)

    def low(self, t0: int, t1: int) -> int:
        return self.before(self.accepted, t0) - self.before(self.gets_begun, t1)

    def high(self, t0: int, t1: int) -> int:
        return self.before(self.begun, t1) - self.before(self.gets_returned, t0)


class _Checker:
    def __init__(self, history: History):
        self.h = history
        self.records = history.records
        self.exact = history.level is Consistency.EXACT
        self.simple = history.primitive is Primitive.SIMPLE_QUEUE
        self.processes = history.mode is Mode.PROCESSES
        self.violations: list[Violation] = []
        self.passes: Counter = Counter()
        self.events: set[str] = set()
        self.eventual_seen = False
        self.puts: dict[object, Record] = {r.op.key: r for r in self.records if _is_put(r)}
        self.gets: dict[object, list[Record]] = defaultdict(list)
        for r in self.records:
            key = _key(r)
            if key is not None:
                self.gets[key].append(r)
        self.counts = _Counts(self.records)

    def fail(self, clause: str, message: str, *witness: Record) -> None:
        self.violations.append(Violation(clause, message, tuple(witness)))

    def held(self, clause: str) -> None:
        """One evaluation of ``clause`` found nothing wrong."""
        self.passes[clause] += 1

    # -- clause names that depend on the primitive and the workers ----------------------

    def _delivery(self) -> str:
        return "SQ-SHARED-1" if self.simple else "QUEUE-DELIVERY-1"

    def _intact(self) -> str:
        """Items torn or mixed between workers: process safety, or thread safety where workers are threads."""
        return "SHARE-SAFE-2" if self.processes else "SHARE-SAFE-1"

    # -- the checks --------------------------------------------------------------------

    def status(self) -> None:
        for r in self.records:
            if r.status is Status.HUNG:
                self.fail("CONC-SAFE-1", f"{r.process}: {r.op} never returned", r)
                continue
            if r.status is Status.RAISED and not _signalled(r):
                if self._could_refuse(r):
                    # Another exception where Full or Empty was due is the form's own deviation.
                    self.fail(
                        _refusal_clause(r), f"{r.process}: {r.op} raised {r.value}, not queue.{_SIGNAL[r.op.name]}", r
                    )
                else:
                    self.fail("CONC-SAFE-1", f"{r.process}: {r.op} raised {r.value}", r)
                continue
            self.held("CONC-SAFE-1")
            if _timed(r):
                self._timely(r)

    def _could_refuse(self, r: Record) -> bool:
        """Whether a put could have met a full queue, or a get an empty one, during the call."""
        if _is_get(r):
            return self.counts.low(r.t_inv, r.t_ret) <= 0
        if _is_put(r):
            return self.h.maxsize is not None and self.counts.high(r.t_inv, r.t_ret) >= self.h.maxsize
        return False

    def _timely(self, r: Record) -> None:
        took = (r.t_ret - r.t_inv) / 1e9
        if took > r.op.timeout + timing.TIMEOUT_LATE:
            self.fail("CONC-SAFE-1", f"{r.process}: {r.op} took {took:.3f}s", r)

    def fresh_and_once(self) -> None:
        for r in self.records:
            if _got(r) and _key(r) is None:
                self.fail(self._intact(), f"{r.process}: {r.op} returned an item that is not intact: {r.value[1]}", r)
            elif _got(r):
                self.held(self._intact())
        for key, gets in self.gets.items():
            put = self.puts.get(key)
            if put is None:
                self.fail(self._intact(), f"item {key} was got but never put by anyone", *gets)
                continue
            if put.status is Status.RAISED:
                self.fail(self._delivery(), f"item {key} was got although its put raised {put.value}", put, *gets)
            early = [g for g in gets if g.t_ret < put.t_inv]
            if early:
                self.fail(self._delivery(), f"item {key} was got before its put began", put, *early)
            if len(gets) > 1:
                clause = "CONC-CONSUMERS-1" if len({g.process for g in gets}) > 1 else self._delivery()
                self.fail(clause, f"item {key} was got {len(gets)} times", put, *gets)
            elif put.status is not Status.RAISED and not early:
                self.held(self._delivery())
                self.held("CONC-CONSUMERS-1")

    def not_lost(self) -> None:
        if self.simple and any(
            r.process == DRAIN and r.op.name is Action.EMPTY and r.status is Status.RAISED for r in self.h.records
        ):
            return  # the drain's empty() raised (graded as CONC-SAFE-1), so it got nothing: what was left is unknown
        flushed = self._flush_times()
        for key, put in self.puts.items():
            if put.process in self.h.cancelled and put.status is Status.OK:
                self.held("CONC-CANCEL-1")  # it may be lost; if it came, the other checks judged it
                continue
            if put.status is not Status.OK:
                continue
            if self.simple:
                clause = self._delivery()
            elif put.process in flushed:
                clause = "QUEUE-FLUSH-1"
            elif put.process in self.h.exited and self.processes:
                clause = "QUEUE-FLUSH-2"
            else:
                clause = "QUEUE-DELIVERY-1"
            if key in self.gets:
                self.held(clause)
            else:
                self.fail(clause, f"item {key} was accepted but never got, not even by the final drain", put)

    def order(self) -> None:
        by_producer: dict[str, list[Record]] = defaultdict(list)
        for r in sorted(self.puts.values(), key=lambda r: (r.process, r.index)):
            if r.status is Status.OK:
                by_producer[r.process].append(r)
        for puts in by_producer.values():
            for i, first in enumerate(puts):
                for later in puts[i + 1 :]:
                    self._ordered(first, later, per_producer=True)
        if self.exact:
            return  # across producers, linearizability judges the order
        accepted = [r for r in self.puts.values() if r.status is Status.OK]
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
        clauses = (("SQ-SHARED-1",) if self.simple else ("QUEUE-FIFO-1", "CONC-ORDER-1")) if per_producer else ()
        if not (same_consumer or realtime):
            for clause in clauses:
                self.held(clause)
            return
        how = "by the same consumer" if same_consumer else "by a get that returned before the other began"
        if per_producer:
            clause = "SQ-SHARED-1" if self.simple else ("QUEUE-FIFO-1" if same_consumer else "CONC-ORDER-1")
            self.fail(
                clause,
                f"{later.op.key} was got before {first.op.key}, which {first.process} put first ({how})",
                first,
                later,
                ga,
                gb,
            )
        else:
            self.events.add("cross-producer inversion")
            self.eventual_seen = True

    def counting(self) -> None:
        m = self.h.maxsize
        for r in self.records:
            if r.status is Status.HUNG or r.process == DRAIN and r.op.name is not Action.QSIZE:
                continue
            low = max(0, self.counts.low(r.t_inv, r.t_ret))
            high = self.counts.high(r.t_inv, r.t_ret)
            name = r.op.name
            if name is Action.QSIZE and r.status is Status.OK:
                if low <= r.value <= high:
                    self.held("CONC-COUNT-1")
                else:
                    self.fail(
                        "CONC-COUNT-1",
                        f"{r.process}: qsize() returned {r.value}; the queue held between {low} and "
                        f"{high} items during the call",
                        r,
                    )
            elif name is Action.FULL and r.status is Status.OK:
                could_be_full = m is not None and high >= m
                could_be_room = m is None or low < m
                if (r.value and not could_be_full) or (not r.value and not could_be_room):
                    self.fail(
                        "CONC-COUNT-1",
                        f"{r.process}: full() returned {r.value}; the queue held between {low} "
                        f"and {high} items during the call (maxsize {m})",
                        r,
                    )
                else:
                    self.held("CONC-COUNT-1")
            elif name is Action.EMPTY and r.status is Status.OK and r.value is False:
                if high < 1:
                    self.fail(
                        "CONC-COUNT-1", f"{r.process}: empty() returned False; no item could have been in the queue", r
                    )
                else:
                    self.held("CONC-COUNT-1")
            elif _is_put(r) and not self.simple:
                self._counted_put(r, low, high)

    def _counted_put(self, r: Record, low: int, high: int) -> None:
        m = self.h.maxsize
        timed = _timed(r)
        if _signalled(r):
            clause = "QUEUE-PUT-2" if timed else "QUEUE-MAXSIZE-2"
            if m is None or high < m:
                self.fail(
                    clause,
                    f"{r.process}: {r.op} raised Full; the queue held at most {high} items during the "
                    f"call (maxsize {m})",
                    r,
                )
                return
            self.held(clause)
            if any(
                g.process != r.process and g.t_inv < r.t_ret and r.t_inv < g.t_ret for g in self.records if _is_get(g)
            ):
                self.events.add("Full under contention")
        elif r.status is Status.OK and m is not None:
            clause = "QUEUE-PUT-2" if timed else "QUEUE-MAXSIZE-1"
            if low >= m:
                self.fail(
                    clause,
                    f"{r.process}: {r.op} succeeded while the queue held at least {low} items throughout (maxsize {m})",
                    r,
                )
            else:
                self.held(clause)

    def emptiness(self) -> None:
        flushed = self._flush_times()
        accepted = [p for p in self.puts.values() if p.status is Status.OK]
        for r in self.records:
            if r.process == DRAIN or r.status is Status.HUNG:
                continue
            says_empty = (_is_get(r) and _signalled(r)) or (
                r.op.name is Action.EMPTY and r.status is Status.OK and r.value is True
            )
            if not says_empty:
                continue
            taken = self.counts.before(self.counts.gets_begun, r.t_ret)
            present = sum(p.t_ret < r.t_inv for p in accepted) - taken
            overlapped = r.op.name is not Action.EMPTY and any(
                g is not r and _is_get(g) and g.t_inv < r.t_ret and r.t_inv < g.t_ret for g in self.records
            )
            if overlapped:
                continue
            ready = sum(p.process in flushed and flushed[p.process] < r.t_inv for p in accepted) - taken
            if ready >= 1:
                self.fail(
                    "CONC-EMPTY-1",
                    f"{r.process}: {r.op} reported an empty queue while at least {ready} "
                    "flushed item(s) were there throughout",
                    r,
                )
                continue
            self.held("CONC-EMPTY-1")
            if present >= 1:
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

    def linearizable(self) -> None:
        """At exact consistency: the history is linearizable, judged when every check before held (theirs say more)."""
        if self.violations:
            return
        records = self.records
        if self.simple:
            # A SimpleQueue's empty() is "not poll()" on its pipe: a get reading a message larger than the pipe's
            # buffer leaves the pipe empty between its reads, so an empty() overlapping a get may answer True,
            # then False (seen on CPython 3.9).  Such a call is judged by the interval bounds instead.
            gets = [g for g in self.records if g.op.name is Action.GET]
            overlapping = [
                r
                for r in records
                if r.op.name is Action.EMPTY and any(g.t_inv < r.t_ret and r.t_inv < g.t_ret for g in gets)
            ]
            for r in overlapping:
                self._bounded_empty(r)
            if self.violations:
                return
            records = [r for r in records if r not in overlapping]
        calls = linearizability.calls_of(records, self.h.cancelled)
        if calls is None:
            return  # a call whose effect is unknown (it hung, or raised what the status check graded)
        result = linearizability.check(calls, self.h.maxsize)
        clause = "SQ-LINEAR-1" if self.simple else "CONC-LEVEL-1"
        if not result.decided:
            self.events.add("linearizability not decided: the search budget ran out")
        elif result.violation is None:
            self.held(clause)
        elif result.violation.pattern is linearizability.Pattern.EARLY:
            self.fail(_refusal_clause(result.violation.witness[0].record), str(result.violation))
        else:
            self.fail(clause, f"the history is not linearizable: {result.violation}")

    def _bounded_empty(self, r: Record) -> None:
        """SQ-EMPTY-1 by the interval bounds: True only if the queue could have been empty during the call, False only
        if it could have held an item."""
        if r.status is not Status.OK:
            return  # the status check graded it
        low, high = self.counts.low(r.t_inv, r.t_ret), self.counts.high(r.t_inv, r.t_ret)
        if r.value is True and low >= 1:
            self.fail("SQ-EMPTY-1", f"{r.process}: empty() returned True while {low} item(s) were there throughout", r)
        elif r.value is False and high < 1:
            self.fail("SQ-EMPTY-1", f"{r.process}: empty() returned False; no item could have been in the queue", r)
        else:
            self.held("SQ-EMPTY-1")

    def _flush_times(self) -> dict[str, int]:
        return {r.process: r.t_ret for r in self.records if r.op.name is Action.FLUSH and r.status is Status.OK}

    def run(self, final: bool) -> Verdict:
        self.status()
        self.fresh_and_once()
        if final:
            self.not_lost()
        self.order()
        if self.exact:
            self.linearizable()
        else:
            self.counting()
            self.emptiness()
            if not self.violations:
                self.held("CONC-LEVEL-2")
        self.interesting()
        observed = Consistency.EVENTUAL if self.eventual_seen else Consistency.EXACT
        return Verdict(self.violations, self.events, observed, self.passes)


def check(history: History, final: bool = True) -> Verdict:
    """Check ``history`` at its claimed level; see the module docstring for what is checked.

    ``final`` says the history ends with a complete drain; before that
    (at a quiescent point of a longer run) items not yet got are not lost.
    """
    return _Checker(history).run(final)


def describe(violations: Iterable[Violation]) -> str:
    return "\n".join(str(v) for v in violations)
