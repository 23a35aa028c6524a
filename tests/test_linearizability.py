"""The linearizability checker on hand-made histories, against brute force, and the clock it relies on.

Times are small integers (nanoseconds, as the records'); ``put``,
``get`` and the other helpers below build one call each.  A history is
written one call per line, with its window, so each case reads as a
timeline.
"""

import multiprocessing
import threading
import time
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.adapter import Consistency, Mode
from conformance.checkers import history as history_checker
from conformance.checkers import linearizability as lin
from conformance.checkers.linearizability import Call, Kind, Pattern
from conformance.harness import timing
from conformance.harness.operations import Action, Op, Record, Status
from conformance.primitives import Primitive, QueueCall


def put(process: str, item, t_inv: int, t_ret: int, full: bool = False, earliest: Optional[int] = None) -> Call:
    return Call(process, Kind.PUT, t_inv, t_ret, item, full, earliest)


def get(process: str, item, t_inv: int, t_ret: int, earliest: Optional[int] = None) -> Call:
    """A get that returned ``item``, or raised Empty when ``item`` is None."""
    return Call(process, Kind.GET, t_inv, t_ret, item, item is None, earliest)


def query(process: str, kind: Kind, answer, t_inv: int, t_ret: int) -> Call:
    return Call(process, kind, t_inv, t_ret, answer)


def task_done(process: str, t_inv: int, t_ret: int, refused: bool = False) -> Call:
    return Call(process, Kind.TASK_DONE, t_inv, t_ret, refused=refused)


def join(process: str, t_inv: int, t_ret: int) -> Call:
    return Call(process, Kind.JOIN, t_inv, t_ret)


def verdict(*calls: Call, maxsize: Optional[int] = None) -> lin.Result:
    result = lin.check(calls, maxsize)
    assert result.decided
    return result


# -- linearizable histories ------------------------------------------------------------------


def test_a_sequential_fifo_run_is_linearizable():
    assert verdict(
        put("p", "a", 0, 1),
        put("p", "b", 2, 3),
        query("p", Kind.QSIZE, 2, 4, 5),
        get("p", "a", 6, 7),
        get("p", "b", 8, 9),
        get("p", None, 10, 11),
        query("p", Kind.EMPTY, True, 12, 13),
    ).linearizable


def test_overlapping_puts_may_come_out_in_either_order():
    for first, second in (("a", "b"), ("b", "a")):
        assert verdict(
            put("p1", "a", 0, 10),
            put("p2", "b", 1, 9),
            get("c", first, 11, 12),
            get("c", second, 13, 14),
        ).linearizable


def test_a_get_may_return_an_item_whose_put_has_not_returned_yet():
    assert verdict(put("p", "a", 0, 10), get("c", "a", 2, 3)).linearizable


def test_an_empty_report_may_take_effect_before_an_overlapping_put_or_after_an_overlapping_get():
    assert verdict(put("p", "a", 0, 10), get("c", None, 5, 6), get("c", "a", 11, 12)).linearizable
    assert verdict(put("p", "a", 0, 1), get("c", "a", 2, 10), query("e", Kind.EMPTY, True, 5, 6)).linearizable


def test_presences_that_leave_a_gap_do_not_cover_an_empty_report():
    """a is surely present until its get begins at 4, b only from its put's return at 6: Empty fits between."""
    assert verdict(
        put("p", "a", 0, 1),
        get("c", "a", 4, 8),
        put("p", "b", 2, 6),
        get("c", "b", 9, 10),
        get("e", None, 3, 7),
    ).linearizable


def test_a_bounded_queue_full_at_some_instant_may_refuse_a_put():
    assert verdict(
        put("p", "a", 0, 1),
        put("q", "b", 2, 10, full=True),
        get("c", "a", 3, 4),
        query("c", Kind.FULL, False, 5, 6),
        maxsize=1,
    ).linearizable


def test_task_accounting_that_can_be_ordered_is_linearizable():
    assert verdict(
        put("p", "a", 0, 1),
        get("c", "a", 2, 3),
        join("j", 2, 10),
        task_done("c", 4, 5),
        task_done("c", 6, 7, refused=True),
    ).linearizable


# -- the bad patterns ----------------------------------------------------------------------


