"""How fast is the linearizability checker?  Times it on a long recorded history and measures its share of scenarios.

    python benchmarks/linearizability.py                        # both parts
    python benchmarks/linearizability.py --part history --threads 8 --operations 10000 --runs 5
    python benchmarks/linearizability.py --part share --adapters threading-queue,manager --profile ci

**history**: ``--threads`` threads share one ``queue.Queue`` and make
``--operations`` calls in all, each recorded as a scenario worker records
it (``time.monotonic_ns()`` around the call), released together by a
barrier.  Three mixes: ``fifo`` (put and get_nowait, which the bad
patterns decide alone), ``mixed`` (also qsize, empty, full, and timed
puts and gets of 1 ms, about a third of which give up: the search decides)
and ``bounded`` (the mixed calls on a queue of maxsize 4).  Each history
is checked ``--runs`` times by :func:`conformance.checkers.linearizability.check`
(from the records, as the history checker does); the median and the
largest time are printed with the configurations the search explored.

**share**: the scenario tests of ``conformance.suite.test_concurrency``
run under ``--profile`` on each adapter, one pytest run (``-n 0``) per
adapter in a process of its own, with the runner's ``execute`` and the
history checker's ``check`` timed: the checker's share is its time over
the time of both, and the linearizability check's part of it is shown
too.
"""

import argparse
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from conformance.checkers import linearizability  # noqa: E402
from conformance.harness.operations import Action, Op, Record, Status  # noqa: E402
from conformance.primitives import QueueCall  # noqa: E402
from conformance.scenarios import runner  # noqa: E402

#: The timeout of the mixed histories' timed calls (seconds): short, so that some give up.
TIMEOUT = 0.001


def record(threads: int, operations: int, mix: str, maxsize: int, seed: int) -> list[Record]:
    """The records of ``operations`` calls made by ``threads`` threads on one queue.Queue, drained at the end."""
    shared = queue.Queue(maxsize)
    per_thread = operations // threads
    records: list[list[Record]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        name = f"w{number + 1}"
        puts = 0
        start.wait()
        for index in range(per_thread):
            draw = rng.random()
            if mix == "fifo":
                op = Op(Action.PUT, (name, puts + 1), 8) if draw < 0.5 else Op(Action.GET_NOWAIT)
            elif draw < 0.4:
                timed = rng.random() < 0.3
                form = QueueCall.PUT_BLOCK_TIMEOUT if timed else QueueCall.PUT_NOWAIT
                op = Op(Action(form.method), (name, puts + 1), 8, TIMEOUT if timed else None, form=form)
            elif draw < 0.8:
                timed = rng.random() < 0.3
                form = QueueCall.GET_BLOCK_TIMEOUT if timed else QueueCall.GET_NOWAIT
                op = Op(Action(form.method), timeout=TIMEOUT if timed else None, form=form)
            else:
                op = Op(rng.choice((Action.QSIZE, Action.EMPTY, Action.FULL)))
            puts += op.name.puts
            records[number].append(_call(shared, name, index, op))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    drained = [_call(shared, "drain", i, Op(Action.GET_NOWAIT)) for i in range(shared.qsize() + 1)]
    return [r for rs in records for r in rs] + drained


def _call(shared: queue.Queue, process: str, index: int, op: Op) -> Record:
    if op.name.puts:
        args = (op.key,) + ((True, op.timeout) if op.timeout is not None else ())
        method = shared.put if op.timeout is not None else shared.put_nowait
    elif op.name.gets:
        args = (True, op.timeout) if op.timeout is not None else ()
        method = shared.get if op.timeout is not None else shared.get_nowait
    else:
        args, method = (), getattr(shared, str(op.name))
    t_inv = time.monotonic_ns()
    try:
        value, status = method(*args), Status.OK
    except queue.Full:
        value, status = "Full", Status.RAISED
    except queue.Empty:
        value, status = "Empty", Status.RAISED
    t_ret = time.monotonic_ns()
    return Record(process, index, op, status, None if op.name.puts and status is Status.OK else value, t_inv, t_ret)


def history_part(args) -> None:
    print(f"## {args.operations} calls from {args.threads} threads, checked {args.runs} times each\n")
    print("| mix | calls | verdict | configurations | median (s) | max (s) |")
    print("|---|---|---|---|---|---|")
    for mix, maxsize in (("fifo", 0), ("mixed", 0), ("bounded", 4)):
        records = record(args.threads, args.operations, "fifo" if mix == "fifo" else "mixed", maxsize, args.seed)
        times, result = [], None
        for _ in range(args.runs):
            began = time.perf_counter()
            result = linearizability.check(linearizability.calls_of(records), maxsize or None)
            times.append(time.perf_counter() - began)
        verdict = "linearizable" if result.linearizable else "undecided" if not result.decided else "violation"
        print(
            f"| {mix} | {len(records)} | {verdict} | {result.explored} | {statistics.median(times):.3f} "
            f"| {max(times):.3f} |"
        )


class _Timer:
    """Wraps the runner's ``execute`` and the checkers' ``check`` and adds up the time they take."""

    def __init__(self):
        self.seconds = {"execute": 0.0, "check": 0.0, "linearizability": 0.0}
        self.calls = {"execute": 0, "check": 0, "linearizability": 0}

    def wrap(self, module, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - began
                self.calls[label] += 1

        setattr(module, name, timed)


def share_part(args) -> None:
    print(f"## Checker's share of the scenario tests under `{args.profile}`\n")
    print("| adapter | executions | execute (s) | check (s) | of which linearizability (s) | checker's share |")
    print("|---|---|---|---|---|---|", flush=True)
    for adapter in args.adapters.split(","):
        row = subprocess.run(
            [sys.executable, __file__, "--share-of", adapter, "--profile", args.profile],
            stdout=subprocess.PIPE,
            text=True,
        ).stdout.splitlines()
        print(row[-1] if row else f"| {adapter} | (no result) | | | | |", flush=True)


def share_of(adapter: str, profile: str) -> None:
    """One adapter's row of the share table: its scenario tests run here, timed (the last line printed)."""
    import pytest

    timer = _Timer()
    timer.wrap(runner, "execute", "execute")
    timer.wrap(runner, "check", "check")
    timer.wrap(linearizability, "check", "linearizability")
    code = pytest.main(
        [
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "--pyargs",
            "conformance.suite.test_concurrency",
            "-k",
            "queue_scenarios",
            "--ipc-adapter",
            adapter,
            "--ipc-profile",
            profile,
        ]
    )
    spent = timer.seconds
    share = spent["check"] / (spent["execute"] + spent["check"])
    print(
        f"| {adapter} (exit {int(code)}) | {timer.calls['execute']} | {spent['execute']:.2f} | "
        f"{spent['check']:.3f} | {spent['linearizability']:.3f} | {share:.1%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("history", "share", "both"), default="both")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--operations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--adapters", default="threading-queue,manager")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--share-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(REPO.parent)  # outside the clone, as the suite is run
    if args.share_of:
        share_of(args.share_of, args.profile)
        return
    if args.part in ("history", "both"):
        history_part(args)
        print()
    if args.part in ("share", "both"):
        share_part(args)


if __name__ == "__main__":
    main()
