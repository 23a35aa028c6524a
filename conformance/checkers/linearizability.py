"""Linearizability of queue histories: the judge of queues of exact consistency.

A complete history is *linearizable* (Herlihy and Wing, "Linearizability:
a correctness condition for concurrent objects", ACM TOPLAS 12(3), 1990)
when every call can be given one instant within its window, its *effect
point*, such that the calls taken in the order of their effect points are
a run of the sequential model and give the results the calls gave.

**The sequential model** (:func:`step`).  The state is the items in FIFO
order and the count of unfinished tasks.

* ``put(x)`` returned: the queue is unbounded or holds fewer than maxsize
  items; ``x`` goes last and one more task is unfinished.  ``put(x)``
  raised Full: the queue is bounded and holds maxsize items.
* ``get()`` returned ``x``: ``x`` is the oldest item, and goes.  ``get()``
  raised Empty: the queue holds nothing.
* ``qsize()`` is the number of items, ``empty()`` whether it is 0,
  ``full()`` whether the queue is bounded and holds maxsize items.
* ``task_done()`` returned: a task was unfinished, and one fewer is;
  it raised ValueError: none was.  ``join()`` returned: none is.

Every block and timeout form of ``put`` and ``get`` is the same call for
the model; the forms differ in where the effect point may lie.  It lies in
the call's interval ``[t_inv, t_ret]``, except that a call that waited for
its timeout and raised Full or Empty found the queue full or empty *after*
waiting: its window is ``[t_inv + timeout - TIMEOUT_EARLY, t_ret]``.
CPython's ``queue.Queue`` (which the SyncManager's proxies drive in the
manager process) raises only after ``endtime - time()`` has reached 0 on
the monotonic clock, with the mutex held since its last look at the items
(Lib/queue.py, ``Queue.get``/``Queue.put``); ``TIMEOUT_EARLY`` is the
suite's allowance for a timed wait that ends early
(:mod:`conformance.harness.timing`).  A call whose window is empty (it gave
up before its timeout) cannot be linearized alone (:attr:`Pattern.EARLY`).
This is what catches a lost wake-up: a get that slept through a put made
after it began and raised Empty at its timeout, with the item there.

**Input** (:func:`calls_of`): the records of one execution, complete: a
history with a call that did not return, or a put or get that raised
something other than Full or Empty, is not judged (its effect is unknown;
the history checker grades such calls itself).  A query that raised
observed nothing and is left out.  Items are the generator's unique keys.

**Decision.**  First the bad patterns of the FIFO core, in O(n log n)
(:func:`bad_pattern`).  For a complete history of an unbounded queue with
distinct items, made of puts that returned, gets that returned an item,
and gets or ``empty()`` calls that reported an empty queue, it is
linearizable if and only if none of these holds (Henzinger, Sezgin and
Vafeiadis, "Aspect-oriented linearizability proofs", CONCUR 2013, for the
first three; Bouajjani, Emmi, Enea and Hamza, "On reducing linearizability
to state reachability", ICALP 2015, for the fourth).  ``a <h b`` means
``a``'s window ends before ``b``'s begins:

* **fresh** (VFresh): a get returns ``x`` and no put of ``x`` exists, or
  ``get(x) <h put(x)``;
* **repeated** (VRepet): two gets return the same ``x``;
* **order** (VOrd): ``put(x) <h put(y)``, ``y`` is got, and ``x`` is never
  got or ``get(y) <h get(x)``;
* **empty** (the empty-queue violation): a call reports an empty queue
  (``e``) while a chain of items ``x1..xk`` is surely present throughout
  it: ``put(x1) <h e``, ``put(x(i+1)) <h get(xi)``, and ``e <h get(xk)``
  or ``xk`` is never got.  Each ``xi`` is present from ``put(xi)``'s
  return to ``get(xi)``'s call, and these presences overlap and cover
  ``e``'s window.

A pattern is a violation in any history, whatever else it holds: the
calls of a linearization that change no items (queries, refused calls,
task accounting) can be dropped and what is left is still a run of the
model.  The property tests of ``tests/test_linearizability.py`` compare
the patterns with the search on generated histories.

Everything else (``qsize()``, ``empty()`` False, ``full()``, Full and
capacity on bounded queues, ``task_done()``/``join()``, duplicate items)
goes to **the search** (:func:`search`): Wing and Gong's depth-first search
for a linearization ("Testing and verifying concurrent objects", JPDC
17(1), 1993) with Lowe's improvements ("Testing for linearizability",
Concurrency and Computation 29(4), 2017): just-in-time linearization (a
call is a candidate for the next effect point only if no call still to be
placed returned before its window opened) and a memo of configurations
already explored, keyed by the set of calls placed and the model state.
Two reductions keep it small.  A query or refused call that holds in the
current state is placed at once, without branching: it changes nothing,
and any linearization that places it later can place it now (every call
still to be placed is concurrent with it).  The task count is left out of
the state when the history has no ``task_done()`` or ``join()``.

P-compositionality (Horn and Kroening, "Faster linearizability checking
via P-compositionality", FORTE 2015) checks the parts of a history
separately when the model's state splits by a key of the calls, as a
map's does.  One FIFO queue's state does not split by item (a get depends
on every older item, ``qsize()`` on all of them), and its task count is
tied to the items by ``put``, so the one partition that applies is by
time: at a *quiescent cut*, an instant no call's window spans, every
linearization places the calls before the cut first.  The memo finds such
cuts by itself (a configuration at a cut has nothing pending); the witness
search cuts the history at the first quiescent cut by which it has
already failed.

**The witness** (:class:`Nonlinearizable`) is a sub-history that cannot be
linearized and from which no part can be removed: the pattern's own calls,
or, after the search, what is left once every removable part has been
taken out while the rest stays non-linearizable (delta debugging).  Parts
are removed only where removal keeps a linearizable history linearizable,
so the witness's failure is one of the whole history: a query or refused
call alone (it changes nothing); an item with its put and get, when no
query or refused call left in the witness overlaps the item's possible
presence (from its put's call to its get's return) and no task call is
left.  It is drawn as a timeline of the calls, one row per worker
(:func:`timeline`).

**Time.**  Each record's ``t_inv`` and ``t_ret`` are ``time.monotonic_ns()``
read by the worker right before and right after its call, so the call's
effect lies between them; the delay between a stamp and the call only
widens the window, which can hide a violation but never invent one.  The
stamps of different processes compare directly: ``time.monotonic()`` is
system-wide (Python docs, time.monotonic: "Changed in version 3.5: The
function is now always available and always system-wide"); on Linux it
reads ``CLOCK_MONOTONIC``, one clock for every process of the host, so
there is no skew between workers to allow for (``tests/test_linearizability.py``
checks stamps taken across fork and spawn handshakes, and between threads).  The
crew's start barrier releases the workers together only to make their
calls overlap; no ordering is inferred from it.
"""