def test_fresh_an_item_never_put():
    result = verdict(get("c", "x", 0, 1))
    assert result.violation.pattern is Pattern.FRESH


def test_fresh_a_get_that_returned_before_the_put_began():
    result = verdict(get("c", "a", 0, 1), put("p", "a", 2, 3))
    assert result.violation.pattern is Pattern.FRESH
    assert len(result.violation.witness) == 2


def test_repeated_an_item_got_twice():
    result = verdict(put("p", "a", 0, 1), get("c1", "a", 2, 3), get("c2", "a", 2, 4))
    assert result.violation.pattern is Pattern.REPEATED


def test_order_puts_ordered_in_real_time_and_gets_ordered_the_other_way():
    """Cross-producer reordering: put(a) returned before put(b) began, yet b's get returned before a's began."""
    result = verdict(
        put("p1", "a", 0, 1),
        put("p2", "b", 2, 3),
        get("c", "b", 4, 5),
        get("c", "a", 6, 7),
    )
    assert result.violation.pattern is Pattern.ORDER
    assert {c.value for c in result.violation.witness} == {"a", "b"}
    assert len(result.violation.witness) == 4


def test_order_a_later_item_got_while_an_earlier_one_never_is():
    result = verdict(put("p1", "a", 0, 1), put("p2", "b", 2, 3), get("c", "b", 4, 5))
    assert result.violation.pattern is Pattern.ORDER
    assert len(result.violation.witness) == 3


def test_empty_an_item_surely_present_throughout():
    """``empty()`` True after a put returned and before any get (the issue's second example)."""
    result = verdict(put("p", "a", 0, 1), query("e", Kind.EMPTY, True, 2, 3), get("c", "a", 4, 5))
    assert result.violation.pattern is Pattern.EMPTY


def test_empty_a_chain_of_items_covering_the_report_between_them():
    """Neither item alone covers the Empty at [2.5, 4.5] (scaled by 2), but a until its get and b from its put do."""
    result = verdict(
        put("p", "a", 0, 2),
        put("p", "b", 4, 6),
        get("c", "a", 8, 10),
        get("c", "b", 12, 14),
        get("e", None, 5, 9),
    )
    assert result.violation.pattern is Pattern.EMPTY
    assert {c.value for c in result.violation.witness if c.kind is Kind.PUT} == {"a", "b"}


def test_empty_a_timed_out_get_judged_after_its_timeout():
    """A lost wake-up: get(timeout=10) began at 0, a put returned at 3, the get raised Empty at 10."""
    lost = get("c", None, 0, 10, earliest=10)
    assert verdict(lost, put("p", "a", 1, 3), get("d", "a", 11, 12)).violation.pattern is Pattern.EMPTY
    # The same calls with the put returning after the get gave up: the Empty fits before it.
    assert verdict(lost, put("p", "a", 1, 11), get("d", "a", 12, 13)).linearizable


def test_a_timed_out_call_that_gave_up_before_its_timeout_cannot_be_placed():
    result = verdict(get("c", None, 0, 5, earliest=8))
    assert result.violation.pattern is Pattern.EARLY


# -- what only the search sees -------------------------------------------------------------


def test_counts_and_order_that_hold_apart_but_not_together():
    """FIFO makes a's get take effect before b's; qsize() 1 at [6, 7] makes b's (which ends by 5) come first."""
    calls = [
        put("p", "a", 0, 1),
        put("p", "b", 2, 3),
        get("c1", "b", 4, 5),
        get("c2", "a", 4, 10),
        query("q", Kind.QSIZE, 1, 6, 7),
    ]
    assert lin.bad_pattern(calls) is None
    result = verdict(*calls)
    assert result.violation.pattern is Pattern.SEARCH
    assert len(result.violation.witness) == 5


def test_qsize_that_no_instant_had():
    """The witness stops at the first quiescent instant by which the history has failed: before the get."""
    result = verdict(put("p", "a", 0, 1), query("q", Kind.QSIZE, 0, 2, 3), get("c", "a", 4, 5))
    assert result.violation.pattern is Pattern.SEARCH
    assert [c.kind for c in result.violation.witness] == [Kind.PUT, Kind.QSIZE]


