"""What the suite's own tests share.

Most tests here run pytest in a subprocess (``pytester.runpytest_subprocess``):
the ipc-conformance plugin loads its adapter and chooses its Hypothesis
settings at configure time, so an in-process run would share them with this
session.
:func:`run_pytest` gives each such run a clean environment: the variables
that select an adapter, profile, example database or seed are removed, so
every test states its own, and the repository root is importable, so
``tests.faults.*`` and ``tests.citations`` can be loaded by name.
"""

import os
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parent.parent
#: How Hypothesis introduces a shrunk example ("Falsifying example" up to 6.16x, "Failing test case" since).
EXAMPLE = re.compile(r"Falsifying example:|Failing test case:")

#: Environment variables that change what the plugin selects.
SELECTION_VARIABLES = (
    "IPC_CONFORMANCE_ADAPTER",
    "IPC_CONFORMANCE_PROFILE",
    "IPC_CONFORMANCE_EXAMPLE_DB",
    "IPC_CONFORMANCE_SEED",
    "CI",
)

#: Generous bound for one pytest subprocess; a run past it is a hang.
SUBPROCESS_TIMEOUT = 120


def pytest_addoption(parser):
    parser.addoption(
        "--zoo", action="store_true", help="also run the expensive cases of the fault zoo (tests/test_faults.py)"
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds; deselect with -m 'not slow'")
    config.addinivalue_line("markers", "zoo: an expensive fault-zoo case, skipped unless --zoo is given (tox -e zoo)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--zoo"):
        return
    skip = pytest.mark.skip(reason="expensive fault-zoo case: run with --zoo (tox -e zoo)")
    for item in items:
        if "zoo" in item.keywords:
            item.add_marker(skip)


def clean_environment(monkeypatch) -> None:
    """Drop adapter/profile selection from the environment; put the repo root on PYTHONPATH."""
    for name in SELECTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))


@pytest.fixture
def run_pytest(pytester, monkeypatch):
    """``run_pytest(*args, env={...})``: pytest in a subprocess, in the pytester directory.

    ``env`` adds environment variables for this run only; the cache
    provider is off so runs leave nothing behind.  The run sets the ini
    option ``ipc_own_tests``: the tiny test files written here, which cite
    clauses with the ``spec`` marker, are suite tests, and every run asks
    for the suite (without it, the plugin leaves a run alone: see
    ``tests/test_inert.py``).
    """
    clean_environment(monkeypatch)

    def run(*args, env=None, timeout=SUBPROCESS_TIMEOUT):
        with monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            return pytester.runpytest_subprocess(
                "-p", "no:cacheprovider", "-o", "ipc_own_tests=true", *args, timeout=timeout
            )

    return run


def output(result) -> str:
    """Everything a pytester run printed, stdout then stderr."""
    return "\n".join(result.outlines + result.errlines)
