"""Where a run's examples come from: its seed and its example database (a pytest plugin).

Loaded by :mod:`conformance.plugin`.  Options (each with an environment variable):

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

import pytest
from hypothesis import settings

from conformance import example_db, hypothesis_hooks

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


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Open the database and fix the seed, on top of the profile conformance.plugin loaded."""
    spec = config.getoption("--ipc-example-db") or os.environ.get(example_db.ENV_VAR)
    # A pytest-xdist worker takes the seed its controller chose (see pytest_configure_node).
    workerinput = getattr(config, "workerinput", {})
    seed = workerinput.get("ipc_seed") or config.getoption("--ipc-seed") or os.environ.get(SEED_ENV_VAR)
    active = settings.default
    changes = {}
    if spec:
        try:
            selection = example_db.open_database(spec, example_db.scope_for(config._ipc_adapter.name))
        except ValueError as exc:
            raise pytest.UsageError(f"ipc-conformance: {exc}") from None
        changes.update(database=selection.database, derandomize=False)
        config._ipc_example_db = selection.description
    else:
        config._ipc_example_db = "none (the profile keeps none)" if active.derandomize else "Hypothesis default (local .hypothesis/examples)"
    if seed is not None:
        try:
            seed = int(seed)
        except ValueError:
            raise pytest.UsageError(f"ipc-conformance: --ipc-seed must be an integer, got {seed!r}") from None
        changes["derandomize"] = False
    elif not active.derandomize or changes:
        seed = random.SystemRandom().randrange(2**32)
    config._ipc_seed = seed
    if changes:
        name = f"{config._ipc_profile}+replay"
        settings.register_profile(name, settings(active, **changes))
        settings.load_profile(name)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: hand the controller's seed to each worker, so a fresh seed is one seed for the run."""
    if node.config._ipc_seed is not None:
        node.workerinput["ipc_seed"] = str(node.config._ipc_seed)


def pytest_report_header(config):
    seed = getattr(config, "_ipc_seed", None)
    seeded = "derandomised" if seed is None else f"{seed} (regenerate with --ipc-seed {seed})"
    return [f"ipc-conformance example database: {config._ipc_example_db}", f"ipc-conformance seed: {seeded}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    seed = item.config._ipc_seed
    if seed is not None and item.get_closest_marker("spec") is not None:
        # Hypothesis draws each test's seed from this generator unless a
        # seed is forced or the run is derandomised.
        hypothesis_hooks.seed_test(f"{seed}:{_identity(item)}")
    yield


def _identity(item) -> str:
    """The test's module and name: unlike its node ID, the same from a clone or an installed copy, and under
    ``--dist loadgroup`` (which appends ``@group`` to the node ID)."""
    module = getattr(item, "module", None)
    return f"{module.__name__}.{item.location[2]}" if module is not None else item.nodeid