def test_empty_false_with_nothing_that_could_be_there():
    result = verdict(put("p", "a", 0, 1), get("c", "a", 2, 3), query("q", Kind.EMPTY, False, 4, 5))
    assert result.violation.pattern is Pattern.SEARCH


def test_full_on_a_queue_that_never_held_maxsize_items():
    result = verdict(put("p", "a", 0, 1), put("q", "b", 2, 3, full=True), maxsize=2)
    assert result.violation.pattern is Pattern.SEARCH
    assert not verdict(put("p", "a", 0, 1), put("q", "b", 2, 3, full=True)).linearizable  # unbounded


def test_a_put_accepted_while_the_queue_was_full_throughout():
    result = verdict(put("p", "a", 0, 1), put("q", "b", 2, 3), get("c", "a", 4, 5), maxsize=1)
    assert result.violation.pattern is Pattern.SEARCH


def test_join_returned_while_a_task_was_surely_unfinished():
    result = verdict(put("p", "a", 0, 1), join("j", 2, 3))
    assert result.violation.pattern is Pattern.SEARCH


def test_task_done_refused_while_a_task_was_unfinished():
    assert not verdict(put("p", "a", 0, 1), task_done("c", 2, 3, refused=True)).linearizable


def test_task_accounting_and_items_that_hold_apart_but_not_together():
    """The get of a forces a's put before 2, join() at [3, 4] forces it after 3 (no task_done): no instant fits."""
    calls = [put("p", "a", 0, 10), get("c", "a", 1, 2), join("j", 3, 4)]
    assert not verdict(*calls).linearizable
    assert verdict(*calls[:2]).linearizable and verdict(calls[0], calls[2]).linearizable


def test_the_witness_leaves_out_what_does_not_take_part():
    """qsize() 0 at [2, 10] while a was there until its get at 5 and b from its put's return at 4."""
    noise = [query("n", Kind.EMPTY, False, 3, 4), put("n", "z", 102, 103), get("n", "z", 104, 105)]
    result = verdict(
        put("p", "a", 0, 1),
        query("q", Kind.QSIZE, 0, 2, 10),
        put("p", "b", 3, 4),
        get("c", "a", 5, 6),
        get("c", "b", 20, 21),
        *noise,
    )
    assert result.violation.calls == 8
    # b's get comes after the first quiescent instant by which the history has failed: it is not needed.
    assert sorted(str(c) for c in result.violation.witness) == [
        "c: get() -> 'a'",
        "p: put('a')",
        "p: put('b')",
        "q: qsize() -> 0",
    ]


def test_an_item_overlapped_by_a_query_is_not_removed_from_the_witness():
    """Removing b would leave qsize() 1 with a alone, which the whole history does not say: b stays."""
    result = verdict(
        put("p", "a", 0, 1),
        put("p", "b", 2, 3),
        query("q", Kind.QSIZE, 1, 4, 5),
        get("c", "a", 6, 7),
        get("c", "b", 8, 9),
        query("q", Kind.QSIZE, 2, 10, 11),
    )
    assert result.violation.pattern is Pattern.SEARCH
    assert {c.value for c in result.violation.witness if c.kind is Kind.PUT} == {"a", "b"}


def test_an_exhausted_budget_is_no_verdict():
    calls = [put("p", "a", 0, 1), query("q", Kind.QSIZE, 0, 2, 3)]
    result = lin.check(calls, None, budget=0)
    assert not result.decided and result.violation is None


# -- against brute force -------------------------------------------------------------------


def _brute_force(calls: list[Call], bound: Optional[int]) -> bool:
    """Whether some order of ``calls`` that respects real time is a run of the model (every such order tried)."""
    ids: dict = {}
    codes = [lin._code(c, ids) for c in calls]

    def extend(placed: frozenset, state) -> bool:
        if len(placed) == len(calls):
            return True
        rest = [i for i in range(len(calls)) if i not in placed]
        first_end = min(calls[i].t_ret for i in rest)
        for i in rest:
            if calls[i].start <= first_end:
                after = lin.step(state, *codes[i], bound)
                if after is not None and extend(placed | {i}, after):
                    return True
        return False

    return extend(frozenset(), ((), 0))