import enum
import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional

from conformance.harness import timing
from conformance.harness.operations import Action, Record, Status, call_of
from conformance.primitives import Wait

#: Configurations the search may explore per call of the history (and at least :data:`MIN_BUDGET`) before it gives
#: up without a verdict; histories of the suite's scenarios need a few per call.
BUDGET_PER_CALL = 200
MIN_BUDGET = 200_000

_NS = 1_000_000_000
_INF = float("inf")


class Kind(enum.Enum):
    """What a call does, to the model."""

    PUT = "put"
    GET = "get"
    QSIZE = "qsize"
    EMPTY = "empty"
    FULL = "full"
    TASK_DONE = "task_done"
    JOIN = "join"


class Call(NamedTuple):
    """One completed call of a history.

    ``value`` is the item of a put or of a get that returned one, and the
    answer of a query; ``refused`` says a put raised Full, a get Empty, a
    task_done ValueError.  The effect point lies in ``[earliest, t_ret]``;
    ``earliest`` is ``t_inv`` unless the call waited for its timeout
    (see the module docstring).  ``record`` is the record it was read
    from, if any.
    """

    process: str
    kind: Kind
    t_inv: int
    t_ret: int
    value: Any = None
    refused: bool = False
    earliest: Optional[int] = None
    record: Optional[Record] = None

    @property
    def start(self) -> int:
        return self.t_inv if self.earliest is None else self.earliest

    @property
    def observes(self) -> bool:
        """Whether the call changes nothing: a query, a refused call or join()."""
        return self.refused or self.kind in _QUERIES

    def __str__(self) -> str:
        if self.record is not None:
            shown = str(self.record)
            return shown[: shown.rindex(" [")]  # the times: the timeline's legend gives them
        if self.kind is Kind.PUT:
            return f"{self.process}: put({_show(self.value)})" + (" raised Full" if self.refused else "")
        if self.kind is Kind.GET:
            return f"{self.process}: get() " + ("raised Empty" if self.refused else f"-> {_show(self.value)}")
        if self.kind is Kind.TASK_DONE:
            return f"{self.process}: task_done()" + (" raised ValueError" if self.refused else "")
        if self.kind is Kind.JOIN:
            return f"{self.process}: join()"
        return f"{self.process}: {self.kind.value}() -> {self.value}"


