"""A pytest plugin that reads the clauses collected tests cite.

Load it with ``-p tests.citations`` (the repository root must be on
``sys.path``).  It runs before the ipc-conformance plugin looks at the
markers, so it sees the citations even when one of them is unknown.

``--citations-out FILE``
    write one JSON record per collected test: ``nodeid``, ``path`` (the
    test module's file), ``spec`` (the clause IDs of every ``spec`` marker
    on the test, its class and its module), ``any`` (whether a ``spec``
    marker says ``any=True``) and ``uses`` (each argument of its ``uses``
    markers, such as ``Primitive.PIPE``).
``--cites PREFIX``
    keep only the tests citing a clause whose ID starts with ``PREFIX``
    (repeatable); the others are deselected.
"""

import enum
import json

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance citations")
    group.addoption(
        "--citations-out", default=None, help="write each collected test's spec citations to this JSON file"
    )
    group.addoption("--cites", action="append", default=[], help="keep only tests citing a clause ID with this prefix")


def _shown(arg) -> str:
    """``Primitive.PIPE`` for a member of an enum, else the argument's ``repr``."""
    return f"{type(arg).__name__}.{arg.name}" if isinstance(arg, enum.Enum) else repr(arg)


def _args(item, marker, show=str):
    return [show(arg) for mark in item.iter_markers(marker) for arg in mark.args]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    out = config.getoption("--citations-out")
    if out:
        records = [
            {
                "nodeid": item.nodeid,
                "path": str(item.path),
                "spec": _args(item, "spec"),
                "any": any(mark.kwargs.get("any", False) for mark in item.iter_markers("spec")),
                "uses": _args(item, "uses", _shown),
            }
            for item in items
        ]
        with open(out, "w") as handle:
            json.dump(records, handle)
    prefixes = config.getoption("--cites")
    if prefixes:
        keep = [item for item in items if any(c.startswith(p) for c in _args(item, "spec") for p in prefixes)]
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
