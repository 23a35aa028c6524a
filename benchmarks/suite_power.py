"""How strong is the suite?  Runs it on every fault of the zoo and on the reference, prints a table, writes JSON.

    python benchmarks/suite_power.py                      # everything (long: about an hour on 2 cores)
    python benchmarks/suite_power.py --faults lifo_queue,maxsize_ignored --runs 3 --false-alarm-runs 0

For each fault of :mod:`tests.zoo` (``--faults`` to choose):

* **catch runs** (``--runs``, default 10): the fault's part of the suite
  under the profile (``--profile``, default ``dev``), each run in a fresh
  directory, so Hypothesis's example database never replays an earlier
  run's failure.  By default these runs skip the shrink phase
  (``--probe-no-shrink`` of :mod:`tests.probe`), which changes neither
  whether nor when the fault is caught; ``--shrink`` keeps it.  A run
  *catches* the fault when pytest fails and the report names one of the
  fault's clauses (with ``-x``, the run stops at the first failing
  test, which must name one).  *Time to first failure* is measured by
  :mod:`tests.probe`: from the start of the first test's setup to the
  first ``ClauseViolation`` raised.
* **shrink runs** (``--shrink-runs``, default 1): the same with shrinking, to
  read the size of the shrunk counterexample: for a state machine, the
  steps of the falsifying example (``create`` included) and the processes
  (2 when a peer takes part); for a scenario test, the runner's
  ``scenario (P processes, O operations)``; a fixed test has no generated
  counterexample ("fixed").

Then the reference (``--reference``, default ``stdlib-fork``) runs the
whole suite ``--false-alarm-runs`` times (default 20) on the machine as it
is, and as many times with a busy-loop process keeping one core busy;
every failure is a false alarm.  The load average is recorded with each
series: the machine is shared, so "idle" means no load of ours.

The table (Markdown) goes to stdout and the figures to ``--json``
(default ``benchmarks/results/suite-power.json``).
"""

import argparse
import json
import math
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.zoo import FAULTS, RACE, scenario_size  # noqa: E402

TARGETS = {
    "catch": 1.0,
    "deterministic_seconds": 2.0,
    "race_seconds": 10.0,
    "operations": 6,
    "false_alarms": 0,
    "reference_seconds": 60.0,
    "report_seconds": 120.0,
}
VIOLATION = re.compile(r"\b([A-Z]+(?:-[A-Z]+)*-\d+) violated")
STEP = re.compile(r"\bstate\.(\w+)\((.*)\)")
EXAMPLE = re.compile(r"Falsifying example:|Failing test case:")
#: A run is cut off (and counted as not caught) after this long.
RUN_TIMEOUT = 900


def environment():
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "IPC_CONFORMANCE_ADAPTER", "IPC_CONFORMANCE_PROFILE")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def pytest_run(args, timeout=RUN_TIMEOUT):
    """Run pytest with ``args`` plus the probe in a fresh directory; return (returncode, output, probe record, wall)."""
    with tempfile.TemporaryDirectory(prefix="suite-power-") as where:
        out = os.path.join(where, "probe.json")
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-p",
            "tests.probe",
            "--probe-out",
            out,
            *args,
        ]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=environment(), cwd=where, timeout=timeout
            )
            code, text = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            code, text = (
                "timeout",
                (expired.stdout or b"").decode(errors="replace")
                if isinstance(expired.stdout, bytes)
                else (expired.stdout or ""),
            )
        wall = time.monotonic() - started
        probe = json.load(open(out)) if os.path.exists(out) else {}
    return code, text, probe, wall


def shrunk_size(text):
    """(operations, processes) of the smallest shrunk counterexample in a failing run's output, or None.

    A scenario test prints ``scenario (P processes, O operations)``; a state
    machine's falsifying example is its ``state.<rule>(...)`` lines up to
    ``state.teardown()`` (``create``/``open_pipe`` count as operations; 2
    processes when a peer takes part: every pipe example, or a queue example
    with a peer).  Every example in the output counts, whichever clause it
    is printed with (Hypothesis prints some before their exception).
    """
    scenario = scenario_size(text)
    if scenario is not None:
        processes, operations = scenario
        return operations, processes
    found, steps, machine = [], None, None
    for line in text.splitlines():
        if EXAMPLE.search(line):
            steps = []
        elif steps is not None:
            step = STEP.search(line)
            if "= " in line and "Pipe()" in line or "Machine()" in line:
                machine = line
            if step and step.group(1) == "teardown":
                peer = "Pipe" in (machine or "") or any(
                    name.startswith(("peer", "share_with_peer")) or "with_peer=True" in args for name, args in steps
                )
                if steps:
                    found.append((len(steps), 2 if peer else 1))
                steps = None
            elif step:
                steps.append(step.groups())
    return min(found) if found else None