def _drawn_call(draw, kind: str, name: str, t_inv: int, t_ret: int, item: int) -> Call:
    """One call of :func:`histories`; a get that returns an item returns ``"?"``, replaced once all puts are drawn."""
    if kind in ("put", "full-put"):
        return put(name, item, t_inv, t_ret, full=kind == "full-put")
    if kind in ("get", "empty-get"):
        return get(name, "?" if kind == "get" else None, t_inv, t_ret)
    if kind in ("empty-true", "empty-false"):
        return query(name, Kind.EMPTY, kind == "empty-true", t_inv, t_ret)
    if kind == "qsize":
        return query(name, Kind.QSIZE, draw(st.integers(0, 2)), t_inv, t_ret)
    if kind == "full":
        return query(name, Kind.FULL, draw(st.booleans()), t_inv, t_ret)
    if kind == "join":
        return join(name, t_inv, t_ret)
    return task_done(name, t_inv, t_ret, refused=kind == "refused-task_done")


@st.composite
def histories(draw, core: bool):
    """Up to 3 workers of up to 3 calls each; gets return distinct items that were put (or raise Empty)."""
    kinds = ["put", "get", "empty-get", "empty-true"]
    if not core:
        kinds += ["empty-false", "qsize", "full", "full-put", "task_done", "refused-task_done", "join"]
    calls = []
    for worker in range(draw(st.integers(1, 3))):
        now = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(1, 3))):
            t_inv, t_ret = now, now + draw(st.integers(0, 8))
            now = t_ret + draw(st.integers(1, 3))
            kind = draw(st.sampled_from(kinds))
            calls.append(_drawn_call(draw, kind, f"w{worker}", t_inv, t_ret, len(calls)))
    put_items = [c.value for c in calls if c.kind is Kind.PUT and not c.refused]
    got = iter(draw(st.permutations(put_items)))

    def answered(c: Call) -> Call:
        item = next(got, None)
        return c._replace(value=item, refused=item is None)

    return [answered(c) if c.value == "?" else c for c in calls]


@settings(max_examples=400, deadline=None)
@given(calls=histories(core=False), maxsize=st.sampled_from([None, 1, 2]))
def test_the_search_agrees_with_brute_force(calls, maxsize):
    assert lin.search(calls, maxsize, 10**6)[0] is _brute_force(calls, maxsize)


@settings(max_examples=400, deadline=None)
@given(calls=histories(core=True))
def test_the_patterns_decide_the_fifo_core_as_brute_force_does(calls):
    """Puts, gets and empty reports of an unbounded queue: no pattern exactly when brute force finds an order."""
    assert lin._core_only(calls, None)
    assert (lin.bad_pattern(calls) is None) is _brute_force(calls, None)


@settings(max_examples=300, deadline=None)
@given(calls=histories(core=False), maxsize=st.sampled_from([None, 1]))
def test_a_witness_fails_and_loses_that_property_without_any_removable_part(calls, maxsize):
    result = lin.check(calls, maxsize)
    if result.linearizable:
        return
    witness = list(result.violation.witness)
    assert not _brute_force(witness, maxsize)
    if result.violation.pattern is not Pattern.SEARCH:
        return
    for call in witness:
        if call.observes:
            assert _brute_force([c for c in witness if c is not call], maxsize), f"{call} could go"


# -- records, the history checker, the timeline --------------------------------------------


def _record(process: str, index: int, op: Op, t_inv: int, t_ret: int, value=None, status=Status.OK) -> Record:
    return Record(process, index, op, status, value, t_inv, t_ret)


def test_records_become_calls_with_the_window_of_a_timed_out_get():
    timeout = 0.05
    waited = _record(
        "w1",
        0,
        Op(Action.GET, timeout=timeout, form=QueueCall.GET_BLOCK_TIMEOUT),
        1000,
        60_000_000,
        "Empty",
        Status.RAISED,
    )
    [call] = lin.calls_of([waited])
    assert call.refused and call.earliest == 1000 + round((timeout - timing.TIMEOUT_EARLY) * 1e9)
    nowait = _record("w1", 0, Op(Action.GET_NOWAIT), 1000, 2000, "Empty", Status.RAISED)
    assert lin.calls_of([nowait])[0].earliest is None


