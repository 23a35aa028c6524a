"""Scenario executions per second for a 2-worker x 10-operation scenario, per start method.

Usage::

    python benchmarks/scenario_rate.py [--seconds 5] [--rounds 5] [--methods fork,forkserver,spawn] [--json PATH]

Each round runs the scenario (one producer putting 10 tiny items, one
consumer making 10 timed gets) back to back for ``--seconds`` through
:func:`conformance.scenarios.runner.execute` (fresh queue, fresh worker
processes, drain, reaping and hygiene probes, as the suite does) and the
checker; the median of the rounds' rates is printed per start method.
"""

import argparse
import json
import os
import statistics
import sys
import time

# Nothing heavy at import: under spawn every worker process re-imports this
# script as ``__mp_main__``, and the forkserver imports it once to fork its
# children from.  The workers' module is light (no Hypothesis) and is what
# every worker needs; the rest of the suite is imported in main().
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import conformance.harness.workers  # noqa: E402,F401


def scenario():
    """One producer putting 10 tiny items, one consumer making 10 timed gets."""
    from conformance.harness.workers import Op
    from conformance.scenarios.strategies import Scenario

    producer = tuple(Op("put", ("w1", i), 8) for i in range(1, 11))
    consumer = tuple(Op("get", timeout=0.5) for _ in range(10))
    return Scenario("queue", None, (), (producer, consumer), (1, 2))


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
    parser.add_argument("--methods", default="fork,forkserver,spawn")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    from conformance.scenarios.runner import execute
    from implementations.stdlib import for_start_method

    results, benchmark = {}, scenario()
    for method in args.methods.split(","):
        adapter = for_start_method(method)
        execute(adapter, benchmark)  # warm-up: forkserver start, shared-memory arena
        rates = [rate(adapter, benchmark, args.seconds) for _ in range(args.rounds)]
        results[method] = {"median": statistics.median(rates), "rates": rates}
        print(f"{method:>10}: median {statistics.median(rates):7.1f} scenarios/s  (rounds: {', '.join(f'{r:.1f}' for r in rates)})")
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump({"scenario": "2 workers x 10 operations", "seconds": args.seconds, "results": results}, handle, indent=2)


if __name__ == "__main__":
    main()
