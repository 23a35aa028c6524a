"""Concurrency scenarios and the Hypothesis strategies that generate them.

A :class:`Scenario` is a short sequential prefix run by the test process,
then 2 to 4 worker scripts run at once (:mod:`conformance.harness.workers`):
producers, consumers and mixes of both, each a few operations, with
capacities from 1 to unbounded and payloads from a few bytes through 4 KiB
(above ``PIPE_BUF``, so a write is no longer atomic) to 100 KiB (above the
64 KiB pipe buffer; SimpleQueue items also just over 16 KiB, where a
message is written in two parts).  Sync operations: a producer may flush
(``close()`` + ``join_thread()``) or give up flushing
(``cancel_join_thread()``) at the end of its script, and a worker may
``signal`` an event that a later worker ``wait``s for.  Every worker exits
normally when its script ends, which is a flush point too.

Two features are drawn per scenario, swarm-testing style, rather than per
operation: whether the payloads are all tiny, all of the largest size or
mixed, and whether the scripts make queries at all.  The races that need
every item large, or several consumers getting at once, are then common
shapes rather than products of per-operation chances, and both shrink
toward the plainer choice (tiny payloads, no queries).  Payloads stay
within the limits the adapter declares (:class:`~conformance.adapter.Limits`):
a put that could exceed one is made smaller.

Everything, the children's noise seeds included, is drawn here, in the
test process; a scenario never depends on what an execution observed.
Items are unique ``(producer, sequence number)`` keys, so the checker is
polynomial.  Generation guarantees that no operation can block forever on
a conforming implementation: queue gets and bounded puts are timed, a
worker waits only for a signal from a worker before it (no cycles), and
SimpleQueue scripts, whose ``get()`` has no timeout, never get more items
than are put and never leave more unread than the OS pipe holds.
"""

from dataclasses import dataclass
from typing import Optional

from hypothesis import strategies as st

from conformance.adapter import Limits, Mode
from conformance.harness.operations import Action, Op
from conformance.primitives import Feature, Primitive, QueueCall, Wait, calls

#: Payload sizes: tiny; just over PIPE_BUF (4096, the atomic-write limit)
#: and two pages; over the 64 KiB pipe buffer.
TINY, PAGE, LARGE = 8, 4097, 100 * 1024
QUEUE_SIZES = (TINY, PAGE, 8192, LARGE)
#: CPython's Connection writes a message over 16 KiB in two writes (length,
#: then payload), so only such items can interleave between unlocked writers.
SPLIT = 16 * 1024 + 1
#: SimpleQueue puts write synchronously, so a put larger than the room in
#: the pipe waits for a reader: generation promises one (_fit_simple_queue).
SIMPLE_QUEUE_SIZES = (TINY, PAGE, SPLIT, LARGE)
#: What SimpleQueue scripts may leave unread in the pipe at most, in pages.
#: A Linux pipe holds 16 pages, and a write takes pages, not bytes: a
#: 4 KiB+ frame takes up to two (its sub-page remainder merges into the last
#: page only when it fits there).  Every tiny frame of a scenario together
#: (at most a few dozen of 40 bytes) fits in the two pages left over.
SIMPLE_QUEUE_PAGES = 14
#: A frame's bytes besides the payload: length header, pickled tuple and key.
FRAME_OVERHEAD = 64
PIPE_PAGE = 4096

#: Timeouts of timed gets and puts (seconds): short, since each one that
#: expires costs its length, and long enough for a put to wake a get.
GET_TIMEOUTS = (0.02, 0.005, 0.1)
PUT_TIMEOUTS = (0.02, 0.1)

#: How long a ``wait`` waits for its signal (its deadline is longer still).
WAIT_TIMEOUT = 10.0

MAIN = "main"


def most_held(sizes: list[int], maxsize: Optional[int]) -> int:
    """The most payload bytes items of ``sizes`` can make a queue of ``maxsize`` (None: unbounded) hold at once.

    Whether consumers get items before later puts depends on the schedule,
    so every item may still be held: all of them, or the ``maxsize`` largest.
    """
    return sum(sorted(sizes, reverse=True)[:maxsize])


def fit_limits(limits: Limits, maxsize: Optional[int], sizes: list[int], size: int, ladder: tuple[int, ...]) -> int:
    """``size``, made smaller (down the ``ladder`` of sizes, then to 0) until a put of it stays within the adapter's
    declared ``limits`` after puts of ``sizes``.

    A limit is graded by the clause about sizes (QUEUE-LARGE-1); the
    generated scripts stay within it, so they test every other clause.
    """
    size = limits.largest(size)
    while size and not limits.holds(most_held(sizes + [size], maxsize)):
        size = max((s for s in ladder if s < size), default=0)
    return size