def given_example(text):
    """The first falsifying example of a plain ``@given`` test (``name(arg=..., ...)``), on one line, or None."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if EXAMPLE.search(line) and index + 1 < len(lines) and "state = " not in lines[index + 1]:
            body = []
            for follow in lines[index : index + 12]:
                body.append(follow.split("Falsifying example:")[-1].lstrip("E| ").strip())
                if follow.rstrip().endswith(")"):
                    break
            return " ".join(b for b in body if b)
    return None


def catch_run(fault, profile, shrink, exitfirst=False):
    args = fault.selection(profile) + ([] if shrink else ["--probe-no-shrink"]) + (["-x"] if exitfirst else [])
    code, text, probe, wall = pytest_run(args)
    named = VIOLATION.findall(text)
    # The suite runs its tests in an xdist worker (-n 1, for the watchdog): with -x, xdist ends the run with
    # "Interrupted: stopping after 1 failures", exit code 2, not 1.  A run failed when a test of it failed.
    failed = code == 1 or (code == 2 and exitfirst and probe.get("failed", 0) > 0)
    caught = failed and bool(set(named) & set(fault.clauses))
    return {
        "caught": caught,
        "failed": failed,
        "first_violation": probe.get("first_violation"),
        # from the start of the failing test's setup to its failed report: shrinking included when it ran
        "report_seconds": probe.get("first_failed_test_seconds") if failed else None,
        "failed_test": probe.get("first_failed_test"),
        # the slowest of every failing test (a fixed test may report first while a state machine still shrinks)
        "slowest_report_seconds": max((probe.get("failed_tests") or {}).values(), default=None) if failed else None,
        "clause_named": next((c for c in named if c in fault.clauses), named[-1] if named else None),
        "clauses_named": sorted(set(named)),
        "wall": round(wall, 2),
        "shrank": shrink,
        "size": shrunk_size(text) if shrink else None,
        "given": given_example(text) if shrink else None,
        "fixed": shrink and failed and not EXAMPLE.search(text),
    }, text


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def measure_fault(fault, options, log_dir):
    runs = []
    for index in range(options.runs):
        record, text = catch_run(fault, options.profile, options.shrink, options.exitfirst)
        runs.append(record)
        (log_dir / f"{fault.name}.catch{index}.log").write_text(text)
        print(
            f"  {fault.name} catch run {index + 1}: caught={record['caught']} first={record['first_violation']} "
            f"named={record['clause_named']} "
            f"report={record['report_seconds']} size={record['size']} wall={record['wall']}",
            file=sys.stderr,
            flush=True,
        )
    shrinks = []
    for index in range(options.shrink_runs):
        record, text = catch_run(fault, options.profile, True)
        shrinks.append(record)
        (log_dir / f"{fault.name}.shrink{index}.log").write_text(text)
        print(
            f"  {fault.name} shrink run {index + 1}: caught={record['caught']} size={record['size']} "
            f"named={record['clause_named']} "
            f"report={record['report_seconds']} wall={record['wall']}",
            file=sys.stderr,
            flush=True,
        )
    sizes = [r["size"] for r in shrinks if r["caught"] and r["size"]]
    # Time to a report, shrinking included: the runs that shrank (catch runs with --shrink, and shrink runs).
    reports = [
        r["report_seconds"] for r in runs + shrinks if r["shrank"] and r["caught"] and r["report_seconds"] is not None
    ]
    slowest = [
        r["slowest_report_seconds"]
        for r in runs + shrinks
        if r["shrank"] and r["caught"] and r.get("slowest_report_seconds") is not None
    ]
    return {
        "fault": fault.name,
        "module": fault.module,
        "exitfirst": options.exitfirst,
        "category": fault.category,
        "kind": fault.kind,
        "clauses": list(fault.clauses),
        "caught": sum(r["caught"] for r in runs),
        "runs": len(runs),
        "median_first_failure": median([r["first_violation"] for r in runs if r["caught"]]),
        "clause_named": statistics.mode([r["clause_named"] for r in runs + shrinks if r["caught"]] or [None]),
        "shrunk_operations": max((s[0] for s in sizes), default=None),
        "shrunk_processes": max((s[1] for s in sizes), default=None),
        "fixed_test": any(r["fixed"] for r in shrinks if r["caught"]),
        "given_example": next((r["given"] for r in shrinks if r.get("given")), None),
        "median_shrink_wall": median([r["wall"] for r in shrinks]),
        "median_report_seconds": median(reports),
        "max_report_seconds": max(reports, default=None),
        "reports_timed": len(reports),
        "max_slowest_report_seconds": max(slowest, default=None),
        "catch_runs": runs,
        "shrink_runs": shrinks,
    }


def busy_loop():
    while True:
        pass


def false_alarms(options, busy):
    hog = None
    if busy:
        hog = multiprocessing.get_context("fork").Process(target=busy_loop, daemon=True)
        hog.start()
    runs = []
    try:
        for index in range(options.false_alarm_runs):
            load = os.getloadavg()[0]
            code, text, probe, wall = pytest_run(
                ["--pyargs", "conformance.suite", "--ipc-adapter", options.reference, "--ipc-profile", options.profile]
            )
            failed = code != 0
            runs.append(
                {
                    "failed": failed,
                    "wall": round(wall, 2),
                    "load1": load,
                    "clauses_named": sorted(set(VIOLATION.findall(text))),
                    "summary": text.strip().splitlines()[-1] if text.strip() else "",
                }
            )
            print(
                f"  reference {'busy' if busy else 'idle'} run {index + 1}: failed={failed} wall={wall:.1f} "
                f"load={load:.2f}",
                file=sys.stderr,
                flush=True,
            )
            if failed:
                (Path(options.logs) / f"reference-{'busy' if busy else 'idle'}-{index}.log").write_text(text)
    finally:
        if hog is not None:
            hog.terminate()
            hog.join()
    return {
        "runs": len(runs),
        "false_alarms": sum(r["failed"] for r in runs),
        "median_wall": median([r["wall"] for r in runs]),
        "load1_median": median([r["load1"] for r in runs]),
        "details": runs,
    }


def report_times(fault, key="report_seconds"):
    """The times to a report of a fault's caught runs that shrank (see ``measure_fault``): of the first failing
    test, or (``key="slowest_report_seconds"``) of the slowest failing test of each run."""
    runs = fault.get("catch_runs", []) + fault.get("shrink_runs", [])
    return [r[key] for r in runs if r.get("shrank") and r.get("caught") and r.get(key) is not None]


def percentile(values, q):
    """The ``q`` quantile of sorted ``values`` (nearest rank)."""
    return values[min(len(values), max(1, math.ceil(q * len(values)))) - 1] if values else None


def fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def table(results, options):
    lines = [
        f"| fault | kind | caught ({options.profile}) | median first failure (s) | shrunk (ops, procs) | clause "
        "named | report, shrunk (s): median, max |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["faults"]:
        limit = TARGETS["race_seconds"] if r["kind"] == RACE else TARGETS["deterministic_seconds"]
        first = fmt(r["median_first_failure"])
        if r["median_first_failure"] is not None and r["median_first_failure"] > limit:
            first += f" (> {limit:g})"
        if r.get("given_example") and r["shrunk_operations"] is None:
            size = "@given: " + r["given_example"].replace("|", "/")
        elif r["fixed_test"] and r["shrunk_operations"] is None:
            size = "fixed test"
        elif r["shrunk_operations"] is None:
            size = "-"
        else:
            size = f"{r['shrunk_operations']}, {r['shrunk_processes']}" + (
                " (> 6)" if r["shrunk_operations"] > TARGETS["operations"] else ""
            )
        report = (
            "-"
            if r.get("median_report_seconds") is None
            else f"{fmt(r['median_report_seconds'], 1)}, {fmt(r['max_report_seconds'], 1)}"
        )
        if (r.get("max_report_seconds") or 0) > TARGETS["report_seconds"]:
            report += f" (> {TARGETS['report_seconds']:g})"
        lines.append(
            f"| `{r['fault']}` | {r['kind']} | {r['caught']}/{r['runs']} | {first} | {size} | "
            f"{r['clause_named'] or '-'} | {report} |"
        )
    faults = results["faults"]
    caught_all = sum(r["caught"] == r["runs"] and r["runs"] > 0 for r in faults)
    lines.append("")
    lines.append(
        f"- faults caught in every run: {caught_all} of {len(faults)} "
        f"(caught at least once: {sum(r['caught'] > 0 for r in faults)})"
    )
    for kind, limit in (("deterministic", TARGETS["deterministic_seconds"]), (RACE, TARGETS["race_seconds"])):
        timed = [
            r["median_first_failure"] for r in faults if r["kind"] == kind and r["median_first_failure"] is not None
        ]
        lines.append(
            f"- {kind} faults with median time to first failure <= {limit:g} s: "
            f"{sum(t <= limit for t in timed)} of {len(timed)} caught"
        )
    sized = [r["shrunk_operations"] for r in faults if r["shrunk_operations"] is not None]
    lines.append(
        f"- shrunk counterexamples of at most {TARGETS['operations']} operations: "
        f"{sum(o <= TARGETS['operations'] for o in sized)} "
        f"of {len(sized)} measured (not measured: a fixed test caught it, or the shrink run named no clause of "
        "the fault)"
    )
    limit = TARGETS["report_seconds"]
    reports = sorted(t for r in faults for t in report_times(r))
    if reports:
        over = [
            r["fault"]
            for r in faults
            if max(report_times(r, "slowest_report_seconds") + report_times(r), default=0) > limit
        ]
        lines.append(
            f"- time to a report, shrinking included, from the start of the first failing test ({len(reports)} runs of "
            f"{sum(bool(report_times(r)) for r in faults)} faults): median {fmt(median(reports), 1)} s, "
            f"p90 {fmt(percentile(reports, 0.9), 1)} s, max {fmt(reports[-1], 1)} s"
        )
        slowest = sorted(t for r in faults for t in report_times(r, "slowest_report_seconds"))
        if slowest:
            lines.append(
                f"- the same for the slowest failing test of each run ({len(slowest)} runs): median "
                f"{fmt(median(slowest), 1)} s, "
                f"p90 {fmt(percentile(slowest, 0.9), 1)} s, max {fmt(slowest[-1], 1)} s"
            )
        lines.append(f"- faults with a report over {limit:g} s: {', '.join(over) or 'none'}")
    for label in ("idle", "busy"):
        series = results.get(f"reference_{label}")
        if series and series["runs"]:
            lines.append(
                f"- reference ({options.reference}, {options.profile}) "
                f"with {'one core kept busy' if label == 'busy' else 'no load of ours'}: "
                f"{series['false_alarms']} false alarms in {series['runs']} runs, median wall "
                f"{fmt(series['median_wall'], 1)} s, "
                f"median load average {fmt(series['load1_median'])}"
            )
    return "\n".join(lines)


def regrade(fault, log_dirs):
    """Grade a partial result again against the zoo's current clause lists; re-read shrunk sizes from saved logs.

    A run is caught when it named one of the fault's clauses; the clause
    each run named is kept, so a result can be graded again after a clause
    list changed (each change documented in the fault's docstring).
    """
    from tests.zoo import BY_NAME

    clauses = set(BY_NAME[fault["fault"]].clauses)
    fault["clauses"] = sorted(clauses)
    for run in fault["catch_runs"] + fault["shrink_runs"]:
        named = set(run.get("clauses_named") or []) | ({run["clause_named"]} if run.get("clause_named") else set())
        run["caught"] = run.get("failed", bool(named)) and bool(named & clauses)
        if named & clauses:
            run["clause_named"] = run["clause_named"] if run["clause_named"] in clauses else sorted(named & clauses)[0]
    runs = fault["catch_runs"]
    fault["caught"] = sum(r["caught"] for r in runs)
    fault["median_first_failure"] = median([r["first_violation"] for r in runs if r["caught"]])
    fault["clause_named"] = statistics.mode(
        [r["clause_named"] for r in runs + fault["shrink_runs"] if r["caught"]] or [None]
    )
    reread(fault, log_dirs)


def reread(fault, log_dirs):
    """Recompute a fault's shrunk size from its shrink runs' saved logs (after a change of the parser)."""
    for index, run in enumerate(fault["shrink_runs"]):
        for directory in log_dirs:
            log = Path(directory) / f"{fault['fault']}.shrink{index}.log"
            if log.exists():
                text = log.read_text()
                run["size"], run["given"] = shrunk_size(text), given_example(text)
                run["fixed"] = not EXAMPLE.search(text)
    sizes = [r["size"] for r in fault["shrink_runs"] if r["caught"] and r["size"]]
    fault["shrunk_operations"] = max((s[0] for s in sizes), default=None)
    fault["shrunk_processes"] = max((s[1] for s in sizes), default=None)
    fault["fixed_test"] = any(r["fixed"] for r in fault["shrink_runs"] if r["caught"])
    fault["given_example"] = next((r.get("given") for r in fault["shrink_runs"] if r.get("given")), None)


def merge(options):
    """Write and print one result from several partial ones: faults in zoo order, the last measurement of each
    fault and the last reference series seen."""
    parts = [json.loads(Path(name).read_text()) for name in options.merge]
    order = {fault.name: index for index, fault in enumerate(FAULTS)}
    results = dict(parts[0], command=" + ".join(part["command"] for part in parts), merged=options.merge)
    for fault in (f for part in parts for f in part["faults"]):
        regrade(fault, options.reread or [])
    latest = {f["fault"]: f for part in parts for f in part["faults"]}  # a later part re-measures a fault
    results["faults"] = sorted(latest.values(), key=lambda f: order.get(f["fault"], len(order)))
    for part in parts:
        for series in ("reference_idle", "reference_busy"):
            if part.get(series):
                results[series] = part[series]
    Path(options.json).write_text(json.dumps(results, indent=1))
    print(table(results, options))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--faults", default="", help="comma-separated fault names (default: the whole zoo); 'none' for none"
    )
    parser.add_argument("--kind", choices=["deterministic", "race"], help="only faults of this kind")
    parser.add_argument("--runs", type=int, default=10, help="catch runs per fault (default 10)")
    parser.add_argument(
        "--shrink-runs", type=int, default=1, help="runs with shrinking per fault, for the shrunk size (default 1)"
    )
    parser.add_argument("--shrink", action="store_true", help="keep the shrink phase in the catch runs too")
    parser.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        help="catch runs stop at the first failing test (faster; the time to the first failure is the same)",
    )
    parser.add_argument("--profile", default="dev")
    parser.add_argument("--reference", default="stdlib-fork")
    parser.add_argument(
        "--false-alarm-runs", type=int, default=20, help="reference runs per series (idle, busy); 0 to skip"
    )
    parser.add_argument(
        "--series", default="idle,busy", help="which false-alarm series to run, in this order (default idle,busy)"
    )
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "suite-power.json"))
    parser.add_argument("--logs", default=os.path.join(tempfile.gettempdir(), "suite-power-logs"))
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="combine the results of partial runs (in zoo order) instead of running",
    )
    parser.add_argument(
        "--reread",
        nargs="+",
        metavar="LOGDIR",
        help="with --merge: recompute shrunk sizes from the shrink logs in these directories",
    )
    options = parser.parse_args(argv)
    if options.merge:
        return merge(options)

    chosen = [f for f in FAULTS if not options.faults or f.name in options.faults.split(",")]
    if options.kind:
        chosen = [f for f in chosen if f.kind == options.kind]
    log_dir = Path(options.logs)
    log_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_at_start": os.getloadavg(),
        "profile": options.profile,
        "catch_runs_shrink": options.shrink,
        "targets": TARGETS,
        "faults": [],
    }
    for fault in chosen:
        results["faults"].append(measure_fault(fault, options, log_dir))
    if options.false_alarm_runs:
        for series in options.series.split(","):
            results[f"reference_{series}"] = false_alarms(options, busy=series == "busy")
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    Path(options.json).parent.mkdir(parents=True, exist_ok=True)
    Path(options.json).write_text(json.dumps(results, indent=1))
    print(table(results, options))


if __name__ == "__main__":
    main()
