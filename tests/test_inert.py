"""The plugin leaves a project's own run alone: the project of a library that installs the suite into its tests.

Each test builds a tiny unrelated project in ``tmp_path`` (a conftest that
loads a Hypothesis profile of its own, ``max_examples=7``, and a Hypothesis
test that counts its examples) and runs it with ``python -m pytest`` in a
subprocess, with the plugin (installed: the default) and with
``-p no:ipc_conformance``.  The runs must show the same number of examples
and the same header, with no reseeding, no timeout marker, no fixture and
no warning filter of the suite's, whatever ``IPC_CONFORMANCE_*`` variables
are set (even wrong ones), and with ``--ipc-seed`` or ``--ipc-example-db``
(which ask for the suite, so its header appears, but still leave the
project's tests alone).
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import SELECTION_VARIABLES

CONFTEST = """
from hypothesis import settings

# derandomize=False: under CI=true Hypothesis derandomises by default, and the seed test needs random runs.
settings.register_profile("mine", max_examples=7, derandomize=False)
settings.load_profile("mine")
"""

PROJECT_TEST = """
import json
import os
import warnings

from hypothesis import given, settings, strategies as st

SEEN = []


@given(st.binary(min_size=16, max_size=16))
def test_examples(value):
    SEEN.append(value.hex())


def test_report(request):
    with open(os.environ["REPORT"], "w") as handle:
        json.dump({
            "examples": SEEN,
            "profile": settings.get_current_profile_name(),
            "max_examples": settings().max_examples,
            "markers": sorted(mark.name for mark in request.node.iter_markers()),
            "fixtures": sorted(request.fixturenames),
            "filters": len(warnings.filters),
        }, handle)
"""


def project(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_project.py").write_text(PROJECT_TEST)
    return tmp_path


def run(where, *args, env=None):
    """``python -m pytest`` in ``where``: (exit code, header lines, the project's report)."""
    report = where / "report.json"
    if report.exists():
        report.unlink()
    environment = {
        k: v for k, v in os.environ.items() if k not in SELECTION_VARIABLES and not k.startswith("IPC_CONFORMANCE_")
    }
    environment.pop("PYTHONPATH", None)
    environment.update(env or {})
    environment["REPORT"] = str(report)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=where,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("collected"))
    # The plugins line names the installed plugins (this one too, when it is loaded): the rest must not change.
    header = [line for line in lines[:end] if not line.startswith("plugins:")]
    assert done.returncode == 0, done.stdout + done.stderr
    return header, json.loads(report.read_text())


@pytest.fixture
def alone(tmp_path):
    """The project's run without the plugin."""
    where = project(tmp_path)
    return where, run(where, "-p", "no:ipc_conformance")


def check_untouched(report, baseline):
    assert len(report["examples"]) == 7, "the project's profile (max_examples=7) was not in force"
    assert report["profile"] == baseline["profile"] == "mine"
    assert report["max_examples"] == 7
    assert report["markers"] == baseline["markers"], "a marker (a timeout?) was added to the project's test"
    assert report["fixtures"] == baseline["fixtures"] == ["request"], (
        "a fixture of the suite ran for the project's test"
    )
    assert report["filters"] == baseline["filters"], "the suite added a warning filter to the project's run"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {
            "IPC_CONFORMANCE_SEED": "7",
            "IPC_CONFORMANCE_EXAMPLE_DB": "none",
            "IPC_CONFORMANCE_PROFILE": "thorough",
            "IPC_CONFORMANCE_ADAPTER": "manager",
        },
        # Wrong values break nothing in a run that never asked for the suite.
        {
            "IPC_CONFORMANCE_TIME_SCALE": "fast",
            "IPC_CONFORMANCE_SEED": "x",
            "IPC_CONFORMANCE_WATCHDOG": "maybe",
            "IPC_CONFORMANCE_SURVEY": "yes",
            "IPC_CONFORMANCE_PROFILE": "leisurely",
            "IPC_CONFORMANCE_ADAPTER": "nope",
            "IPC_CONFORMANCE_EXAMPLE_DB": "ftp://x",
            "IPC_CONFORMANCE_PROGRESS": "often",
        },
    ],
    ids=["plain", "variables-set", "wrong-variables"],
)
def test_a_project_run_is_the_same_with_the_plugin_installed(alone, env):
    where, (baseline_header, baseline) = alone
    header, report = run(where, env=env)
    assert header == baseline_header, "the plugin changed the header of a run that did not ask for the suite"
    assert not any("ipc-conformance" in line for line in header)
    check_untouched(report, baseline)
    check_untouched(baseline, baseline)


@pytest.mark.parametrize(
    "args", [("--ipc-seed", "7"), ("--ipc-seed", "7", "--ipc-example-db", "none")], ids=["seed", "seed-and-database"]
)
def test_asking_for_the_suite_leaves_the_projects_tests_alone(alone, args):
    where, (_, baseline) = alone
    header, first = run(where, *args)
    _, second = run(where, *args)
    assert any(line.startswith("ipc-conformance seed: 7") for line in header), header
    check_untouched(first, baseline)
    check_untouched(second, baseline)
    # Reseeded from the run's seed, both runs would draw the same examples; Hypothesis draws afresh each run.
    assert first["examples"] != second["examples"], "the project's Hypothesis test was reseeded by --ipc-seed"


def test_the_plugin_is_switched_off_by_its_entry_point_name(tmp_path):
    where = project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:ipc_conformance", "--help"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "--ipc-adapter" not in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], cwd=where, capture_output=True, text=True, timeout=60
    )
    assert "--ipc-adapter" in done.stdout


SHADOW_RUN_TIMEOUT = 120


def test_a_local_conformance_package_is_explained_in_one_paragraph(tmp_path):
    """A project's own folder named conformance/ hides the installed suite: a run that asks for the suite says so
    and what to rename; a run that does not ask goes on."""
    where = project(tmp_path)
    (where / "conformance").mkdir()
    (where / "conformance" / "__init__.py").write_text("")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("IPC_CONFORMANCE_")}
    environment.pop("PYTHONPATH", None)
    environment["REPORT"] = str(where / "report.json")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "conformance.suite"],
        cwd=where,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SHADOW_RUN_TIMEOUT,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: ipc-conformance: 'import conformance' finds"), done.stderr
    assert str(where / "conformance") in errors[0] and "Rename your folder" in errors[0]
    assert "Traceback" not in done.stdout + done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=where,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SHADOW_RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_clone_is_not_taken_for_a_shadow():
    import conformance
    import ipc_conformance

    assert ipc_conformance.shadowed_by() == ""
    # The clone's package when installed in editable mode, the installed copy under tox.
    assert os.path.samefile(ipc_conformance.EXPECTED, os.path.dirname(conformance.__file__))