@dataclass(frozen=True)
class Scenario:
    """What one example runs: the primitive, its capacity, the prefix and the worker scripts."""

    primitive: Primitive
    maxsize: Optional[int]
    prefix: tuple[Op, ...]
    workers: tuple[tuple[Op, ...], ...]
    seeds: tuple[int, ...]
    signals: int = 0
    #: The workers' names when not ``w1``, ``w2``, ... (pipe scenarios name them after their end).
    worker_names: tuple[str, ...] = ()
    #: For a pipe: whether it is duplex.
    duplex: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return self.worker_names or tuple(f"w{i + 1}" for i in range(len(self.workers)))

    @property
    def processes(self) -> int:
        return len(self.workers) + (1 if self.prefix else 0)

    @property
    def operations(self) -> int:
        return len(self.prefix) + sum(len(script) for script in self.workers)

    def cancelled(self) -> tuple[str, ...]:
        """Workers that call cancel_join_thread(): their items may be lost (CONC-CANCEL-1)."""
        return tuple(n for n, s in zip(self.names, self.workers) if any(op.name is Action.CANCEL for op in s))

    def __str__(self) -> str:
        if self.primitive is Primitive.PIPE:
            shape = "duplex pipe" if self.duplex else "simplex pipe"
        else:
            shape = f"{self.primitive}({'unbounded' if self.maxsize is None else f'maxsize={self.maxsize}'})"
        lines = [f"{shape}: {self.processes} processes, {self.operations} operations"]
        if self.prefix:
            lines.append(f"  {MAIN} (prefix): " + "; ".join(map(str, self.prefix)))
        for name, script, seed in zip(self.names, self.workers, self.seeds):
            lines.append(f"  {name} (seed {seed}): " + "; ".join(map(str, script)))
        return "\n".join(lines)


#: Abstract operations, drawn first; keys are numbered afterwards.
_PRODUCE = ("put", "put_nowait")
_CONSUME = ("get", "get_nowait")
_QUERY = ("qsize", "empty", "full")


def _queries(adapter, primitive: Primitive) -> tuple[str, ...]:
    if primitive is Primitive.SIMPLE_QUEUE:
        return ("empty",)
    offered = {"qsize": Feature.QUEUE_QSIZE, "empty": Feature.QUEUE_EMPTY_FULL, "full": Feature.QUEUE_EMPTY_FULL}
    return tuple(q for q in _QUERY if adapter.has(offered[q]))


@st.composite
def _abstract_script(draw, role: str, queries: tuple[str, ...], max_ops: int, produce, consume) -> list[str]:
    names = {
        "producer": produce + queries[:1],
        "consumer": consume + queries,
        "mixed": produce + consume + queries,
    }[role]
    # Weighted toward the role's main operation, which sorts first and shrinks to it.
    return draw(st.lists(st.sampled_from(names), min_size=1, max_size=max_ops))


