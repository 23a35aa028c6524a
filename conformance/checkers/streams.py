"""The pipe checker: is a recorded pipe history what two processes using the two ends may see?

Input: a :class:`~conformance.checkers.history.History` of a pipe scenario
(:mod:`conformance.scenarios.pipes`): every operation of the workers at
both ends, the holder's, and the test process's ``close`` of its copies.
Each end has one receiving process, so a direction's order is that
process's record order, and every check is one pass:

* **stream** (CONC-PIPE-1, PIPE-FIFO-1, PIPE-DIRECTION-1): what an end
  receives is an intact message sent by the other end, in the order sent,
  once, never one sent from the same end, never before its send began; by
  the end of the script everything sent has been received;
* **status** (CONC-PIPE-1): calls return, or raise only EOFError and
  BrokenPipeError where the next two checks allow them;
* **end of file** (CONC-PIPE-2, PIPE-EOF-1): a receive raises EOFError only
  after every process began closing the other end (the test process,
  every worker, the holder) and after every message sent was received; a
  receive begun once all copies were closed raises it;
* **broken pipe** (CONC-PIPE-3): a send raises BrokenPipeError only after
  every copy of the other end began closing, and must once all had closed;
* **poll** (PIPE-POLL-6, PIPE-EOF-3): ``poll()`` says False only if no
  message whose send had returned was waiting and the other end was not
  closed everywhere; True only if a send had begun or a close had.

A pipe with one process per end is linearizable, so a passing history is
reported at the exact level.  A hung operation comes as a ``hung`` record
(the crew stopped at its deadline), after the records of what its worker
did before, and is graded by what it was waiting for: a message whose send
had returned (lost), the end of file once every copy was closed (never
came) or room to send.  A hung send may have delivered its message, and a
hung close may have closed its copy.  A receive that waited for a message
no returned send owed it, or for an end of file not yet due, is graded by
whatever held the other side up, or else reported as the stall it is
(the scenario runner).
Where the workers are threads or tasks, an end is one object they share:
it is closed once for all, and the end of file and the broken pipe are
graded by PIPE-EOF-1 and PIPE-EOF-4 rather than by the clauses about
copies held by several processes.  Every evaluation that holds counts as
a passing check of its clause.
"""

from collections import Counter
from typing import Optional

from conformance.adapter import Consistency, Mode
from conformance.checkers.history import History, Verdict, Violation
from conformance.harness.operations import ENDS, Action, Record, Status

EOF, BROKEN = "EOFError", "BrokenPipeError"

#: Every clause the checker judges on a pipe's histories.
CLAUSES = (
    "CONC-PIPE-1",
    "CONC-PIPE-2",
    "CONC-PIPE-3",
    "PIPE-FIFO-1",
    "PIPE-DIRECTION-1",
    "PIPE-EOF-1",
    "PIPE-EOF-3",
    "PIPE-EOF-4",
    "PIPE-POLL-6",
    "CONC-SAFE-1",
)


def _other(end: str) -> str:
    return ENDS[1 - ENDS.index(end)]


def _raised(r: Record, name: str) -> bool:
    return r.status is Status.RAISED and str(r.value).split(":")[0] == name


