"""Scenario executions per second for a 2-worker x 10-operation scenario, per way of running workers.

Usage::

    python benchmarks/scenario_rate.py [--seconds 5] [--rounds 5] [--modes fork,forkserver,spawn,threads] [--json PATH]

Each round runs the scenario (one producer putting 10 tiny items, one
consumer making 10 timed gets) back to back for ``--seconds`` through
:func:`conformance.scenarios.runner.execute` (fresh queue, fresh workers
started by the adapter's launcher, the harness's own control channels,
drain, reaping and hygiene probes, as the suite does) and the checker; the
median of the rounds' rates is printed per mode.  ``fork``, ``forkserver``
and ``spawn`` are the stdlib reference under that start method (worker
processes); ``threads`` is ``queue.Queue`` with worker threads (the
``threading-queue`` adapter).
"""

import argparse
import json
import os
import statistics
import sys
import time

# Nothing heavy at import: under spawn every worker process re-imports this
# script as ``__mp_main__`` (and under forkserver too, where the server's
# preload of ``__main__`` does not work, CPython 3.11).  The workers' module is
# light (no Hypothesis) and is what every worker needs; the rest of the suite
# is imported in main().
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import conformance.harness.worker  # noqa: E402,F401


def scenario():
    """One producer putting 10 tiny items, one consumer making 10 timed gets."""
    from conformance.harness.operations import Action, Op
    from conformance.primitives import Primitive, QueueCall
    from conformance.scenarios.strategies import Scenario

    producer = tuple(Op(Action.PUT, ("w1", i), 8) for i in range(1, 11))
    consumer = tuple(Op(Action.GET, timeout=0.5, form=QueueCall.GET_BLOCK_TIMEOUT) for _ in range(10))
    return Scenario(Primitive.QUEUE, None, (), (producer, consumer), (1, 2))


def adapter_for(mode: str):
    if mode == "threads":
        from implementations.threading_queues import threading_queue

        return threading_queue()
    from implementations.stdlib import for_start_method

    return for_start_method(mode)


def rate(adapter, scenario, seconds: float) -> float:
    from conformance.scenarios.runner import execute, verdict_of

    runs, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        _, failures = verdict_of(execute(adapter, scenario))
        if failures:
            raise SystemExit(f"the reference failed the benchmark scenario: {failures[0]}")
        runs += 1
    return runs / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="fork,forkserver,spawn,threads")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    # This copy for the forkserver's server too, which imports the workers' module with its own sys.path.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    )
    from conformance.scenarios.runner import execute

    results, benchmark = {}, scenario()
    for mode in args.modes.split(","):
        adapter = adapter_for(mode)
        execute(adapter, benchmark)  # warm-up: forkserver start, first imports
        rates = [rate(adapter, benchmark, args.seconds) for _ in range(args.rounds)]
        results[mode] = {"median": statistics.median(rates), "rates": rates}
        print(
            f"{mode:>10}: median {statistics.median(rates):7.1f} scenarios/s  "
            f"(rounds: {', '.join(f'{r:.1f}' for r in rates)})"
        )
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(
                {"scenario": "2 workers x 10 operations", "seconds": args.seconds, "results": results}, handle, indent=2
            )


if __name__ == "__main__":
    main()
