"""List or run the standalone reproductions of deviations found in real implementations.

Each ``findings/<implementation>_<short>.py`` reproduces one deviation with
the implementation alone (the suite need not be installed): it exits 1 and
says what deviated, and with ``--stdlib`` it runs the same steps against
``multiprocessing`` and exits 0.  FINDINGS.md describes each one.

    python -m findings                 list the scripts, with the clause each concerns
    python -m findings --clause ID     the scripts about clause ID
    python -m findings show NAME       print a script, ready to save and run without the suite
    python -m findings run [PREFIX]    run each script (or those starting with PREFIX) both ways;
                                       scripts whose implementation is not installed are skipped
"""

import importlib.util
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).parent

#: The module each file-name prefix needs.
MODULES = {
    "aioprocessing": "aioprocessing",
    "billiard": "billiard",
    "dask": "distributed",
    "faster_fifo": "faster_fifo",
    "loky": "loky",
    "multiprocess": "multiprocess",
    "multiprocessing_dummy": "multiprocessing.dummy",
    "quick_queue": "quick_queue",
    "ray": "ray",
}

#: Seconds one run of a script may take; each bounds its own waits well below this.
LIMIT = 120


def scripts():
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))


def module_for(script: pathlib.Path) -> str:
    return next(module for prefix, module in MODULES.items() if script.name.startswith(prefix + "_"))


def summary(script: pathlib.Path):
    """The docstring's first line and the clause IDs it names."""
    text = script.read_text(encoding="utf-8")
    doc = text.split('"""')[1]
    return doc.strip().splitlines()[0], sorted(set(re.findall(r"\b[A-Z]+(?:-[A-Z]+)+-\d+\b", doc)))


def run(script: pathlib.Path, *flags: str):
    try:
        done = subprocess.run([sys.executable, str(script), *flags], capture_output=True, text=True, timeout=LIMIT)
    except subprocess.TimeoutExpired:
        return None, f"did not finish within {LIMIT}s"
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines[-1] if lines else done.stderr.strip()[-200:]


def main(argv) -> int:
    if argv[:1] == ["run"]:
        prefix = argv[1] if len(argv) > 1 else ""
        failures = 0
        for script in scripts():
            if not script.name.startswith(prefix):
                continue
            if importlib.util.find_spec(module_for(script)) is None:
                print(f"SKIP {script.name}: {module_for(script)} is not installed")
                continue
            code, said = run(script)
            stdlib_code, stdlib_said = run(script, "--stdlib")
            ok = code == 1 and stdlib_code == 0
            failures += not ok
            print(
                f"{'REPRODUCED' if ok else 'NOT REPRODUCED'} {script.name}: implementation exit {code}, stdlib "
                f"exit {stdlib_code}"
            )
            if not ok:
                print(f"    implementation: {said}\n    stdlib: {stdlib_said}")
        return 1 if failures else 0
    if argv[:1] == ["show"] and len(argv) == 2:
        matches = [script for script in scripts() if script.stem == argv[1] or script.name == argv[1]]
        if not matches:
            print(f"no finding named {argv[1]!r}; list them with python -m findings", file=sys.stderr)
            return 2
        print(matches[0].read_text(encoding="utf-8"), end="")
        return 0
    clause = argv[1] if argv[:1] == ["--clause"] and len(argv) > 1 else None
    for script in scripts():
        title, clauses = summary(script)
        if clause is None or clause in clauses:
            print(f"findings/{script.name}  [{', '.join(clauses) or 'no clause'}]\n    {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