def test_records_that_leave_an_effect_unknown_are_not_judged():
    hung = _record("w1", 0, Op(Action.PUT, ("w1", 1), 8), 0, 10, status=Status.HUNG)
    odd = _record("w1", 0, Op(Action.GET_NOWAIT), 0, 10, "builtins.OSError: no", Status.RAISED)
    assert lin.calls_of([hung]) is None and lin.calls_of([odd]) is None


def test_a_cancelled_producers_lost_item_is_left_out():
    records = [
        _record("w1", 0, Op(Action.PUT, ("w1", 1), 8), 0, 10),
        _record("drain", 0, Op(Action.GET_NOWAIT), 20, 30, "Empty", Status.RAISED),
    ]
    assert not lin.check(lin.calls_of(records), None).linearizable
    assert lin.check(lin.calls_of(records, cancelled={"w1"}), None).linearizable


def _history(primitive: Primitive, level: Consistency, *records: Record) -> history_checker.Verdict:
    return history_checker.check(history_checker.History(primitive, None, level, list(records), Mode.THREADS))


def _qsize_history() -> list[Record]:
    """w2's qsize() says 0 while w1's item was there until w1 got it and w3's from its put's return: the interval
    bounds allow 0 (an item got meanwhile), only linearizability does not."""
    return [
        _record("w1", 0, Op(Action.PUT, ("w1", 1), 8), 0, 10),
        _record("w2", 0, Op(Action.QSIZE), 20, 100, 0),
        _record("w3", 0, Op(Action.PUT, ("w3", 1), 8), 30, 40),
        _record("w1", 1, Op(Action.GET_NOWAIT), 50, 60, ("w1", 1)),
        _record("drain", 0, Op(Action.GET_NOWAIT), 200, 210, ("w3", 1)),
        _record("drain", 1, Op(Action.GET_NOWAIT), 220, 230, "Empty", Status.RAISED),
    ]


def test_the_history_checker_names_the_level_clause_with_the_witness_drawn():
    result = _history(Primitive.QUEUE, Consistency.EXACT, *_qsize_history())
    [violation] = result.violations
    assert violation.clause == "CONC-LEVEL-1"
    assert "not linearizable" in violation.message and "[A" in violation.message


def test_a_simple_queue_history_is_judged_by_its_own_clause():
    """``empty()`` True after a put returned, before any get: at exact consistency linearizability names it."""
    records = [
        _record("w1", 0, Op(Action.PUT, ("w1", 1), 8), 0, 10),
        _record("w2", 0, Op(Action.EMPTY), 15, 20, True),
        _record("drain", 0, Op(Action.EMPTY), 25, 30, False),
        _record("drain", 1, Op(Action.GET), 35, 40, ("w1", 1)),
    ]
    [violation] = _history(Primitive.SIMPLE_QUEUE, Consistency.EXACT, *records).violations
    assert violation.clause == "SQ-LINEAR-1"
    fine = [records[0], records[2], records[3]]
    assert _history(Primitive.SIMPLE_QUEUE, Consistency.EXACT, *fine).passes["SQ-LINEAR-1"] == 1


def test_an_eventual_queue_keeps_its_weaker_condition():
    """The same history at eventual consistency: the counts there are allowed, and CONC-LEVEL-2 holds."""
    result = _history(Primitive.QUEUE, Consistency.EVENTUAL, *_qsize_history())
    assert not result.violations
    assert result.passes["CONC-LEVEL-2"] == 1 and "CONC-LEVEL-1" not in result.passes


def test_a_timed_get_that_gave_up_early_breaks_its_forms_clause():
    early = _record(
        "w1",
        0,
        Op(Action.GET, timeout=0.1, form=QueueCall.GET_BLOCK_TIMEOUT),
        0,
        1_000_000,
        "Empty",
        Status.RAISED,
    )
    [violation] = _history(Primitive.QUEUE, Consistency.EXACT, early).violations
    assert violation.clause == "QUEUE-GET-2"


