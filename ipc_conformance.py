"""The pytest entry point of ipc-conformance (``pytest11``: ``ipc_conformance``).

pytest imports this module in every run of an environment where
ipc-conformance is installed.  It loads the plugin, :mod:`conformance.plugin`,
unless a ``conformance`` package of another project comes first on
``sys.path`` (a folder named ``conformance/`` with an ``__init__.py`` in the
directory pytest runs from, say) and hides the installed one.  Then a run
that asks for the suite ends with one paragraph saying what hides it and
how to fix that; any other run goes on without the plugin.

Switch the plugin off with ``-p no:ipc_conformance``.
"""

import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
#: The installed (or cloned) package this entry point belongs to.
EXPECTED = os.path.join(_HERE, "conformance")


def _found() -> str:
    """Where ``import conformance`` finds the package: its directory, or a description."""
    module = sys.modules.get("conformance")
    if module is not None:
        origin = getattr(module, "__file__", None)
        paths = list(getattr(module, "__path__", []) or [])
    else:
        try:
            spec = importlib.util.find_spec("conformance")
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            return "nothing"
        origin = spec.origin
        paths = list(spec.submodule_search_locations or [])
    if origin and os.path.basename(origin) == "__init__.py":
        return os.path.dirname(os.path.abspath(origin))
    if origin and origin.endswith(".py"):
        return os.path.abspath(origin)
    return paths[0] if paths else "nothing"


def shadowed_by() -> str:
    """What hides this copy's ``conformance`` package, or "" when ``import conformance`` finds it."""
    found = _found()
    try:
        same = os.path.samefile(found, EXPECTED)
    except OSError:
        same = False
    return "" if same else found


def explanation(found: str) -> str:
    return (
        f"ipc-conformance: 'import conformance' finds {found}, not the installed suite ({EXPECTED}): a package or "
        f"module named 'conformance' of your own comes first on sys.path (python -m pytest puts the current "
        f"directory there, and pytest's rootdir conftest may add its directory). Rename your folder (for example "
        f"to ipc_conformance_config/), or run pytest from a directory without it; adapters and expectations files "
        f"need no folder of that name. To run without the plugin, pass -p no:ipc_conformance."
    )


_SHADOW = shadowed_by()

if not _SHADOW:
    pytest_plugins = ("conformance.plugin",)
else:
    #: The options of the plugin, so that a command line using them reaches the explanation instead of
    #: "unrecognized arguments".
    _FLAGS = ("--ipc-survey", "--ipc-require-evidence")
    _VALUES = (
        "--ipc-adapter",
        "--ipc-profile",
        "--ipc-expectations",
        "--ipc-report",
        "--ipc-example-db",
        "--ipc-seed",
        "--ipc-watchdog",
        "--ipc-progress",
    )

    def pytest_addoption(parser):
        group = parser.getgroup("ipc-conformance")
        for flag in _FLAGS:
            group.addoption(flag, action="store_true", default=None, help="(ipc-conformance is hidden: see its error)")
        for name in _VALUES:
            group.addoption(name, action="append", default=None, help="(ipc-conformance is hidden: see its error)")
        parser.addini("ipc_own_tests", type="bool", default=False, help="(ipc-conformance is hidden: see its error)")

    def _asks_for_suite(config) -> bool:
        if any(config.getoption(name.lstrip("-").replace("-", "_"), None) for name in _FLAGS + _VALUES):
            return True
        if config.getini("ipc_own_tests"):
            return True
        targets = [str(arg).split("::")[0] for arg in (config.args or ())]
        return config.option.pyargs and any(t == "conformance" or t.startswith("conformance.suite") for t in targets)

    def pytest_configure(config):
        if _asks_for_suite(config):
            import pytest

            raise pytest.UsageError(explanation(_SHADOW))
