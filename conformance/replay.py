"""Where a run's examples come from: its seed and its example database (a pytest plugin).

Loaded by :mod:`conformance.plugin`, and acts on the suite's tests only (:mod:`conformance.scope`).
Options (each with an environment variable):

``--ipc-example-db SPEC`` (``IPC_CONFORMANCE_EXAMPLE_DB``)
    the Hypothesis example database (:mod:`conformance.example_db`):
    ``dir:PATH``, ``redis://HOST:PORT/DB``, ``github:OWNER/REPO`` or
    ``none``.  Without it, Hypothesis's own default applies (the local
    ``.hypothesis/examples``; none under the ``ci`` profile).
``--ipc-seed N`` (``IPC_CONFORMANCE_SEED``)
    the seed of every test's generation.  Without it a run that is not
    derandomised draws a fresh seed; either way the header logs it, so
    ``--ipc-seed N`` regenerates that run's examples.

Every test's random source is reseeded from the seed and the test's
module and name before it runs, so a test generates the same examples whatever ran
before it, in whichever pytest-xdist worker (the controller hands its seed
to the workers).  Hypothesis's own ``--hypothesis-seed``
also fixes generation, but it switches the database off; this seed keeps it.

The ``ci`` profile is derandomised and has no database.  Choosing a
database or a seed under ``ci`` is honoured: Hypothesis does not allow a
database in a derandomised run, so the run keeps ``ci``'s example and step
counts but takes its generation from the (logged) seed.

A database's saved failures are replayed before any generation, so they
fail first whatever the seed; a seed reproduces generation exactly when
the database had nothing to replay for the test (or with ``none``).
"""

import os
import random
from typing import Optional

import pytest

from conformance import example_db, hypothesis_hooks, profiles, scope

SEED_ENV_VAR = "IPC_CONFORMANCE_SEED"


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance")
    group.addoption(
        "--ipc-example-db",
        default=None,
        help=f"Hypothesis example database: dir:PATH, redis://HOST:PORT/DB, github:OWNER/REPO or none "
        f"(env {example_db.ENV_VAR}; default Hypothesis's local .hypothesis/examples)",
    )
    group.addoption(
        "--ipc-seed",
        default=None,
        help=f"seed of every test's generation (env {SEED_ENV_VAR}; default a fresh seed, shown in the header)",
    )


def configure(config, adapter, profile: str) -> tuple[dict, str, Optional[int]]:
    """The run's database and seed: the changes to the profile's settings, the database's description, the seed.

    Called by :func:`conformance.plugin.suite` when the run asks for the suite; every value is validated.
    """
    spec = config.getoption("--ipc-example-db") or os.environ.get(example_db.ENV_VAR)
    # A pytest-xdist worker takes the seed its controller chose (see pytest_configure_node).
    workerinput = getattr(config, "workerinput", {})
    if workerinput.get("ipc_seed"):
        seed, source = workerinput["ipc_seed"], "the controller's seed"
    elif config.getoption("--ipc-seed") is not None:
        seed, source = config.getoption("--ipc-seed"), "--ipc-seed"
    else:
        seed, source = os.environ.get(SEED_ENV_VAR), SEED_ENV_VAR
    derandomized = bool(profiles.FIELDS[profile].get("derandomize"))
    changes = {}
    if spec:
        try:
            selection = example_db.open_database(spec, example_db.scope_for(adapter.name))
        except ValueError as exc:
            where = "--ipc-example-db" if config.getoption("--ipc-example-db") else example_db.ENV_VAR
            raise pytest.UsageError(f"ipc-conformance: {where}: {exc}") from None
        changes.update(database=selection.database, derandomize=False)
        description = selection.description
    else:
        description = (
            "none (the profile keeps none)" if derandomized else "Hypothesis default (local .hypothesis/examples)"
        )
    if seed is not None and seed != "":
        try:
            seed = int(seed)
        except ValueError:
            shown = f"{source} {seed!r}" if source.startswith("--") else f"{source}={seed!r}"
            raise pytest.UsageError(
                f"ipc-conformance: {shown} is not an integer; give an integer seed such as 1234, "
                "as printed in a run's header"
            ) from None
        changes["derandomize"] = False
    elif not derandomized or changes:
        seed = random.SystemRandom().randrange(2**32)
    else:
        seed = None
    return changes, description, seed


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: hand the controller's seed to each worker, so a fresh seed is one seed for the run."""
    suite = scope.configured(node.config)
    if suite is not None and suite.seed is not None:
        node.workerinput["ipc_seed"] = str(suite.seed)


def header(suite) -> list:
    seeded = "derandomised" if suite.seed is None else f"{suite.seed} (regenerate with --ipc-seed {suite.seed})"
    return [f"ipc-conformance example database: {suite.example_db}", f"ipc-conformance seed: {seeded}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    suite = scope.configured(item.config)
    if suite is None or suite.seed is None or not scope.is_suite_item(item):
        yield
        return
    # Hypothesis draws each test's seed from this generator unless a seed is forced or the run is
    # derandomised; it is put back afterwards, so the run's other tests draw as they would without the suite.
    with hypothesis_hooks.seeded(f"{suite.seed}:{_identity(item)}"):
        yield


def _identity(item) -> str:
    """The test's module and name: unlike its node ID, the same from a clone or an installed copy, and under
    ``--dist loadgroup`` (which appends ``@group`` to the node ID)."""
    module = getattr(item, "module", None)
    return f"{module.__name__}.{item.location[2]}" if module is not None else item.nodeid
