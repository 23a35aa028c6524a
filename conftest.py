"""Root conftest of a clone of ipc-conformance.

The pytest plugin itself is ``conformance.plugin``, registered through the
``pytest11`` entry point when the project is installed (``pip install .``),
so the suite runs the same from any repository.  This file exists so that,
in a clone, pytest puts the repository root on ``sys.path``: adapters given
by path from the working tree (``--ipc-adapter tests.faults.lifo_queue:ADAPTER``)
import without installing them, and child processes started by spawn or
forkserver find them too.
"""

import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))

# Children started by spawn/forkserver import adapters afresh; they inherit
# PYTHONPATH, not the parent's sys.path.
if _ROOT not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