_QUERIES = (Kind.QSIZE, Kind.EMPTY, Kind.FULL, Kind.JOIN)


def _show(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
        return f"{value[0]}#{value[1]}"
    return repr(value)


class Pattern(enum.Enum):
    """Why a sub-history cannot be linearized."""

    FRESH = "fresh"
    REPEATED = "repeated"
    ORDER = "order"
    EMPTY = "empty"
    EARLY = "early"
    #: No pattern: the search found no linearization.
    SEARCH = "search"


@dataclass(frozen=True)
class Nonlinearizable:
    """A sub-history that cannot be linearized (minimal, unless ``reason`` says the reduction stopped), and why."""

    pattern: Pattern
    witness: tuple[Call, ...]
    reason: str
    #: Calls in the whole history.
    calls: int

    def __str__(self) -> str:
        return (
            f"{len(self.witness)} of the history's {self.calls} calls cannot be linearized: {self.reason}\n"
            + timeline(self.witness)
        )


@dataclass(frozen=True)
class Result:
    """The verdict on one history: ``violation`` None and ``decided`` True means linearizable."""

    violation: Optional[Nonlinearizable]
    decided: bool = True
    #: Configurations the search explored (0: the patterns decided).
    explored: int = 0

    @property
    def linearizable(self) -> bool:
        return self.decided and self.violation is None


# -- from records -----------------------------------------------------------------------


def calls_of(records: Iterable[Record], cancelled: Iterable[str] = ()) -> Optional[list[Call]]:
    """The calls of a queue history's records, or None when it cannot be judged (see the module docstring).

    Puts by a producer in ``cancelled`` (it called cancel_join_thread(),
    CONC-CANCEL-1) whose items never came out are left out: such an item
    may be lost, as if never put.
    """
    records = list(records)
    got = {r.value for r in records if r.op.name in _GETS and r.status is Status.OK}
    cancelled = set(cancelled)
    calls = []
    for r in records:
        name = r.op.name
        if r.status is Status.HUNG:
            return None
        if name in _QUERY_KIND:
            if r.status is Status.OK:
                calls.append(Call(r.process, _QUERY_KIND[name], r.t_inv, r.t_ret, r.value, record=r))
            continue
        puts = name in _PUTS
        if not (puts or name in _GETS):
            continue  # the harness's own operations (flush, signals) and pipe operations
        refused = r.status is Status.RAISED
        if refused and r.value != ("Full" if puts else "Empty"):
            return None
        if puts:
            if r.process in cancelled and r.op.key not in got:
                continue
            value = r.op.key
        else:
            value = None if refused else r.value
            if isinstance(value, tuple) and value[:1] == ("corrupt",):
                return None
        earliest = None
        if refused and r.op.timeout is not None and call_of(r.op).wait is Wait.TIMEOUT:
            waited = math.floor(r.op.timeout * _NS) - round(timing.TIMEOUT_EARLY * _NS)
            earliest = r.t_inv + waited if waited > 0 else None
        calls.append(Call(r.process, Kind.PUT if puts else Kind.GET, r.t_inv, r.t_ret, value, refused, earliest, r))
    return calls


_PUTS = frozenset(a for a in Action if a.puts)
_GETS = frozenset(a for a in Action if a.gets)
_QUERY_KIND = {Action.QSIZE: Kind.QSIZE, Action.EMPTY: Kind.EMPTY, Action.FULL: Kind.FULL}


# -- the verdict ---------------------------------------------------------------------------


def check(calls: Sequence[Call], maxsize: Optional[int] = None, budget: Optional[int] = None) -> Result:
    """Whether the complete history ``calls`` of a queue of capacity ``maxsize`` (None: unbounded) is linearizable.

    ``budget`` bounds the configurations the search explores (default:
    :data:`BUDGET_PER_CALL` per call); past it the result is undecided.
    """
    calls = list(calls)
    bound = maxsize if maxsize is not None and maxsize > 0 else None
    budget = budget if budget is not None else max(MIN_BUDGET, BUDGET_PER_CALL * len(calls))
    early = [c for c in calls if c.start > c.t_ret]
    if early:
        c = early[0]
        return Result(
            Nonlinearizable(
                Pattern.EARLY,
                (c,),
                f"it gave up after {(c.t_ret - c.t_inv) / 1e6:.3f} ms, before its timeout had elapsed (less "
                f"{timing.TIMEOUT_EARLY * 1e3:g} ms): it cannot have found the queue "
                f"{'full' if c.kind is Kind.PUT else 'empty'} after waiting",
                len(calls),
            )
        )
    pattern = bad_pattern(calls)
    if pattern is not None:
        return Result(pattern)
    if _core_only(calls, bound):
        return Result(None)
    verdict, explored = search(calls, bound, budget)
    if verdict is None:
        return Result(None, decided=False, explored=explored)
    if verdict:
        return Result(None, explored=explored)
    witness, minimal = minimal_witness(calls, bound, budget)
    return Result(
        Nonlinearizable(
            Pattern.SEARCH,
            tuple(witness),
            "no order of them, each taking effect at one instant within its call, is a run of the sequential "
            f"{'queue' if bound is None else f'queue of maxsize {bound}'}"
            + ("" if minimal else f" (not reduced further: the reduction's {WITNESS_EFFORT} configurations are spent)"),
            len(calls),
        ),
        explored=explored,
    )


def _core_only(calls: Sequence[Call], bound: Optional[int]) -> bool:
    """Whether the patterns decide ``calls`` alone: see the module docstring."""
    if bound is not None:
        return False
    puts = [c.value for c in calls if c.kind is Kind.PUT]
    if len(set(puts)) != len(puts):
        return False
    return all(
        (c.kind is Kind.PUT and not c.refused) or c.kind is Kind.GET or (c.kind is Kind.EMPTY and c.value is True)
        for c in calls
    )


def _reports_empty(c: Call) -> bool:
    return (c.kind is Kind.GET and c.refused) or (c.kind is Kind.EMPTY and c.value is True)


def bad_pattern(calls: Sequence[Call]) -> Optional[Nonlinearizable]:
    """The first bad pattern of the FIFO core of ``calls`` (see the module docstring), or None."""
    puts: dict[Any, Call] = {}
    for c in calls:
        if c.kind is Kind.PUT and not c.refused:
            if c.value in puts:
                return None  # items are not distinct: the patterns say nothing, the search decides
            puts[c.value] = c
    gets: dict[Any, Call] = {}
    n = len(calls)
    for c in calls:
        if c.kind is not Kind.GET or c.refused:
            continue
        put = puts.get(c.value)
        if put is None:
            return Nonlinearizable(Pattern.FRESH, (c,), f"{_show(c.value)} was got but never put", n)
        if c.t_ret < put.start:
            return Nonlinearizable(
                Pattern.FRESH, (put, c), f"{_show(c.value)} was got by a get that returned before its put began", n
            )
        if c.value in gets:
            return Nonlinearizable(Pattern.REPEATED, (put, gets[c.value], c), f"{_show(c.value)} was got twice", n)
        gets[c.value] = c
    return _order(puts, gets, n) or _covered(calls, puts, gets, n)


def _order(puts: dict[Any, Call], gets: dict[Any, Call], n: int) -> Optional[Nonlinearizable]:
    """VOrd: ``put(x) <h put(y)`` with ``y`` got, and ``x`` never got or ``get(y) <h get(x)``.

    For each got ``y``, the puts that returned before ``put(y)`` began are a
    prefix of the puts sorted by return; the latest get call among them
    (never got: infinitely late) is the one to compare with ``get(y)``'s
    return.
    """
    by_return = sorted(puts.values(), key=lambda p: p.t_ret)
    returns = [p.t_ret for p in by_return]
    latest: list[tuple[float, Optional[Call]]] = []
    best: tuple[float, Optional[Call]] = (-_INF, None)
    for p in by_return:
        get = gets.get(p.value)
        start = _INF if get is None else get.start
        if start > best[0]:
            best = (start, p)
        latest.append(best)
    for y, get_y in gets.items():
        put_y = puts[y]
        before = bisect_left(returns, put_y.start)
        if not before:
            continue
        start, put_x = latest[before - 1]
        if start > get_y.t_ret:
            x = put_x.value
            get_x = gets.get(x)
            if get_x is None:
                return Nonlinearizable(
                    Pattern.ORDER,
                    (put_x, put_y, get_y),
                    f"put({_show(x)}) returned before put({_show(y)}) began, and {_show(y)} was got while "
                    f"{_show(x)} never was",
                    n,
                )
            return Nonlinearizable(
                Pattern.ORDER,
                (put_x, put_y, get_y, get_x),
                f"put({_show(x)}) returned before put({_show(y)}) began, yet {_show(y)} was got by a get that "
                f"returned before the get of {_show(x)} began",
                n,
            )
    return None


def _covered(calls: Sequence[Call], puts: dict[Any, Call], gets: dict[Any, Call], n: int) -> Optional[Nonlinearizable]:
    """The empty-queue pattern: a call reporting an empty queue inside the presence of a chain of items.

    Item ``x`` is surely present in the open interval from ``put(x)``'s
    return to ``get(x)``'s call (to infinity if never got).  The presences
    are merged into overlapping runs; a call is covered when its window
    lies inside one run, and the chain is read back greedily (each next
    presence the one reaching furthest), which gives a shortest chain.
    """
    empties = [c for c in calls if _reports_empty(c)]
    if not empties:
        return None
    presences = []
    for x, put in puts.items():
        get = gets.get(x)
        until = _INF if get is None else get.start
        if put.t_ret < until:
            presences.append((put.t_ret, until, x))
    presences.sort(key=lambda p: p[0])
    lows = [p[0] for p in presences]
    # furthest[i]: the presence reaching furthest among the first i + 1 (by beginning).
    furthest = []
    for p in presences:
        furthest.append(p if not furthest or p[1] > furthest[-1][1] else furthest[-1])
    for e in empties:
        chain = []
        reach = e.start
        while reach <= e.t_ret:
            # The next link begins strictly before the current reach (the first one before e's window opens).
            i = bisect_left(lows, reach)
            if not i or furthest[i - 1][1] <= reach:
                break
            chain.append(furthest[i - 1])
            reach = furthest[i - 1][1]
        if reach <= e.t_ret:
            continue
        witness = [e]
        for _, _, x in chain:
            witness.append(puts[x])
            if x in gets:
                witness.append(gets[x])
        items = ", ".join(_show(x) for _, _, x in chain)
        held = "was" if len(chain) == 1 else "were, one after another,"
        return Nonlinearizable(
            Pattern.EMPTY,
            tuple(witness),
            f"{e} reports an empty queue, yet {items} {held} in the queue from before the call's window opened "
            "until after it closed",
            n,
        )
    return None


# -- the search ----------------------------------------------------------------------------

#: Operation codes of the compiled history (see :func:`step`).
PUT, PUT_FULL, GET, GET_EMPTY, QSIZE, EMPTY, FULL, TASK_DONE, TASK_REFUSED, JOIN = range(10)
_OBSERVERS = frozenset((PUT_FULL, GET_EMPTY, QSIZE, EMPTY, FULL, TASK_REFUSED, JOIN))


def _code(c: Call, ids: dict[Any, int]) -> tuple[int, Any]:
    if c.kind is Kind.PUT:
        return (PUT_FULL, None) if c.refused else (PUT, ids.setdefault(c.value, len(ids)))
    if c.kind is Kind.GET:
        return (GET_EMPTY, None) if c.refused else (GET, ids.setdefault(c.value, len(ids)))
    if c.kind is Kind.TASK_DONE:
        return (TASK_REFUSED, None) if c.refused else (TASK_DONE, None)
    return {Kind.QSIZE: QSIZE, Kind.EMPTY: EMPTY, Kind.FULL: FULL, Kind.JOIN: JOIN}[c.kind], c.value


def step(state: tuple[tuple[int, ...], int], code: int, arg: Any, bound: Optional[int]):
    """The model: the state after a call with this outcome, or None when the outcome is impossible in ``state``.

    ``state`` is the items (their ids, oldest first) and the unfinished task count.
    """
    items, unfinished = state
    if code == PUT:
        return None if bound is not None and len(items) >= bound else (items + (arg,), unfinished + 1)
    if code == GET:
        return (items[1:], unfinished) if items and items[0] == arg else None
    if code == GET_EMPTY:
        return state if not items else None
    if code == PUT_FULL:
        return state if bound is not None and len(items) >= bound else None
    if code == QSIZE:
        return state if len(items) == arg else None
    if code == EMPTY:
        return state if (not items) == arg else None
    if code == FULL:
        return state if (bound is not None and len(items) >= bound) == arg else None
    if code == TASK_DONE:
        return (items, unfinished - 1) if unfinished else None
    if code == TASK_REFUSED:
        return state if not unfinished else None
    return state if not unfinished else None  # JOIN


def search(calls: Sequence[Call], bound: Optional[int], budget: int) -> tuple[Optional[bool], int]:
    """Depth-first search for a linearization; (True/False, or None past ``budget``; configurations explored).

    A configuration is ``(p, mask, items, unfinished)``: the calls sorted by
    window start, the first ``p`` placed, and of the rest those whose bit
    is set in ``mask`` (bit ``k`` is call ``p + k``).
    """
    order = sorted(calls, key=lambda c: (c.start, c.t_ret))
    n = len(order)
    ids: dict[Any, int] = {}
    codes = [_code(c, ids) for c in order]
    start = [c.start for c in order]
    end = [c.t_ret for c in order]
    tasks = any(code in (TASK_DONE, TASK_REFUSED, JOIN) for code, _ in codes)
    seen = set()
    stack = [(0, 0, (), 0)]
    explored = 0
    while stack:
        p, mask, items, unfinished = stack.pop()
        while True:
            if p == n:
                return True, explored
            # The calls not yet placed whose window opens before the first of them closes.
            found = []
            first_end = _INF
            k = 0
            while p + k < n:
                rest = mask >> k
                if rest & 1:
                    k += ((~rest) & (rest + 1)).bit_length() - 1  # skip the run of placed calls
                    continue
                j = p + k
                if start[j] > first_end:
                    break
                found.append(j)
                if end[j] < first_end:
                    first_end = end[j]
                k += 1
            # A query or refused call that holds now is placed now (see the module docstring): no branching.
            mutators = []
            placed = None
            for j in found:
                if start[j] <= first_end:
                    code, arg = codes[j]
                    if code not in _OBSERVERS:
                        mutators.append(j)
                    elif step((items, unfinished), code, arg, bound) is not None:
                        placed = j
                        break
            if placed is None:
                break
            p, mask = _place(p, mask, placed)
        config = (p, mask, items, unfinished)
        if config in seen:
            continue
        seen.add(config)
        explored += 1
        if explored > budget:
            return None, explored
        children = []
        for j in mutators:
            after = step((items, unfinished), *codes[j], bound)
            if after is not None:
                children.append((end[j], j, after))
        # Pushed last-first, so the call that returns first is tried first.
        children.sort(reverse=True)
        for _, j, (new_items, new_unfinished) in children:
            stack.append((*_place(p, mask, j), new_items, new_unfinished if tasks else 0))
    return False, explored


def _place(p: int, mask: int, j: int) -> tuple[int, int]:
    """The configuration's ``(p, mask)`` once call ``j`` is placed too."""
    if j != p:
        return p, mask | (1 << (j - p))
    # Call p is placed: move past it and the run of placed calls after it.
    shifted = mask >> 1
    run = ((~shifted) & (shifted + 1)).bit_length() - 1
    return p + 1 + run, shifted >> run


def linearizable(calls: Sequence[Call], bound: Optional[int], budget: int) -> bool:
    """Whether the search finds a linearization (an exhausted budget counts as found: no verdict, no witness)."""
    return search(calls, bound, budget)[0] is not False


# -- the witness ---------------------------------------------------------------------------


def minimal_witness(calls: Sequence[Call], bound: Optional[int], budget: int) -> tuple[list[Call], bool]:
    """A sub-history of the non-linearizable ``calls`` that cannot be linearized, and whether it is minimal.

    It is minimal when no removable part (see the module docstring) can be
    taken out with the rest still failing.  Queries and refused calls are
    removed first (always allowed), then items (allowed once the queries
    around them are gone), in halves, quarters and so on (delta
    debugging), until neither changes.  The searches this takes are
    bounded by :data:`WITNESS_EFFORT` configurations in all; past that the
    sub-history reached so far is returned, not minimal.
    """
    calls = _first_failing_prefix(sorted(calls, key=lambda c: (c.start, c.t_ret)), bound, budget)
    puts = [c.value for c in calls if c.kind is Kind.PUT and not c.refused]
    if len(set(puts)) != len(puts):
        # Items are not distinct, so a get does not say which put it undoes: only queries are removed.
        reducer = _Reducer([c for c in calls if not c.observes], [], bound, budget)
    else:
        gets = {c.value: c for c in calls if c.kind is Kind.GET and not c.refused}
        reducer = _Reducer(
            [c for c in calls if c.kind is Kind.TASK_DONE and not c.refused],
            [(c, gets[c.value]) if c.value in gets else (c,) for c in calls if c.kind is Kind.PUT and not c.refused],
            bound,
            budget,
        )
    observers = [(c,) for c in calls if c.observes]
    minimal = reducer.reduce(observers)
    return sorted(reducer.calls(), key=lambda c: (c.t_inv, c.t_ret)), minimal


#: Configurations the reduction of a witness may explore in all (a scenario's takes a few thousand).
WITNESS_EFFORT = 2_000_000


class _Exhausted(Exception):
    pass


class _Reducer:
    """The delta debugging of :func:`minimal_witness`: units of calls are removed while the rest still fails."""

    def __init__(self, fixed: list[Call], items: list[tuple[Call, ...]], bound: Optional[int], budget: int):
        self.fixed = fixed
        self.items = items
        self.observers: list[tuple[Call, ...]] = []
        self.bound = bound
        self.budget = budget
        self.effort = WITNESS_EFFORT
        self.tasks = any(c.kind is Kind.TASK_DONE for c in fixed)

    def calls(self) -> list[Call]:
        return self.fixed + [c for unit in self.observers + self.items for c in unit]

    def reduce(self, observers: list[tuple[Call, ...]]) -> bool:
        """Remove what can be removed; whether the result is minimal (the effort was not exhausted)."""
        self.observers = observers
        try:
            while True:
                before = (len(self.observers), len(self.items))
                self.observers = self._ddmin(self.observers, self._without_observers)
                self.items = self._ddmin(self.items, self._without_items)
                if (len(self.observers), len(self.items)) == before:
                    return True
        except _Exhausted:
            return False

    def _fails(self, observers, items) -> bool:
        verdict, explored = search(
            self.fixed + [c for unit in observers + items for c in unit], self.bound, self.budget
        )
        self.effort -= explored
        if self.effort < 0:
            raise _Exhausted
        return verdict is False

    def _without_observers(self, removed, kept) -> bool:
        return self._fails(kept, self.items)

    def _without_items(self, removed, kept) -> bool:
        """Items go only where removal keeps a linearizable history linearizable (see the module docstring)."""
        if self.tasks or any(unit[0].kind is Kind.JOIN for unit in self.observers):
            return False
        watchers = [unit[0] for unit in self.observers]
        for unit in removed:
            low, high = unit[0].t_inv, unit[-1].t_ret if len(unit) > 1 else _INF
            if any(w.t_ret >= low and w.start <= high for w in watchers):
                return False
        return self._fails(self.observers, kept)

    @staticmethod
    def _ddmin(units: list, without) -> list:
        """``units`` less every chunk whose removal ``without(removed, kept)`` accepts, by halving chunk sizes."""
        size = max(1, len(units) // 2)
        while units:
            changed = False
            i = 0
            while i < len(units):
                removed, kept = units[i : i + size], units[:i] + units[i + size :]
                if without(removed, kept):
                    units, changed = kept, True
                else:
                    i += size
            if size > 1:
                size //= 2
            elif not changed:
                break
        return units


def _first_failing_prefix(calls: list[Call], bound: Optional[int], budget: int) -> list[Call]:
    """The calls up to the first quiescent cut by which the history has failed (the whole history if none).

    A prefix at a quiescent cut is what every linearization places first,
    so a linearizable history has linearizable prefixes there, and the
    failing prefixes are the longer ones: a binary search finds the first.
    """
    cuts = []
    reach = -_INF
    for i, c in enumerate(calls):
        if i and reach < c.start:
            cuts.append(i)
        reach = max(reach, c.t_ret)
    low, high = 0, len(cuts)  # cuts[high] stands for the whole history
    while low < high:
        middle = (low + high) // 2
        if linearizable(calls[: cuts[middle]], bound, budget):
            low = middle + 1
        else:
            high = middle
    return calls if low == len(cuts) else calls[: cuts[low]]


# -- the timeline --------------------------------------------------------------------------

#: Columns between consecutive instants of a timeline.
SPACING = 3


def timeline(calls: Sequence[Call]) -> str:
    """The calls as a timeline, one row per worker, then a legend with each call's times.

    Columns follow the order of the calls' instants (calls, returns and
    the opening of a timed-out call's window, drawn ``:``), not their
    scale, so which call returned before which began reads off directly;
    the legend gives the times in ms, as the history's records do.
    """
    calls = sorted(calls, key=lambda c: (c.t_inv, c.t_ret))
    if not calls:
        return ""
    instants = sorted({t for c in calls for t in (c.t_inv, c.t_ret, c.start)})
    column = {t: 2 + SPACING * i for i, t in enumerate(instants)}
    rows: dict[str, list[str]] = {}
    width = column[instants[-1]] + 2
    for c in calls:
        rows.setdefault(c.process, [" "] * width)
    letters = {}
    for i, c in enumerate(calls):
        letter = chr(ord("A") + i) if i < 26 else chr(ord("a") + i - 26) if i < 52 else "*"
        letters[id(c)] = letter
        row = rows[c.process]
        a = column[c.t_inv]
        b = max(column[c.t_ret], a + 2)
        for x in range(a, b + 1):
            row[x] = "-"
        row[a], row[a + 1], row[b] = "[", letter, "]"
        if a + 1 < column[c.start] < b:
            row[column[c.start]] = ":"
    name_width = max(len(name) for name in rows)
    lines = [f"    {name:<{name_width}} {''.join(row).rstrip()}" for name, row in rows.items()]
    text_width = max(len(str(c)) for c in calls)
    for c in calls:
        window = f" (takes effect from {c.start / 1e6:.3f}: ':')" if c.start != c.t_inv else ""
        lines.append(
            f"    {letters[id(c)]}  {str(c):<{text_width}}  [{c.t_inv / 1e6:.3f}..{c.t_ret / 1e6:.3f} ms]{window}"
        )
    return "\n".join(lines)
