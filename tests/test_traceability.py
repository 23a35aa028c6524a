"""Traceability: the catalogue, the tests that cite it and the checks that name it agree.

* every clause is cited by a test of ``conformance/suite`` or says why it is
  untestable, and every cited ID exists;
* every clause ID written under ``conformance/`` (in a check such as
  ``expect``/``returned``/``raised``/``within``, a model's prediction, a
  machine's clause list) exists and is cited by a test of some suite file
  that runs that code;
* the catalogue is well formed and ``SPEC.md`` is rendered from it.

The suite is collected once, in a subprocess, with ``tests.citations``
recording each test's ``spec`` markers (its own, its class's, its module's).
"""

import ast
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conformance import expectations, spec
from conformance.adapter import Consistency, Mode, Trait
from conformance.primitives import Feature, Primitive, primitive_of
from conformance.spec.clause import CLAUSE_ID, AnyOf
from tests.conftest import REPO_ROOT, SELECTION_VARIABLES

PACKAGE = REPO_ROOT / "conformance"
SUITE = PACKAGE / "suite"
CHECKS = {"expect", "returned", "raised", "within"}
MINIMUM_CLAUSES = 60
REGENERATE = "python -m conformance.spec > SPEC.md"


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    """Collect ``conformance.suite``; returns (exit code, output, one record per test)."""
    out = tmp_path_factory.mktemp("census") / "citations.json"
    env = {k: v for k, v in os.environ.items() if k not in SELECTION_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.citations",
            "--citations-out",
            str(out),
            "--pyargs",
            "conformance.suite",
        ],
        cwd=str(out.parent),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    records = json.loads(out.read_text()) if out.exists() else []
    return run.returncode, run.stdout + run.stderr, records


def cited(records) -> dict[str, set[str]]:
    """Clause ID -> the suite files (by name) whose tests cite it."""
    where = defaultdict(set)
    for record in records:
        for clause_id in record["spec"]:
            where[clause_id].add(Path(record["path"]).name)
    return where


def test_suite_collects_cleanly(census):
    code, text, records = census
    assert code == 0, f"collecting conformance.suite failed (exit {code}):\n{text}"
    assert records, "conformance.suite has no tests"


def test_every_suite_test_cites_a_clause(census):
    _, _, records = census
    bare = [r["nodeid"] for r in records if not r["spec"]]
    assert not bare, f"tests without @pytest.mark.spec: {bare}"


def test_every_cited_clause_exists(census):
    _, _, records = census
    unknown = sorted({(c, r["nodeid"]) for r in records for c in r["spec"] if c not in spec.CATALOGUE})
    assert not unknown, f"tests cite clauses missing from the catalogue: {unknown}"


def test_every_clause_is_cited_or_untestable(census):
    _, _, records = census
    where = cited(records)
    uncited = [c.id for c in spec.CATALOGUE.values() if not c.untestable and c.id not in where]
    assert not uncited, f"clauses no suite test cites (cite them, or set untestable= with the reason): {uncited}"


def test_untestable_clauses_are_not_cited(census):
    """A clause marked untestable but cited is a contradiction: one of the two is wrong."""
    _, _, records = census
    where = cited(records)
    both = {c.id: sorted(where[c.id]) for c in spec.CATALOGUE.values() if c.untestable and c.id in where}
    assert not both, f"clauses marked untestable yet cited by tests in: {both}"


# --- the expectations files of the implementations ------------------------------------------

EXPECT_FILES = sorted((REPO_ROOT / "implementations").glob("*.expect"))


def test_there_are_expectations_files():
    assert EXPECT_FILES, "implementations/ has no .expect files"


@pytest.mark.parametrize("path", EXPECT_FILES, ids=lambda p: p.name)
def test_expectations_file_is_not_stale(census, path):
    """Each entry of an implementation's file can still match: its clause exists and some suite test cites it,
    or its node id (parametrised or not) names a test the suite collects.

    A stale entry only warns at run time, and only in a run of that
    implementation; here it fails whatever is installed.
    """
    _, _, records = census
    entries = expectations.parse(path.read_text(encoding="utf-8"), str(path))  # a malformed line raises, naming it
    where = cited(records)
    nodeids = [record["nodeid"] for record in records]
    stale = []
    for entry in entries:
        if entry.is_clause:
            if entry.key not in spec.CATALOGUE:
                stale.append(f"{entry.where}: {entry.key} is not in the catalogue")
            elif not where.get(entry.key):
                stale.append(f"{entry.where}: no suite test cites {entry.key}, so the entry can match nothing")
        elif not any(expectations.matches_nodeid(entry.key, nodeid) for nodeid in nodeids):
            stale.append(f"{entry.where}: {entry.key!r} matches no test of conformance.suite")
    assert not stale, "stale expectations entries:\n" + "\n".join(stale)


def test_node_id_entries_are_checked_against_parametrised_ids(census):
    """The staleness check above matches keys as the plugin does: ``[...]`` is optional, a wrong one is not."""
    _, _, records = census
    nodeids = [record["nodeid"] for record in records]
    parametrised = next(n for n in nodeids if n.endswith("]") and "::" in n)
    name = parametrised.rsplit("/", 1)[-1]
    assert any(expectations.matches_nodeid(name, n) for n in nodeids)
    assert any(expectations.matches_nodeid(name[: name.index("[")], n) for n in nodeids)
    assert not any(expectations.matches_nodeid(name[: name.index("[")] + "[no-such-id]", n) for n in nodeids)


# --- clause IDs written in the code ----------------------------------------------------------


def python_files() -> list[Path]:
    """Every module under conformance/ except the catalogue itself."""
    return sorted(p for p in PACKAGE.rglob("*.py") if (PACKAGE / "spec") not in p.parents)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in python_files()}