@st.composite
def scenarios(
    draw, adapter, primitive: Primitive = Primitive.QUEUE, max_workers: int = 4, max_ops: int = 4, max_prefix: int = 3
):
    """Scenarios for ``adapter``'s ``primitive`` (a Queue or a SimpleQueue), in the forms of ``put`` and ``get`` it
    offers."""
    simple = primitive is Primitive.SIMPLE_QUEUE
    timed_put = (
        None
        if simple
        else (calls(adapter, QueueCall.PUT_BLOCK_TIMEOUT, QueueCall.PUT_TIMEOUT, QueueCall.PUT_NOWAIT) or (None,))[0]
    )
    timed_get = (
        None
        if simple
        else calls(adapter, QueueCall.GET_BLOCK_TIMEOUT, QueueCall.GET_TIMEOUT, QueueCall.GET_NOWAIT, QueueCall.GET)[0]
    )
    nowait = not simple and adapter.has(Feature.QUEUE_NOWAIT)
    produce = ("put", "put_nowait") if nowait else ("put",)
    consume = ("get", "get_nowait") if nowait or simple else ("get",)
    # Only a process's close() and join_thread() are its own: threads share the one queue.
    processes = not simple and adapter.mode is Mode.PROCESSES
    endings = (
        ("exit",)
        + (("flush",) if processes and adapter.has(Feature.QUEUE_CLOSE) and adapter.has(Feature.QUEUE_FEEDER) else ())
        + (("cancel",) if processes and adapter.has(Feature.QUEUE_FEEDER) else ())
    )
    bounded = (1, 2, 3) if timed_put is not None else ()
    maxsize = None if simple else draw(st.sampled_from((None,) + bounded), label="maxsize")
    # SimpleQueue puts write synchronously, so writers meet only inside a frame
    # larger than PIPE_BUF that waits for room: half the scenarios are producers
    # of such frames racing to fill the pipe of one consumer that gets every item.
    contended = simple and max_workers >= 3 and draw(st.booleans(), label="contended")
    # Swarm-style: a scenario is all tiny, all of the largest size or mixed,
    # so the races that need every item large (a feeder still writing when
    # its process closes, interleaved frames, a reader stealing a frame's
    # tail) are common instead of a product of per-item chances.
    ladder = SIMPLE_QUEUE_SIZES if simple else QUEUE_SIZES
    payloads = draw(
        st.sampled_from(("largest", "mixed") if contended else ("tiny", "largest", "mixed")), label="payloads"
    )
    sizes = {"tiny": ladder[:1], "largest": ladder[-1:], "mixed": ladder}[payloads]
    # Swarm-style too: half the scenarios make no queries, so their consumers
    # only get, and several consumers reading at once is common.
    queries = _queries(adapter, primitive) if draw(st.booleans(), label="queries") else ()
    count = draw(st.integers(2, max_workers), label="workers")
    if contended:
        count = max(count, 3)
        roles = ["consumer"] + ["producer"] * (count - 1)
    else:
        roles = [draw(st.sampled_from(("producer", "consumer", "mixed"))) for _ in range(count)]
    prefix_names = draw(st.lists(st.sampled_from(produce + consume[1:] + queries[:1]), max_size=max_prefix))
    scripts = [draw(_abstract_script(role, queries, max_ops, produce, consume)) for role in roles]
    if contended:
        scripts[0] = ["get"] * sum(name in _PRODUCE for script in scripts[1:] for name in script)
    tails = [[] for _ in range(count)]
    for i, role in enumerate(roles):
        if len(endings) > 1 and role != "consumer":
            ending = draw(st.sampled_from(endings))
            if ending != "exit":
                tails[i].append(ending)
    waits = {}
    if not simple:
        for j in range(1, count):
            signaller = draw(st.one_of(st.none(), st.integers(0, j - 1)))
            if signaller is not None:
                waits[j] = len(waits)
                tails[signaller].append(("signal", waits[j]))
    seeds = tuple(draw(st.integers(0, 2**32 - 1)) for _ in range(count))
    # The sizes of the puts so far, in the order they are drawn: each later one is made to fit the adapter's limits.
    put_sizes: list[int] = []

    def concrete(process: str, names, counter: list[int]) -> list[Op]:
        ops = []
        for name in names:
            if isinstance(name, tuple):
                ops.append(Op(Action(name[0]), key=name[1]))
            elif name in _PRODUCE:
                counter[0] += 1
                drawn = draw(st.sampled_from(sizes)) if len(sizes) > 1 else sizes[0]
                size = fit_limits(adapter.limits, maxsize, put_sizes, drawn, ladder)
                put_sizes.append(size)
                key = (process, counter[0])
                if name == "put" and maxsize is not None:
                    # A bounded blocking put must be timed (or not block), or it could wait forever.
                    timeout = draw(st.sampled_from(PUT_TIMEOUTS)) if timed_put.wait is Wait.TIMEOUT else None
                    ops.append(Op(Action(timed_put.method), key, size, timeout, form=timed_put))
                    continue
                ops.append(Op(Action(name), key=key, size=size))
            elif name in _CONSUME:
                if simple:
                    ops.append(Op(Action.GET))
                elif name == "get":
                    timeout = draw(st.sampled_from(GET_TIMEOUTS)) if timed_get.wait is Wait.TIMEOUT else None
                    ops.append(Op(Action(timed_get.method), timeout=timeout, form=timed_get))
                else:
                    ops.append(Op(Action.GET_NOWAIT))
            else:
                ops.append(Op(Action(name)))
        return ops

    prefix = concrete(MAIN, prefix_names, [0])
    workers = []
    for i, (name, script) in enumerate(zip((f"w{k + 1}" for k in range(count)), scripts)):
        body = concrete(name, script, [0]) + concrete(name, tails[i], [0])
        producers_besides = any(n in _PRODUCE for n in prefix_names) or any(
            n in _PRODUCE for k, other in enumerate(scripts) if k != i for n in other
        )
        if "cancel" in tails[i] and producers_besides:
            # A process that exits after cancel_join_thread() may die while its feeder
            # holds the queue's write lock, and then every other producer's feeder waits
            # for it forever: only a sole producer may cancel.
            body = [op for op in body if op.name is not Action.CANCEL]
        if "cancel" in tails[i]:
            # Exiting after cancel_join_thread() can cut the feeder's write short; a frame
            # larger than PIPE_BUF would then be torn and hang every later get
            # (QUEUE-KILL-1).  Writes up to PIPE_BUF are atomic: a tiny item arrives whole or not at all.
            body = [op._replace(size=min(op.size, TINY)) if op.name.puts else op for op in body]
        if i in waits:
            body.insert(0, Op(Action.WAIT, key=waits[i], timeout=WAIT_TIMEOUT))
        workers.append(body)
    if simple:
        prefix, workers = _fit_simple_queue(prefix, workers)
    return Scenario(primitive, maxsize, tuple(prefix), tuple(map(tuple, workers)), seeds, len(waits))


