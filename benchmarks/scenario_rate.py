"""Scenario executions per second for a 2-worker x 10-operation scenario, per way of running workers.

Usage::

    python benchmarks/scenario_rate.py [--seconds 5] [--rounds 5] [--modes fork,forkserver,spawn,threads]
                                       [--baseline] [--json PATH]

Each round runs the scenario (one producer putting 10 tiny items, one
consumer making 10 timed gets) back to back for ``--seconds`` through
:func:`conformance.scenarios.runner.execute` (fresh queue, fresh workers
started by the adapter's launcher, the harness's own control channels,
drain, reaping and hygiene probes, as the suite does) and the checker; the
median of the rounds' rates is printed per mode.  ``fork``, ``forkserver``
and ``spawn`` are the stdlib reference under that start method (worker
processes); ``threads`` is ``queue.Queue`` with worker threads (the
``threading-queue`` adapter).

``--baseline`` also measures, in the same process, what the scenario costs
without the suite: the same two scripts run by bare ``Process`` objects
(or threads) on a fresh queue, started, joined and the queue closed, with
no control channel, schedule noise, drain, hygiene probe or checker.  Its
rate is the ceiling for the mode on the machine at hand, and the ratio of
the two is the share of it the harness keeps.  A fork costs in proportion
to the forking process's memory, so both are measured with the suite (and
Hypothesis) imported, as in a test process.
"""

import os
import sys
import time

# Nothing at import but what a worker needs: under spawn every worker process
# re-imports this script as ``__mp_main__`` (and under forkserver too, where
# the server's preload of ``__main__`` does not work, CPython 3.11), so what
# the script imports here would be counted in every spawned worker's start.
# The workers' module is light (no Hypothesis); the rest of the suite, and
# what only the script itself uses, is imported in main().
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


def _produce(queue) -> None:
    for i in range(1, 11):
        queue.put(("w1", i))


def _consume(queue) -> None:
    for _ in range(10):
        queue.get(True, 0.5)


def bare_rate(mode: str, seconds: float) -> float:
    """Executions per second of the benchmark scenario with no harness: bare workers on a fresh queue."""
    if mode == "threads":
        import queue as queue_module
        import threading

        make_queue, make_worker = queue_module.Queue, threading.Thread
    else:
        import multiprocessing

        context = multiprocessing.get_context(mode)
        make_queue, make_worker = context.Queue, context.Process

    def once() -> None:
        queue = make_queue()
        workers = [make_worker(target=_produce, args=(queue,)), make_worker(target=_consume, args=(queue,))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if hasattr(queue, "join_thread"):
            queue.close()
            queue.join_thread()

    once()
    runs, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        once()
        runs += 1
    return runs / (time.monotonic() - start)


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
    import argparse
    import json
    import statistics

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="fork,forkserver,spawn,threads")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument(
        "--baseline", action="store_true", help="also measure bare workers without the harness, and the ratio"
    )
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
        rates, bare = [], []
        for _ in range(args.rounds):  # alternating, so both see the same load
            rates.append(rate(adapter, benchmark, args.seconds))
            if args.baseline:
                bare.append(bare_rate(mode, args.seconds))
        results[mode] = {"median": statistics.median(rates), "rates": rates}
        line = (
            f"{mode:>10}: median {statistics.median(rates):7.1f} scenarios/s  "
            f"(rounds: {', '.join(f'{r:.1f}' for r in rates)})"
        )
        if bare:
            results[mode]["bare"] = {"median": statistics.median(bare), "rates": bare}
            ratios = [r / b for r, b in zip(rates, bare)]
            results[mode]["ratio_median"] = statistics.median(ratios)
            line += (
                f"; bare workers median {statistics.median(bare):7.1f}/s, "
                f"harness/bare median {statistics.median(ratios):.2f}"
            )
        print(line)
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(
                {"scenario": "2 workers x 10 operations", "seconds": args.seconds, "results": results}, handle, indent=2
            )


if __name__ == "__main__":
    main()