class _PipeChecker:
    def __init__(self, history: History):
        self.records = sorted(history.records, key=lambda r: (r.process, r.index))
        self.violations: list[Violation] = []
        self.passes: Counter = Counter()
        self.events: set[str] = set()
        self.processes = history.mode is Mode.PROCESSES
        # Processes each hold a copy of an end; threads and tasks share one, closed once for all.
        self.holders = {r.process for r in history.records} if self.processes else None
        #: The clauses for the end of file and the broken pipe: about every copy, or about the one shared end.
        self.eof_clause = "CONC-PIPE-2" if self.processes else "PIPE-EOF-1"
        self.broken_clause = "CONC-PIPE-3" if self.processes else "PIPE-EOF-4"
        self.on: dict[str, list[Record]] = {end: [r for r in self.records if r.op.end == end] for end in ENDS}
        self.sent = {end: [r for r in self.on[end] if r.op.name == "send" and r.status == "ok"] for end in ENDS}

    def fail(self, clause: str, message: str, *witness: Record) -> None:
        self.violations.append(Violation(clause, message, witness))

    def held(self, clause: str) -> None:
        self.passes[clause] += 1

    def closed(self, end: str) -> Optional[tuple]:
        """(when the last close of ``end`` began, when it returned) if every holder closed it, else None."""
        closes = self._closes(end, (Status.OK,))
        if closes is None:
            return None
        return max(r.t_inv for r in closes), max(r.t_ret for r in closes)

    def closing_began(self, end: str) -> Optional[int]:
        """When the last holder of ``end`` began closing it, if every holder did (a close that did not return may
        have closed its copy already), else None."""
        closes = self._closes(end, (Status.OK, Status.HUNG))
        return None if closes is None else max(r.t_inv for r in closes)

    def _closes(self, end: str, statuses: tuple[Status, ...]) -> Optional[list[Record]]:
        """Each holder's close of ``end`` that ended in one of ``statuses``; None if a holder has none."""
        closes = {r.process: r for r in self.on[end] if r.op.name is Action.CLOSE and r.status in statuses}
        if not closes or self.holders is not None and set(closes) != self.holders:
            return None
        return list(closes.values())

    def stream(self, end: str) -> None:
        """What ``end`` received against what the other end sent (its last message, if that send hung, may or may
        not have arrived)."""
        expected = self.sent[_other(end)] + [
            r for r in self.on[_other(end)] if r.op.name is Action.SEND and r.status is Status.HUNG
        ]
        position = 0
        for r in self.on[end]:
            if r.op.name not in ("recv", "expect_eof") or r.status != "ok":
                continue
            if isinstance(r.value, tuple) and r.value[:1] == ("corrupt",):
                self.fail("PIPE-FIFO-1", f"end {end} received a message that is not one that was sent: {r.value[1]}", r)
            elif any(s.op.key == r.value for s in self.sent[end]):
                self.fail("PIPE-DIRECTION-1", f"end {end} received a message it sent itself", r)
            elif position < len(expected) and expected[position].op.key == r.value:
                if r.t_ret < expected[position].t_inv:
                    self.fail("PIPE-FIFO-1", "a message was received before its send began", expected[position], r)
                else:
                    self.held("PIPE-FIFO-1")
                    self.held("PIPE-DIRECTION-1")
                position += 1
            else:
                wanted = expected[position] if position < len(expected) else None
                what = f"the next message sent was {wanted.op.key}" if wanted else "everything sent had been received"
                self.fail(
                    "PIPE-FIFO-1",
                    f"end {end} received {r.value} out of turn: {what}",
                    *([wanted, r] if wanted else [r]),
                )
                return
        if position < len(expected) and not any(r.status == "hung" for r in self.records):
            self.fail(
                "PIPE-FIFO-1",
                f"{len(expected) - position} message(s) sent to end {end} were never received",
                *expected[position : position + 3],
            )

    def status(self) -> None:
        for r in self.records:
            if r.status == "hung":
                self._hung(r)
            elif r.status == "raise" and not (_raised(r, EOF) or _raised(r, BROKEN)):
                clause = "CONC-SAFE-1" if r.op.end is None else "CONC-PIPE-1"
                self.fail(clause, f"{r.process}: {r.op} raised {r.value}", r)
            elif r.op.end is not None:
                self.held("CONC-PIPE-1")

    def _owed(self, end: str) -> bool:
        """Whether a message whose send had returned is still to be received at ``end``."""
        received = sum(r.op.name in (Action.RECV, Action.EXPECT_EOF) and r.status is Status.OK for r in self.on[end])
        return received < len(self.sent[_other(end)])

    def _hung(self, r: Record) -> None:
        if r.op.name == "expect_eof":
            closed = self.closed(_other(r.op.end))
            if closed is not None and closed[1] < r.t_ret:
                self.fail(
                    self.eof_clause,
                    f"end {r.op.end}: recv() did not raise EOFError although every process "
                    f"had closed end {_other(r.op.end)} and everything sent had been received",
                    r,
                )
            elif closed is not None:
                self.fail(self.eof_clause, f"end {r.op.end}: recv() waiting for the end of file did not return", r)
        elif r.op.name == "recv":
            if self._owed(r.op.end):
                self.fail(
                    "PIPE-FIFO-1", f"end {r.op.end}: recv() did not return: a message sent to it never arrived", r
                )
        elif r.op.end is not None:
            self.fail("CONC-PIPE-1", f"{r.process}: {r.op} did not return although the other end was reading", r)
        else:
            self.fail("CONC-SAFE-1", f"{r.process}: {r.op} did not return", r)

    def end_of_file(self, end: str) -> None:
        began = self.closing_began(_other(end))
        received = 0
        for r in self.on[end]:
            if r.op.name in ("recv", "expect_eof") and r.status == "ok":
                received += 1
            if r.op.name not in ("recv", "expect_eof") or r.status != "raise":
                continue
            if not _raised(r, EOF):
                continue
            if began is None or r.t_ret < began:
                self.fail(
                    self.eof_clause,
                    f"end {end}: recv() raised EOFError while a process still held end {_other(end)} open",
                    r,
                    *self._open_copies(_other(end), r.t_ret),
                )
            elif received < len(self.sent[_other(end)]):
                self.fail(
                    "PIPE-EOF-1",
                    f"end {end}: recv() raised EOFError with "
                    f"{len(self.sent[_other(end)]) - received} message(s) sent to it not yet received",
                    r,
                )
            else:
                self.held(self.eof_clause)
                self.held("PIPE-EOF-1")
                if r.t_inv < began:
                    self.events.add("end of file waited for the last copy of the other end to close")

    def _open_copies(self, end: str, t: int) -> list[Record]:
        return [r for r in self.on[end] if r.op.name == "close" and r.t_inv > t]

    def broken_pipe(self, end: str) -> None:
        closed = self.closed(_other(end))
        began = self.closing_began(_other(end))
        for r in self.on[end]:
            if r.op.name not in ("send", "expect_broken") or r.status not in ("ok", "raise"):
                continue
            if _raised(r, BROKEN):
                if began is None or r.t_ret < began:
                    self.fail(
                        self.broken_clause,
                        f"end {end}: send() raised BrokenPipeError while a process still held end {_other(end)} open",
                        r,
                        *self._open_copies(_other(end), r.t_ret),
                    )
                else:
                    self.held(self.broken_clause)
                    self.events.add("BrokenPipeError after the last copy closed")
            elif closed is not None and closed[1] < r.t_inv:
                self.fail(
                    self.broken_clause,
                    f"end {end}: send() did not raise BrokenPipeError although every process "
                    f"had closed end {_other(end)} before it began",
                    r,
                )

    def poll(self, end: str) -> None:
        closed = self.closed(_other(end))
        began = self.closing_began(_other(end))
        incoming = self.sent[_other(end)]
        begun = [r for r in self.on[_other(end)] if r.op.name == "send"]
        received = 0
        for r in self.on[end]:
            if r.op.name in ("recv", "expect_eof") and r.status == "ok":
                received += 1
            if r.op.name != "poll" or r.status != "ok":
                continue
            waiting = sum(s.t_ret < r.t_inv for s in incoming) - received
            eof = closed is not None and closed[1] < r.t_inv
            if r.value is False and waiting > 0:
                self.fail(
                    "PIPE-POLL-6",
                    f"end {end}: poll() returned False with {waiting} message(s) sent and not yet received",
                    r,
                )
            elif r.value is False and eof:
                self.fail(
                    "PIPE-EOF-3",
                    f"end {end}: poll() returned False although every process had closed end {_other(end)}",
                    r,
                )
            elif (
                r.value is True
                and sum(s.t_inv < r.t_ret for s in begun) - received <= 0
                and (began is None or began > r.t_ret)
            ):
                self.fail(
                    "PIPE-POLL-6", f"end {end}: poll() returned True with nothing sent to it and the other end open", r
                )
            elif r.value is True and eof:
                self.held("PIPE-EOF-3")
            else:
                self.held("PIPE-POLL-6")
                if r.value is True and waiting <= 0:
                    self.events.add("poll saw a message whose send had not returned yet")

    def interesting(self) -> None:
        sends = {end: [r for r in self.sent[end]] for end in ENDS}
        if any(a.t_inv < b.t_ret and b.t_inv < a.t_ret for a in sends["a"] for b in sends["b"]):
            self.events.add("sends in both directions at once")

    def run(self) -> Verdict:
        # Most fundamental first: an early end of file also shows as a message received out of turn.
        self.status()
        for check in (self.end_of_file, self.broken_pipe, self.stream, self.poll):
            for end in ENDS:
                check(end)
        self.interesting()
        return Verdict(self.violations, self.events, Consistency.EXACT, self.passes)


def check_pipe(history: History) -> Verdict:
    """Check a pipe scenario's history; see the module docstring."""
    return _PipeChecker(history).run()
