"""The findings about real implementations stay consistent: scripts, FINDINGS.md and expectations files.

The scripts themselves need their implementations installed (``python -m
findings run``, in the impl tox envs' packages); these checks need none.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import expectations, spec

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p for p in (ROOT / "findings").glob("*.py") if not p.name.startswith("_"))
EXPECT_FILES = sorted((ROOT / "implementations").glob("*.expect"))
FINDINGS = (ROOT / "FINDINGS.md").read_text(encoding="utf-8")


def test_there_are_findings_and_expectations():
    assert SCRIPTS and EXPECT_FILES


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_is_standalone_and_documented(script):
    source = script.read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & {"conformance", "implementations", "tests"}, "a findings script must run without the suite"
    doc = ast.get_docstring(tree)
    assert doc and f"python findings/{script.name}" in doc and "--stdlib" in doc
    assert "--stdlib" in source and "sys.exit(main())" in source
    for clause in re.findall(r"\b[A-Z]+(?:-[A-Z]+)+-\d+\b", doc):
        assert clause in spec.CATALOGUE, f"{script.name} names unknown clause {clause}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_is_in_findings_md(script):
    assert f"findings/{script.name}" in FINDINGS


def test_every_script_findings_md_names_exists():
    for name in set(re.findall(r"findings/(\w+\.py)", FINDINGS)):
        assert (ROOT / "findings" / name).is_file(), name


def register_rows():
    """The register's rows, as {column: cell}."""
    lines = [line for line in FINDINGS.splitlines() if line.startswith("| ")]  # not the |---| line
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[1:]]


def test_register_has_one_row_per_root_cause_with_its_class():
    rows = register_rows()
    assert rows and len({row["ID"] for row in rows}) == len(rows)
    for row in rows:
        assert row["class"].split(" (")[0] in {"defect", "documented difference", "out of scope"}, row["ID"]
        for clause in re.findall(r"\b[A-Z]+(?:-[A-Z]+)+-\d+\b", row["clauses"]):
            assert clause in spec.CATALOGUE, f"{row['ID']} names unknown clause {clause}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_reproduces_exactly_one_root_cause(script):
    assert sum(f"findings/{script.name}" in row["reproduce"] for row in register_rows()) == 1


def test_every_defect_has_an_upstream_issue_or_a_report():
    for row in register_rows():
        if row["class"].startswith("defect"):
            assert "https://" in row["upstream"] or "findings/reports/" in row["upstream"], row["ID"]


def test_reports_are_cited_exist_and_are_ready_to_file():
    reports = sorted((ROOT / "findings" / "reports").glob("*.md"))
    cited = set(re.findall(r"findings/reports/([\w.-]+\.md)", FINDINGS))
    assert cited == {report.name for report in reports}
    for report in reports:
        text = report.read_text(encoding="utf-8")
        assert text.startswith("# "), f"{report.name} has no title"
        for section in ("## Reproduction", "## Expected", "## Actual"):
            assert section in text, f"{report.name} lacks {section}"
        assert "https://docs.python.org/3/library/" in text, f"{report.name} cites no documentation"
        for name in re.findall(r"findings/(\w+\.py)", text):
            assert (ROOT / "findings" / name).is_file(), f"{report.name} cites missing findings/{name}"


@pytest.mark.parametrize("path", EXPECT_FILES, ids=lambda p: p.name)
def test_expectations_file_parses_and_cites_existing_scripts(path):
    text = path.read_text(encoding="utf-8")
    expectations.parse(text, str(path))
    for name in re.findall(r"findings/(\w+\.py)", text):
        assert (ROOT / "findings" / name).is_file(), f"{path.name} cites missing findings/{name}"


def test_listing_command_names_every_script():
    listed = subprocess.run(
        [sys.executable, "-m", "findings"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for script in SCRIPTS:
        assert f"findings/{script.name}" in listed


def test_show_prints_a_script_and_names_an_unknown_one():
    script = SCRIPTS[0]
    shown = subprocess.run(
        [sys.executable, "-m", "findings", "show", script.stem], cwd=ROOT, capture_output=True, text=True
    )
    assert shown.returncode == 0 and shown.stdout == script.read_text(encoding="utf-8")
    unknown = subprocess.run(
        [sys.executable, "-m", "findings", "show", "no_such_finding"], cwd=ROOT, capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "no finding named 'no_such_finding'" in unknown.stderr