def _fit_simple_queue(prefix: list[Op], workers: list[list[Op]]):
    """Make SimpleQueue scripts safe to block on: no get without an item that surely comes, no pipe left full.

    A get with nothing to get would block forever (SimpleQueue.get() has no
    timeout).  The puts a process makes before its first get surely happen
    (they wait at most for room, which the readers below make); the prefix
    may get what it put before, and the workers together get at most the
    items the prefix left plus those sure puts.  Gets beyond that become
    ``empty()`` queries.

    A put waits for room in the pipe, so the unread frames must fit in
    :data:`SIMPLE_QUEUE_PAGES` once every sure reader is done: the prefix's
    own puts (no reader runs yet), and all puts less the smallest as many as
    pure consumers (workers that only get) take out, since those gets all
    run.  While the pipe is full, writers wait in the middle of a frame,
    which is where unlocked writers interleave.  Payloads that do not fit
    are made smaller, the last drawn first, until they do; the rewrite is a
    function of the drawn scenario alone.
    """
    held, fitted_prefix = 0, []
    for op in prefix:
        if op.name.puts:
            op, held = Op(Action.PUT, key=op.key, size=op.size), held + 1
        elif op.name.gets:
            op, held = (Op(Action.GET), held - 1) if held else (Op(Action.EMPTY), held)
        fitted_prefix.append(op)
    for ops in workers:
        for op in ops:
            if op.name.gets:
                break
            held += op.name.puts
    fitted_workers = []
    for ops in workers:
        out = []
        for op in ops:
            if op.name.puts:
                op = Op(Action.PUT, key=op.key, size=op.size)
            elif op.name.gets:
                op, held = (Op(Action.GET), held - 1) if held else (Op(Action.EMPTY), held)
            out.append(op)
        fitted_workers.append(out)
    readers = sum(
        op.name is Action.GET
        for ops in fitted_workers
        if all(op.name in (Action.GET, Action.EMPTY) for op in ops)
        for op in ops
    )
    _shrink_payloads([fitted_prefix], 0)
    _shrink_payloads([fitted_prefix] + fitted_workers, readers)
    return fitted_prefix, fitted_workers


def _pages(size: int) -> int:
    """Pipe pages a frame of a ``size``-byte item takes (tiny frames share the spare pages)."""
    return 0 if size <= TINY else -(-(size + FRAME_OVERHEAD) // PIPE_PAGE)


def _shrink_payloads(scripts: list[list[Op]], readers: int) -> None:
    """Make the last-drawn puts of ``scripts`` smaller until the frames ``readers`` gets leave fit the pipe."""
    puts = [(i, k) for i, ops in enumerate(scripts) for k, op in enumerate(ops) if op.name is Action.PUT]

    def unread() -> int:
        pages = sorted(_pages(scripts[i][k].size) for i, k in puts)
        return sum(pages[readers:])

    for i, k in reversed(puts):
        while unread() > SIMPLE_QUEUE_PAGES and scripts[i][k].size > TINY:
            size = scripts[i][k].size
            scripts[i][k] = scripts[i][k]._replace(size=max(s for s in SIMPLE_QUEUE_SIZES if s < size))
