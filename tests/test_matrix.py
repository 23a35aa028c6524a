"""The committed conformance matrix (docs/matrix.md) matches the catalogue and the expectations files.

The matrix ends with where each column came from (:func:`conformance.matrix.provenance`): the
suite's commit, the catalogue's digest and the digest of each expectations file the run used.  A
clause edited, added or removed, or an expectations file changed, makes the committed matrix
stale; these tests then fail and say how to refresh it (``tox -e matrix``, then copy
``reports/matrix.md`` to ``docs/matrix.md``).
"""

import re
from pathlib import Path

from conformance import report

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "docs" / "matrix.md"
IMPLEMENTATIONS = ROOT / "implementations"
REFRESH = "refresh it: python -m tox -e matrix, then copy reports/matrix.md to docs/matrix.md"

#: One line of the "Runs:" section, as conformance.matrix.provenance writes it.
RUN_LINE = re.compile(
    r"^- (?P<label>.+?): ipc-conformance (?P<version>\S+) at commit (?P<commit>\S+), "
    r"catalogue (?P<catalogue>\S+), expectations (?P<expectations>.+), (?P<mode>\w+) mode, started (?P<started>.+)$"
)


def committed_runs() -> list[dict]:
    text = MATRIX.read_text(encoding="utf-8")
    assert "\nRuns:\n" in text, f"{MATRIX} has no 'Runs:' section (it predates provenance); {REFRESH}"
    lines = text.split("\nRuns:\n", 1)[1].splitlines()
    runs = []
    for line in lines:
        if not line.strip():
            continue
        found = RUN_LINE.match(line)
        assert found, f"{MATRIX}: unreadable provenance line {line!r}; {REFRESH}"
        runs.append(found.groupdict())
    assert runs, f"{MATRIX} lists no runs; {REFRESH}"
    return runs


def expectations_of(run: dict) -> dict[str, str]:
    """``{file name: digest}`` of the expectations files a column's run used."""
    if run["expectations"] == "none":
        return {}
    pairs = [entry.rsplit(" ", 1) for entry in run["expectations"].split(", ")]
    return {name: digest for name, digest in pairs}


def test_every_column_was_made_from_the_current_catalogue():
    current = report.catalogue_digest()
    stale = [run["label"] for run in committed_runs() if run["catalogue"] != current]
    assert not stale, f"columns made from another catalogue than the current one ({current}): {stale}; {REFRESH}"


def test_every_column_was_made_from_a_committed_suite():
    dirty = [
        run["label"] for run in committed_runs() if run["commit"] in ("unknown", "None") or "dirty" in run["commit"]
    ]
    assert not dirty, f"columns made from an uncommitted or unknown suite: {dirty}; {REFRESH} from a clean checkout"


def test_every_column_was_surveyed():
    gated = [run["label"] for run in committed_runs() if run["mode"] != "survey"]
    assert not gated, f"columns from gate-mode runs, where a deviation may stop a test: {gated}; {REFRESH}"


def test_expectations_files_are_the_ones_each_column_used():
    changed = {}
    for run in committed_runs():
        for name, digest in expectations_of(run).items():
            current = report.file_digest(str(IMPLEMENTATIONS / name))
            if current != digest:
                changed[f"{run['label']}: {name}"] = f"{digest} in the matrix, {current or 'missing'} now"
    assert not changed, f"expectations files changed since the matrix was made: {changed}; {REFRESH}"


def test_matrix_reads_back(tmp_path):
    """The parser above reads what conformance.matrix writes (a rendered two-run matrix)."""
    from conformance import matrix

    data = {
        "adapter": {"name": "a", "implementation": "a", "version": "1", "context": "fork"},
        "python": "3.11.7",
        "mode": "survey",
        "started": "2026-12-06T00:00:00Z",
        "suite": {"version": "0.1.0", "commit": "0123456789ab", "catalogue": report.catalogue_digest()},
        "expectations": {"digests": {"/x/implementations/a.expect": "00ff00ff00ff00ff"}},
        "summary": {},
        "clauses": [],
    }
    lines = matrix.provenance([matrix.Run(label="a · 1 · fork", data=data, clauses={})])
    assert len(lines) == 1
    found = RUN_LINE.match(lines[0])
    assert found, lines[0]
    assert found["catalogue"] == report.catalogue_digest()
    assert found["mode"] == "survey"
    assert expectations_of(found.groupdict()) == {"a.expect": "00ff00ff00ff00ff"}