def imports(path: Path) -> set[str]:
    """The conformance modules ``path`` imports directly (``from pkg import mod`` counts as ``pkg.mod``)."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES}


def reached_from(start: str) -> set[str]:
    """``start`` and every conformance module it imports, transitively."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imports(MODULES[name]))
    return seen


def clause_literals(path: Path):
    """(line, ID) for each clause ID written in ``path``.

    A string is taken for a clause ID when it is the first argument of a
    check (whatever its spelling) or looks like one with a catalogue prefix.
    """
    prefixes = {clause_id.split("-")[0] for clause_id in spec.CATALOGUE}
    tree = ast.parse(path.read_text(), str(path))
    checked = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in CHECKS and isinstance(node.args[0], ast.Constant):
                checked.add(id(node.args[0]))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in checked or (CLAUSE_ID.match(node.value) and node.value.split("-")[0] in prefixes):
            yield node.lineno, node.value


def test_clause_literals_finds_check_arguments_and_clause_ids(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        '''"""Mentions QUEUE-FIFO-1 in prose, which is not a citation."""
from conformance.verdict import expect, raised
PREDICTED = "PIPE-EOF-1"
expect("QUEUE-FIFO-1", True, "")
raised("queue-fifo-1", None, ValueError)
NOT_A_CLAUSE = "UTF-8"
'''
    )
    assert sorted(clause_literals(source)) == [(3, "PIPE-EOF-1"), (4, "QUEUE-FIFO-1"), (5, "queue-fifo-1")]


def test_clause_ids_in_the_code_exist():
    unknown = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {clause_id}"
        for path in python_files()
        for line, clause_id in clause_literals(path)
        if clause_id not in spec.CATALOGUE
    ]
    assert not unknown, "clause IDs used in the code but missing from the catalogue:\n" + "\n".join(unknown)


def traceability_gaps(records) -> dict[tuple, str]:
    """``(path, clause) -> the line`` for each clause ID written in a module suite files run that none of them cites."""
    where = cited(records)
    runners = defaultdict(set)
    for path in SUITE.glob("test_*.py"):
        for module in reached_from(module_name(path)):
            runners[module].add(path.name)
    gaps = {}
    for path in python_files():
        files = runners.get(module_name(path))
        if not files:
            continue  # not run by the suite; test_clause_ids_in_the_code_exist still covers it
        for line, clause_id in clause_literals(path):
            if clause_id in spec.CATALOGUE and not where.get(clause_id, set()) & files:
                relative = path.relative_to(REPO_ROOT).as_posix()
                gaps.setdefault(
                    (relative, clause_id), f"{relative}:{line}: {clause_id} (runs from {', '.join(sorted(files))})"
                )
    return gaps


def test_clauses_in_the_code_are_cited_by_a_suite_file_that_runs_it(census):
    """A failing check names its clause; a test running that check must cite it, or the report misleads.

    Every clause ID written in a module that suite files run (a check's
    argument, a model's prediction, a machine's clause list) must be cited
    by a test of one of those files.
    """
    _, _, records = census
    gaps = list(traceability_gaps(records).values())
    assert not gaps, "clauses named in code that no test of the files running it cites:\n" + "\n".join(gaps)


# --- the catalogue itself ----------------------------------------------------------------------


def test_catalogue_has_enough_clauses():
    assert len(spec.CATALOGUE) >= MINIMUM_CLAUSES, f"only {len(spec.CATALOGUE)} clauses"


@pytest.mark.parametrize("clause", list(spec.CATALOGUE.values()), ids=lambda c: c.id)
def test_clause_is_well_formed(clause):
    assert clause.statement.strip(), "empty statement"
    assert clause.source.strip(), "empty source"
    wrong = [need for need in clause.needs if not isinstance(need, (Primitive, Feature, AnyOf, Mode, Trait))]
    assert not wrong, f"needs {wrong!r}: only Primitive, Feature, AnyOf, Mode and Trait members"
    assert len(set(clause.needs)) == len(clause.needs), f"a requirement listed twice: {clause.needs!r}"
    primitives = {need for need in clause.needs if isinstance(need, Primitive)}
    features = [need for need in clause.needs if isinstance(need, Feature)]
    features += [feature for need in clause.needs if isinstance(need, AnyOf) for feature in need.features]
    for feature in features:
        # The skip reason then names what the adapter does not offer: the primitive first, else its feature.
        assert primitives & set(primitive_of(feature)), f"needs {feature.name} but none of {primitive_of(feature)!r}"
    assert clause.level is None or isinstance(clause.level, Consistency), f"level {clause.level!r}"
    assert clause.level is None or any(p.is_queue for p in primitives), "a consistency level is declared for queues"
    assert all(isinstance(trait, Trait) for trait in clause.excludes), f"excludes {clause.excludes!r}"
    assert not set(clause.excludes) & set(clause.needs), "needs a trait it excludes: it can never apply"
    assert clause.until is None or clause.since < clause.until, f"empty version range {clause.versions}"
    assert clause.untestable is None or clause.untestable.strip(), "untestable without a reason"


def test_spec_md_is_rendered_from_the_catalogue():
    rendered = subprocess.run(
        [sys.executable, "-m", "conformance.spec"], cwd=str(REPO_ROOT), capture_output=True, text=True, check=True
    ).stdout
    path = REPO_ROOT / "SPEC.md"
    assert path.exists(), f"SPEC.md is missing; generate it with: {REGENERATE}"
    assert path.read_text() == rendered, f"SPEC.md is out of date; regenerate it with: {REGENERATE}"