def test_the_timeline_has_a_row_per_worker_in_the_order_of_instants():
    calls = [
        put("w1", "a", 0, 10),
        get("w2", None, 5, 30, earliest=20),
        put("w1", "b", 12, 14),
    ]
    lines = lin.timeline(calls).splitlines()
    assert lines[0].split()[0] == "w1" and lines[1].split()[0] == "w2"
    assert lines[0].index("[A") < lines[1].index("[B") < lines[0].index("]") < lines[0].index("[C")
    assert ":" in lines[1]
    assert lines[2].split()[:2] == ["A", "w1:"] and "takes effect from" in lines[3]


# -- the clock -------------------------------------------------------------------------------


def _answer(connection) -> None:
    connection.recv()
    connection.send(time.monotonic_ns())
    connection.close()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_monotonic_stamps_are_ordered_across_processes(method):
    """A stamp taken in a child between two of the parent's, around a round trip, lies between them: one clock."""
    context = multiprocessing.get_context(method)
    mine, theirs = context.Pipe()
    child = context.Process(target=_answer, args=(theirs,))
    child.start()
    try:
        theirs.close()
        before = time.monotonic_ns()
        mine.send("stamp")
        assert mine.poll(timing.OPERATION_DEADLINE), "the child did not answer"
        stamp = mine.recv()
        after = time.monotonic_ns()
        assert before < stamp < after
    finally:
        child.join(timing.OPERATION_DEADLINE)
        mine.close()


def test_monotonic_stamps_are_ordered_across_threads():
    stamps = []
    asked = threading.Event()
    worker = threading.Thread(
        target=lambda: (asked.wait(timing.OPERATION_DEADLINE), stamps.append(time.monotonic_ns()))
    )
    worker.start()
    before = time.monotonic_ns()
    asked.set()
    worker.join(timing.OPERATION_DEADLINE)
    after = time.monotonic_ns()
    assert stamps and before < stamps[0] < after


def test_a_simple_queue_empty_overlapping_a_get_is_left_to_the_emptiness_check():
    """CPython 3.9's SimpleQueue under fork: while w1's get read w2's 100 KiB item, w3's empty() said True and then
    w2's said False (empty() is "not poll()", and the pipe is empty between the get's reads).  No order places w1's
    get both before w3's answer and after w2's; such empty() calls are judged by the emptiness bounds only."""
    item = 102400
    records = [
        _record("main", 0, Op(Action.EMPTY), 650_813, 650_959, True),
        _record("w1", 0, Op(Action.GET), 679_676, 682_947, ("w3", 1)),
        _record("w3", 0, Op(Action.PUT, ("w3", 1), item), 680_701, 683_181),
        _record("w4", 0, Op(Action.PUT, ("w4", 1), item), 681_406, 684_050),
        _record("w2", 0, Op(Action.PUT, ("w2", 1), item), 681_987, 684_830),
        _record("w1", 1, Op(Action.GET), 683_103, 683_548, ("w4", 1)),
        _record("w3", 1, Op(Action.EMPTY), 683_713, 683_952, False),
        _record("w1", 2, Op(Action.GET), 684_264, 687_396, ("w2", 1)),
        _record("w3", 2, Op(Action.EMPTY), 684_660, 684_705, True),
        _record("w2", 1, Op(Action.EMPTY), 684_944, 685_141, False),
        _record("drain", 0, Op(Action.EMPTY), 714_001, 714_732, True),
    ]
    result = _history(Primitive.SIMPLE_QUEUE, Consistency.EXACT, *records)
    assert not result.violations, history_checker.describe(result.violations)
    assert result.passes["SQ-LINEAR-1"] == 1


def test_a_simple_queue_empty_overlapping_a_get_is_still_bounded():
    """Two items put, one being got: an empty() True during that get is wrong whatever the pipe showed."""
    records = [
        _record("w1", 0, Op(Action.PUT, ("w1", 1), 8), 0, 10),
        _record("w1", 1, Op(Action.PUT, ("w1", 2), 8), 11, 20),
        _record("w2", 0, Op(Action.GET), 30, 100, ("w1", 1)),
        _record("w3", 0, Op(Action.EMPTY), 40, 50, True),
        _record("drain", 0, Op(Action.GET), 200, 210, ("w1", 2)),
    ]
    [violation] = _history(Primitive.SIMPLE_QUEUE, Consistency.EXACT, *records).violations
    assert violation.clause == "SQ-EMPTY-1"
