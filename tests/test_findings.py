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
