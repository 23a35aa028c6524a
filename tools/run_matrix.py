"""Run the suite against several adapters and render the conformance matrix.

    python tools/run_matrix.py [--out reports] [--timeout SECONDS] [--gate] [--no-matrix] [--columns A,B,...]
    ADAPTER... [-- PYTEST-ARGS]

Each adapter (a registered name or ``module:object``) runs in its own
pytest process in survey mode (``--ipc-survey``: every clause graded, no
deviation stops a test; ``--gate`` runs the default gate mode instead),
writing ``OUT/<adapter>.json`` with ``--ipc-report``;
then ``OUT/matrix.md`` and ``OUT/matrix.html`` are rendered from those
reports, one column per adapter in the order given.  The implementations must be installed in this
environment (``tox -e matrix`` installs them; see its ``deps``).

No run can hang or leak the machine's processes: each pytest runs in a
session of its own, under pytest-xdist with one worker (``-n 1``), so a
segfault or a killed test process is reported as a failure of the test it
was running (and of the clauses that test cites) and the run goes on; a
run past ``--timeout`` is killed with its whole process group; any process
still in the group once pytest has exited is killed too.  Each of these is
recorded in the report's ``run.problems`` and shown by the matrix.

Exit status: 0 when every adapter's run passed (expected failures
included), else 1; an adapter that cannot be loaded, for example because
its package is missing, prints pytest's error and has no column.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance import matrix  # noqa: E402
from conformance.harness.deadline import eventually  # noqa: E402

#: How long the processes a run leaves behind get to exit by themselves
#: (the resource tracker and forkserver notice their parent is gone).
LEFTOVER_GRACE = 10.0


def report_path(out: Path, adapter: str) -> Path:
    return out / (adapter.replace(":", "-").replace("/", "-") + ".json")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member exists that we may not signal
        return True
    return True


def run_one(adapter: str, out: Path, timeout: float, extra, survey: bool = True) -> Optional[int]:
    """Run the suite against one adapter; pytest's exit status, or None if it left no report."""
    path = report_path(out, adapter)
    if path.exists():
        path.unlink()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "conformance.suite",
        "-p",
        "no:cacheprovider",
        "-q",
        "-n",
        "1",
        "--max-worker-restart",
        "50",
        "--ipc-adapter",
        adapter,
        "--ipc-report",
        str(path),
        *(["--ipc-survey"] if survey else []),
        *extra,
    ]
    print(f"== {adapter}: {' '.join(command[1:])}", flush=True)
    process = subprocess.Popen(command, start_new_session=True)
    problems = []
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        problems.append(f"killed after {timeout:.0f}s: the run did not finish")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    if process.returncode < 0:
        problems.append(f"pytest died of signal {signal.Signals(-process.returncode).name}")
    gone, _ = eventually(lambda: not _group_alive(process.pid), LEFTOVER_GRACE)
    if not gone:
        problems.append(f"processes were still running {LEFTOVER_GRACE:.0f}s after pytest exited; killed")
        os.killpg(process.pid, signal.SIGKILL)
    if not path.exists():
        print(f"== {adapter}: no report (pytest exit status {process.returncode}); no column for it", flush=True)
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["run"] = {"exit_status": process.returncode, "problems": problems}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"== {adapter}: exit status {process.returncode}; {'; '.join(problems) or 'no run problems'}", flush=True)
    return process.returncode


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="tools/run_matrix.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("adapters", nargs="+", help="adapter names or module:object paths")
    parser.add_argument("--out", default="reports", help="directory for the reports and the matrix (default reports)")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds one adapter's run may take (default 1800)"
    )
    parser.add_argument("--no-matrix", action="store_true", help="only run and write the reports")
    parser.add_argument(
        "--gate",
        action="store_true",
        help="run in gate mode (stop a test at an unexpected deviation) instead of survey mode",
    )
    parser.add_argument(
        "--columns",
        default=None,
        help="comma-separated adapters whose reports in OUT make the matrix, in order (default: the adapters run); "
        "reports of other runs, such as the impl-* tox envs, join the matrix this way",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    statuses = [run_one(adapter, out, args.timeout, extra, survey=not args.gate) for adapter in args.adapters]
    if args.columns is None:
        reports = [str(report_path(out, a)) for a, status in zip(args.adapters, statuses) if status is not None]
    else:
        columns = [report_path(out, a) for a in args.columns.split(",")]
        for missing in (path for path in columns if not path.exists()):
            print(f"== matrix: {missing} is missing; no column for it", flush=True)
        reports = [str(path) for path in columns if path.exists()]
    if reports and not args.no_matrix:
        matrix.main([*reports, "--markdown", str(out / "matrix.md"), "--html", str(out / "matrix.html")])
        print(f"== matrix: {out / 'matrix.md'}, {out / 'matrix.html'}")
    return 0 if all(status == 0 for status in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
